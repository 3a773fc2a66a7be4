public import NIOCore

// Request bodies (`zookeeper.jute`, module org.apache.zookeeper.proto). Each body follows a
// `RequestHeader{xid, type}`; `type` picks the record:
//
// ```
// class CreateRequest { ustring path; buffer data; vector<org.apache.zookeeper.data.ACL> acl; int flags; }
// class CreateTTLRequest { ustring path; buffer data; vector<org.apache.zookeeper.data.ACL> acl; int flags; long ttl; }
// class DeleteRequest { ustring path; int version; }
// class ExistsRequest { ustring path; boolean watch; }          // also GetData, GetChildren, GetChildren2
// class SetDataRequest { ustring path; buffer data; int version; }
// class GetACLRequest { ustring path; }                          // also Sync, GetAllChildrenNumber
// class SetACLRequest { ustring path; vector<org.apache.zookeeper.data.ACL> acl; int version; }
// class CheckVersionRequest { ustring path; int version; }
// class ReconfigRequest { ustring joiningServers; ustring leavingServers; ustring newMembers; long curConfigId; }
// class CheckWatchesRequest { ustring path; int type; }          // also RemoveWatches
// class AuthPacket { int type; ustring scheme; buffer auth; }
// class GetSASLRequest { buffer token; }
// class SetWatches { long relativeZxid; vector<ustring> dataWatches; vector<ustring> existWatches;
//                    vector<ustring> childWatches; }
// class SetWatches2 { ...SetWatches; vector<ustring> persistentWatches; vector<ustring> persistentRecursiveWatches; }
// class GetEphemeralsRequest { ustring prefixPath; }
// class AddWatchRequest { ustring path; int mode; }
// MultiOperationRecord: (MultiHeader{type, done=false, err=-1} + op body)* then MultiHeader{-1, true, -1}
// ping (11), whoAmI (107), closeSession (-11): no body
// ```
//
// Decoding choices:
// - A null `path` (length -1) where the record needs one is `.invalidValue(field: "path", value: -1)`.
// - Null vectors (ACLs, watch lists) and null buffers in auth / SASL read as empty: the server's own
//   validation (e.g. INVALIDACL for an empty ACL) then answers.
// - Null `data` stays nil (`CreateRequest.data`, `SetDataRequest.data` are optional).

extension ZKRequest {
    /// Whether `opCode` is a request a client may send (and `decode(opCode:from:)` accepts).
    /// notification, createSession, deleteContainer (server-internal) and error are not.
    public static func isClientRequest(_ opCode: OpCode) -> Bool {
        switch opCode {
        case .notification, .createSession, .deleteContainer, .error: false
        default: true
        }
    }

