#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Operational failures of the partition logs (STYLE.md §5): thrown, naming the file and what was
/// wrong. Corrupt durable state found at start is one of these, so the broker refuses the log dir
/// rather than serving it.
package enum SegmentLogError: Error, CustomStringConvertible, Sendable {
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// A checkpoint file does not follow Kafka's checkpoint format.
    case corruptCheckpoint(path: String, line: Int, detail: String)
    /// A producer-state snapshot (`<offset>.snapshot`) that is not Kafka's version-1 format or fails
    /// its CRC. Not fatal: the log deletes it and uses an older one, or rebuilds from the batches.
    case corruptProducerSnapshot(path: String, detail: String)
    /// Log data that recovery may not truncate away (it lies below the recovery point, i.e. it was
    /// flushed), or a segment whose name or offsets contradict its contents.
    case corruptSegment(path: String, position: Int, detail: String)
    /// A stored batch whose header is sound but whose records cannot be read: they do not decompress
    /// (the detail names the codec) or do not decode. Kafka answers CORRUPT_MESSAGE for the partition.
    case corruptRecords(path: String, position: Int, detail: String)
    /// A partition directory's `partition.metadata` (KIP-516) that is not Kafka's format; `field` is
    /// `version` or `topic_id`, or `size` for a file too large to be one.
    case corruptPartitionMetadata(path: String, field: String, detail: String)
    /// A directory in a log dir that is not `<topic>-<partition>`.
    case unexpectedDirectory(path: String)
    /// An append the log cannot take, refused before anything was written: its offsets would not fit
    /// one segment's 32-bit relative offsets or would pass `LogOffset.largest`, or its leader epoch is
    /// negative or older than the log's.
    case appendRefused(path: String, detail: String)

    package var description: String {
        switch self {
        case .io(let path, let operation, let errno):
            "\(operation) \(path) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .corruptCheckpoint(let path, let line, let detail):
            "\(path) line \(line) is not a valid checkpoint: \(detail)"
        case .corruptProducerSnapshot(let path, let detail):
            "\(path) is not a valid producer snapshot: \(detail)"
        case .corruptSegment(let path, let position, let detail):
            "\(path) is corrupt at byte \(position): \(detail)"
        case .corruptRecords(let path, let position, let detail):
            "\(path) holds an unreadable batch at byte \(position): \(detail)"
        case .corruptPartitionMetadata(let path, let field, let detail):
            "\(path) is not a valid partition metadata file: field \(field): \(detail)"
        case .unexpectedDirectory(let path):
            "\(path) is not a partition directory (expected <topic>-<partition>)"
        case .appendRefused(let path, let detail):
            "append to \(path) refused: \(detail)"
        }
    }
}
