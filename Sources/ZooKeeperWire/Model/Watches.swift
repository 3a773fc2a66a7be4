/// `Watcher.Event.EventType`.
public enum EventType: Int32, Sendable, CaseIterable {
    case none = -1
    case nodeCreated = 1
    case nodeDeleted = 2
    case nodeDataChanged = 3
    case nodeChildrenChanged = 4
    case dataWatchRemoved = 5
    case childWatchRemoved = 6
    case persistentWatchRemoved = 7
}

/// `Watcher.Event.KeeperState`.
public enum KeeperState: Int32, Sendable, CaseIterable {
    case unknown = -1
    case disconnected = 0
    case noSyncConnected = 1
    case syncConnected = 3
    case authFailed = 4
    case connectedReadOnly = 5
    case saslAuthenticated = 6
    case expired = -112
    case closed = 7
}

/// `Watcher.WatcherType`, as sent in checkWatches / removeWatches.
public enum WatcherType: Int32, Sendable, CaseIterable {
    case children = 1
    case data = 2
    case any = 3
    case persistent = 4
    case persistentRecursive = 5
}

/// `AddWatchMode`, as sent in addWatch.
public enum AddWatchMode: Int32, Sendable, CaseIterable {
    case persistent = 0
    case persistentRecursive = 1
}

/// `class WatcherEvent { int type; int state; ustring path; }`: sent with xid -1.
public struct WatcherEvent: Hashable, Sendable {
    public var type: EventType
    public var state: KeeperState
    public var path: String

    public init(type: EventType, state: KeeperState = .syncConnected, path: String) {
        self.type = type
        self.state = state
        self.path = path
    }
}
