/// Request types (`ZooDefs.OpCode`).
public enum OpCode: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case notification = 0
    case create = 1
    case delete = 2
    case exists = 3
    case getData = 4
    case setData = 5
    case getACL = 6
    case setACL = 7
    case getChildren = 8
    case sync = 9
    case ping = 11
    case getChildren2 = 12
    case check = 13
    case multi = 14
    case create2 = 15
    case reconfig = 16
    case checkWatches = 17
    case removeWatches = 18
    case createContainer = 19
    case deleteContainer = 20
    case createTTL = 21
    case multiRead = 22
    case auth = 100
    case setWatches = 101
    case sasl = 102
    case getEphemerals = 103
    case getAllChildrenNumber = 104
    case setWatches2 = 105
    case addWatch = 106
    case whoAmI = 107
    case createSession = -10
    case closeSession = -11
    /// Used only as `MultiHeader.type` of a failed sub-result.
    case error = -1

    public var description: String {
        switch self {
        case .notification: "notification"
        case .create: "create"
        case .delete: "delete"
        case .exists: "exists"
        case .getData: "getData"
        case .setData: "setData"
        case .getACL: "getACL"
        case .setACL: "setACL"
        case .getChildren: "getChildren"
        case .sync: "sync"
        case .ping: "ping"
        case .getChildren2: "getChildren2"
        case .check: "check"
        case .multi: "multi"
        case .create2: "create2"
        case .reconfig: "reconfig"
        case .checkWatches: "checkWatches"
        case .removeWatches: "removeWatches"
        case .createContainer: "createContainer"
        case .deleteContainer: "deleteContainer"
        case .createTTL: "createTTL"
        case .multiRead: "multiRead"
        case .auth: "auth"
        case .setWatches: "setWatches"
        case .sasl: "sasl"
        case .getEphemerals: "getEphemerals"
        case .getAllChildrenNumber: "getAllChildrenNumber"
        case .setWatches2: "setWatches2"
        case .addWatch: "addWatch"
        case .whoAmI: "whoAmI"
        case .createSession: "createSession"
        case .closeSession: "closeSession"
        case .error: "error"
        }
    }
}
