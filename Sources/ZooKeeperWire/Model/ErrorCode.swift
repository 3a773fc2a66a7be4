/// Client-visible outcomes (`KeeperException.Code`). `ok` is success; everything else travels in
/// `ReplyHeader.err` or a multi sub-result.
public enum ZKErrorCode: Int32, Sendable, Error, CaseIterable, CustomStringConvertible {
    case ok = 0
    case systemError = -1
    case runtimeInconsistency = -2
    case dataInconsistency = -3
    case connectionLoss = -4
    case marshallingError = -5
    case unimplemented = -6
    case operationTimeout = -7
    case badArguments = -8
    case unknownSession = -12
    case newConfigNoQuorum = -13
    case reconfigInProgress = -14
    case apiError = -100
    case noNode = -101
    case noAuth = -102
    case badVersion = -103
    case noChildrenForEphemerals = -108
    case nodeExists = -110
    case notEmpty = -111
    case sessionExpired = -112
    case invalidCallback = -113
    case invalidACL = -114
    case authFailed = -115
    case sessionMoved = -118
    case notReadOnly = -119
    case ephemeralOnLocalSession = -120
    case noWatcher = -121
    case requestTimeout = -122
    case reconfigDisabled = -123
    case sessionClosedRequireSaslAuth = -124
    case quotaExceeded = -125
    case throttledOp = -127

    /// ZooKeeper's own names (`KeeperException.Code`), as clients print them.
    public var description: String {
        switch self {
        case .ok: "OK"
        case .systemError: "SYSTEMERROR"
        case .runtimeInconsistency: "RUNTIMEINCONSISTENCY"
        case .dataInconsistency: "DATAINCONSISTENCY"
        case .connectionLoss: "CONNECTIONLOSS"
        case .marshallingError: "MARSHALLINGERROR"
        case .unimplemented: "UNIMPLEMENTED"
        case .operationTimeout: "OPERATIONTIMEOUT"
        case .badArguments: "BADARGUMENTS"
        case .unknownSession: "UNKNOWNSESSION"
        case .newConfigNoQuorum: "NEWCONFIGNOQUORUM"
        case .reconfigInProgress: "RECONFIGINPROGRESS"
        case .apiError: "APIERROR"
        case .noNode: "NONODE"
        case .noAuth: "NOAUTH"
        case .badVersion: "BADVERSION"
        case .noChildrenForEphemerals: "NOCHILDRENFOREPHEMERALS"
        case .nodeExists: "NODEEXISTS"
        case .notEmpty: "NOTEMPTY"
        case .sessionExpired: "SESSIONEXPIRED"
        case .invalidCallback: "INVALIDCALLBACK"
        case .invalidACL: "INVALIDACL"
        case .authFailed: "AUTHFAILED"
        case .sessionMoved: "SESSIONMOVED"
        case .notReadOnly: "NOTREADONLY"
        case .ephemeralOnLocalSession: "EPHEMERALONLOCALSESSION"
        case .noWatcher: "NOWATCHER"
        case .requestTimeout: "REQUESTTIMEOUT"
        case .reconfigDisabled: "RECONFIGDISABLED"
        case .sessionClosedRequireSaslAuth: "SESSIONCLOSEDREQUIRESASLAUTH"
        case .quotaExceeded: "QUOTAEXCEEDED"
        case .throttledOp: "THROTTLEDOP"
        }
    }
}
