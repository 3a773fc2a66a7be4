public import NIOCore

/// `class CreateRequest { ustring path; buffer data; vector<ACL> acl; int flags; }` and
/// `class CreateTTLRequest { ...; long ttl; }`. Used by create, create2, createContainer, createTTL.
public struct CreateRequest: Hashable, Sendable {
    public var path: String
    /// nil when the client sent a null buffer (length -1).
    public var data: ByteBuffer?
    public var acl: [ACL]
    /// The raw `CreateMode` value; validated by the server, not the codec.
    public var flags: Int32
    /// Only for createTTL (op 21); nil otherwise.
    public var ttl: Int64?

    public init(path: String, data: ByteBuffer?, acl: [ACL], flags: Int32, ttl: Int64? = nil) {
        self.path = path
        self.data = data
        self.acl = acl
        self.flags = flags
        self.ttl = ttl
    }
}

/// `class DeleteRequest { ustring path; int version; }`; version -1 matches any.
public struct DeleteRequest: Hashable, Sendable {
    public var path: String
    public var version: Int32
    public init(path: String, version: Int32 = -1) {
        self.path = path
        self.version = version
    }
}

/// `ExistsRequest`, `GetDataRequest`, `GetChildrenRequest`, `GetChildren2Request`:
/// `{ ustring path; boolean watch; }`.
public struct PathWatchRequest: Hashable, Sendable {
    public var path: String
    public var watch: Bool
    public init(path: String, watch: Bool = false) {
        self.path = path
        self.watch = watch
    }
}

/// `class SetDataRequest { ustring path; buffer data; int version; }`.
public struct SetDataRequest: Hashable, Sendable {
    public var path: String
    public var data: ByteBuffer?
    public var version: Int32
    public init(path: String, data: ByteBuffer?, version: Int32 = -1) {
        self.path = path
        self.data = data
        self.version = version
    }
}

/// `class SetACLRequest { ustring path; vector<ACL> acl; int version; }`.
public struct SetACLRequest: Hashable, Sendable {
    public var path: String
    public var acl: [ACL]
    public var version: Int32
    public init(path: String, acl: [ACL], version: Int32 = -1) {
        self.path = path
        self.acl = acl
        self.version = version
    }
}

/// `class CheckVersionRequest { ustring path; int version; }`.
public struct CheckVersionRequest: Hashable, Sendable {
    public var path: String
    public var version: Int32
    public init(path: String, version: Int32) {
        self.path = path
        self.version = version
    }
}

/// `CheckWatchesRequest` / `RemoveWatchesRequest`: `{ ustring path; int type; }`.
public struct WatchesRequest: Hashable, Sendable {
    public var path: String
    /// The raw `WatcherType` value.
    public var type: Int32
    public init(path: String, type: Int32) {
        self.path = path
        self.type = type
    }
}

/// `class AuthPacket { int type; ustring scheme; buffer auth; }`.
public struct AuthPacket: Hashable, Sendable {
    public var type: Int32
    public var scheme: String
    public var auth: [UInt8]
    public init(type: Int32 = 0, scheme: String, auth: [UInt8]) {
        self.type = type
        self.scheme = scheme
        self.auth = auth
    }
}

/// `SetWatches` (op 101: first three lists) and `SetWatches2` (op 105: all five).
/// ```
/// class SetWatches2 {
///     long relativeZxid; vector<ustring> dataWatches; vector<ustring> existWatches;
///     vector<ustring> childWatches; vector<ustring> persistentWatches;
///     vector<ustring> persistentRecursiveWatches;
/// }
/// ```
public struct SetWatchesRequest: Hashable, Sendable {
    public var relativeZxid: Zxid
    public var dataWatches: [String]
    public var existWatches: [String]
    public var childWatches: [String]
    public var persistentWatches: [String]
    public var persistentRecursiveWatches: [String]

    public init(
        relativeZxid: Zxid, dataWatches: [String] = [], existWatches: [String] = [], childWatches: [String] = [],
        persistentWatches: [String] = [], persistentRecursiveWatches: [String] = []
    ) {
        self.relativeZxid = relativeZxid
        self.dataWatches = dataWatches
        self.existWatches = existWatches
        self.childWatches = childWatches
        self.persistentWatches = persistentWatches
        self.persistentRecursiveWatches = persistentRecursiveWatches
    }
}

/// `class AddWatchRequest { ustring path; int mode; }`.
public struct AddWatchRequest: Hashable, Sendable {
    public var path: String
    /// The raw `AddWatchMode` value.
    public var mode: Int32
    public init(path: String, mode: Int32) {
        self.path = path
        self.mode = mode
    }
}

