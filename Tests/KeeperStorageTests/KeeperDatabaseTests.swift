import Consensus
import Foundation
import ZNodeTree
import KeeperReplica
import KeeperStorage
import NIOCore
import TestSupport
import Testing
import ZooKeeperWire


@Suite("KeeperDatabase")
struct KeeperDatabaseTests {
    static let config = TreeConfig(extendedTypesEnabled: true)

    /// Rows of `sql`, each column as text (NULL as "NULL").
    static func rows(_ connection: SQLiteConnection, _ sql: String, columns: Int32) throws -> [[String]] {
        let statement = try connection.prepare(sql)
        defer { statement.reset() }
        var result: [[String]] = []
        while try statement.step() {
            result.append((0..<columns).map { statement.isNull($0) ? "NULL" : statement.text($0) ?? "" })
        }
        return result
    }

    /// The log file beside the tree file at `path`.
    static func logFile(_ path: String) -> String {
        String(path[...(path.lastIndex(of: "/") ?? path.startIndex)]) + KeeperDatabase.logFileName
    }

    static func logIndexes(_ path: String) throws -> [Int64] {
        let connection = try SQLiteConnection(path: logFile(path), create: false)
        defer { connection.close() }
        return try rows(connection, "SELECT idx FROM log ORDER BY idx", columns: 1).map { Int64($0[0])! }
    }

    // MARK: - Fresh file

    @Test func freshFileGetsWALSchemaAndApplicationID() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            let database = try KeeperDatabase(path: path)
            #expect(database.path == path)
            database.close()

