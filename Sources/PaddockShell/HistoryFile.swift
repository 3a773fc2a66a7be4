import Foundation

/// The interactive shell's line history on disk: one line per entry, appended as lines are entered,
/// the newest `limit` loaded at start. `~/.paddock_history`, or `$PADDOCK_SHELL_HISTORY`.
struct HistoryFile {
    let path: String
    let limit: Int

    init(path: String, limit: Int = 1000) {
        self.path = path
        self.limit = limit
    }

    static func defaultPath(environment: [String: String]) -> String {
        if let path = environment["PADDOCK_SHELL_HISTORY"], !path.isEmpty { return path }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.paddock_history"
    }

    /// The newest entries, oldest first. A file grown past twice the limit is cut back to the limit.
    func load() -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n").map(String.init)
        let kept = Array(lines.suffix(limit))
        if lines.count > 2 * limit {
            // Best effort: a history that cannot be rewritten is still usable as it is.
            try? (kept.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        return kept
    }

    /// Appends one entry. History is a convenience: a file that cannot be written is skipped silently.
    func append(_ line: String) {
        guard let handle = FileHandle(forWritingAtPath: path) ?? create() else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }

    private func create() -> FileHandle? {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            return nil
        }
        return FileHandle(forWritingAtPath: path)
    }
}