/// `class ReconfigRequest { ustring joiningServers; ustring leavingServers; ustring newMembers; long curConfigId; }`.
public struct ReconfigRequest: Hashable, Sendable {
    public var joiningServers: String?
    public var leavingServers: String?
    public var newMembers: String?
    public var curConfigId: Int64
    public init(joiningServers: String?, leavingServers: String?, newMembers: String?, curConfigId: Int64) {
        self.joiningServers = joiningServers
        self.leavingServers = leavingServers
        self.newMembers = newMembers
        self.curConfigId = curConfigId
    }
}

/// A client request body, one case per op code (`ZooDefs.OpCode`). The xid travels beside it.
public indirect enum ZKRequest: Hashable, Sendable {
    case create(CreateRequest)
    case create2(CreateRequest)
    case createContainer(CreateRequest)
    /// `CreateTTLRequest`: `request.ttl` is set.
    case createTTL(CreateRequest)
    case delete(DeleteRequest)
    case exists(PathWatchRequest)
    case getData(PathWatchRequest)
    case setData(SetDataRequest)
    /// `class GetACLRequest { ustring path; }`
    case getACL(path: String)
    case setACL(SetACLRequest)
    case getChildren(PathWatchRequest)
    case getChildren2(PathWatchRequest)
    /// `class SyncRequest { ustring path; }`
    case sync(path: String)
    /// xid -2, no body.
    case ping
    case check(CheckVersionRequest)
    /// `MultiOperationRecord`: (MultiHeader{type, done=false, err=-1}, body)* then {-1, true, -1}.
    case multi([ZKRequest])
    /// Same record; only getData and getChildren inside.
    case multiRead([ZKRequest])
    case reconfig(ReconfigRequest)
    case checkWatches(WatchesRequest)
    case removeWatches(WatchesRequest)
    /// xid -4.
    case auth(AuthPacket)
    /// `class GetSASLRequest { buffer token; }`
    case sasl(token: [UInt8])
    /// xid -8, op 101.
    case setWatches(SetWatchesRequest)
    /// xid -8, op 105.
    case setWatches2(SetWatchesRequest)
    /// `class GetEphemeralsRequest { ustring prefixPath; }`
    case getEphemerals(prefixPath: String)
    /// `class GetAllChildrenNumberRequest { ustring path; }`
    case getAllChildrenNumber(path: String)
    case addWatch(AddWatchRequest)
    /// No body.
    case whoAmI
    /// No body; the server answers and closes the connection.
    case closeSession

    public var opCode: OpCode {
        switch self {
        case .create: .create
        case .create2: .create2
        case .createContainer: .createContainer
        case .createTTL: .createTTL
        case .delete: .delete
        case .exists: .exists
        case .getData: .getData
        case .setData: .setData
        case .getACL: .getACL
        case .setACL: .setACL
        case .getChildren: .getChildren
        case .getChildren2: .getChildren2
        case .sync: .sync
        case .ping: .ping
        case .check: .check
        case .multi: .multi
        case .multiRead: .multiRead
        case .reconfig: .reconfig
        case .checkWatches: .checkWatches
        case .removeWatches: .removeWatches
        case .auth: .auth
        case .sasl: .sasl
        case .setWatches: .setWatches
        case .setWatches2: .setWatches2
        case .getEphemerals: .getEphemerals
        case .getAllChildrenNumber: .getAllChildrenNumber
        case .addWatch: .addWatch
        case .whoAmI: .whoAmI
        case .closeSession: .closeSession
        }
    }

    /// The path the request names, where it names exactly one.
    public var path: String? {
        switch self {
        case .create(let r), .create2(let r), .createContainer(let r), .createTTL(let r): r.path
        case .delete(let r): r.path
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r): r.path
        case .setData(let r): r.path
        case .getACL(let path), .sync(let path), .getAllChildrenNumber(let path): path
        case .setACL(let r): r.path
        case .check(let r): r.path
        case .checkWatches(let r), .removeWatches(let r): r.path
        case .addWatch(let r): r.path
        case .getEphemerals(let prefix): prefix
        case .ping, .multi, .multiRead, .reconfig, .auth, .sasl, .setWatches, .setWatches2, .whoAmI, .closeSession:
            nil
        }
    }

    /// Whether the request changes replicated state (goes through the log).
    public var isWrite: Bool {
        switch self {
        case .create, .create2, .createContainer, .createTTL, .delete, .setData, .setACL, .check, .multi,
            .reconfig, .closeSession:
            true
        default:
            false
        }
    }
}
