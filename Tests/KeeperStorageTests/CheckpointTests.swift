import Consensus
import Foundation
import KeeperReplica
import KeeperStorage
import NIOCore
import TestSupport
import Testing
import ZNodeTree
import ZooKeeperWire

/// The two files: group commits append to `paddock-log.db`, checkpoints write the tree beside
/// them into `paddock-keeper.db`, and a restart joins the two.
@Suite("KeeperDatabase checkpoints")
struct CheckpointTests {
    static let config = TreeConfig(extendedTypesEnabled: true)

    /// A checkpoint of everything `history` applied through `index`.
    static func checkpoint(_ history: inout History, through index: Int64) -> ReplicaCheckpoint {
        let rows = history.flush()
        var checkpoint = ReplicaCheckpoint(applied: AppliedMark(index: index, term: 2, zxid: history.tree.lastZxid))
        checkpoint.nodes = rows.nodes
        checkpoint.sessions = rows.sessions
        return checkpoint
    }

    @Test func aCheckpointBesideTheLogRestartsIntoTheSameTree() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            var history = History.standard()
            let database = try KeeperDatabase(path: path)
            var log = ReplicaWrite()
            log.entries = history.entries
            log.hardState = HardState(term: 2, vote: 1, commit: Int64(history.entries.count))
            try database.commit(log)
            // Rows as of entry 8, then the log goes on: a restart replays 9... onto them.
            var early = History()
            for txn in history.txns.prefix(8) { early.append(txn.op, session: txn.session, auth: txn.auth) }
            try database.checkpoint(Self.checkpoint(&early, through: 8))
            #expect(try KeeperDatabaseTests.logIndexes(path).count == history.entries.count, "the checkpoint leaves the log")
            // The next log write drops what the checkpoint covers (as the pipeline hands it out).
            var compact = ReplicaWrite()
            compact.hardState = HardState(term: 2, vote: 1, commit: Int64(history.entries.count))
            compact.compactThrough = LogIndex(8)
            try database.commit(compact)
            database.close()

            let reopened = try KeeperDatabase(path: path)
            defer { reopened.close() }
            let loaded = try reopened.load(config: Self.config)
            #expect(loaded.applied.index.rawValue == 8)
            #expect(loaded.tail.map(\.index.rawValue) == Array(9...Int64(history.entries.count)))
            #expect(try KeeperDatabaseTests.logIndexes(path) == Array(9...Int64(history.entries.count)), "compacted")
            var replayed = loaded.tree
            for entry in loaded.tail { _ = replayed.apply(try #require(try entry.decodeTxn())) }
            _ = history.flush()
            #expect(TreeSnapshot(replayed) == TreeSnapshot(history.tree))
        }
    }

    /// A checkpoint still in flight when a snapshot was installed holds an older mark: the
    /// installed tree stays, and the log is not compacted for it.
    @Test func aCheckpointOlderThanTheStoredTreeIsDropped() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            let database = try KeeperDatabase(path: path)
            defer { database.close() }
            var image = DataTree(config: Self.config)
            _ = image.apply(Txn(zxid: Zxid(epoch: 9, counter: 1), time: 1, session: bob, op: .createSession(timeout: 5000, password: [1])))
            var install = ReplicaWrite()
            install.replaceTree = true
            install.nodes = image.nodes.keys.sorted().map { ($0, image.node($0)) }
            install.sessions = image.sessions.keys.sorted().map { ($0, image.sessions[$0]) }
            install.applied = AppliedMark(index: 100, term: 9, zxid: image.lastZxid)
            install.hardState = HardState(term: 9, vote: 0, commit: 100)
            install.entries = [LogEntry(index: 101, term: 9, txn: nil)]
            try database.commit(install)