    /// Decodes the BODY of a request whose header carried `opCode`. Does not check for trailing bytes
    /// (`ZKRequestFrame.decode` does).
    ///
    /// Throws `.invalidValue(field: "opCode", …)` for op codes that are not client requests
    /// (see `isClientRequest(_:)`), and `.invalidValue(field: "multi.type", …)` for an op not allowed
    /// inside multi (create, create2, createTTL, createContainer, delete, setData, check) or multiRead
    /// (getData, getChildren).
    public static func decode(opCode: OpCode, from buffer: inout ByteBuffer) throws(ZooKeeperWireError) -> ZKRequest {
        switch opCode {
        case .create:
            return .create(try CreateRequest(from: &buffer, withTTL: false))
        case .create2:
            return .create2(try CreateRequest(from: &buffer, withTTL: false))
        case .createContainer:
            return .createContainer(try CreateRequest(from: &buffer, withTTL: false))
        case .createTTL:
            return .createTTL(try CreateRequest(from: &buffer, withTTL: true))
        case .delete:
            let path = try buffer.readJuteRequiredString(field: "path")
            let version = try buffer.readJuteInt32(field: "version")
            return .delete(DeleteRequest(path: path, version: version))
        case .exists:
            return .exists(try PathWatchRequest(from: &buffer))
        case .getData:
            return .getData(try PathWatchRequest(from: &buffer))
        case .getChildren:
            return .getChildren(try PathWatchRequest(from: &buffer))
        case .getChildren2:
            return .getChildren2(try PathWatchRequest(from: &buffer))
        case .setData:
            let path = try buffer.readJuteRequiredString(field: "path")
            let data = try buffer.readJuteBuffer(field: "data")
            let version = try buffer.readJuteInt32(field: "version")
            return .setData(SetDataRequest(path: path, data: data, version: version))
        case .getACL:
            return .getACL(path: try buffer.readJuteRequiredString(field: "path"))
        case .setACL:
            let path = try buffer.readJuteRequiredString(field: "path")
            let acl = try buffer.readJuteACLs(field: "acl") ?? []
            let version = try buffer.readJuteInt32(field: "version")
            return .setACL(SetACLRequest(path: path, acl: acl, version: version))
        case .sync:
            return .sync(path: try buffer.readJuteRequiredString(field: "path"))
        case .ping:
            return .ping
        case .check:
            let path = try buffer.readJuteRequiredString(field: "path")
            let version = try buffer.readJuteInt32(field: "version")
            return .check(CheckVersionRequest(path: path, version: version))
        case .multi:
            return .multi(try Self.decodeMultiOps(from: &buffer, allowed: Self.isAllowedInMulti))
        case .multiRead:
            return .multiRead(try Self.decodeMultiOps(from: &buffer, allowed: Self.isAllowedInMultiRead))
        case .reconfig:
            let joining = try buffer.readJuteString(field: "joiningServers")
            let leaving = try buffer.readJuteString(field: "leavingServers")
            let newMembers = try buffer.readJuteString(field: "newMembers")
            let curConfigId = try buffer.readJuteInt64(field: "curConfigId")
            return .reconfig(
                ReconfigRequest(
                    joiningServers: joining,
                    leavingServers: leaving,
                    newMembers: newMembers,
                    curConfigId: curConfigId
                )
            )
        case .checkWatches:
            return .checkWatches(try WatchesRequest(from: &buffer))
        case .removeWatches:
            return .removeWatches(try WatchesRequest(from: &buffer))
        case .auth:
            let type = try buffer.readJuteInt32(field: "auth.type")
            let scheme = try buffer.readJuteRequiredString(field: "auth.scheme")
            let auth = try buffer.readJuteBytes(field: "auth.auth") ?? []
            return .auth(AuthPacket(type: type, scheme: scheme, auth: auth))
        case .sasl:
            return .sasl(token: try buffer.readJuteBytes(field: "sasl.token") ?? [])
        case .setWatches:
            return .setWatches(try SetWatchesRequest(from: &buffer, version2: false))
        case .setWatches2:
            return .setWatches2(try SetWatchesRequest(from: &buffer, version2: true))
        case .getEphemerals:
            return .getEphemerals(prefixPath: try buffer.readJuteRequiredString(field: "prefixPath"))
        case .getAllChildrenNumber:
            return .getAllChildrenNumber(path: try buffer.readJuteRequiredString(field: "path"))
        case .addWatch:
            let path = try buffer.readJuteRequiredString(field: "path")
            let mode = try buffer.readJuteInt32(field: "mode")
            return .addWatch(AddWatchRequest(path: path, mode: mode))
        case .whoAmI:
            return .whoAmI
        case .closeSession:
            return .closeSession
        case .notification, .createSession, .deleteContainer, .error:
            throw .invalidValue(field: "opCode", value: Int64(opCode.rawValue))
        }
    }

    /// Write ops a multi may carry (`MultiOperationRecord`, `PrepRequestProcessor`).
    static func isAllowedInMulti(_ opCode: OpCode) -> Bool {
        switch opCode {
        case .create, .create2, .createTTL, .createContainer, .delete, .setData, .check: true
        default: false
        }
    }

    /// Read ops a multiRead may carry.
    static func isAllowedInMultiRead(_ opCode: OpCode) -> Bool {
        opCode == .getData || opCode == .getChildren
    }

    /// Reads `(MultiHeader + op body)*` up to the `done` header. ZooKeeper ends the list on `done`
    /// alone; the terminator's type and err are not checked.
    private static func decodeMultiOps(
        from buffer: inout ByteBuffer,
        allowed: (OpCode) -> Bool
    ) throws(ZooKeeperWireError) -> [ZKRequest] {
        var ops: [ZKRequest] = []
        while true {
            let header = try MultiHeader(from: &buffer)
            if header.done { return ops }
            guard let opCode = OpCode(rawValue: header.type), allowed(opCode) else {
                throw .invalidValue(field: "multi.type", value: Int64(header.type))
            }
            ops.append(try Self.decode(opCode: opCode, from: &buffer))
        }
    }

