import NIOCore
import TestSupport
import Testing
import ZNodeTree
import ZooKeeperWire

/// `DataTree.Restore` and `ChildNames`: a tree rebuilt row by row, as a restart reads a
/// checkpoint, whatever order the rows come in.
@Suite struct RestoreTests {
    @Test func childNamesAreSortedAndUniqueWhateverTheInputOrder() {
        #expect(Array(ChildNames(["a", "b", "c"])) == ["a", "b", "c"])
        #expect(Array(ChildNames(["c", "a", "b", "a"])) == ["a", "b", "c"])
        #expect(Array(ChildNames(["a", "a"])) == ["a"])
        #expect(Array(ChildNames([String]())) == [])
    }

    /// The same rows in path order, reversed and shuffled build equal trees, with every derived
    /// index (children, ephemerals, containers) and the built-in nodes a checkpoint left out.
    @Test(arguments: 0..<8)
    func rowsInAnyOrderBuildTheSameTree(seed: Int) throws {
        var history = History.standard()
        _ = history.flush()
        let rows = history.tree.nodes.keys.sorted().filter { !$0.hasPrefix("/zookeeper") }
            .map { (path: $0, node: history.tree.row($0)!) }
        var random = Xoshiro256StarStar(seed: UInt64(seed))
        let orders = [rows, rows.reversed(), rows.shuffled(using: &random)]
        let expected = TreeSnapshot(history.tree)
        for order in orders {
            var restore = DataTree.Restore(config: history.tree.config, capacity: seed * 10)
            for (path, node) in order { restore.add(path, node) }
            let tree = restore.finish(sessions: history.tree.sessions, lastZxid: history.tree.lastZxid)
            #expect(TreeSnapshot(tree) == expected)
            #expect(tree.ephemerals == history.tree.ephemerals)
            #expect(tree.containers == history.tree.containers)
            #expect(tree.node("/zookeeper/config") != nil)
        }
    }

    /// A path that comes twice (a damaged snapshot) keeps the later row and indexes it once.
    @Test func aRepeatedPathKeepsTheLaterRow() {
        var restore = DataTree.Restore(config: TreeConfig(), capacity: 0)
        let persistent = ZNode(data: nil, acl: ACL.openUnsafe, czxid: 1, mzxid: 1, ctime: 0, mtime: 0, pzxid: 1)
        var ephemeral = persistent
        ephemeral.ephemeralOwner = 7
        restore.add("/", persistent)
        restore.add("/a", ephemeral)
        restore.add("/a", persistent)
        let tree = restore.finish(sessions: [:], lastZxid: Zxid(1))
        #expect(tree.node("/a")?.ephemeralOwner == 0)
        #expect(tree.ephemerals.isEmpty)
        #expect(Array(tree.node("/")!.children) == ["a", "zookeeper"])
    }
}