            var history = History.standard()
            try database.checkpoint(Self.checkpoint(&history, through: Int64(history.entries.count)))
            let loaded = try database.load(config: Self.config)
            #expect(loaded.applied == AppliedMark(index: 100, term: 9, zxid: image.lastZxid))
            #expect(TreeSnapshot(loaded.tree).nodes == TreeSnapshot(image).nodes)
            #expect(loaded.tail.map(\.index.rawValue) == [101])
        }
    }

    /// Version 1 kept everything in one file. Opening one moves the log and hard state into
    /// `paddock-log.db` and loads exactly what it held.
    @Test func aVersion1FileIsMigratedIntoTwoFiles() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            var history = History.standard()
            let rows = history.flush()
            let applied: Int64 = 6
            do {
                let database = try KeeperDatabase(path: path)
                var write = ReplicaWrite()
                write.entries = history.entries
                write.nodes = rows.nodes
                write.sessions = rows.sessions
                write.applied = AppliedMark(index: applied, term: 2, zxid: history.tree.lastZxid)
                write.hardState = HardState(term: 3, vote: 2, commit: Int64(history.entries.count))
                try database.commit(write)
                try database.checkpointWAL()
                database.close()
            }
            let before = try KeeperDatabase(path: path)
            let expected = try before.load(config: Self.config)
            before.close()
            // Fold the log file back into the tree file, as version 1 kept it.
            let tree = try SQLiteConnection(path: path, create: false)
            try tree.execute(
                """
                ATTACH DATABASE '\(KeeperDatabaseTests.logFile(path))' AS logfile;
                CREATE TABLE log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, zxid INTEGER NOT NULL, entry BLOB NOT NULL);
                INSERT INTO log SELECT * FROM logfile.log;
                INSERT INTO meta SELECT * FROM logfile.meta;
                DETACH DATABASE logfile;
                PRAGMA user_version = 1;
                """)
            tree.close()
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: KeeperDatabaseTests.logFile(path) + suffix)
            }

            let migrated = try KeeperDatabase(path: path)
            let loaded = try migrated.load(config: Self.config)
            migrated.close()
            #expect(loaded.applied == expected.applied)
            #expect(loaded.hardState == HardState(term: 3, vote: 2, commit: Int64(history.entries.count)))
            #expect(loaded.tail == expected.tail)
            #expect(TreeSnapshot(loaded.tree) == TreeSnapshot(expected.tree))
            let check = try SQLiteConnection(path: path, create: false)
            defer { check.close() }
            #expect(try check.pragmaInt("user_version") == 2)
            let tables = try KeeperDatabaseTests.rows(
                check, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", columns: 1)
            #expect(tables.map { $0[0] } == ["meta", "sessions", "znodes"])
        }
    }

    /// The log file holds the vote: a member that lost it while its tree file says it has lived
    /// refuses to start rather than vote twice in a term.
    @Test func aMissingLogFileBesideAUsedTreeIsRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            let database = try KeeperDatabase(path: path)
            var write = ReplicaWrite()
            write.hardState = HardState(term: 4, vote: 1, commit: 0)
            try database.commit(write)
            database.close()
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: KeeperDatabaseTests.logFile(path) + suffix)
            }
            #expect {
                _ = try KeeperDatabase(path: path)
            } throws: { error in
                guard case KeeperStorageError.corrupt(let named, let detail) = error else { return false }
                return named == KeeperDatabaseTests.logFile(path) && detail.contains("missing")
            }
        }
    }
}

/// `SQLiteConnection.retryWhenBusy`: a write that finds another connection's write transaction
/// open waits for it (the WAL checkpointer's RESTART holds the log file's lock for a moment) and
/// then succeeds, instead of failing the group commit with SQLITE_BUSY.
@Suite struct BusyRetryTests {
    @Test func aWriteWaitsForAnotherConnectionsTransaction() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/busy.db"
            let first = try SQLiteConnection(path: path, create: true)
            defer { first.close() }
            _ = try first.pragmaText("journal_mode = WAL")
            try first.execute("CREATE TABLE t (v INTEGER)")
            // Without the handler a write fails at once while the other transaction is open.
            let impatient = try SQLiteConnection(path: path, create: false)
            defer { impatient.close() }
            try first.execute("BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            #expect(throws: SQLiteError.self) { try impatient.execute("INSERT INTO t VALUES (3)") }
            let started = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var outcome: (any Error)?
            let writer = Thread {
                started.signal()
                do {
                    let second = try SQLiteConnection(path: path, create: false)
                    defer { second.close() }
                    second.retryWhenBusy()
                    try second.execute("INSERT INTO t VALUES (2)")
                } catch { outcome = error }
                done.signal()
            }
            writer.start()
            started.wait()
            // Let the writer reach the lock (if it has not yet, the test only checks less).
            usleep(20_000)
            try first.execute("COMMIT")
            done.wait()
            #expect(outcome == nil)
            let count = try first.prepare("SELECT count(*) FROM t")
            #expect(try count.step())
            #expect(count.int64(0) == 2)
        }
    }
}
