/// Per-partition log settings, named and defaulted as Kafka's topic configs (`LogConfig.java`,
/// `ServerLogConfigs.java`).
package struct LogConfig: Hashable, Sendable {
    /// Whose timestamp a batch carries (`message.timestamp.type`).
    package enum TimestampType: Hashable, Sendable {
        /// The producer's (`CreateTime`); stored as sent.
        case createTime
        /// The broker's append time (`LogAppendTime`); stamped into each batch on append.
        case logAppendTime
    }

    /// `segment.bytes`: roll when the active segment would grow past this.
    package var segmentBytes: Int = 1 << 30
    /// `segment.ms`: roll when the active segment's first batch is this much older than a new one.
    package var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.ms`: delete segments whose newest timestamp is older than this; nil keeps them (-1).
    package var retentionMs: Int64? = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete oldest segments while the partition is larger than this; nil (-1) for no limit.
    package var retentionBytes: Int64?
    /// `index.interval.bytes`: log bytes between two offset-index entries.
    package var indexIntervalBytes: Int = 4096
    /// `segment.index.bytes`: size each index file is preallocated to; a full index rolls the segment.
    package var segmentIndexBytes: Int = 10 << 20
    /// `producer.id.expiration.ms` (a broker key in Kafka, `ProducerStateManagerConfig`): an idempotent
    /// producer whose last batch is this much older than now is forgotten when a producer-state
    /// snapshot is written or loaded.
    package var producerIDExpirationMs: Int64 = 86_400_000
    /// `message.timestamp.type`.
    package var timestampType: TimestampType = .createTime
    /// The most bytes one stored batch's records may decompress to when the log reads inside it (a
    /// ListOffsets by timestamp, or the cleaner); more is reported as a corrupt batch. No Kafka
    /// equivalent: it bounds what a decompression bomb can cost.
    package var maxDecompressedBatchBytes: Int = 64 << 20
    /// `cleanup.policy`: what happens to old segments.
    package var cleanupPolicy = CleanupPolicy.delete
    /// `min.cleanable.dirty.ratio`: the share of the log (by bytes) that must be dirty, i.e. not yet
    /// compacted, before the cleaner picks it (unless `max.compaction.lag.ms` makes it due).
    package var minCleanableDirtyRatio: Double = 0.5
    /// `min.compaction.lag.ms`: a segment holding a record younger than this is not compacted yet.
    package var minCompactionLagMs: Int64 = 0
    /// `max.compaction.lag.ms`: a dirty segment whose first batch is older than this makes the log due
    /// for compaction whatever its dirty ratio.
    package var maxCompactionLagMs: Int64 = .max
    /// `delete.retention.ms`: how long a tombstone (a record with a null value) survives after the
    /// cleaner first copied it, so consumers reading the log from the start see the deletion.
    package var deleteRetentionMs: Int64 = 86_400_000

    package init() {}
}

/// `cleanup.policy` (`TopicConfig.CLEANUP_POLICY_*`): `delete`, `compact`, or both.
package struct CleanupPolicy: Hashable, Sendable, CustomStringConvertible {
    /// Segments past `retention.ms` / `retention.bytes` are deleted.
    package var delete: Bool
    /// The cleaner keeps only the latest record of each key (and drops tombstones later).
    package var compact: Bool

    package static let delete = CleanupPolicy(delete: true, compact: false)
    package static let compact = CleanupPolicy(delete: false, compact: true)
    package static let compactAndDelete = CleanupPolicy(delete: true, compact: true)

    package init(delete: Bool, compact: Bool) {
        self.delete = delete
        self.compact = compact
    }

    /// Parses Kafka's list value: comma-separated `delete` / `compact`, either order, spaces allowed;
    /// nil for anything else, or an empty list.
    package init?(parsing text: String) {
        var policy = CleanupPolicy(delete: false, compact: false)
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingWhitespace()
        }
        for item in items {
            switch item {
            case "delete": policy.delete = true
            case "compact": policy.compact = true
            default: return nil
            }
        }
        self = policy
    }

    /// Kafka's spelling: `delete`, `compact` or `compact,delete`.
    package var description: String {
        switch (compact, delete) {
        case (true, true): "compact,delete"
        case (true, false): "compact"
        default: "delete"
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (no Foundation in this module).
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
