import TestSupport
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Which watchers an applied change fires (`WatchManager.triggerWatch`, protocol reference §1.6).
@Suite("WatchRegistry")
struct WatchRegistryTests {
    let w1 = WatcherID(rawValue: 1)
    let w2 = WatcherID(rawValue: 2)
    let w3 = WatcherID(rawValue: 3)

    /// Watchers fired by `type` on `path`, with the message checked.
    func fire(_ registry: inout WatchRegistry, _ type: EventType, _ path: String) -> [WatcherID] {
        let fired = registry.trigger(TreeEvent(type, path))
        for (_, message) in fired {
            #expect(message == WatcherEvent(type: type, state: .syncConnected, path: path))
        }
        return fired.map(\.0)
    }

    @Test(arguments: [EventType.nodeDataChanged, .nodeDeleted, .nodeCreated])
    func dataWatchFiresOnceOnDataEvents(type: EventType) {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .data)
        #expect(r.watchCount == 1)
        #expect(fire(&r, type, "/a") == [w1])
        #expect(fire(&r, type, "/a") == [])
        #expect(r.watchCount == 0)
        #expect(r.watcherCount == 0)
        #expect(r.watchedPathCount == 0)
    }

    @Test func dataWatchIgnoresChildEventsAndOtherPaths() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .data)
        #expect(fire(&r, .nodeChildrenChanged, "/a") == [])
        #expect(fire(&r, .nodeDataChanged, "/a/b") == [])
        #expect(fire(&r, .nodeDataChanged, "/") == [])
        #expect(fire(&r, .nodeDataChanged, "/ab") == [])
        #expect(r.has(w1, path: "/a", type: .data))
    }

    @Test(arguments: [EventType.nodeChildrenChanged, .nodeDeleted])
    func childWatchFiresOnceOnChildEventsAndDelete(type: EventType) {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .child)
        #expect(fire(&r, .nodeDataChanged, "/a") == [])
        #expect(fire(&r, .nodeCreated, "/a") == [])
        #expect(fire(&r, type, "/a") == [w1])
        #expect(fire(&r, type, "/a") == [])
        #expect(r.watchCount == 0)
    }

    @Test func dataAndChildWatchOnADeletedNodeGiveOneEvent() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .data)
        r.add(w1, path: "/a", kind: .child)
        r.add(w2, path: "/a", kind: .child)
        #expect(r.watchCount == 3)
        let fired = r.trigger(TreeEvent(.nodeDeleted, "/a"))
        #expect(fired.map(\.0) == [w1, w2])
        #expect(fired.map(\.1) == Array(repeating: WatcherEvent(type: .nodeDeleted, path: "/a"), count: 2))
        #expect(r.watchCount == 0)
    }

    @Test func firingOneKindKeepsTheOther() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: [.data, .child])
        #expect(fire(&r, .nodeDataChanged, "/a") == [w1])
        #expect(!r.has(w1, path: "/a", type: .data))
        #expect(r.has(w1, path: "/a", type: .children))
        #expect(fire(&r, .nodeChildrenChanged, "/a") == [w1])
        #expect(r.watchCount == 0)
        #expect(r.paths(of: w1) == [])
    }

    @Test func addingTheSameWatchTwiceIsOneWatch() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .data)
        r.add(w1, path: "/a", kind: .data)
        #expect(r.watchCount == 1)
        #expect(fire(&r, .nodeDataChanged, "/a") == [w1])
        #expect(fire(&r, .nodeDataChanged, "/a") == [])
    }

    @Test func watchersFireInIDOrder() {
        var r = WatchRegistry()
        for id in [9, 3, 7, 1, 5] { r.add(WatcherID(rawValue: UInt64(id)), path: "/a", kind: .data) }
        #expect(fire(&r, .nodeDataChanged, "/a").map(\.rawValue) == [1, 3, 5, 7, 9])
    }

    // MARK: - persistent

    @Test func persistentWatchFiresRepeatedlyForEveryEventOnItsPath() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .persistent)
        for type in [
            EventType.nodeCreated, .nodeDataChanged, .nodeChildrenChanged, .nodeDeleted, .nodeCreated, .nodeDataChanged,
        ] {
            #expect(fire(&r, type, "/a") == [w1], "\(type)")
        }
        #expect(r.watchCount == 1)
        // not for children or parents
        #expect(fire(&r, .nodeCreated, "/a/b") == [])
        #expect(fire(&r, .nodeChildrenChanged, "/") == [])
    }

    @Test func persistentAndOneShotOnOnePathGiveOneEventAndTheOneShotGoes() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .persistent)
        r.add(w1, path: "/a", kind: .data)
        #expect(r.watchCount == 2)
        #expect(fire(&r, .nodeDataChanged, "/a") == [w1])
        #expect(r.watchCount == 1)
        #expect(r.has(w1, path: "/a", type: .persistent))
    }

    // MARK: - persistent recursive

    @Test func persistentRecursiveFiresForTheNodeAndDescendantsButNeverChildrenChanged() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .persistentRecursive)
        for path in ["/a", "/a/b", "/a/b/c/d"] {
            for type in [EventType.nodeCreated, .nodeDataChanged, .nodeDeleted] {
                #expect(fire(&r, type, path) == [w1], "\(type) \(path)")
            }
            #expect(fire(&r, .nodeChildrenChanged, path) == [], "children of \(path)")
        }
        // siblings, prefixes and parents are not descendants
        #expect(fire(&r, .nodeCreated, "/ab") == [])
        #expect(fire(&r, .nodeCreated, "/ab/c") == [])
        #expect(fire(&r, .nodeDataChanged, "/") == [])
        #expect(r.watchCount == 1)
    }

    @Test func persistentRecursiveOnTheRootSeesEverything() {
        var r = WatchRegistry()
        r.add(w2, path: "/", kind: .persistentRecursive)
        #expect(fire(&r, .nodeCreated, "/x") == [w2])
        #expect(fire(&r, .nodeDataChanged, "/") == [w2])
        #expect(fire(&r, .nodeDeleted, "/x/y/z") == [w2])
        #expect(fire(&r, .nodeChildrenChanged, "/") == [])
    }

    @Test func recursiveAndOneShotWatchersOfAnEventEachFireOnce() {
        var r = WatchRegistry()
        r.add(w1, path: "/", kind: .persistentRecursive)
        r.add(w1, path: "/a", kind: .persistentRecursive)
        r.add(w1, path: "/a/b", kind: .data)
        r.add(w2, path: "/a/b", kind: .data)
        r.add(w3, path: "/a", kind: .child)
        #expect(fire(&r, .nodeDeleted, "/a/b") == [w1, w2])
        #expect(!r.has(w1, path: "/a/b", type: .data))
        #expect(fire(&r, .nodeChildrenChanged, "/a") == [w3])
    }

    // MARK: - has, remove, removeAll

    @Test func hasAndRemoveByWatcherType() {
        var r = WatchRegistry()
        r.add(w1, path: "/d", kind: .data)
        r.add(w1, path: "/c", kind: .child)
        r.add(w1, path: "/p", kind: .persistent)
        r.add(w1, path: "/r", kind: .persistentRecursive)

        #expect(r.has(w1, path: "/d", type: .data))
        #expect(!r.has(w1, path: "/d", type: .children))
        #expect(r.has(w1, path: "/d", type: .any))
        #expect(!r.has(w1, path: "/d", type: .persistent))
        #expect(r.has(w1, path: "/c", type: .children))
        #expect(!r.has(w1, path: "/c", type: .data))
        #expect(r.has(w1, path: "/c", type: .any))
        // A persistent watch counts as a data and a child watch (ZooKeeper 3.8 checkWatches).
        #expect(r.has(w1, path: "/p", type: .persistent))
        #expect(r.has(w1, path: "/p", type: .data))
        #expect(r.has(w1, path: "/p", type: .children))
        #expect(!r.has(w1, path: "/p", type: .persistentRecursive))
        #expect(r.has(w1, path: "/r", type: .persistentRecursive))
        #expect(!r.has(w1, path: "/r", type: .persistent))
        #expect(r.has(w1, path: "/r", type: .any))
        #expect(!r.has(w2, path: "/d", type: .any))
        #expect(!r.has(w1, path: "/nope", type: .any))

        #expect(r.remove(w1, path: "/d", type: .children) == false)
        #expect(r.remove(w2, path: "/d", type: .data) == false)
        #expect(r.remove(w1, path: "/nope", type: .any) == false)
        #expect(r.remove(w1, path: "/d", type: .data) == true)
        #expect(r.remove(w1, path: "/d", type: .data) == false)
        #expect(r.remove(w1, path: "/c", type: .any) == true)
        #expect(r.remove(w1, path: "/p", type: .persistent) == true)
        #expect(r.remove(w1, path: "/r", type: .persistentRecursive) == true)
        #expect(r.watchCount == 0)
        #expect(r.watcherCount == 0)
        #expect(r.allPaths == [])
        // the removed recursive watch no longer fires
        #expect(fire(&r, .nodeCreated, "/r/x") == [])
    }

    @Test func removeOneKindKeepsTheOthers() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: [.data, .child, .persistentRecursive])
        #expect(r.watchCount == 3)
        #expect(r.remove(w1, path: "/a", type: .persistentRecursive) == true)
        #expect(r.watchCount == 2)
        #expect(fire(&r, .nodeCreated, "/a/x") == [])
        #expect(r.has(w1, path: "/a", type: .data) && r.has(w1, path: "/a", type: .children))
    }

    @Test func removeAllDropsEveryWatchOfAWatcher() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: .data)
        r.add(w1, path: "/b", kind: [.child, .persistent])
        r.add(w1, path: "/", kind: .persistentRecursive)
        r.add(w2, path: "/a", kind: .data)
        #expect(r.watchCount == 5)
        #expect(r.paths(of: w1) == ["/", "/a", "/b"])
        #expect(r.watchers(of: "/a") == [w1, w2])
        #expect(r.allWatchers == [w1, w2])
        #expect(r.allPaths == ["/", "/a", "/b"])

        r.removeAll(w1)
        #expect(r.watchCount == 1)
        #expect(r.watcherCount == 1)
        #expect(r.paths(of: w1) == [])
        #expect(r.allPaths == ["/a"])
        #expect(fire(&r, .nodeCreated, "/b/c") == [])
        #expect(fire(&r, .nodeDataChanged, "/a") == [w2])
        r.removeAll(w3)  // unknown: no effect
        #expect(r.watchCount == 0)
    }

    @Test func watchCountCountsEachKindOnEachPath() {
        var r = WatchRegistry()
        r.add(w1, path: "/a", kind: [.data, .child])
        r.add(w2, path: "/a", kind: .data)
        r.add(w2, path: "/b", kind: .persistentRecursive)
        #expect(r.watchCount == 4)
        #expect(r.watchedPathCount == 2)
        #expect(r.watcherCount == 2)
    }

    // MARK: - Per-watcher limits (paddock.maxWatchesPerConnection, paddock.maxWatchBytesPerConnection)

    @Test func addPastTheWatchLimitIsRefusedAndRegistersNothing() {
        var r = WatchRegistry()
        let limits = WatchLimits(maxWatches: 3, maxPathBytes: .max)
        #expect(r.add(w1, path: "/a", kind: [.data, .child], limits: limits) == true)
        #expect(r.add(w1, path: "/b", kind: .data, limits: limits) == true)
        #expect(r.watchCount(of: w1) == 3)
        // Two kinds where one fits: refused whole.
        #expect(r.add(w1, path: "/c", kind: [.data, .child], limits: limits) == false)
        #expect(r.add(w1, path: "/b", kind: .persistentRecursive, limits: limits) == false)
        #expect(r.watchCount(of: w1) == 3)
        #expect(r.paths(of: w1) == ["/a", "/b"])
        #expect(fire(&r, .nodeCreated, "/b/x") == [])  // the refused recursive watch is not there
        // What it already holds is accepted again; other watchers have their own budget.
        #expect(r.add(w1, path: "/a", kind: .data, limits: limits) == true)
        #expect(r.add(w2, path: "/c", kind: [.data, .child, .persistent], limits: limits) == true)
        #expect(r.watchCount == 6)
    }

    @Test func firedRemovedAndDroppedWatchesGiveTheBudgetBack() {
        var r = WatchRegistry()
        let limits = WatchLimits(maxWatches: 2, maxPathBytes: .max)
        #expect(r.add(w1, path: "/a", kind: [.data, .child], limits: limits) == true)
        #expect(r.add(w1, path: "/b", kind: .data, limits: limits) == false)
        #expect(fire(&r, .nodeDataChanged, "/a") == [w1])  // one-shot data watch fired
        #expect(r.watchCount(of: w1) == 1)
        #expect(r.add(w1, path: "/b", kind: .data, limits: limits) == true)
        #expect(r.remove(w1, path: "/b", type: .data) == true)
        #expect(r.add(w1, path: "/c", kind: .persistent, limits: limits) == true)
        #expect(fire(&r, .nodeDeleted, "/a") == [w1])  // takes the child watch
        #expect(r.watchCount(of: w1) == 1)
        r.removeAll(w1)
        #expect(r.watchCount(of: w1) == 0)
        #expect(r.pathBytes(of: w1) == 0)
        #expect(r.add(w1, path: "/d", kind: [.data, .child], limits: limits) == true)
    }

    @Test func pathBytesCountEachWatchedPathOnce() {
        var r = WatchRegistry()
        let limits = WatchLimits(maxWatches: .max, maxPathBytes: 10)
        #expect(r.add(w1, path: "/abcd", kind: .data, limits: limits) == true)
        #expect(r.add(w1, path: "/abcd", kind: [.child, .persistent], limits: limits) == true)
        #expect(r.pathBytes(of: w1) == 5)
        #expect(r.add(w1, path: "/abcdef", kind: .data, limits: limits) == false)  // 5 + 7 > 10
        #expect(r.add(w1, path: "/éé", kind: .data, limits: limits) == true)  // 5 UTF-8 bytes: exactly 10
        #expect(r.pathBytes(of: w1) == 10)
        #expect(r.add(w1, path: "/", kind: .data, limits: limits) == false)
        #expect(fire(&r, .nodeDeleted, "/abcd") == [w1])  // removes data and child, not persistent
        #expect(r.pathBytes(of: w1) == 10)
        #expect(r.remove(w1, path: "/abcd", type: .any) == true)
        #expect(r.pathBytes(of: w1) == 5)
        #expect(r.add(w1, path: "/", kind: .data, limits: limits) == true)
    }

    /// The per-watcher counts always add up to what `watchCount` (`zk_watch_count`) reports.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func perWatcherCountsMatchTheTotalUnderRandomUse(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var r = WatchRegistry()
        let watchers = [w1, w2, w3]
        let paths = ["/", "/a", "/a/b", "/c", "/a/b/c"]
        let kinds: [WatchKinds] = [.data, .child, .persistent, .persistentRecursive, [.data, .child]]
        let limits = WatchLimits(maxWatches: 6, maxPathBytes: 12)
        for _ in 0..<500 {
            let watcher = watchers.randomElement(using: &rng)!
            let path = paths.randomElement(using: &rng)!
            switch rng.next() % 5 {
            case 0, 1: r.add(watcher, path: path, kind: kinds.randomElement(using: &rng)!, limits: limits)
            case 2: _ = r.trigger(TreeEvent([.nodeCreated, .nodeDeleted, .nodeDataChanged, .nodeChildrenChanged].randomElement(using: &rng)!, path))
            case 3: _ = r.remove(watcher, path: path, type: [.data, .children, .any].randomElement(using: &rng)!)
            default: if rng.next() % 10 == 0 { r.removeAll(watcher) }
            }
            #expect(watchers.reduce(0) { $0 + r.watchCount(of: $1) } == r.watchCount)
            for w in watchers {
                #expect(r.watchCount(of: w) <= limits.maxWatches)
                #expect(r.pathBytes(of: w) == r.paths(of: w).reduce(0) { $0 + $1.utf8.count })
                #expect(r.pathBytes(of: w) <= limits.maxPathBytes)
            }
        }
    }
}
