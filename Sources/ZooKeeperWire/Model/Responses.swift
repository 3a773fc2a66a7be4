public import NIOCore

/// `class ReplyHeader { int xid; long zxid; int err; }`: precedes every reply; the body follows only
/// when `err == 0`.
public struct ReplyHeader: Hashable, Sendable {
    public var xid: Xid
    public var zxid: Zxid
    public var err: ZKErrorCode

    public init(xid: Xid, zxid: Zxid, err: ZKErrorCode) {
        self.xid = xid
        self.zxid = zxid
        self.err = err
    }

    public static let encodedSize = 16
}

/// `class ClientInfo { ustring authScheme; ustring user; }` (whoAmI).
public struct ClientInfo: Hashable, Sendable {
    public var authScheme: String
    public var user: String
    public init(authScheme: String, user: String) {
        self.authScheme = authScheme
        self.user = user
    }
}

/// One sub-result of a multi or multiRead (`MultiResponse.java`), each preceded on the wire by
/// `MultiHeader{type, done=false, err}`; the list ends with `{-1, true, -1}`.
public enum MultiResult: Hashable, Sendable {
    /// header type 1: `CreateResponse{path}`
    case create(path: String)
    /// header type 15/19/21: `Create2Response{path, stat}`; `op` keeps the header type.
    case create2(op: OpCode, path: String, stat: Stat)
    /// header type 2, no body
    case delete
    /// header type 5: `SetDataResponse{stat}`
    case setData(Stat)
    /// header type 13, no body
    case check
    /// header type 4: `GetDataResponse{data, stat}` (multiRead)
    case getData(data: ByteBuffer?, stat: Stat)
    /// header type 8: `GetChildrenResponse{children}` (multiRead)
    case getChildren([String])
    /// header type -1 with `err`: `ErrorResponse{err}`
    case error(ZKErrorCode)
}

/// A reply body. Which case comes back is fixed by the request's op code.
public enum ZKResponse: Hashable, Sendable {
    /// No body: delete, ping, setWatches, auth, closeSession, removeWatches, checkWatches.
    case empty
    /// `CreateResponse{path}` (create).
    case create(path: String)
    /// `Create2Response{path, stat}` (create2, createContainer, createTTL).
    case create2(path: String, stat: Stat)
    /// `ExistsResponse`, `SetDataResponse`, `SetACLResponse`: `{stat}`; also standalone check.
    case stat(Stat)
    /// `GetDataResponse{data, stat}`.
    case getData(data: ByteBuffer?, stat: Stat)
    /// `GetACLResponse{acl, stat}`.
    case getACL(acl: [ACL], stat: Stat)
    /// `GetChildrenResponse{children}`.
    case getChildren([String])
    /// `GetChildren2Response{children, stat}`.
    case getChildren2(children: [String], stat: Stat)
    /// `SyncResponse{path}`.
    case sync(path: String)
    /// `MultiResponse`.
    case multi([MultiResult])
    /// `ErrorResponse{err}`: addWatch answers with a 4-byte body holding 0.
    case errorBody(ZKErrorCode)
    /// `GetEphemeralsResponse{ephemerals}`.
    case getEphemerals([String])
    /// `GetAllChildrenNumberResponse{totalNumber}`.
    case allChildrenNumber(Int32)
    /// `WhoAmIResponse{clientInfo}`.
    case whoAmI([ClientInfo])
    /// `SetSASLResponse{token}`.
    case sasl(token: [UInt8])
}
