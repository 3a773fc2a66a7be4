import Consensus
import CSQLite
import Dispatch
import Foundation
import Synchronization
package import ZNodeTree
package import KeeperReplica
import NIOCore
package import ZooKeeperWire

/// Operational storage failures (STYLE.md §5): thrown, carrying the file and what was wrong.
package enum KeeperStorageError: Error, CustomStringConvertible, Sendable {
    /// The file exists but is not a SQLite database, or is damaged.
    case corrupt(path: String, detail: String)
    /// The file is a SQLite database but not a Paddock keeper database.
    case foreign(path: String, detail: String)
    /// A log row or znode row that cannot be decoded.
    case badRecord(path: String, detail: String)

    package var description: String {
        switch self {
        case .corrupt(let path, let detail): "\(path) is not a usable Paddock keeper database: \(detail)"
        case .foreign(let path, let detail): "\(path) belongs to something else, refusing to use it: \(detail)"
        case .badRecord(let path, let detail): "\(path) holds an unreadable record: \(detail)"
        }
    }
}

/// The keeper member's SQLite storage, the server's `ReplicaStorage`, in two files so a group
/// commit is a log append alone while the tree is checkpointed beside it:
/// - `paddock-keeper.db` (`Schemas/keeper.sql`): the checkpointed tree, sessions and the mark
///   they reflect;
/// - `paddock-log.db` (`Schemas/keeper-log.sql`): the consensus log and hard state.
///
/// Blocking. Columns are SQLite integers; the replica's typed values are converted here, checked
/// on the way in, so a damaged row is one `badRecord`, never a trap.
///
/// @unchecked Sendable: `StorageDriver` calls `commit` from one thread and `checkpoint` from
/// another, one call at a time each; each uses connections of its own (SQLite is opened with
/// NOMUTEX, and its file locks order the two writers of the tree file).
package final class KeeperDatabase: ReplicaStorage, @unchecked Sendable {
    package static let fileName = "paddock-keeper.db"
    package static let logFileName = "paddock-log.db"
    /// 'PDK1' and 'PDL1'.
    package static let applicationID: Int64 = 0x5044_4B31
    package static let logApplicationID: Int64 = 0x5044_4C31
    /// 2: the log and hard state moved to `paddock-log.db` (version 1 held them here, and is
    /// migrated on open).
    package static let schemaVersion: Int64 = 2
    package static let logSchemaVersion: Int64 = 1

    package let path: String
    package let logPath: String
    /// The tree file and the log file, for `load` and `commit`.
    private let connection: SQLiteConnection
    private let logConnection: SQLiteConnection
    /// The checkpoint thread's own connection to the tree file, opened on its first checkpoint.
    private var checkpointConnection: SQLiteConnection?

    /// Opens (creating if absent) the member's two files: `path` and `paddock-log.db` beside it,
    /// checks they are ours, and migrates a version-1 file.
    package init(path: String) throws {
        self.path = path
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
        self.logPath = directory + Self.logFileName
        let tree = try Self.open(path, applicationID: Self.applicationID, versions: 1...Self.schemaVersion)
        connection = tree.connection
        let log = try Self.open(logPath, applicationID: Self.logApplicationID, versions: Self.logSchemaVersion...Self.logSchemaVersion)
        logConnection = log.connection
        if tree.fresh {
            try Self.create(connection, schema: Self.schema, applicationID: Self.applicationID, version: Self.schemaVersion)
        }
        if log.fresh {
            // A log file appears with its tree file, or when a version-1 file is migrated. A
            // missing one beside a used tree file lost the hard state (the vote): refusing to
            // start beats voting twice in a term.
            guard tree.fresh || tree.version == 1 else {
                throw KeeperStorageError.corrupt(
                    path: logPath,
                    detail: "missing while \(Self.fileName) holds a member's state; restore it, or empty the data directory "
                        + "so the member is rebuilt from its peers")
            }
            try Self.create(logConnection, schema: Self.logSchema, applicationID: Self.logApplicationID, version: Self.logSchemaVersion)
        }
        if !tree.fresh && tree.version == 1 { try migrateFromVersion1() }
        do {
            let check = try connection.pragmaText("quick_check")
            guard check == "ok" else { throw KeeperStorageError.corrupt(path: path, detail: "quick_check: \(check)") }
            let logCheck = try logConnection.pragmaText("quick_check")
            guard logCheck == "ok" else { throw KeeperStorageError.corrupt(path: logPath, detail: "quick_check: \(logCheck)") }
        } catch let error as SQLiteError {
            throw KeeperStorageError.corrupt(path: path, detail: error.description)
        }
    }

    /// Opens one of the two files: its connection, whether it is new (no tables, no ids), and
    /// its schema version.
    private static func open(
        _ path: String, applicationID: Int64, versions: ClosedRange<Int64>
    ) throws -> (connection: SQLiteConnection, fresh: Bool, version: Int64) {
        do {
            let connection = try SQLiteConnection(path: path, create: true)
            connection.retryWhenBusy()
            let appID = try connection.pragmaInt("application_id")
            let version = try connection.pragmaInt("user_version")
            let tables = try Self.tableNames(connection)
            let fresh = appID == 0 && version == 0 && tables.isEmpty
            if !fresh {
                guard appID == applicationID else {
                    throw KeeperStorageError.foreign(
                        path: path, detail: "application_id is \(appID), tables \(tables.sorted().joined(separator: ","))")
                }
                guard versions.contains(version) else {
                    throw KeeperStorageError.foreign(
                        path: path, detail: "schema version \(version), expected \(versions.upperBound)")
                }
            }
            let mode = try connection.pragmaText("journal_mode = WAL")
            guard mode.lowercased() == "wal" else {
                throw KeeperStorageError.corrupt(path: path, detail: "cannot enable WAL (journal_mode=\(mode))")
            }
            // FULL: every commit is fsynced before it returns, so an acknowledged write survives
            // power loss, not just a crash of the process (STYLE.md §6: chosen explicitly).
            try connection.execute("PRAGMA synchronous = FULL")
            return (connection, fresh, version)
        } catch let error as SQLiteError {
            // SQLITE_NOTADB (26) and SQLITE_CORRUPT (11), with extended codes in the high bits.
            throw KeeperStorageError.corrupt(path: path, detail: error.description)
        }
    }

    private static func create(_ connection: SQLiteConnection, schema: String, applicationID: Int64, version: Int64) throws {
        try connection.transaction {
            try connection.execute(schema)
            try connection.execute("PRAGMA application_id = \(applicationID)")
            try connection.execute("PRAGMA user_version = \(version)")
        }
    }

    /// Version 1 kept the log and the hard state in the tree file. Copies them into the log file
    /// (replacing whatever an interrupted migration left there), then drops them from the tree
    /// file and marks it version 2; a crash between the two steps repeats the first.
    private func migrateFromVersion1() throws {
        let rows = try connection.prepare("SELECT idx, term, zxid, entry FROM log ORDER BY idx")
        let meta = try readMeta(connection)
        try logConnection.transaction {
            try logConnection.execute("DELETE FROM log; DELETE FROM meta;")
            let insert = try logConnection.prepare("INSERT INTO log (idx, term, zxid, entry) VALUES (?, ?, ?, ?)")
            while try rows.step() {
                try insert.bind(1, rows.int64(0))
                try insert.bind(2, rows.int64(1))
                try insert.bind(3, rows.int64(2))
                try insert.bind(4, bytes: rows.blob(3) ?? [])
                try insert.step()
                insert.reset()
            }
            for key in ["hs_term", "hs_vote", "hs_commit"] {
                if let value = meta[key] { try setMeta(logConnection, key, value) }
            }
        }
        rows.reset()
        try connection.transaction {
            try connection.execute(
                "DROP TABLE log; DELETE FROM meta WHERE key IN ('hs_term', 'hs_vote', 'hs_commit');")
            try connection.execute("PRAGMA user_version = \(Self.schemaVersion)")
        }
    }

    private static func tableNames(_ connection: SQLiteConnection) throws -> Set<String> {
        let statement = try connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        var names: Set<String> = []
        while try statement.step() { if let name = statement.text(0) { names.insert(name) } }
        return names
    }

    // MARK: - Load

    package func load(config: TreeConfig) throws -> LoadedState {
        let meta = try readMeta(connection)
        let logMeta = try readMeta(logConnection)
        let appliedIndex = try logIndex(meta["applied_index"] ?? 0, "applied_index")
        let applied = AppliedMark(
            index: appliedIndex, term: try term(meta["applied_term"] ?? 0, "applied_term"),
            zxid: Zxid(meta["applied_zxid"] ?? 0))
        let storedVote = logMeta["hs_vote"] ?? 0
        guard let vote = Int(exactly: storedVote), vote >= 0 else {
            throw KeeperStorageError.badRecord(path: logPath, detail: "hs_vote: \(storedVote)")
        }
        let hardState = HardState(
            term: try term(logMeta["hs_term"] ?? 0, "hs_term", file: logPath), vote: vote == 0 ? nil : NodeID(vote),
            commit: LogIndex(logMeta["hs_commit"] ?? 0))

        // A thread of its own reads and decodes the rows (in path order) while this one builds
        // the tree from them: a restart has the machine to itself, and the two halves cost
        // about the same.
        var restore = DataTree.Restore(config: config, capacity: try expectedNodeCount(meta))
        let handoff = RowHandoff(capacity: 8)
        let reader = Thread { [self] in
            do {
                try readNodeRows { handoff.put($0) }
                handoff.finish(nil)
            } catch {
                handoff.finish(error)
            }
        }
        reader.stackSize = 1 << 20
        reader.start()
        while let chunk = try handoff.take() {
            for (path, node) in chunk { restore.add(path, node) }
        }

        var sessions: [SessionID: SessionRecord] = [:]
        let sessionRows = try connection.prepare("SELECT id, timeout, password, owner FROM sessions")
        while try sessionRows.step() {
            let id = SessionID(sessionRows.int64(0))
            sessions[id] = SessionRecord(
                timeout: try int32(sessionRows.int64(1), "timeout of session \(id)"),
                password: sessionRows.blob(2) ?? [], owner: try int32(sessionRows.int64(3), "owner of session \(id)"))
        }

        var tail: [LogEntry] = []
        let path = logPath
        let log = try logConnection.prepare("SELECT idx, term, entry FROM log WHERE idx > ? ORDER BY idx")
        try log.bind(1, appliedIndex.rawValue)
        var lastIndex = appliedIndex
        while try log.step() {
            let index = LogIndex(log.int64(0))
            let entryTerm = try term(log.int64(1), "log row \(index.rawValue) term", file: logPath)
            let payload: ByteBuffer = try log.withBlob(2) { bytes in
                guard let bytes else { throw KeeperStorageError.badRecord(path: path, detail: "log entry \(index.rawValue) is NULL") }
                return ByteBuffer(bytes: bytes)
            }
            if payload.readableBytes > 0 {  // empty: the no-op a new leader appends
                var copy = payload
                do {
                    _ = try Txn(from: &copy)
                } catch {
                    throw KeeperStorageError.badRecord(path: path, detail: "log entry \(index.rawValue): \(error)")
                }
            }
            guard index == lastIndex.next else {
                throw KeeperStorageError.badRecord(
                    path: path, detail: "log gap: entry \(index.rawValue) follows \(lastIndex.rawValue)")
            }
            tail.append(LogEntry(index: index, term: entryTerm, payload: payload))
            lastIndex = index
        }
        if lastIndex == appliedIndex {
            let last = try logConnection.prepare("SELECT max(idx) FROM log")
            if try last.step(), !last.isNull(0) { lastIndex = max(lastIndex, LogIndex(last.int64(0))) }
            last.reset()
        }
        let tree = restore.finish(sessions: sessions, lastZxid: applied.zxid)
        return LoadedState(tree: tree, applied: applied, hardState: hardState, tail: tail, lastIndex: lastIndex)
    }

    /// Reads every znode row and hands them on in chunks. Runs on the loader's reader thread,
    /// which has `connection` to itself until `load` has taken the last chunk.
    private func readNodeRows(_ deliver: ([(path: String, node: ZNode)]) -> Void) throws {
        var chunk: [(path: String, node: ZNode)] = []
        chunk.reserveCapacity(RowHandoff.chunkRows)
        // Most nodes share a handful of ACLs: decode each text once and share its array.
        var acls: [String: [ACL]] = [:]
        let nodes = try connection.prepare(
            "SELECT path, data, acl, czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeral_owner, pzxid FROM znodes"
        )
        defer { nodes.reset() }
        while try nodes.step() {
            guard let path = nodes.text(0), let aclText = nodes.text(2) else {
                throw KeeperStorageError.badRecord(path: self.path, detail: "znode row without path or acl")
            }
            guard path == "/" || PathValidation.validate(path) == nil else {
                throw KeeperStorageError.badRecord(path: self.path, detail: "invalid znode path \(path)")
            }
            let acl: [ACL]
            if let known = acls[aclText] {
                acl = known
            } else {
                guard let decoded = Self.decodeACL(aclText) else {
                    throw KeeperStorageError.badRecord(path: self.path, detail: "acl of \(path)")
                }
                if acls.count < 1024 { acls[aclText] = decoded }
                acl = decoded
            }
            var node = ZNode(
                data: nil, acl: acl, czxid: nodes.int64(3), mzxid: nodes.int64(4), ctime: nodes.int64(5),
                mtime: nodes.int64(6), version: try int32(nodes.int64(7), "version of \(path)"),
                cversion: try int32(nodes.int64(8), "cversion of \(path)"),
                aversion: try int32(nodes.int64(9), "aversion of \(path)"),
                ephemeralOwner: nodes.int64(10), pzxid: nodes.int64(11)
            )
            node.dataBytes = nodes.blob(1)
            chunk.append((path, node))
            if chunk.count == RowHandoff.chunkRows {
                deliver(chunk)
                chunk = []
                chunk.reserveCapacity(RowHandoff.chunkRows)
            }
        }
        if !chunk.isEmpty { deliver(chunk) }
    }

    /// A term column: this code writes terms below `Int64.max` only (`commit` refuses larger ones).
    private func term(_ value: Int64, _ field: String, file: String? = nil) throws -> Term {
        guard let raw = UInt64(exactly: value) else {
            throw KeeperStorageError.badRecord(path: file ?? path, detail: "\(field): negative term \(value)")
        }
        return Term(raw)
    }

    private func logIndex(_ value: Int64, _ field: String) throws -> LogIndex {
        guard value >= 0 else { throw KeeperStorageError.badRecord(path: path, detail: "\(field): negative index \(value)") }
        return LogIndex(value)
    }

    /// A column this code writes from an `Int32`: any other value is a damaged or foreign row,
    /// refused rather than truncated into a different version or timeout.
    private func int32(_ value: Int64, _ field: String) throws -> Int32 {
        guard let narrow = Int32(exactly: value) else {
            throw KeeperStorageError.badRecord(path: path, detail: "\(field): \(value) is not a 32-bit value")
        }
        return narrow
    }

    private func readMeta(_ connection: SQLiteConnection) throws -> [String: Int64] {
        let statement = try connection.prepare("SELECT key, value FROM meta")
        var meta: [String: Int64] = [:]
        while try statement.step() { if let key = statement.text(0) { meta[key] = statement.int64(1) } }
        return meta
    }

    // MARK: - Write

    /// Makes `batch` durable. Tree rows (a snapshot install's) go to the tree file first, then
    /// the log rows and hard state to the log file, each file in one transaction (fsynced when
    /// this returns). A crash between the two leaves the newer tree with the older log, which a
    /// restart reads as a snapshot with the log after it (entries at or below the mark are
    /// skipped); no log row is dropped before the rows covering it are durable.
    package func commit(_ batch: ReplicaWrite) throws {
        try commit([batch])
    }

    /// Makes `writes` durable, in order, as one group commit: consecutive writes of log rows and
    /// hard state share one transaction (one fsync); a write with tree rows (a snapshot install)
    /// is committed on its own, as `commit(_:)` describes. After a crash a prefix of `writes` is
    /// there, never a later write without an earlier one.
    package func commit(_ writes: [ReplicaWrite]) throws {
        var start = writes.startIndex
        while start < writes.endIndex {
            let write = writes[start]
            if write.touchesTree {
                try connection.transaction {
                    if write.replaceTree { try connection.execute("DELETE FROM znodes; DELETE FROM sessions;") }
                    try writeRows(connection, nodes: write.nodes, sessions: write.sessions)
                    if let applied = write.applied { try writeMark(connection, applied, nodeCount: write.nodes.count) }
                }
                try logConnection.transaction { try writeLog(write) }
                start += 1
                continue
            }
            var end = start
            while end < writes.endIndex, !writes[end].touchesTree { end += 1 }
            if writes[start..<end].contains(where: { !$0.isEmpty }) {
                try logConnection.transaction { for write in writes[start..<end] { try writeLog(write) } }
            }
            start = end
        }
    }

    /// One write's log rows and hard state, inside the caller's log transaction.
    private func writeLog(_ batch: ReplicaWrite) throws {
        if batch.replaceTree { try logConnection.execute("DELETE FROM log;") }
        if let first = batch.entries.first {
            let truncate = try logConnection.prepare("DELETE FROM log WHERE idx >= ?")
            try truncate.bind(1, first.index.rawValue)
            try truncate.step()
            truncate.reset()
            let insert = try logConnection.prepare("INSERT INTO log (idx, term, zxid, entry) VALUES (?, ?, ?, ?)")
            for entry in batch.entries {
                // The zxid is the record's second field (after the version), kept in its own
                // column for inspection with the sqlite3 tool; 0 for a no-op.
                let zxid = entry.payload.getInteger(at: entry.payload.readerIndex + 4, as: Int64.self) ?? 0
                try insert.bind(1, entry.index.rawValue)
                try insert.bind(2, try storedTerm(entry.term))
                try insert.bind(3, zxid)
                try entry.payload.withUnsafeReadableBytes { try insert.bind(4, bytes: $0) }
                try insert.step()
                try resetForReuse(insert)
            }
        }
        if let hard = batch.hardState {
            try setMeta(logConnection, "hs_term", try storedTerm(hard.term))
            try setMeta(logConnection, "hs_vote", Int64(hard.vote?.rawValue ?? 0))
            try setMeta(logConnection, "hs_commit", hard.commit.rawValue)
        }
        if let through = batch.compactThrough { try compactLog(logConnection, through: through) }
    }

    /// Writes a checkpoint's rows and mark to the tree file in one transaction, from the
    /// checkpoint thread's own connection, unless the file holds a later mark already (a
    /// snapshot installed meanwhile). The log file is left to `commit` (its only writer).
    package func checkpoint(_ checkpoint: ReplicaCheckpoint) throws {
        let tree = try checkpointConnection ?? openCheckpointConnection()
        try tree.transaction {
            let stored = try readMeta(tree)["applied_index"] ?? 0
            guard checkpoint.applied.index.rawValue > stored else { return }
            try writeRows(tree, nodes: checkpoint.nodes, sessions: checkpoint.sessions)
            try writeMark(tree, checkpoint.applied, nodeCount: checkpoint.nodeCount)
        }
    }

    private func openCheckpointConnection() throws -> SQLiteConnection {
        let tree = try SQLiteConnection(path: path, create: false)
        tree.retryWhenBusy()
        try tree.execute("PRAGMA synchronous = FULL")
        checkpointConnection = tree
        return tree
    }

    private func writeMark(_ connection: SQLiteConnection, _ applied: AppliedMark, nodeCount: Int?) throws {
        try setMeta(connection, "applied_index", applied.index.rawValue)
        try setMeta(connection, "applied_term", try storedTerm(applied.term))
        try setMeta(connection, "applied_zxid", applied.zxid.rawValue)
        if let nodeCount { try setMeta(connection, "znode_count", Int64(nodeCount)) }
    }

    /// How many znode rows to make room for at load: the count the newest checkpoint recorded,
    /// but never more than the file could hold (the file is input; a row takes over 40 bytes).
    private func expectedNodeCount(_ meta: [String: Int64]) throws -> Int {
        guard let recorded = meta["znode_count"], recorded > 0 else { return 0 }
        let bytes = try connection.pragmaInt("page_count").multipliedReportingOverflow(by: try connection.pragmaInt("page_size"))
        guard !bytes.overflow, bytes.partialValue > 0 else { return 0 }
        return Int(clamping: min(recorded, bytes.partialValue / 40))
    }

    private func compactLog(_ connection: SQLiteConnection, through: LogIndex) throws {
        let compact = try connection.prepare("DELETE FROM log WHERE idx <= ?")
        try compact.bind(1, through.rawValue)
        try compact.step()
        compact.reset()
    }

    /// Upserts (or deletes, for nil) tree rows and session rows.
    private func writeRows(
        _ connection: SQLiteConnection, nodes: [(path: String, node: ZNode?)],
        sessions: [(id: SessionID, record: SessionRecord?)]
    ) throws {
        if !nodes.isEmpty {
            let upsert = try connection.prepare(
                """
                INSERT OR REPLACE INTO znodes (path, data, acl, czxid, mzxid, ctime, mtime, version, cversion,
                    aversion, ephemeral_owner, pzxid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let delete = try connection.prepare("DELETE FROM znodes WHERE path = ?")
            for (path, node) in nodes {
                guard let node else {
                    try delete.bind(1, path)
                    try delete.step()
                    try resetForReuse(delete)
                    continue
                }
                try upsert.bind(1, path)
                if let data = node.dataBytes {
                    try upsert.bind(2, bytes: data)
                } else {
                    try upsert.bindNull(2)
                }
                try upsert.bind(3, Self.encodeACL(node.acl))
                try upsert.bind(4, node.czxid)
                try upsert.bind(5, node.mzxid)
                try upsert.bind(6, node.ctime)
                try upsert.bind(7, node.mtime)
                try upsert.bind(8, Int64(node.version))
                try upsert.bind(9, Int64(node.cversion))
                try upsert.bind(10, Int64(node.aversion))
                try upsert.bind(11, node.ephemeralOwner)
                try upsert.bind(12, node.pzxid)
                try upsert.step()
                try resetForReuse(upsert)
            }
        }
        if !sessions.isEmpty {
            let upsert = try connection.prepare(
                "INSERT OR REPLACE INTO sessions (id, timeout, password, owner) VALUES (?, ?, ?, ?)")
            let delete = try connection.prepare("DELETE FROM sessions WHERE id = ?")
            for (id, record) in sessions {
                if let record {
                    try upsert.bind(1, id.rawValue)
                    try upsert.bind(2, Int64(record.timeout))
                    try upsert.bind(3, bytes: record.password)
                    try upsert.bind(4, Int64(record.owner))
                    try upsert.step()
                    try resetForReuse(upsert)
                } else {
                    try delete.bind(1, id.rawValue)
                    try delete.step()
                    try resetForReuse(delete)
                }
            }
        }
    }

    /// A term as its SQLite integer. Terms count elections from 0; one past `Int64.max` would
    /// load back negative, so the write is refused (the member stops serving) instead.
    private func storedTerm(_ term: Term) throws -> Int64 {
        guard let value = Int64(exactly: term.rawValue) else {
            throw KeeperStorageError.badRecord(path: path, detail: "term \(term.rawValue) does not fit a column")
        }
        return value
    }

    private func resetForReuse(_ statement: SQLiteStatement) throws {
        statement.reset()
    }

    private func setMeta(_ connection: SQLiteConnection, _ key: String, _ value: Int64) throws {
        let statement = try connection.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        try statement.bind(1, key)
        try statement.bind(2, value)
        try statement.step()
    }

    /// Checkpoints the WAL into the main file (on shutdown and after large batches).
    /// Hands WAL checkpoints to a `WALCheckpointer` on another thread: SQLite's automatic
    /// checkpoint runs inside the commit that crosses its threshold (1000 pages), copying and
    /// fsyncing the database file while every write queued behind that commit waits.
    package func makeCheckpointers() throws -> [WALCheckpointer] {
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        try logConnection.execute("PRAGMA wal_autocheckpoint = 0")
        return [try WALCheckpointer(path: path), try WALCheckpointer(path: logPath)]
    }

    /// Copies both WALs into their files and truncates them (at shutdown).
    package func checkpointWAL() throws {
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try logConnection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    package func close() {
        checkpointConnection?.close()
        checkpointConnection = nil
        connection.close()
        logConnection.close()
    }

    // MARK: - ACL text

    /// One `perms scheme:id` per line, readable with the sqlite3 tool. A backslash escapes what
    /// would break the layout: `\\`, `\n` and `\r` anywhere, `\:` in the scheme. Ids are the
    /// client's bytes (a digest or sasl id may hold any character), so the encoding must be
    /// injective: a newline in an id must not split one entry into two.
    package static func encodeACL(_ acl: [ACL]) -> String {
        acl.map { "\($0.perms.rawValue) \(escape($0.id.scheme, colon: true)):\(escape($0.id.id, colon: false))" }
            .joined(separator: "\n")
    }

    package static func decodeACL(_ text: String) -> [ACL]? {
        if text.isEmpty { return [] }
        var result: [ACL] = []
        // Split on U+000A itself: as Characters, "\r\n" is one grapheme and would not match "\n".
        for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let space = line.firstIndex(of: " "),
                let perms = Int32(String(String.UnicodeScalarView(line[..<space])))
            else { return nil }
            var scheme = ""
            var id = ""
            var inScheme = true
            var escaped = false
            for scalar in line[line.index(after: space)...] {
                var character = scalar
                if escaped {
                    escaped = false
                    switch scalar {
                    case "n": character = "\n"
                    case "r": character = "\r"
                    case "\\", ":": break
                    default: return nil
                    }
                } else if scalar == "\\" {
                    escaped = true
                    continue
                } else if scalar == ":" && inScheme {
                    inScheme = false
                    continue
                }
                if inScheme { scheme.unicodeScalars.append(character) } else { id.unicodeScalars.append(character) }
            }
            guard !inScheme, !escaped else { return nil }
            result.append(ACL(perms: Perms(rawValue: perms), id: ZKId(scheme: scheme, id: id)))
        }
        return result
    }

    private static func escape(_ text: String, colon: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case ":" where colon: out.append(contentsOf: "\\:".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// The tree file's schema: `Schemas/keeper.sql`, embedded at build time.
    package static let schema = EmbeddedSchemas.keeper

    /// The log file's schema: `Schemas/keeper-log.sql`, embedded at build time.
    package static let logSchema = EmbeddedSchemas.keeperLog
}

/// Checkpoints a member database's WAL from a connection of its own, on a thread of its own, so
/// group commits never wait for the database file's copy and fsync. A PASSIVE checkpoint neither
/// waits for nor blocks the writer.
///
/// @unchecked Sendable: used from one thread at a time (`StorageDriver`'s checkpoint thread).
package final class WALCheckpointer: @unchecked Sendable {
    private let connection: SQLiteConnection

    init(path: String) throws {
        connection = try SQLiteConnection(path: path, create: false)
        connection.retryWhenBusy()
        // A connection opens its pager (and finds the WAL) on its first read; a checkpoint
        // before that reports "not in WAL mode" and copies nothing.
        let mode = try connection.pragmaText("journal_mode")
        guard mode == "wal" else {
            throw KeeperStorageError.corrupt(path: path, detail: "checkpointer found journal_mode=\(mode), expected wal")
        }
    }

    /// A WAL longer than this many frames (4 KiB pages) is restarted once its frames are copied.
    package static let restartAboveFrames = 16_384

    /// One PASSIVE checkpoint, then a RESTART one if the WAL has grown past
    /// `restartAboveFrames` (under constant writes a passive checkpoint never catches the writer,
    /// so the WAL would never start over). Returns the frames in the WAL and how many are now in
    /// the database file.
    @discardableResult
    package func checkpoint() throws -> (walFrames: Int, checkpointed: Int) {
        let passive = try connection.walCheckpoint(restart: false)
        guard passive.walFrames > Self.restartAboveFrames else { return passive }
        return try connection.walCheckpoint(restart: true)
    }

    package func close() {
        connection.close()
    }
}

/// Chunks of decoded rows from the loader's reader thread to the thread building the tree:
/// at most `capacity` chunks wait (memory stays bounded however large the file), and the end
/// (or the reader's error) comes after the last chunk.
private final class RowHandoff: Sendable {
    static let chunkRows = 4096
    private struct State {
        var chunks: [[(path: String, node: ZNode)]] = []
        var failure: (any Error)?
    }
    private let state = Mutex(State())
    private let free: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)

    init(capacity: Int) { free = DispatchSemaphore(value: capacity) }

    func put(_ chunk: [(path: String, node: ZNode)]) {
        free.wait()
        state.withLock { $0.chunks.append(chunk) }
        ready.signal()
    }

    func finish(_ error: (any Error)?) {
        state.withLock { $0.failure = error }
        ready.signal()
    }

    /// The next chunk; nil once the reader is done; rethrows the reader's error.
    func take() throws -> [(path: String, node: ZNode)]? {
        ready.wait()
        let next: Result<[(path: String, node: ZNode)]?, any Error> = state.withLock { state in
            if !state.chunks.isEmpty { return .success(state.chunks.removeFirst()) }
            if let failure = state.failure { return .failure(failure) }
            return .success(nil)
        }
        if case .success(.some) = next { free.signal() }
        return try next.get()
    }
}