    /// Writes the BODY of this request (no `RequestHeader`, no length prefix).
    ///
    /// Inside multi / multiRead each op is written with `MultiHeader{opCode, false, -1}`; ops that a
    /// multi may not carry are written as given (the decoder rejects them). `createTTL` writes
    /// `request.ttl ?? 0` as its trailing `long ttl`; the other create ops never write a TTL.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        switch self {
        case .create(let request), .create2(let request), .createContainer(let request):
            return request.write(to: &buffer, withTTL: false)
        case .createTTL(let request):
            return request.write(to: &buffer, withTTL: true)
        case .delete(let request):
            return buffer.writeJuteString(request.path) + buffer.writeInteger(request.version)
        case .exists(let request), .getData(let request), .getChildren(let request), .getChildren2(let request):
            return buffer.writeJuteString(request.path) + buffer.writeJuteBool(request.watch)
        case .setData(let request):
            return buffer.writeJuteString(request.path) + buffer.writeJuteBuffer(request.data)
                + buffer.writeInteger(request.version)
        case .getACL(let path), .sync(let path), .getAllChildrenNumber(let path):
            return buffer.writeJuteString(path)
        case .getEphemerals(let prefixPath):
            return buffer.writeJuteString(prefixPath)
        case .setACL(let request):
            return buffer.writeJuteString(request.path) + buffer.writeJuteACLs(request.acl)
                + buffer.writeInteger(request.version)
        case .check(let request):
            return buffer.writeJuteString(request.path) + buffer.writeInteger(request.version)
        case .multi(let ops), .multiRead(let ops):
            var written = 0
            for op in ops {
                written += MultiHeader(type: op.opCode.rawValue, done: false, err: -1).write(to: &buffer)
                written += op.write(to: &buffer)
            }
            return written + MultiHeader.end.write(to: &buffer)
        case .reconfig(let request):
            return buffer.writeJuteString(request.joiningServers) + buffer.writeJuteString(request.leavingServers)
                + buffer.writeJuteString(request.newMembers) + buffer.writeInteger(request.curConfigId)
        case .checkWatches(let request), .removeWatches(let request):
            return buffer.writeJuteString(request.path) + buffer.writeInteger(request.type)
        case .auth(let packet):
            return buffer.writeInteger(packet.type) + buffer.writeJuteString(packet.scheme)
                + buffer.writeJuteBytes(packet.auth)
        case .sasl(let token):
            return buffer.writeJuteBytes(token)
        case .setWatches(let request):
            return request.write(to: &buffer, version2: false)
        case .setWatches2(let request):
            return request.write(to: &buffer, version2: true)
        case .addWatch(let request):
            return buffer.writeJuteString(request.path) + buffer.writeInteger(request.mode)
        case .ping, .whoAmI, .closeSession:
            return 0
        }
    }
}

// MARK: - Sizes

extension ZKRequest {
    /// The bytes `write(to:)` produces, computed without writing them (`ZKRequestFrame.encode` checks
    /// it against the frame limit first). Saturates at `Int.max`: a multi or a watch list may repeat
    /// one large value many times while holding its bytes once.
    public var encodedSize: Int {
        switch self {
        case .create(let r), .create2(let r), .createContainer(let r):
            return Self.sum(Self.stringSize(r.path), Self.bufferSize(r.data), Self.aclSize(r.acl), 4)
        case .createTTL(let r):
            return Self.sum(Self.stringSize(r.path), Self.bufferSize(r.data), Self.aclSize(r.acl), 4, 8)
        case .delete(let r):
            return Self.sum(Self.stringSize(r.path), 4)
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r):
            return Self.sum(Self.stringSize(r.path), 1)
        case .setData(let r):
            return Self.sum(Self.stringSize(r.path), Self.bufferSize(r.data), 4)
        case .getACL(let path), .sync(let path), .getAllChildrenNumber(let path), .getEphemerals(let path):
            return Self.stringSize(path)
        case .setACL(let r):
            return Self.sum(Self.stringSize(r.path), Self.aclSize(r.acl), 4)
        case .check(let r):
            return Self.sum(Self.stringSize(r.path), 4)
        case .multi(let ops), .multiRead(let ops):
            return ops.reduce(MultiHeader.encodedSize) { Self.sum($0, MultiHeader.encodedSize, $1.encodedSize) }
        case .reconfig(let r):
            return Self.sum(
                Self.stringSize(r.joiningServers), Self.stringSize(r.leavingServers), Self.stringSize(r.newMembers), 8)
        case .checkWatches(let r), .removeWatches(let r):
            return Self.sum(Self.stringSize(r.path), 4)
        case .auth(let packet):
            return Self.sum(4, Self.stringSize(packet.scheme), 4, packet.auth.count)
        case .sasl(let token):
            return Self.sum(4, token.count)
        case .setWatches(let r):
            return Self.sum(
                8, Self.stringsSize(r.dataWatches), Self.stringsSize(r.existWatches), Self.stringsSize(r.childWatches))
        case .setWatches2(let r):
            return Self.sum(
                8, Self.stringsSize(r.dataWatches), Self.stringsSize(r.existWatches), Self.stringsSize(r.childWatches),
                Self.stringsSize(r.persistentWatches), Self.stringsSize(r.persistentRecursiveWatches))
        case .addWatch(let r):
            return Self.sum(Self.stringSize(r.path), 4)
        case .ping, .whoAmI, .closeSession:
            return 0
        }
    }

    /// Adds sizes, saturating at `Int.max`.
    private static func sum(_ sizes: Int...) -> Int {
        var total = 0
        for size in sizes {
            let (next, overflow) = total.addingReportingOverflow(size)
            if overflow { return .max }
            total = next
        }
        return total
    }

    private static func stringSize(_ string: String?) -> Int { sum(4, string?.utf8.count ?? 0) }
    private static func bufferSize(_ buffer: ByteBuffer?) -> Int { sum(4, buffer?.readableBytes ?? 0) }
    private static func stringsSize(_ strings: [String]) -> Int { strings.reduce(4) { sum($0, stringSize($1)) } }
    private static func aclSize(_ acl: [ACL]) -> Int {
        acl.reduce(4) { sum($0, 4, stringSize($1.id.scheme), stringSize($1.id.id)) }
    }
}

