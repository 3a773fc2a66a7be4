public import NIOCore

// Reply bodies (`zookeeper.jute`, module org.apache.zookeeper.proto). A body follows the
// `ReplyHeader` only when `err == 0`; its record is fixed by the request's op code:
//
// ```
// class CreateResponse { ustring path; }
// class Create2Response { ustring path; org.apache.zookeeper.data.Stat stat; }
// class ExistsResponse { org.apache.zookeeper.data.Stat stat; }       // also SetData, SetACL, standalone check
// class GetDataResponse { buffer data; org.apache.zookeeper.data.Stat stat; }   // also reconfig
// class GetACLResponse { vector<org.apache.zookeeper.data.ACL> acl; org.apache.zookeeper.data.Stat stat; }
// class GetChildrenResponse { vector<ustring> children; }
// class GetChildren2Response { vector<ustring> children; org.apache.zookeeper.data.Stat stat; }
// class SyncResponse { ustring path; }
// class ErrorResponse { int err; }                                     // addWatch: 4-byte body
// class GetEphemeralsResponse { vector<ustring> ephemerals; }
// class GetAllChildrenNumberResponse { int totalNumber; }
// class ClientInfo { ustring authScheme; ustring user; }
// class WhoAmIResponse { vector<ClientInfo> clientInfo; }
// class SetSASLResponse { buffer token; }
// MultiResponse: (MultiHeader{type, done=false, err} + result body)* then MultiHeader{-1, true, -1}
//   type 1: CreateResponse; 15/19/21: Create2Response; 2, 13: nothing; 5: SetDataResponse;
//   4: GetDataResponse; 8: GetChildrenResponse; -1: ErrorResponse (header err carries the same code)
// ```
//
// Decoding choices: a null `path` is `.invalidValue(field:value: -1)`; null vectors read as empty;
// null data stays nil; unknown error codes read as `.systemError` (`ZKErrorCode.init(wireValue:)`).

extension ZKResponse {
    /// Decodes the BODY the server sends for a successful (`err == 0`) request with `opCode`. Does not
    /// check for trailing bytes.
    ///
    /// Throws `.invalidValue(field: "opCode", …)` for op codes that have no reply (notification,
    /// createSession, deleteContainer, error).
    public static func decode(
        for opCode: OpCode,
        from buffer: inout ByteBuffer
    ) throws(ZooKeeperWireError) -> ZKResponse {
        switch opCode {
        case .delete, .ping, .setWatches, .setWatches2, .auth, .closeSession, .checkWatches, .removeWatches:
            return .empty
        case .create:
            return .create(path: try buffer.readJuteRequiredString(field: "path"))
        case .create2, .createContainer, .createTTL:
            let path = try buffer.readJuteRequiredString(field: "path")
            return .create2(path: path, stat: try buffer.readStat())
        case .exists, .setData, .setACL, .check:
            return .stat(try buffer.readStat())
        case .getData, .reconfig:
            let data = try buffer.readJuteBuffer(field: "data")
            return .getData(data: data, stat: try buffer.readStat())
        case .getACL:
            let acl = try buffer.readJuteACLs(field: "acl") ?? []
            return .getACL(acl: acl, stat: try buffer.readStat())
        case .getChildren:
            return .getChildren(try buffer.readJuteStringVector(field: "children") ?? [])
        case .getChildren2:
            let children = try buffer.readJuteStringVector(field: "children") ?? []
            return .getChildren2(children: children, stat: try buffer.readStat())
        case .sync:
            return .sync(path: try buffer.readJuteRequiredString(field: "path"))
        case .multi, .multiRead:
            return .multi(try Self.decodeMultiResults(from: &buffer))
        case .addWatch:
            return .errorBody(ZKErrorCode(wireValue: try buffer.readJuteInt32(field: "err")))
        case .getEphemerals:
            return .getEphemerals(try buffer.readJuteStringVector(field: "ephemerals") ?? [])
        case .getAllChildrenNumber:
            return .allChildrenNumber(try buffer.readJuteInt32(field: "totalNumber"))
        case .whoAmI:
            // ClientInfo is at least two empty ustrings (8 bytes).
            let infos =
                try buffer.readJuteVector(field: "clientInfo", minimumElementSize: 8) {
                    (buffer) throws(ZooKeeperWireError) -> ClientInfo in
                    let scheme = try buffer.readJuteString(field: "clientInfo.authScheme") ?? ""
                    let user = try buffer.readJuteString(field: "clientInfo.user") ?? ""
                    return ClientInfo(authScheme: scheme, user: user)
                } ?? []
            return .whoAmI(infos)
        case .sasl:
            return .sasl(token: try buffer.readJuteBytes(field: "token") ?? [])
        case .notification, .createSession, .deleteContainer, .error:
            throw .invalidValue(field: "opCode", value: Int64(opCode.rawValue))
        }
    }

