import Consensus
import CSQLite
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

/// The keeper member's SQLite database (schema in `Schemas/keeper.sql`): the server's
/// `ReplicaStorage`. Blocking. Columns are SQLite integers; the replica's typed values are
/// converted here, checked on the way in, so a damaged row is one `badRecord`, never a trap.
///
/// @unchecked Sendable: it is handed to `StorageDriver`, which calls it only from its single
/// thread-pool thread, one call at a time; SQLite is opened with NOMUTEX for that reason.
package final class KeeperDatabase: ReplicaStorage, @unchecked Sendable {
    package static let fileName = "paddock-keeper.db"
    package static let applicationID: Int64 = 0x5044_4B31
    package static let schemaVersion: Int64 = 1

    package let path: String
    private let connection: SQLiteConnection

    /// Opens (creating if absent) the database at `path` and checks it is ours.
    package init(path: String) throws {
        self.path = path
        do {
            connection = try SQLiteConnection(path: path, create: true)
            try connection.execute("PRAGMA busy_timeout = 5000")
            let appID = try connection.pragmaInt("application_id")
            let version = try connection.pragmaInt("user_version")
            let tables = try Self.tableNames(connection)
            if appID == 0 && version == 0 && tables.isEmpty {
                try connection.execute("PRAGMA journal_mode = WAL")
                try connection.execute(Self.schema)
                try connection.execute("PRAGMA application_id = \(Self.applicationID)")
                try connection.execute("PRAGMA user_version = \(Self.schemaVersion)")
            } else if appID != Self.applicationID {
                throw KeeperStorageError.foreign(
                    path: path, detail: "application_id is \(appID), tables \(tables.sorted().joined(separator: ","))")
            } else if version != Self.schemaVersion {
                throw KeeperStorageError.foreign(path: path, detail: "schema version \(version), expected \(Self.schemaVersion)")
            }
            let mode = try connection.pragmaText("journal_mode = WAL")
            guard mode.lowercased() == "wal" else {
                throw KeeperStorageError.corrupt(path: path, detail: "cannot enable WAL (journal_mode=\(mode))")
            }
            // FULL: every commit is fsynced before it returns, so an acknowledged write survives
            // power loss, not just a crash of the process (STYLE.md §6: chosen explicitly).
            try connection.execute("PRAGMA synchronous = FULL")
            let check = try connection.pragmaText("quick_check")
            guard check == "ok" else { throw KeeperStorageError.corrupt(path: path, detail: "quick_check: \(check)") }
        } catch let error as SQLiteError {
            // SQLITE_NOTADB (26) and SQLITE_CORRUPT (11), with extended codes in the high bits.
            throw KeeperStorageError.corrupt(path: path, detail: error.description)
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
        let meta = try readMeta()
        let appliedIndex = try logIndex(meta["applied_index"] ?? 0, "applied_index")
        let applied = AppliedMark(
            index: appliedIndex, term: try term(meta["applied_term"] ?? 0, "applied_term"),
            zxid: Zxid(meta["applied_zxid"] ?? 0))
        let storedVote = meta["hs_vote"] ?? 0
        guard let vote = Int(exactly: storedVote), vote >= 0 else {
            throw KeeperStorageError.badRecord(path: path, detail: "hs_vote: \(storedVote)")
        }
        let hardState = HardState(
            term: try term(meta["hs_term"] ?? 0, "hs_term"), vote: vote == 0 ? nil : NodeID(vote),
            commit: LogIndex(meta["hs_commit"] ?? 0))

        var rows: [(path: String, node: ZNode)] = []
        let nodes = try connection.prepare(
            "SELECT path, data, acl, czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeral_owner, pzxid FROM znodes"
        )
        while try nodes.step() {
            guard let path = nodes.text(0), let aclText = nodes.text(2) else {
                throw KeeperStorageError.badRecord(path: self.path, detail: "znode row without path or acl")
            }
            let data: ByteBuffer? = nodes.withBlob(1) { bytes in bytes.map { ByteBuffer(bytes: $0) } }
            guard let acl = Self.decodeACL(aclText) else {
                throw KeeperStorageError.badRecord(path: self.path, detail: "acl of \(path)")
            }
            let node = ZNode(
                data: data, acl: acl, czxid: nodes.int64(3), mzxid: nodes.int64(4), ctime: nodes.int64(5),
                mtime: nodes.int64(6), version: try int32(nodes.int64(7), "version of \(path)"),
                cversion: try int32(nodes.int64(8), "cversion of \(path)"),
                aversion: try int32(nodes.int64(9), "aversion of \(path)"),
                ephemeralOwner: nodes.int64(10), pzxid: nodes.int64(11)
            )
            rows.append((path, node))
        }
        for (path, _) in rows where path != "/" {
            guard PathValidation.validate(path) == nil else {
                throw KeeperStorageError.badRecord(path: self.path, detail: "invalid znode path \(path)")
            }
        }
        if !rows.isEmpty {
            // The built-in nodes (/, /zookeeper, /zookeeper/quota, /zookeeper/config) get a row only
            // once they change, and restoring replaces the whole tree: take the unchanged ones from
            // a fresh tree, or a restart would lose them.
            let fresh = DataTree(config: config)
            let present = Set(rows.map(\.path))
            for (path, node) in fresh.nodes.sorted(by: { $0.key < $1.key }) where !present.contains(path) {
                rows.append((path, node))
            }
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
        let log = try connection.prepare("SELECT idx, term, entry FROM log WHERE idx > ? ORDER BY idx")
        try log.bind(1, appliedIndex.rawValue)
        var lastIndex = appliedIndex
        while try log.step() {
            let index = LogIndex(log.int64(0))
            let entryTerm = try term(log.int64(1), "log row \(index.rawValue) term")
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
            let last = try connection.prepare("SELECT max(idx) FROM log")
            if try last.step(), !last.isNull(0) { lastIndex = max(lastIndex, LogIndex(last.int64(0))) }
            last.reset()
        }
        let tree = DataTree(restoring: rows, sessions: sessions, lastZxid: applied.zxid, config: config)
        return LoadedState(tree: tree, applied: applied, hardState: hardState, tail: tail, lastIndex: lastIndex)
    }

    /// A term column: this code writes terms below `Int64.max` only (`commit` refuses larger ones).
    private func term(_ value: Int64, _ field: String) throws -> Term {
        guard let raw = UInt64(exactly: value) else {
            throw KeeperStorageError.badRecord(path: path, detail: "\(field): negative term \(value)")
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

    private func readMeta() throws -> [String: Int64] {
        let statement = try connection.prepare("SELECT key, value FROM meta")
        var meta: [String: Int64] = [:]
        while try statement.step() { if let key = statement.text(0) { meta[key] = statement.int64(1) } }
        return meta
    }

    // MARK: - Write

    /// Writes `batch` in one SQLite transaction; durable (fsynced) when this returns.
    package func commit(_ batch: ReplicaWrite) throws {
        guard !batch.isEmpty else { return }
        try connection.transaction {
            if batch.replaceTree {
                try connection.execute("DELETE FROM znodes; DELETE FROM sessions; DELETE FROM log;")
            }
            if let first = batch.entries.first {
                let truncate = try connection.prepare("DELETE FROM log WHERE idx >= ?")
                try truncate.bind(1, first.index.rawValue)
                try truncate.step()
                truncate.reset()
                let insert = try connection.prepare("INSERT INTO log (idx, term, zxid, entry) VALUES (?, ?, ?, ?)")
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
                try setMeta("hs_term", try storedTerm(hard.term))
                try setMeta("hs_vote", Int64(hard.vote?.rawValue ?? 0))
                try setMeta("hs_commit", hard.commit.rawValue)
            }
            if !batch.nodes.isEmpty {
                let upsert = try connection.prepare(
                    """
                    INSERT OR REPLACE INTO znodes (path, data, acl, czxid, mzxid, ctime, mtime, version, cversion,
                        aversion, ephemeral_owner, pzxid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let delete = try connection.prepare("DELETE FROM znodes WHERE path = ?")
                for (path, node) in batch.nodes {
                    guard let node else {
                        try delete.bind(1, path)
                        try delete.step()
                        try resetForReuse(delete)
                        continue
                    }
                    try upsert.bind(1, path)
                    if let data = node.data {
                        try data.withUnsafeReadableBytes { try upsert.bind(2, bytes: $0) }
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
            if !batch.sessions.isEmpty {
                let upsert = try connection.prepare(
                    "INSERT OR REPLACE INTO sessions (id, timeout, password, owner) VALUES (?, ?, ?, ?)")
                let delete = try connection.prepare("DELETE FROM sessions WHERE id = ?")
                for (id, record) in batch.sessions {
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
            if let applied = batch.applied {
                try setMeta("applied_index", applied.index.rawValue)
                try setMeta("applied_term", try storedTerm(applied.term))
                try setMeta("applied_zxid", applied.zxid.rawValue)
            }
            if let through = batch.compactThrough {
                let compact = try connection.prepare("DELETE FROM log WHERE idx <= ?")
                try compact.bind(1, through.rawValue)
                try compact.step()
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

    private func setMeta(_ key: String, _ value: Int64) throws {
        let statement = try connection.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        try statement.bind(1, key)
        try statement.bind(2, value)
        try statement.step()
    }

    /// Checkpoints the WAL into the main file (on shutdown and after large batches).
    /// Hands WAL checkpoints to a `WALCheckpointer` on another thread: SQLite's automatic
    /// checkpoint runs inside the commit that crosses its threshold (1000 pages), copying and
    /// fsyncing the database file while every write queued behind that commit waits.
    package func makeCheckpointer() throws -> WALCheckpointer {
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        return try WALCheckpointer(path: path)
    }

    package func checkpoint() throws {
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    package func close() { connection.close() }

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

    /// The schema from `Schemas/keeper.sql` (kept identical; a test compares them).
    package static let schema = """
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS log (
            idx   INTEGER PRIMARY KEY,
            term  INTEGER NOT NULL,
            zxid  INTEGER NOT NULL,
            entry BLOB    NOT NULL
        );
        CREATE TABLE IF NOT EXISTS znodes (
            path            TEXT PRIMARY KEY,
            data            BLOB,
            acl             TEXT    NOT NULL,
            czxid           INTEGER NOT NULL,
            mzxid           INTEGER NOT NULL,
            ctime           INTEGER NOT NULL,
            mtime           INTEGER NOT NULL,
            version         INTEGER NOT NULL,
            cversion        INTEGER NOT NULL,
            aversion        INTEGER NOT NULL,
            ephemeral_owner INTEGER NOT NULL,
            pzxid           INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS sessions (
            id       INTEGER PRIMARY KEY,
            timeout  INTEGER NOT NULL,
            password BLOB    NOT NULL,
            owner    INTEGER NOT NULL
        );
        """
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
        try connection.execute("PRAGMA busy_timeout = 5000")
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
