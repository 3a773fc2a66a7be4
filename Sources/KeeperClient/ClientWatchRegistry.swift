package import ZooKeeperWire

/// The watches this client has set, by server path (chroot included), so that they can be
/// re-registered with SetWatches / SetWatches2 after a reconnect (`ZKWatchManager`).
///
/// All events go to every `watchEvents()` subscriber (ZooKeeper's "default watcher"), so a set of
/// paths per kind is the whole registry. Pure value; no I/O.
package struct ClientWatchRegistry: Hashable, Sendable {
    /// Set by getData(watch) and by exists(watch) on an existing node.
    package private(set) var data: Set<String> = []
    /// Set by exists(watch) on a missing node.
    package private(set) var exist: Set<String> = []
    /// Set by getChildren(watch) / getChildren2(watch).
    package private(set) var child: Set<String> = []
    /// addWatch(mode: .persistent): fired repeatedly, removed only by removeWatches.
    package private(set) var persistent: Set<String> = []
    /// addWatch(mode: .persistentRecursive).
    package private(set) var persistentRecursive: Set<String> = []

    package init() {}

    /// What a request registers once its reply arrives (`WatchRegistration` in `ZooKeeper.java`).
    package enum Registration: Hashable, Sendable {
        /// exists(watch): a data watch when the node exists, an exist watch on NONODE.
        case exists(String)
        case data(String)
        case child(String)
        case persistent(String)
        case persistentRecursive(String)
        /// removeWatches succeeded: drop the local entries.
        case remove(String, WatcherType)
    }

    package var isEmpty: Bool {
        data.isEmpty && exist.isEmpty && child.isEmpty && persistent.isEmpty && persistentRecursive.isEmpty
    }

    /// The registration a (server-path) request carries, if any.
    package static func registration(for request: ZKRequest) -> Registration? {
        switch request {
        case .exists(let r) where r.watch: .exists(r.path)
        case .getData(let r) where r.watch: .data(r.path)
        case .getChildren(let r) where r.watch, .getChildren2(let r) where r.watch: .child(r.path)
        case .addWatch(let r):
            switch AddWatchMode(rawValue: r.mode) {
            case .persistent?: .persistent(r.path)
            case .persistentRecursive?: .persistentRecursive(r.path)
            case nil: nil
            }
        case .removeWatches(let r): WatcherType(rawValue: r.type).map { .remove(r.path, $0) }
        default: nil
        }
    }

    /// Applies `registration` for a reply with `err`. Returns the local `…WatchRemoved` events a
    /// successful removeWatches produces (server paths), in a fixed order.
    package mutating func apply(_ registration: Registration, err: ZKErrorCode) -> [WatcherEvent] {
        switch registration {
        case .exists(let path):
            // `ExistsWatchRegistration`: data watch on OK, exist watch on NONODE.
            if err == .ok { data.insert(path) } else if err == .noNode { exist.insert(path) }
        case .data(let path):
            if err == .ok { data.insert(path) }
        case .child(let path):
            if err == .ok { child.insert(path) }
        case .persistent(let path):
            if err == .ok { persistent.insert(path) }
        case .persistentRecursive(let path):
            if err == .ok { persistentRecursive.insert(path) }
        case .remove(let path, let type):
            guard err == .ok else { return [] }
            var events: [WatcherEvent] = []
            if type == .data || type == .any {
                let removedData = data.remove(path) != nil
                let removedExist = exist.remove(path) != nil
                if removedData || removedExist { events.append(WatcherEvent(type: .dataWatchRemoved, path: path)) }
            }
            if type == .children || type == .any {
                if child.remove(path) != nil { events.append(WatcherEvent(type: .childWatchRemoved, path: path)) }
            }
            if type == .persistent || type == .any {
                if persistent.remove(path) != nil {
                    events.append(WatcherEvent(type: .persistentWatchRemoved, path: path))
                }
            }
            if type == .persistentRecursive || type == .any {
                if persistentRecursive.remove(path) != nil {
                    events.append(WatcherEvent(type: .persistentWatchRemoved, path: path))
                }
            }
            return events
        }
        return []
    }

    /// Drops the one-shot watches a notification consumed (`ZKWatchManager.materialize`).
    /// Persistent watches stay.
    package mutating func notificationReceived(_ event: WatcherEvent) {
        switch event.type {
        case .nodeCreated, .nodeDataChanged:
            data.remove(event.path)
            exist.remove(event.path)
        case .nodeChildrenChanged:
            child.remove(event.path)
        case .nodeDeleted:
            data.remove(event.path)
            exist.remove(event.path)
            child.remove(event.path)
        case .none, .dataWatchRemoved, .childWatchRemoved, .persistentWatchRemoved:
            break
        }
    }

    package mutating func removeAll() {
        self = ClientWatchRegistry()
    }

    /// The SetWatches (op 101) / SetWatches2 (op 105) requests that re-register every watch after a
    /// reconnect, split so that no packet's path lists exceed `maxPacketSize` bytes
    /// (`ClientCnxn.SET_WATCHES_MAX_LENGTH`, ZOOKEEPER-706). SetWatches2 only for packets that carry
    /// persistent watches, as ZooKeeper does. Paths are sorted so the output is deterministic.
    package func setWatchesRequests(relativeZxid: Zxid, maxPacketSize: Int = 128 * 1024) -> [ZKRequest] {
        guard !isEmpty else { return [] }
        // relativeZxid (8) + five vector counts (20) + request header (8) + frame length (4).
        let overhead = 40
        var requests: [ZKRequest] = []
        var batch = SetWatchesRequest(relativeZxid: relativeZxid)
        var size = overhead
        var batchIsEmpty = true

        func flush() {
            guard !batchIsEmpty else { return }
            let persistent = !batch.persistentWatches.isEmpty || !batch.persistentRecursiveWatches.isEmpty
            requests.append(persistent ? .setWatches2(batch) : .setWatches(batch))
            batch = SetWatchesRequest(relativeZxid: relativeZxid)
            size = overhead
            batchIsEmpty = true
        }
        let lists: [(WritableKeyPath<SetWatchesRequest, [String]>, Set<String>)] = [
            (\.dataWatches, data), (\.existWatches, exist), (\.childWatches, child),
            (\.persistentWatches, persistent), (\.persistentRecursiveWatches, persistentRecursive),
        ]
        for (keyPath, paths) in lists {
            for path in paths.sorted() {
                let cost = 4 + path.utf8.count
                if !batchIsEmpty && size + cost > maxPacketSize { flush() }
                batch[keyPath: keyPath].append(path)
                size += cost
                batchIsEmpty = false
            }
        }
        flush()
        return requests
    }
}