    private static func decodeMultiResults(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) -> [MultiResult] {
        var results: [MultiResult] = []
        while true {
            let header = try MultiHeader(from: &buffer)
            if header.done { return results }
            results.append(try MultiResult(type: header.type, from: &buffer))
        }
    }

    /// Writes the BODY of this reply (no `ReplyHeader`, no length prefix). `.empty` writes nothing.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        switch self {
        case .empty:
            return 0
        case .create(let path), .sync(let path):
            return buffer.writeJuteString(path)
        case .create2(let path, let stat):
            return buffer.writeJuteString(path) + buffer.writeStat(stat)
        case .stat(let stat):
            return buffer.writeStat(stat)
        case .getData(let data, let stat):
            return buffer.writeJuteBuffer(data) + buffer.writeStat(stat)
        case .getACL(let acl, let stat):
            return buffer.writeJuteACLs(acl) + buffer.writeStat(stat)
        case .getChildren(let children), .getEphemerals(let children):
            return buffer.writeJuteStringVector(children)
        case .getChildren2(let children, let stat):
            return buffer.writeJuteStringVector(children) + buffer.writeStat(stat)
        case .multi(let results):
            var written = 0
            for result in results {
                written += result.write(to: &buffer)
            }
            return written + MultiHeader.end.write(to: &buffer)
        case .errorBody(let code):
            return buffer.writeInteger(code.rawValue)
        case .allChildrenNumber(let total):
            return buffer.writeInteger(total)
        case .whoAmI(let infos):
            return buffer.writeJuteVector(infos) {
                $0.writeJuteString($1.authScheme) + $0.writeJuteString($1.user)
            }
        case .sasl(let token):
            return buffer.writeJuteBytes(token)
        }
    }
}

extension MultiResult {
    /// The `MultiHeader.type` this result is written with.
    public var opType: Int32 {
        switch self {
        case .create: OpCode.create.rawValue
        case .create2(let op, _, _): op.rawValue
        case .delete: OpCode.delete.rawValue
        case .setData: OpCode.setData.rawValue
        case .check: OpCode.check.rawValue
        case .getData: OpCode.getData.rawValue
        case .getChildren: OpCode.getChildren.rawValue
        case .error: OpCode.error.rawValue
        }
    }

    /// Reads the body of one sub-result whose `MultiHeader.type` was `type`.
    fileprivate init(type: Int32, from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        switch OpCode(rawValue: type) {
        case .create?:
            self = .create(path: try buffer.readJuteRequiredString(field: "multi.path"))
        case .create2?, .createContainer?, .createTTL?:
            let path = try buffer.readJuteRequiredString(field: "multi.path")
            self = .create2(op: OpCode(rawValue: type)!, path: path, stat: try buffer.readStat())
        case .delete?:
            self = .delete
        case .check?:
            self = .check
        case .setData?:
            self = .setData(try buffer.readStat())
        case .getData?:
            let data = try buffer.readJuteBuffer(field: "multi.data")
            self = .getData(data: data, stat: try buffer.readStat())
        case .getChildren?:
            self = .getChildren(try buffer.readJuteStringVector(field: "multi.children") ?? [])
        case .error?:
            // Java's MultiResponse takes the code from the ErrorResponse body, not the header.
            self = .error(ZKErrorCode(wireValue: try buffer.readJuteInt32(field: "multi.err")))
        default:
            throw .invalidValue(field: "multi.type", value: Int64(type))
        }
    }

