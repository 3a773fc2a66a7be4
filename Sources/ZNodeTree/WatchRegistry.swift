package import ZooKeeperWire

/// Identifies one watcher: a client connection on this member.
package struct WatcherID: RawRepresentable, Hashable, Comparable, Sendable {
    package var rawValue: UInt64
    package init(rawValue: UInt64) { self.rawValue = rawValue }
    package static func < (lhs: WatcherID, rhs: WatcherID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The watches one watcher holds on one path.
package struct WatchKinds: OptionSet, Hashable, Sendable {
    package var rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }
    /// One-shot data watch (getData, and exists on an existing or missing node).
    package static let data = WatchKinds(rawValue: 1)
    /// One-shot child watch (getChildren).
    package static let child = WatchKinds(rawValue: 2)
    /// addWatch PERSISTENT: data and child events for this path, never removed by firing.
    package static let persistent = WatchKinds(rawValue: 4)
    /// addWatch PERSISTENT_RECURSIVE: created/deleted/data events for the path and all below.
    package static let persistentRecursive = WatchKinds(rawValue: 8)
}

/// What one watcher (one client connection) may hold: `maxWatches` (path, kind) registrations,
/// counted as `zk_watch_count` counts them, and `maxPathBytes` bytes of distinct watched paths.
/// Both bound the registry's memory: a watch needs no existing node, so without the byte bound a
/// client could park a jute.maxbuffer-long path in each of its watches.
package struct WatchLimits: Hashable, Sendable {
    package var maxWatches: Int
    package var maxPathBytes: Int

    package init(maxWatches: Int, maxPathBytes: Int) {
        self.maxWatches = maxWatches
        self.maxPathBytes = maxPathBytes
    }

    package static let unlimited = WatchLimits(maxWatches: .max, maxPathBytes: .max)
}

/// Member-local watch table (`WatchManager`): who watches which path, and which watchers an
/// applied change fires. Pure; outputs are sorted by watcher for determinism.
package struct WatchRegistry: Sendable {
    /// What one watcher holds: its paths, its (path, kind) registrations and the paths' bytes.
    private struct Holding: Sendable {
        var paths: Set<String> = []
        var watches = 0
        var pathBytes = 0
    }

    private var byPath: [String: [WatcherID: WatchKinds]] = [:]
    private var byWatcher: [WatcherID: Holding] = [:]
    private var recursiveWatchCount = 0

    package init() {}

    /// Total (path, watcher, kind) registrations, as `zk_watch_count` counts them.
    package var watchCount: Int {
        byPath.values.reduce(0) { total, watchers in
            total + watchers.values.reduce(0) { $0 + $1.rawValue.nonzeroBitCount }
        }
    }
    package var watchedPathCount: Int { byPath.count }
    package var watcherCount: Int { byWatcher.count }

    /// (path, kind) registrations `watcher` holds.
    package func watchCount(of watcher: WatcherID) -> Int { byWatcher[watcher]?.watches ?? 0 }

    /// UTF-8 bytes of the distinct paths `watcher` watches.
    package func pathBytes(of watcher: WatcherID) -> Int { byWatcher[watcher]?.pathBytes ?? 0 }

    /// Registers `kind` on `path` for `watcher`. Returns false, and registers nothing, when that
    /// would take the watcher past `limits`; a watch it already holds is always accepted.
    @discardableResult
    package mutating func add(
        _ watcher: WatcherID, path: String, kind: WatchKinds, limits: WatchLimits = .unlimited
    ) -> Bool {
        let before = byPath[path]?[watcher] ?? []
        if before.isSuperset(of: kind) { return true }
        var holding = byWatcher[watcher] ?? Holding()
        let newWatches = kind.subtracting(before).rawValue.nonzeroBitCount
        let newBytes = before.isEmpty ? path.utf8.count : 0
        // Written as subtractions: the holding never exceeds the limits, so nothing can overflow.
        guard holding.watches <= limits.maxWatches - newWatches, holding.pathBytes <= limits.maxPathBytes - newBytes
        else { return false }
        if kind.contains(.persistentRecursive) && !before.contains(.persistentRecursive) { recursiveWatchCount += 1 }
        byPath[path, default: [:]][watcher] = before.union(kind)
        holding.paths.insert(path)
        holding.watches += newWatches
        holding.pathBytes += newBytes
        byWatcher[watcher] = holding
        return true
    }

    /// The watchers `event` fires, each once, with the event to send; one-shot watches are removed.
    package mutating func trigger(_ event: TreeEvent) -> [(WatcherID, WatcherEvent)] {
        var fired: Set<WatcherID> = []
        if var watchers = byPath[event.path] {
            for (watcher, kinds) in watchers {
                var remaining = kinds
                var fires = false
                switch event.type {
                case .nodeCreated, .nodeDataChanged:
                    if kinds.contains(.data) { remaining.remove(.data); fires = true }
                case .nodeChildrenChanged:
                    if kinds.contains(.child) { remaining.remove(.child); fires = true }
                case .nodeDeleted:
                    if !kinds.isDisjoint(with: [.data, .child]) { remaining.subtract([.data, .child]); fires = true }
                default:
                    break
                }
                if kinds.contains(.persistent) { fires = true }
                if kinds.contains(.persistentRecursive) && event.type != .nodeChildrenChanged { fires = true }
                if fires { fired.insert(watcher) }
                if remaining != kinds {
                    watchers[watcher] = remaining.isEmpty ? nil : remaining
                    forget(watcher, path: event.path, kinds: kinds.subtracting(remaining), emptied: remaining.isEmpty)
                }
            }
            byPath[event.path] = watchers.isEmpty ? nil : watchers
        }
        if recursiveWatchCount > 0 && event.type != .nodeChildrenChanged && event.path != "/" {
            for ancestor in PathValidation.selfAndAncestors(PathValidation.parent(of: event.path)) {
                for (watcher, kinds) in byPath[ancestor] ?? [:] where kinds.contains(.persistentRecursive) {
                    fired.insert(watcher)
                }
            }
        }
        let message = WatcherEvent(type: event.type, state: .syncConnected, path: event.path)
        return fired.sorted().map { ($0, message) }
    }

    /// Whether `watcher` holds a watch of `type` on `path` (checkWatches).
    package func has(_ watcher: WatcherID, path: String, type: WatcherType) -> Bool {
        guard let kinds = byPath[path]?[watcher] else { return false }
        return !kinds.isDisjoint(with: Self.kinds(for: type))
    }

    /// Removes `watcher`'s watches of `type` on `path` (removeWatches); false means NOWATCHER.
    package mutating func remove(_ watcher: WatcherID, path: String, type: WatcherType) -> Bool {
        guard var watchers = byPath[path], let kinds = watchers[watcher] else { return false }
        let removing = kinds.intersection(Self.kinds(for: type))
        if removing.isEmpty { return false }
        if removing.contains(.persistentRecursive) { recursiveWatchCount -= 1 }
        let remaining = kinds.subtracting(removing)
        watchers[watcher] = remaining.isEmpty ? nil : remaining
        forget(watcher, path: path, kinds: removing, emptied: remaining.isEmpty)
        byPath[path] = watchers.isEmpty ? nil : watchers
        return true
    }

    /// Drops every watch of a closed connection.
    package mutating func removeAll(_ watcher: WatcherID) {
        for path in byWatcher.removeValue(forKey: watcher)?.paths ?? [] {
            if let kinds = byPath[path]?.removeValue(forKey: watcher), kinds.contains(.persistentRecursive) {
                recursiveWatchCount -= 1
            }
            if byPath[path]?.isEmpty == true { byPath[path] = nil }
        }
    }

    /// Paths watched by `watcher`, sorted (wchc).
    package func paths(of watcher: WatcherID) -> [String] { (byWatcher[watcher]?.paths ?? []).sorted() }

    /// Watchers of `path`, sorted (wchp).
    package func watchers(of path: String) -> [WatcherID] { (byPath[path] ?? [:]).keys.sorted() }

    /// Every watched path, sorted.
    package var allPaths: [String] { byPath.keys.sorted() }

    /// Every watcher, sorted.
    package var allWatchers: [WatcherID] { byWatcher.keys.sorted() }

    /// Takes `kinds` on `path` off `watcher`'s holding; `emptied` when it holds nothing there now.
    private mutating func forget(_ watcher: WatcherID, path: String, kinds: WatchKinds, emptied: Bool) {
        guard var holding = byWatcher[watcher] else { return }
        holding.watches -= kinds.rawValue.nonzeroBitCount
        if emptied, holding.paths.remove(path) != nil { holding.pathBytes -= path.utf8.count }
        byWatcher[watcher] = holding.paths.isEmpty ? nil : holding
    }

    private static func kinds(for type: WatcherType) -> WatchKinds {
        switch type {
        // A persistent watch counts as both a data and a child watch (ZooKeeper 3.8).
        case .children: [.child, .persistent, .persistentRecursive]
        case .data: [.data, .persistent, .persistentRecursive]
        case .any: [.data, .child, .persistent, .persistentRecursive]
        case .persistent: .persistent
        case .persistentRecursive: .persistentRecursive
        }
    }
}