            let connection = try SQLiteConnection(path: path, create: false)
            defer { connection.close() }
            #expect(try connection.pragmaText("journal_mode") == "wal")
            #expect(try connection.pragmaInt("application_id") == 0x5044_4B31)
            #expect(try connection.pragmaInt("application_id") == KeeperDatabase.applicationID)
            #expect(try connection.pragmaInt("user_version") == 2)
            let tables = try Self.rows(
                connection,
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                columns: 1
            )
            #expect(tables.map { $0[0] } == ["meta", "sessions", "znodes"])
            let log = try SQLiteConnection(path: Self.logFile(path), create: false)
            defer { log.close() }
            #expect(try log.pragmaText("journal_mode") == "wal")
            #expect(try log.pragmaInt("application_id") == 0x5044_4C31)
            #expect(try log.pragmaInt("user_version") == KeeperDatabase.logSchemaVersion)
            let logTables = try Self.rows(
                log, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", columns: 1)
            #expect(logTables.map { $0[0] } == ["log", "meta"])
        }
    }

    @Test func emptyDatabaseLoadsTheInitialTree() throws {
        try withTemporaryDirectory { dir in
            let database = try KeeperDatabase(path: dir + "/k.db")
            defer { database.close() }
            try database.commit(ReplicaWrite())  // empty: nothing written
            let loaded = try database.load(config: Self.config)
            #expect(TreeSnapshot(loaded.tree) == TreeSnapshot(DataTree(config: Self.config)))
            #expect(loaded.applied.index.rawValue == 0 && loaded.lastIndex.rawValue == 0 && loaded.hardState == HardState())
            #expect(loaded.tail.isEmpty)
            // Reopening an existing, empty Paddock file is fine too.
            database.close()
            let again = try KeeperDatabase(path: dir + "/k.db")
            again.close()
        }
    }

    // MARK: - Round trip

    @Test func committedRowsLoadBackIntoAnEqualTree() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            var history = History.standard()
            #expect(history.tree.node("/m") != nil, "the standard history's multi applied")
            let applied = Int64(history.entries.count)
            let rows = history.flush()
            var batch = ReplicaWrite()
            batch.entries = history.entries
            batch.nodes = rows.nodes
            batch.sessions = rows.sessions
            batch.applied = AppliedMark(index: applied, term: 2, zxid: history.tree.lastZxid)
            batch.hardState = HardState(term: 2, vote: 1, commit: applied)

            // Three more entries, logged but not yet reflected in the rows.
            var later = history
            later.append(.request(.setData(SetDataRequest(path: "/m", data: ByteBuffer(string: "later"), version: -1))))
            later.append(.request(create("/late", "z")))
            later.append(.closeSession, session: bob)
            var tailBatch = ReplicaWrite()
            tailBatch.entries = Array(later.entries[Int(applied)...])

            let database = try KeeperDatabase(path: path)
            try database.commit(batch)
            try database.commit(tailBatch)
            database.close()

            let reopened = try KeeperDatabase(path: path)
            defer { reopened.close() }
            let loaded = try reopened.load(config: Self.config)
            #expect(TreeSnapshot(loaded.tree) == TreeSnapshot(history.tree))
            #expect(loaded.tree.node("/zookeeper/quota") != nil, "system nodes survive although never written")
            #expect(loaded.applied.index.rawValue == applied)
            #expect(loaded.lastIndex.rawValue == applied + 3)
            #expect(loaded.hardState.term.rawValue == 2)
            #expect(loaded.tail.map(\.index.rawValue) == [applied + 1, applied + 2, applied + 3])
            #expect(loaded.tail.map(\.term.rawValue) == [2, 2, 2])
            #expect(try loaded.tail.map { try $0.decodeTxn() } == later.txns[Int(applied)...].map { $0 })

            // Every Stat field and the payload bytes came back.
            let app = try #require(loaded.tree.node("/app"))
            #expect(app.stat == history.tree.node("/app")?.stat)
            #expect(app.data == nil)
            #expect(loaded.tree.node("/app/empty")?.data == ByteBuffer())
            #expect(loaded.tree.node("/jobs")?.kind == .container)
            #expect(loaded.tree.node("/ttl")?.kind == .ttl(60_000))
            #expect(loaded.tree.node("/app/lock")?.kind == .ephemeral(bob))
            #expect(loaded.tree.sessions[bob] == SessionRecord(timeout: 4_000, password: []))
            #expect(loaded.tree.sessions[alice] == SessionRecord(timeout: 30_000, password: Array(0..<16)))

            // Replaying the tail on the loaded tree reaches the state before the "restart".
            var replayed = loaded.tree
            for entry in loaded.tail { _ = replayed.apply(try #require(try entry.decodeTxn())) }
            #expect(TreeSnapshot(replayed) == TreeSnapshot(later.tree))
        }
    }

    @Test func deletedNodesAndClosedSessionsLeaveNoRows() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            var history = History.standard()
            let database = try KeeperDatabase(path: path)
            var first = ReplicaWrite()
            let rows = history.flush()
            first.entries = history.entries
            first.nodes = rows.nodes
            first.sessions = rows.sessions
            first.applied = AppliedMark(index: Int64(history.entries.count), term: 2, zxid: history.tree.lastZxid)
            try database.commit(first)

            history.append(.closeSession, session: bob)
            history.append(.request(.delete(DeleteRequest(path: "/jobs/j1", version: -1))))
            let more = history.flush()
            var second = ReplicaWrite()
            second.entries = Array(history.entries.suffix(2))
            second.nodes = more.nodes
            second.sessions = more.sessions
            second.applied = AppliedMark(index: Int64(history.entries.count), term: 2, zxid: history.tree.lastZxid)
            try database.commit(second)
            database.close()

            let connection = try SQLiteConnection(path: path, create: false)
            defer { connection.close() }
            let paths = try Self.rows(connection, "SELECT path FROM znodes ORDER BY path", columns: 1).map { $0[0] }
            #expect(!paths.contains("/app/lock"))
            #expect(!paths.contains("/jobs/j1"))
            #expect(!paths.contains("/gone"))
            #expect(paths.contains("/app/empty"))
            let sessions = try Self.rows(connection, "SELECT id FROM sessions", columns: 1).map { Int64($0[0]) }
            #expect(sessions == [alice.rawValue])

            let reopened = try KeeperDatabase(path: path)
            defer { reopened.close() }
            #expect(TreeSnapshot(try reopened.load(config: Self.config).tree) == TreeSnapshot(history.tree))
        }
    }

    // MARK: - Compaction

    @Test func compactionDropsLogRowsAndLoadStillWorks() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            var history = History.standard()
            let applied = Int64(history.entries.count)
            let rows = history.flush()
            var batch = ReplicaWrite()
            batch.entries = history.entries
            batch.nodes = rows.nodes
            batch.sessions = rows.sessions
            batch.applied = AppliedMark(index: applied, term: 2, zxid: history.tree.lastZxid)
            batch.hardState = HardState(term: 5, vote: 1, commit: applied)

            var later = history
            later.append(.request(create("/after-1", nil)))
            later.append(.request(create("/after-2", nil)))
            var tail = ReplicaWrite()
            tail.entries = Array(later.entries[Int(applied)...])
            tail.compactThrough = LogIndex(applied)

            let database = try KeeperDatabase(path: path)
            try database.commit(batch)
            try database.commit(tail)
            database.close()
            #expect(try Self.logIndexes(path) == [applied + 1, applied + 2])

            var loadedDatabase = try KeeperDatabase(path: path)
            var loaded = try loadedDatabase.load(config: Self.config)
            #expect(TreeSnapshot(loaded.tree) == TreeSnapshot(history.tree))
            #expect(loaded.tail.map(\.index.rawValue) == [applied + 1, applied + 2])
            #expect(loaded.lastIndex.rawValue == applied + 2)
            #expect(loaded.hardState.term.rawValue == 5)

            // Apply the tail, write its rows, compact everything.
            let laterRows = later.flush()
            var all = ReplicaWrite()
            all.nodes = laterRows.nodes
            all.sessions = laterRows.sessions
            all.applied = AppliedMark(index: applied + 2, term: 2, zxid: later.tree.lastZxid)
            all.compactThrough = LogIndex(applied + 2)
            try loadedDatabase.commit(all)
            loadedDatabase.close()
            #expect(try Self.logIndexes(path) == [])

            loadedDatabase = try KeeperDatabase(path: path)
            loaded = try loadedDatabase.load(config: Self.config)
            #expect(TreeSnapshot(loaded.tree) == TreeSnapshot(later.tree))
            #expect(loaded.tail.isEmpty)
            #expect(loaded.applied.index.rawValue == applied + 2)
            #expect(loaded.lastIndex.rawValue == applied + 2, "with an empty log the last index is the applied one")
            #expect(loaded.hardState.term.rawValue == 5)

            // The log continues after the compacted prefix.
            later.append(.request(create("/after-3", nil)))
            var next = ReplicaWrite()
            next.entries = [later.entries.last!]
            try loadedDatabase.commit(next)
            loaded = try loadedDatabase.load(config: Self.config)
            #expect(loaded.tail.map(\.index.rawValue) == [applied + 3])
            #expect(loaded.lastIndex.rawValue == applied + 3)
            loadedDatabase.close()
        }
    }

    @Test func logRowsAtOrBelowTheAppliedIndexAreNotReplayed() throws {
        try withTemporaryDirectory { dir in
            var history = History.standard()
            let rows = history.flush()
            var batch = ReplicaWrite()
            batch.entries = history.entries
            batch.nodes = rows.nodes
            batch.sessions = rows.sessions
            batch.applied = AppliedMark(index: Int64(history.entries.count), term: 2, zxid: history.tree.lastZxid)
            let database = try KeeperDatabase(path: dir + "/k.db")
            defer { database.close() }
            try database.commit(batch)
            let loaded = try database.load(config: Self.config)
            #expect(loaded.tail.isEmpty)
            #expect(loaded.lastIndex.rawValue == Int64(history.entries.count))
            #expect(loaded.tree.lastZxid == history.tree.lastZxid)
        }
    }

    // MARK: - Refusing files that are not ours

    @Test func garbageFileIsCorruptAndLeftUntouched() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeeperDatabase.fileName
            var state: UInt64 = 0x1234_5678
            let garbage = (0..<8192).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            try Data(garbage).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: KeeperStorageError.self) { try KeeperDatabase(path: path) }
            guard case .corrupt(let named, let detail)? = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            #expect(named == path)
            #expect(!detail.isEmpty)
            #expect(String(describing: error!).contains(path))
            #expect(try fileBytes(path) == Data(garbage))
            #expect(try directoryListing(dir) == [KeeperDatabase.fileName])
        }
    }

    @Test func foreignSQLiteFileIsRefusedAndLeftUntouched() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/other.db"
            let other = try SQLiteConnection(path: path, create: true)
            try other.execute("CREATE TABLE foo(x); INSERT INTO foo VALUES (42);")
            other.close()
            let before = try fileBytes(path)

            let error = #expect(throws: KeeperStorageError.self) { try KeeperDatabase(path: path) }
            guard case .foreign(let named, let detail)? = error else {
                Issue.record("expected .foreign, got \(String(describing: error))")
                return
            }
            #expect(named == path)
            #expect(detail.contains("foo"))
            #expect(String(describing: error!).contains(path))
            #expect(try fileBytes(path) == before)
            #expect(try directoryListing(dir) == ["other.db"])
        }
    }

    @Test func paddockFileWithAnotherSchemaVersionIsRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            try KeeperDatabase(path: path).close()
            let connection = try SQLiteConnection(path: path, create: false)
            try connection.execute("PRAGMA user_version = 7")
            connection.close()
            let before = try fileBytes(path)
            let error = #expect(throws: KeeperStorageError.self) { try KeeperDatabase(path: path) }
            guard case .foreign(let named, let detail)? = error else {
                Issue.record("expected .foreign, got \(String(describing: error))")
                return
            }
            #expect(named == path)
            #expect(detail.contains("7"))
            #expect(try fileBytes(path) == before)
        }
    }

    @Test func missingDirectoryIsAnError() {
        #expect(throws: (any Error).self) { try KeeperDatabase(path: "/nonexistent-paddock-dir/x/k.db") }
    }

    // MARK: - Unreadable rows

    @Test func logGapIsABadRecord() throws {
        try withTemporaryDirectory { dir in
            let history = History.standard()
            var batch = ReplicaWrite()
            batch.entries = history.entries.filter { $0.index.rawValue != 3 }
            let database = try KeeperDatabase(path: dir + "/k.db")
            defer { database.close() }
            try database.commit(batch)
            #expect {
                _ = try database.load(config: Self.config)
            } throws: { error in
                guard case KeeperStorageError.badRecord(_, let detail) = error else { return false }
                return detail.contains("gap")
            }
        }
    }

    @Test(arguments: [
        ("UPDATE log SET entry = x'00000001' WHERE idx = 2 -- log file", "log entry 2"),
        (
            "INSERT INTO znodes VALUES ('not/absolute', NULL, '31 world:anyone', 0, 0, 0, 0, 0, 0, 0, 0, 0)",
            "invalid znode path"
        ),
        ("INSERT INTO znodes VALUES ('/x', NULL, 'garbage', 0, 0, 0, 0, 0, 0, 0, 0, 0)", "acl of /x"),
        // Int32 columns holding other values were silently truncated into another version.
        (
            "INSERT INTO znodes VALUES ('/v', NULL, '31 world:anyone', 0, 0, 0, 0, 4294967296, 0, 0, 0, 0)",
            "version of /v"
        ),
        (
            "INSERT INTO znodes VALUES ('/c', NULL, '31 world:anyone', 0, 0, 0, 0, 0, -2147483649, 0, 0, 0)",
            "cversion of /c"
        ),
        (
            "INSERT INTO znodes VALUES ('/a', NULL, '31 world:anyone', 0, 0, 0, 0, 0, 0, 2147483648, 0, 0)",
            "aversion of /a"
        ),
        ("INSERT INTO sessions VALUES (7, 9223372036854775807, x'00', 1)", "timeout of session 0x7"),
        ("INSERT INTO sessions VALUES (8, 4000, x'00', -9223372036854775808)", "owner of session 0x8"),
    ])
    func undecodableRowsAreBadRecords(sql: String, mentioning word: String) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            var batch = ReplicaWrite()
            batch.entries = Array(History.standard().entries.prefix(3))
            let writer = try KeeperDatabase(path: path)
            try writer.commit(batch)
            writer.close()
            let file = sql.hasSuffix("-- log file") ? Self.logFile(path) : path
            let connection = try SQLiteConnection(path: file, create: false)
            try connection.execute(sql)
            connection.close()

            let database = try KeeperDatabase(path: path)
            defer { database.close() }
            #expect {
                _ = try database.load(config: Self.config)
            } throws: { error in
                guard case KeeperStorageError.badRecord(let named, let detail) = error else { return false }
                return named == file && detail.contains(word)
            }
        }
    }

    /// Rows are read on a thread of their own and handed over in chunks: a bad row several
    /// chunks in still fails the load with its own error (not a hang, not a partial tree), and
    /// a good file of many chunks loads whole.
    @Test(arguments: [false, true])
    func aLoadOfManyChunksReportsABadRowDeepInside(damaged: Bool) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/k.db"
            try KeeperDatabase(path: path).close()
            let connection = try SQLiteConnection(path: path, create: false)
            try connection.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
                INSERT INTO znodes SELECT printf('/n%05d', i), NULL, '31 world:anyone', 1, 1, 0, 0, 0, 0, 0, 0, 1 FROM n;
                """)
            if damaged { try connection.execute("UPDATE znodes SET path = '/n17000/' WHERE path = '/n17000'") }
            connection.close()
            let database = try KeeperDatabase(path: path)
            defer { database.close() }
            if damaged {
                #expect {
                    _ = try database.load(config: Self.config)
                } throws: { error in
                    guard case KeeperStorageError.badRecord(_, let detail) = error else { return false }
                    return detail.contains("invalid znode path /n17000/")
                }
            } else {
                let loaded = try database.load(config: Self.config)
                #expect(loaded.tree.nodeCount == 20_000 + 4)
                #expect(loaded.tree.node("/")?.children.count == 20_000 + 1)
            }
        }
    }

    // MARK: - Schema file

    static func packageRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `sqlite_master` rows with the SQL's whitespace collapsed, plus every table's columns.
    static func describeSchema(_ connection: SQLiteConnection) throws -> [[String]] {
        var description = try rows(
            connection,
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
            columns: 4
        ).map { row in
            row.enumerated().map {
                $0.offset == 3 ? $0.element.split(whereSeparator: \.isWhitespace).joined(separator: " ") : $0.element
            }
        }
        for table in description.filter({ $0[0] == "table" }).map({ $0[1] }) {
            description += try rows(connection, "PRAGMA table_info(\(table))", columns: 6).map { [table] + $0 }
        }
        return description
    }

    @Test(arguments: [
        ("Schemas/keeper.sql", KeeperDatabase.schema, KeeperDatabase.fileName, ["meta", "sessions", "znodes"]),
        ("Schemas/keeper-log.sql", KeeperDatabase.logSchema, KeeperDatabase.logFileName, ["log", "meta"]),
    ])
    func schemaFilesAndEmbeddedSchemasDefineTheSameTables(
        file: String, embedded: String, databaseFile: String, tables: [String]
    ) throws {
        let fileText = try String(contentsOf: Self.packageRoot().appendingPathComponent(file), encoding: .utf8)
        let isLog = databaseFile == KeeperDatabase.logFileName
        let version = isLog ? KeeperDatabase.logSchemaVersion : KeeperDatabase.schemaVersion
        let applicationID = isLog ? KeeperDatabase.logApplicationID : KeeperDatabase.applicationID
        #expect(fileText.contains("PRAGMA user_version = \(version)"))
        #expect(fileText.lowercased().contains("0x" + String(applicationID, radix: 16)))
        try withTemporaryDirectory { dir in
            let fromFile = try SQLiteConnection(path: dir + "/file.db", create: true)
            defer { fromFile.close() }
            try fromFile.execute(fileText)
            let fromCode = try SQLiteConnection(path: dir + "/code.db", create: true)
            defer { fromCode.close() }
            try fromCode.execute(embedded)
            try KeeperDatabase(path: dir + "/" + KeeperDatabase.fileName).close()
            let fromDatabase = try SQLiteConnection(path: dir + "/" + databaseFile, create: false)
            defer { fromDatabase.close() }

            let expected = try Self.describeSchema(fromFile)
            #expect(expected.filter { $0[0] == "table" }.map { $0[1] } == tables)
            #expect(try Self.describeSchema(fromCode) == expected)
            #expect(try Self.describeSchema(fromDatabase) == expected)
        }
    }

    // MARK: - ACL text

    static let aclSamples: [[ACL]] = [
        [],
        ACL.openUnsafe,
        [ACL(perms: .all, id: user1), ACL(perms: .read, id: .anyone)],
        [ACL(perms: .all, id: ZKId(scheme: "digest", id: "super:D/InIHSb7yEEbrWz8b9l71RjZJU="))],
        [
            ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
            ACL(perms: .admin, id: ZKId(scheme: "ip", id: "fe80::1/64")),
        ],
        [ACL(perms: [.read, .write], id: ZKId(scheme: "x509", id: "CN=alice,O=Example/OU=a:b:c"))],
        [ACL(perms: .read, id: ZKId(scheme: "sasl", id: "id with  spaces\tand tab"))],
        [
            ACL(perms: Perms(rawValue: 0), id: ZKId(scheme: "world", id: "")),
            ACL(perms: Perms(rawValue: -1), id: ZKId(scheme: "", id: "")),
        ],
        [ACL(perms: Perms(rawValue: .max), id: ZKId(scheme: "digest", id: "ünïcødé:😀/+="))],
        // ids a client can set that would break a naive line format
        [ACL(perms: .read, id: ZKId(scheme: "digest", id: "evil\n31 world:anyone")), ACL(perms: .read, id: .anyone)],
        [
            ACL(perms: .read, id: ZKId(scheme: "digest", id: "cr\r")),
            ACL(perms: .write, id: ZKId(scheme: "digest", id: "x:y")),
        ],
        [ACL(perms: .read, id: ZKId(scheme: "digest", id: "a\r\nb:c"))],
        [ACL(perms: .read, id: ZKId(scheme: "digest", id: "back\\slash:\\n not a newline\\"))],
        [ACL(perms: .read, id: ZKId(scheme: "we:ird\\", id: ":x:"))],
    ]

    @Test(arguments: aclSamples)
    func aclTextRoundTrips(acl: [ACL]) {
        let text = KeeperDatabase.encodeACL(acl)
        #expect(KeeperDatabase.decodeACL(text) == acl, "\(text.debugDescription)")
    }

    @Test func aclTextStaysReadable() {
        #expect(
            KeeperDatabase.encodeACL([ACL(perms: .all, id: .anyone), ACL(perms: .read, id: user1)])
                == "31 world:anyone\n1 digest:user1:UwFvtt99nn7zVDmU1KK5F5q3Zg4="
        )
        #expect(
            KeeperDatabase.encodeACL([ACL(perms: .read, id: ZKId(scheme: "ip", id: "fe80::1/64"))]) == "1 ip:fe80::1/64"
        )
        #expect(KeeperDatabase.encodeACL([]) == "")
    }

    @Test(arguments: [
        "x", "31", "31 noscheme", "abc digest:x", "31 digest:a\\q", "31 digest:x\\", "31 world:anyone\n",
        "\n31 world:anyone", " world:anyone",
    ])
    func malformedACLTextIsRefused(text: String) {
        #expect(KeeperDatabase.decodeACL(text) == nil)
    }

    @Test func aclWithANewlineSurvivesARestart() throws {
        try withTemporaryDirectory { dir in
            var h = History()
            h.append(.createSession(timeout: 10_000, password: []))
            let acl = [
                ACL(perms: .read, id: ZKId(scheme: "digest", id: "evil\n31 world:anyone")), ACL(perms: .all, id: user1),
            ]
            h.append(.request(create("/locked", "s", acl: acl)))
            let rows = h.flush()
            var batch = ReplicaWrite()
            batch.entries = h.entries
            batch.nodes = rows.nodes
            batch.sessions = rows.sessions
            batch.applied = AppliedMark(index: 2, term: 2, zxid: h.tree.lastZxid)
            let database = try KeeperDatabase(path: dir + "/k.db")
            try database.commit(batch)
            database.close()
            let reopened = try KeeperDatabase(path: dir + "/k.db")
            defer { reopened.close() }
            let loaded = try reopened.load(config: Self.config)
            #expect(loaded.tree.node("/locked")?.acl == acl)
        }
    }
}
