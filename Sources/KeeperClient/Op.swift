public import ZooKeeperWire

/// One operation of a `multi` transaction (`Op.java`): all succeed or none is applied.
public enum Op: Hashable, Sendable {
    /// Creates a node. TTL modes need `ttl` (milliseconds); other modes must leave it nil.
    case create(path: String, data: [UInt8], acl: [ACL] = ACL.openUnsafe, mode: CreateMode = .persistent, ttl: Int64? = nil)
    /// Deletes a node; version -1 matches any.
    case delete(path: String, version: Int32 = -1)
    /// Replaces a node's data; version -1 matches any.
    case setData(path: String, data: [UInt8], version: Int32 = -1)
    /// Fails the transaction unless the node's version is `version`.
    case check(path: String, version: Int32)

    /// The path the op names.
    public var path: String {
        switch self {
        case .create(let path, _, _, _, _), .delete(let path, _), .setData(let path, _, _), .check(let path, _): path
        }
    }
}

/// The result of one `Op`, mirroring ZooKeeper's `OpResult` (`MultiResponse`).
///
/// When a multi fails nothing is applied and every result is `.error`: ops before the failing one
/// carry `.ok`, the failing op its code, and the ops after it `.runtimeInconsistency`.
public enum OpResult: Hashable, Sendable {
    /// `stat` is nil for plain creates (op 1), set for container and TTL creates (ops 19, 21).
    case create(path: String, stat: Stat?)
    case delete
    case setData(Stat)
    case check
    case error(ZKErrorCode)

    /// The error code of an `.error` result, nil for successful results.
    public var error: ZKErrorCode? {
        if case .error(let code) = self { code } else { nil }
    }
}

extension Array where Element == OpResult {
    /// The first failure in a multi's results (ZooKeeper's "fatal error": not `.ok`, not
    /// `.runtimeInconsistency`), or nil when the multi succeeded.
    public var firstError: ZKErrorCode? {
        for result in self {
            if let code = result.error, code != .ok, code != .runtimeInconsistency { return code }
        }
        for result in self {
            if let code = result.error, code != .ok { return code }
        }
        return nil
    }
}

/// One read of a `multiRead` (ZooKeeper 3.6+). Reads are not atomic with each other.
public enum ReadOp: Hashable, Sendable {
    case getData(path: String)
    case getChildren(path: String)
}

/// The result of one `ReadOp`; each read succeeds or fails on its own.
public enum ReadOpResult: Hashable, Sendable {
    case getData(data: [UInt8], stat: Stat)
    case getChildren([String])
    case error(ZKErrorCode)
}
