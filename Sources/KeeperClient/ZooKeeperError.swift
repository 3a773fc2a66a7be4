public import ZooKeeperWire

/// The error every `ZooKeeperClient` operation throws.
///
/// `code` is ZooKeeper's own outcome (`KeeperException.Code`): server answers such as `.noNode`,
/// `.nodeExists`, `.badVersion`, `.noAuth`, and the client-side outcomes `.connectionLoss` (the
/// connection broke before the reply arrived: the request may or may not have been applied),
/// `.sessionExpired` (the session is gone, or the client was closed) and `.authFailed`.
/// `.badArguments` is also raised locally for a malformed path or connect string.
///
/// A failing `multi` is not an error: it returns its per-op results (see `ZooKeeperClient.multi(_:)`).
public struct ZooKeeperError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The outcome ZooKeeper (or the client) reported.
    public var code: ZKErrorCode
    /// The path the failed operation named, as the caller passed it (chroot not included).
    public var path: String?

    public init(code: ZKErrorCode, path: String? = nil) {
        self.code = code
        self.path = path
    }

    public var description: String {
        if let path { "ZooKeeperError(\(code), path: \(path))" } else { "ZooKeeperError(\(code))" }
    }
}