extension CreateRequest {
    fileprivate init(from buffer: inout ByteBuffer, withTTL: Bool) throws(ZooKeeperWireError) {
        let path = try buffer.readJuteRequiredString(field: "path")
        let data = try buffer.readJuteBuffer(field: "data")
        let acl = try buffer.readJuteACLs(field: "acl") ?? []
        let flags = try buffer.readJuteInt32(field: "flags")
        let ttl = withTTL ? try buffer.readJuteInt64(field: "ttl") : nil
        self.init(path: path, data: data, acl: acl, flags: flags, ttl: ttl)
    }

    fileprivate func write(to buffer: inout ByteBuffer, withTTL: Bool) -> Int {
        var written = buffer.writeJuteString(self.path)
        written += buffer.writeJuteBuffer(self.data)
        written += buffer.writeJuteACLs(self.acl)
        written += buffer.writeInteger(self.flags)
        if withTTL {
            written += buffer.writeInteger(self.ttl ?? 0)
        }
        return written
    }
}

extension PathWatchRequest {
    fileprivate init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let path = try buffer.readJuteRequiredString(field: "path")
        let watch = try buffer.readJuteBool(field: "watch")
        self.init(path: path, watch: watch)
    }
}

extension WatchesRequest {
    fileprivate init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let path = try buffer.readJuteRequiredString(field: "path")
        let type = try buffer.readJuteInt32(field: "type")
        self.init(path: path, type: type)
    }
}

extension SetWatchesRequest {
    fileprivate init(from buffer: inout ByteBuffer, version2: Bool) throws(ZooKeeperWireError) {
        let relativeZxid = try buffer.readJuteInt64(field: "relativeZxid")
        let data = try buffer.readJuteStringVector(field: "dataWatches") ?? []
        let exist = try buffer.readJuteStringVector(field: "existWatches") ?? []
        let child = try buffer.readJuteStringVector(field: "childWatches") ?? []
        var persistent: [String] = []
        var persistentRecursive: [String] = []
        if version2 {
            persistent = try buffer.readJuteStringVector(field: "persistentWatches") ?? []
            persistentRecursive = try buffer.readJuteStringVector(field: "persistentRecursiveWatches") ?? []
        }
        self.init(
            relativeZxid: Zxid(relativeZxid),
            dataWatches: data,
            existWatches: exist,
            childWatches: child,
            persistentWatches: persistent,
            persistentRecursiveWatches: persistentRecursive
        )
    }

    /// SetWatches (op 101) carries only the first three lists; the persistent lists are dropped.
    fileprivate func write(to buffer: inout ByteBuffer, version2: Bool) -> Int {
        var written = buffer.writeInteger(self.relativeZxid.rawValue)
        written += buffer.writeJuteStringVector(self.dataWatches)
        written += buffer.writeJuteStringVector(self.existWatches)
        written += buffer.writeJuteStringVector(self.childWatches)
        if version2 {
            written += buffer.writeJuteStringVector(self.persistentWatches)
            written += buffer.writeJuteStringVector(self.persistentRecursiveWatches)
        }
        return written
    }
}
