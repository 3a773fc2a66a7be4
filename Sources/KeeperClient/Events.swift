public import ZooKeeperWire

/// A watch notification, as delivered by `ZooKeeperClient.watchEvents()`.
///
/// The server sends one per fired watch (`WatcherEvent`, xid -1). Paths are client paths: the chroot
/// of the connect string has been stripped.
public struct WatchEvent: Hashable, Sendable, CustomStringConvertible {
    public var type: EventType
    public var state: KeeperState
    public var path: String
    /// The zxid of the change that fired the watch (ZooKeeper 3.9+, ZOOKEEPER-4655); -1 from older servers,
    /// and for the `…WatchRemoved` events the client generates itself.
    public var zxid: Zxid

    public init(type: EventType, state: KeeperState = .syncConnected, path: String, zxid: Zxid = Zxid(-1)) {
        self.type = type
        self.state = state
        self.path = path
        self.zxid = zxid
    }

    public var description: String { "WatchEvent(\(type), \(path))" }
}

/// A change of the session's state, as delivered by `ZooKeeperClient.sessionEvents()`
/// (ZooKeeper delivers these as `WatchedEvent(None, state, null)`).
public enum SessionEvent: Hashable, Sendable {
    /// A connection was established (first time, or after a reconnect to the same session):
    /// `KeeperState.syncConnected`.
    case connected
    /// The connection was lost; the client is reconnecting. Requests in flight failed with
    /// `.connectionLoss`. The session and its ephemerals and watches survive if the client reconnects
    /// within the session timeout.
    case disconnected
    /// The cluster expired the session. Terminal: the client is closed.
    case expired
    /// The server rejected credentials (`AUTHFAILED`). Terminal: the client is closed.
    case authFailed
    /// `close()` finished (or the initial connect gave up). Terminal.
    case closed
}
