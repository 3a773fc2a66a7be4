import Consensus
import ZNodeTree
import KeeperReplica
import KeeperStorage
import NIOCore
import TestSupport
import Testing
import ZooKeeperWire

/// The parts of the database the consensus log needs: hard state, conflict truncation, no-op
/// entries, and replacing everything with a snapshot.
@Suite("KeeperDatabase consensus log")
struct ConsensusLogTests {
    static let config = TreeConfig(extendedTypesEnabled: true)

    @Test func hardStateAndNoOpEntriesRoundTrip() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            let database = try KeeperDatabase(path: path)
            var batch = ReplicaWrite()
            batch.hardState = HardState(term: 7, vote: 3, commit: 2)
            batch.entries = [
                LogEntry(index: 1, term: 7, txn: nil),
                LogEntry(index: 2, term: 7, txn: Txn(zxid: Zxid(epoch: 7, counter: 1), time: 5, session: alice, op: .closeSession)),
            ]
            try database.commit(batch)
            database.close()

            let reopened = try KeeperDatabase(path: path)
            defer { reopened.close() }
            let loaded = try reopened.load(config: Self.config)
            #expect(loaded.hardState == HardState(term: 7, vote: 3, commit: 2))
            #expect(loaded.tail.map(\.index.rawValue) == [1, 2])
            #expect(try loaded.tail[0].decodeTxn() == nil)
            #expect(try loaded.tail[1].decodeTxn()?.zxid == Zxid(epoch: 7, counter: 1))
        }
    }

    /// The background checkpointer copies every committed WAL frame into the database file
    /// while the writing connection stays open, and the data reads back after a reopen.
    @Test func backgroundCheckpointCopiesCommittedFrames() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            let database = try KeeperDatabase(path: path)
            // The log file's (the second): these writes touch only the log.
            let checkpointer = try database.makeCheckpointers()[1]
            for k in 1...50 {
                var batch = ReplicaWrite()
                batch.entries = [LogEntry(index: Int64(k), term: 1, txn: nil)]
                batch.hardState = HardState(term: 1, vote: 1, commit: Int64(k))
                try database.commit(batch)
            }
            let result = try checkpointer.checkpoint()
            #expect(result.walFrames > 0)
            #expect(result.checkpointed == result.walFrames)
            checkpointer.close()
            database.close()
            let reopened = try KeeperDatabase(path: path)
            defer { reopened.close() }
            #expect(try reopened.load(config: Self.config).tail.count == 50)
        }
    }

    @Test func newEntriesReplaceConflictingSuffix() throws {
        try withTemporaryDirectory { dir in
            let database = try KeeperDatabase(path: dir + "/k.db")
            defer { database.close() }
            var first = ReplicaWrite()
            first.entries = (1...5).map { LogEntry(index: $0, term: 1, txn: nil) }
            try database.commit(first)
            // A new leader (term 2) overwrites indexes 3...5 with a shorter log.
            var second = ReplicaWrite()
            second.entries = [LogEntry(index: 3, term: 2, txn: nil)]
            try database.commit(second)
            let loaded = try database.load(config: Self.config)
            #expect(loaded.tail.map(\.index.rawValue) == [1, 2, 3])
            #expect(loaded.tail.map(\.term.rawValue) == [1, 1, 2])
            #expect(loaded.lastIndex.rawValue == 3)
        }
    }

    @Test func snapshotInstallReplacesTreeSessionsAndLog() throws {
        try withTemporaryDirectory { dir in
            let database = try KeeperDatabase(path: dir + "/k.db")
            defer { database.close() }
            var history = History.standard()
            let rows = history.flush()
            var batch = ReplicaWrite()
            batch.entries = history.entries
            batch.nodes = rows.nodes
            batch.sessions = rows.sessions
            batch.applied = AppliedMark(index: Int64(history.entries.count), term: 2, zxid: history.tree.lastZxid)
            try database.commit(batch)

            // The leader's image: a different tree at index 100.
            var image = DataTree(config: Self.config)
            _ = image.apply(Txn(zxid: Zxid(epoch: 9, counter: 1), time: 1, session: bob, op: .createSession(timeout: 5000, password: [1])))
            _ = image.apply(
                Txn(zxid: Zxid(epoch: 9, counter: 2), time: 2, session: bob, op: .request(create("/only", "x"))))
            var install = ReplicaWrite()
            install.replaceTree = true
            install.nodes = image.nodes.keys.sorted().map { ($0, image.node($0)) }
            install.sessions = image.sessions.keys.sorted().map { ($0, image.sessions[$0]) }
            install.applied = AppliedMark(index: 100, term: 9, zxid: image.lastZxid)
            install.hardState = HardState(term: 9, vote: 0, commit: 100)
            try database.commit(install)

            let loaded = try database.load(config: Self.config)
            #expect(TreeSnapshot(loaded.tree).nodes == TreeSnapshot(image).nodes)
            #expect(loaded.tree.sessions == image.sessions)
            #expect(loaded.applied == AppliedMark(index: 100, term: 9, zxid: image.lastZxid))
            #expect(loaded.tail.isEmpty)
            #expect(loaded.lastIndex.rawValue == 100)
        }
    }

    @Test func treeSnapshotImageRoundTrips() throws {
        var history = History.standard()
        _ = history.flush()
        var buffer = ByteBuffer()
        try history.tree.writeSnapshot(to: &buffer)
        #expect(buffer.readableBytes == history.tree.snapshotSize)
        let restored = try DataTree(snapshot: &buffer, config: Self.config)
        #expect(TreeSnapshot(restored) == TreeSnapshot(history.tree))
        var again = ByteBuffer()
        try restored.writeSnapshot(to: &again)
        var original = ByteBuffer()
        try history.tree.writeSnapshot(to: &original)
        #expect(again == original, "equal trees give identical images")
        var truncated = original.getSlice(at: 0, length: original.readableBytes - 3)!
        #expect(throws: ZooKeeperWireError.self) { try DataTree(snapshot: &truncated, config: Self.config) }
    }
}
