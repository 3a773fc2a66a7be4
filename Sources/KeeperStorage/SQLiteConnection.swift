import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// Errors from libsqlite3, with the result code and `sqlite3_errmsg` text.
package struct SQLiteError: Error, CustomStringConvertible, Sendable {
    package var code: Int32
    package var message: String
    package var context: String

    package var description: String { "sqlite error \(code) during \(context): \(message)" }
}

/// The one owner of a `sqlite3*` handle (STYLE.md §6). Every return code is checked.
///
/// Not thread-safe by itself: `KeeperDatabase` confines it to one thread-pool thread at a time.
package final class SQLiteConnection {
    private var handle: OpaquePointer?
    package let path: String
    private var statements: [String: OpaquePointer] = [:]

    package init(path: String, create: Bool) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, context: "open \(path)")
        }
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { close() }

    package func close() {
        for (_, statement) in statements { sqlite3_finalize(statement) }
        statements = [:]
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: rc, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed", context: context)
    }

    /// Retries a statement that finds the file locked by another connection for up to about
    /// five seconds, then fails with SQLITE_BUSY. SQLite's own busy timeout sleeps 1, 2, 5, 10 ms
    /// and up between tries: a group commit that met a WAL checkpoint holding the lock for a
    /// fraction of a millisecond slept 8 ms (strace, run K). This one polls every 50 µs for the
    /// first 20 ms, then every millisecond.
    package func retryWhenBusy() {
        sqlite3_busy_handler(
            handle,
            { _, tries in
                // tries counts from 0: 400 short waits (20 ms), then 4,980 of 1 ms.
                guard tries < 5_380 else { return 0 }
                usleep(tries < 400 ? 50 : 1_000)
                return 1
            }, nil)
    }

    /// Runs one or more statements without results.
    package func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(message)
            throw SQLiteError(code: rc, message: text, context: String(sql.prefix(60)))
        }
    }

    /// `sqlite3_wal_checkpoint_v2(PASSIVE)`: copies the committed WAL frames it can into the
    /// database file without waiting for (or holding up) a writer. Returns the frames in the WAL
    /// and how many of them are now in the database file.
    ///
    /// With `restart`, it waits (busy timeout) for the writer between commits and makes the next
    /// commit start the WAL over from its beginning, so a WAL under constant writes stops growing.
    package func walCheckpoint(restart: Bool) throws -> (walFrames: Int, checkpointed: Int) {
        var log: Int32 = 0
        var done: Int32 = 0
        let mode = restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, mode, &log, &done)
        guard rc == SQLITE_OK else { throw error(rc, restart ? "wal_checkpoint(RESTART)" : "wal_checkpoint(PASSIVE)") }
        return (Int(log), Int(done))
    }

    /// A cached prepared statement, reset and with cleared bindings.
    package func prepare(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return SQLiteStatement(handle: cached, connection: self, sql: sql)
        }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw error(rc, "prepare \(sql.prefix(60))")
        }
        statements[sql] = statement
        return SQLiteStatement(handle: statement, connection: self, sql: sql)
    }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back if it throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // The original error matters more than a failed rollback; the connection is unusable
            // either way and the caller stops.
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `PRAGMA name` as an integer.
    package func pragmaInt(_ name: String) throws -> Int64 {
        let statement = try prepare("PRAGMA \(name)")
        defer { statement.reset() }
        guard try statement.step() else { throw error(SQLITE_ERROR, "PRAGMA \(name) returned no row") }
        return statement.int64(0)
    }

    /// `PRAGMA name` as text.
    package func pragmaText(_ name: String) throws -> String {
        let statement = try prepare("PRAGMA \(name)")
        defer { statement.reset() }
        guard try statement.step() else { throw error(SQLITE_ERROR, "PRAGMA \(name) returned no row") }
        return statement.text(0) ?? ""
    }

    fileprivate func check(_ rc: Int32, _ context: @autoclosure () -> String) throws {
        guard rc == SQLITE_OK else { throw error(rc, context()) }
    }

    fileprivate func stepError(_ rc: Int32, _ sql: String) -> SQLiteError { error(rc, "step \(sql.prefix(60))") }
}

/// A prepared statement borrowed from its connection's cache.
package struct SQLiteStatement {
    fileprivate let handle: OpaquePointer
    fileprivate let connection: SQLiteConnection
    fileprivate let sql: String

    package var sqlText: String { sql }

    package func bind(_ index: Int32, _ value: Int64) throws {
        try connection.check(sqlite3_bind_int64(handle, index, value), "bind \(index)")
    }

    package func bind(_ index: Int32, _ value: String) throws {
        try connection.check(sqlite3_bind_text(handle, index, value, -1, csqlite_transient()), "bind \(index)")
    }

    package func bindNull(_ index: Int32) throws {
        try connection.check(sqlite3_bind_null(handle, index), "bind \(index)")
    }

    package func bind(_ index: Int32, bytes: UnsafeRawBufferPointer) throws {
        // A zero-length blob must not bind as NULL: pass a valid pointer.
        let rc: Int32
        if bytes.count == 0 {
            rc = sqlite3_bind_zeroblob(handle, index, 0)
        } else {
            // The 64-bit length never traps; SQLite answers SQLITE_TOOBIG past its own limit.
            rc = sqlite3_bind_blob64(handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), csqlite_transient())
        }
        try connection.check(rc, "bind \(index)")
    }

    package func bind(_ index: Int32, bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try bind(index, bytes: $0) }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    package func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.stepError(rc, sql)
        }
    }

    /// Resets the statement for another execution and clears its bindings.
    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    package func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: pointer)
    }

    /// The column's bytes, valid until the next step; nil for NULL.
    package func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        if sqlite3_column_type(handle, column) == SQLITE_NULL { return try body(nil) }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    package func blob(_ column: Int32) -> [UInt8]? {
        withBlob(column) { $0.map { [UInt8]($0) } }
    }
}
