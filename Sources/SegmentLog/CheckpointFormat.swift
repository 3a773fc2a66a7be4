/// Kafka's checkpoint text format (`CheckpointFile.java`, `OffsetCheckpointFile.java`,
/// `LeaderEpochCheckpointFile.java`): a version line (`0`), an entry-count line, then one entry per
/// line with space-separated fields. Pure: callers do the file I/O.
package enum CheckpointFormat {
    /// The only version Kafka has written.
    package static let version = 0

    /// The file's text for `entries`, each one line of space-separated fields.
    package static func render(_ entries: [[String]]) -> String {
        var text = "\(version)\n\(entries.count)\n"
        for entry in entries { text += entry.joined(separator: " ") + "\n" }
        return text
    }

    /// The entries of a checkpoint file, each with exactly `fieldCount` fields. `path` names the file
    /// in errors; line numbers count from 1.
    package static func parse(_ text: String, path: String, fieldCount: Int) throws(SegmentLogError) -> [[Substring]] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard let versionLine = lines.first else {
            throw .corruptCheckpoint(path: path, line: 1, detail: "empty file")
        }
        guard Int(versionLine) == version else {
            throw .corruptCheckpoint(path: path, line: 1, detail: "unrecognised version \"\(versionLine)\"")
        }
        guard lines.count >= 2, let count = Int(lines[1]), count >= 0 else {
            throw .corruptCheckpoint(path: path, line: 2, detail: "missing or invalid entry count")
        }
        guard lines.count - 2 == count else {
            throw .corruptCheckpoint(
                path: path, line: lines.count + 1, detail: "expected \(count) entries, found \(lines.count - 2)")
        }
        var entries: [[Substring]] = []
        for (index, line) in lines.dropFirst(2).enumerated() {
            let fields = line.split(separator: " ")
            guard fields.count == fieldCount else {
                throw .corruptCheckpoint(
                    path: path, line: index + 3, detail: "expected \(fieldCount) fields in \"\(line)\"")
            }
            entries.append(fields)
        }
        return entries
    }

    /// Parses the numeric field `name`, naming the line and field when it is not a number in
    /// `0...maximum`.
    package static func number<T: FixedWidthInteger>(
        _ field: Substring, as type: T.Type, name: String, maximum: T = .max, path: String, line: Int
    ) throws(SegmentLogError) -> T {
        guard let value = T(field), value >= 0, value <= maximum else {
            throw .corruptCheckpoint(
                path: path, line: line, detail: "\(name) \"\(field)\" is not a \(T.self) in 0...\(maximum)")
        }
        return value
    }
}

/// An offset checkpoint in a log dir's root: `recovery-point-offset-checkpoint`,
/// `replication-offset-checkpoint` (high watermarks), `log-start-offset-checkpoint` or
/// `cleaner-offset-checkpoint` (where each compacted log's last cleaning ended, `LogCleanerManager`).
/// Entries are `topic partition offset`.
package enum OffsetCheckpoint {
    package static let recoveryPointFileName = "recovery-point-offset-checkpoint"
    package static let highWatermarkFileName = "replication-offset-checkpoint"
    package static let logStartOffsetFileName = "log-start-offset-checkpoint"
    package static let cleanerOffsetFileName = "cleaner-offset-checkpoint"

    /// The file's text; entries sorted so the output is deterministic.
    package static func render(_ offsets: [TopicPartition: LogOffset]) -> String {
        CheckpointFormat.render(
            offsets.sorted { $0.key < $1.key }.map { [$0.key.topic, String($0.key.partition), String($0.value.rawValue)] })
    }

    package static func parse(_ text: String, path: String) throws(SegmentLogError) -> [TopicPartition: LogOffset] {
        var offsets: [TopicPartition: LogOffset] = [:]
        for (index, fields) in try CheckpointFormat.parse(text, path: path, fieldCount: 3).enumerated() {
            let line = index + 3
            let partition = try CheckpointFormat.number(
                fields[1], as: Int32.self, name: "partition", path: path, line: line)
            let offset = try CheckpointFormat.number(
                fields[2], as: Int64.self, name: "offset", maximum: LogOffset.largest.rawValue, path: path, line: line)
            offsets[TopicPartition(topic: String(fields[0]), partition: partition)] = LogOffset(offset)
        }
        return offsets
    }
}
