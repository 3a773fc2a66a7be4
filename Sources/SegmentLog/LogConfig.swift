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
    /// ListOffsets by timestamp); more is reported as a corrupt batch. No Kafka equivalent: it bounds
    /// what a decompression bomb can cost.
    package var maxDecompressedBatchBytes: Int = 64 << 20

    package init() {}
}