    /// Writes `MultiHeader{type, false, err}` and the result body. `err` is the error code for
    /// `.error` results and 0 otherwise (`MultiResponse.serialize`).
    fileprivate func write(to buffer: inout ByteBuffer) -> Int {
        let err: Int32
        if case .error(let code) = self { err = code.rawValue } else { err = 0 }
        var written = MultiHeader(type: self.opType, done: false, err: err).write(to: &buffer)
        switch self {
        case .create(let path):
            written += buffer.writeJuteString(path)
        case .create2(_, let path, let stat):
            written += buffer.writeJuteString(path) + buffer.writeStat(stat)
        case .delete, .check:
            break
        case .setData(let stat):
            written += buffer.writeStat(stat)
        case .getData(let data, let stat):
            written += buffer.writeJuteBuffer(data) + buffer.writeStat(stat)
        case .getChildren(let children):
            written += buffer.writeJuteStringVector(children)
        case .error(let code):
            written += buffer.writeInteger(code.rawValue)
        }
        return written
    }
}

extension WatcherEvent {
    /// Reads `class WatcherEvent { int type; int state; ustring path; }`.
    ///
    /// Event types and states outside `EventType` / `KeeperState` throw `.invalidValue`. A null path
    /// reads as "" (ZooKeeper puts null in the path of state-only events; servers do not send those).
    public init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let rawType = try buffer.readJuteInt32(field: "event.type")
        let rawState = try buffer.readJuteInt32(field: "event.state")
        let path = try buffer.readJuteString(field: "event.path") ?? ""
        guard let type = EventType(rawValue: rawType) else {
            throw .invalidValue(field: "event.type", value: Int64(rawType))
        }
        guard let state = KeeperState(rawValue: rawState) else {
            throw .invalidValue(field: "event.state", value: Int64(rawState))
        }
        self.init(type: type, state: state, path: path)
    }

    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeInteger(self.type.rawValue) + buffer.writeInteger(self.state.rawValue)
            + buffer.writeJuteString(self.path)
    }
}

// MARK: - Sizes

extension ZKResponse {
    /// The bytes `write(to:)` produces, computed without writing them. A server checks it against
    /// its reply limit before encoding: a multiRead of many reads of one large node shares the node's
    /// bytes in memory, but would be copied into one frame of any size (past 2 GiB, past any
    /// client's `jute.maxbuffer`).
    public var encodedSize: Int {
        switch self {
        case .empty: 0
        case .create(let path), .sync(let path): Self.stringSize(path)
        case .create2(let path, _): Self.stringSize(path) + Stat.encodedSize
        case .stat: Stat.encodedSize
        case .getData(let data, _): 4 + (data?.readableBytes ?? 0) + Stat.encodedSize
        case .getACL(let acl, _):
            4 + acl.reduce(0) { $0 + 4 + Self.stringSize($1.id.scheme) + Self.stringSize($1.id.id) } + Stat.encodedSize
        case .getChildren(let children), .getEphemerals(let children): Self.stringVectorSize(children)
        case .getChildren2(let children, _): Self.stringVectorSize(children) + Stat.encodedSize
        case .multi(let results): results.reduce(MultiHeader.encodedSize) { $0 + $1.encodedSize }
        case .errorBody, .allChildrenNumber: 4
        case .whoAmI(let infos): 4 + infos.reduce(0) { $0 + Self.stringSize($1.authScheme) + Self.stringSize($1.user) }
        case .sasl(let token): 4 + token.count
        }
    }

    fileprivate static func stringSize(_ string: String) -> Int { 4 + string.utf8.count }

    fileprivate static func stringVectorSize(_ strings: [String]) -> Int {
        strings.reduce(4) { $0 + stringSize($1) }
    }
}

extension MultiResult {
    /// The bytes `write(to:)` produces: the `MultiHeader` and the result body.
    public var encodedSize: Int {
        let body =
            switch self {
            case .create(let path): ZKResponse.stringSize(path)
            case .create2(_, let path, _): ZKResponse.stringSize(path) + Stat.encodedSize
            case .delete, .check: 0
            case .setData: Stat.encodedSize
            case .getData(let data, _): 4 + (data?.readableBytes ?? 0) + Stat.encodedSize
            case .getChildren(let children): ZKResponse.stringVectorSize(children)
            case .error: 4
            }
        return MultiHeader.encodedSize + body
    }
}
