package import KeeperClient
package import ZooKeeperWire

/// Why a command failed, as the shell tells it: one sentence, never a stack trace (pure).
package enum ShellError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the server (or the client library) answered.
    case zookeeper(ZooKeeperError)
    /// BADVERSION for a request that named `expected`; `found` is the node's version read afterwards
    /// (nil if the node is gone by then).
    case versionMismatch(path: String, expected: Int32, found: Int32?)
    case usage(UsageError)
    /// Anything else, already a sentence.
    case message(String)

    package var description: String {
        switch self {
        case .zookeeper(let error): Self.sentence(error.code, path: error.path)
        case .versionMismatch(let path, let expected, let found?):
            "Version mismatch: expected \(expected), found \(found) (\(path))"
        case .versionMismatch(let path, let expected, nil):
            "Version mismatch: expected \(expected), but \(path) no longer exists"
        case .usage(let error): error.description
        case .message(let text): text
        }
    }

    /// zkCli's wording where it has one (`Node does not exist: /a`), plain sentences elsewhere.
    package static func sentence(_ code: ZKErrorCode, path: String?) -> String {
        let on = path.map { ": \($0)" } ?? ""
        switch code {
        case .noNode: return "Node does not exist\(on)"
        case .nodeExists: return "Node already exists\(on)"
        case .notEmpty: return "Node not empty\(on)"
        case .badVersion: return "Version mismatch\(on)"
        case .noAuth: return "Insufficient permission\(on)"
        case .noChildrenForEphemerals: return "Ephemeral nodes cannot have children\(on)"
        case .invalidACL: return "Invalid ACL\(on)"
        case .authFailed: return "Authentication failed; the session is closed (connect to start over)"
        case .connectionLoss:
            return "Connection lost before the answer came (the change may or may not have been made); reconnecting"
        case .sessionExpired: return "Session expired or closed; run connect to open a new session"
        case .noWatcher: return "No such watch\(on)"
        case .badArguments: return "Invalid path or arguments\(on)"
        case .unimplemented: return "The server does not support this operation"
        case .operationTimeout, .requestTimeout: return "The request timed out\(on)"
        case .sessionMoved: return "The session moved to another member; try again"
        case .notReadOnly: return "The member is read-only and cannot accept writes"
        case .quotaExceeded: return "Quota exceeded\(on)"
        case .throttledOp: return "The server is throttling requests; try again"
        case .reconfigDisabled: return "Dynamic reconfiguration is disabled"
        case .ephemeralOnLocalSession: return "Ephemeral nodes need a global session\(on)"
        default: return "The server answered \(code)\(on)"
        }
    }
}
