import KafkaWire
import NIOCore
import RecordCompression

@testable import SegmentLog

/// One record to write: a key (nil for none) and a value (nil for a tombstone).
struct KeyedRecord: Hashable {
    var key: String?
    var value: String?

    init(_ key: String?, _ value: String?) {
        self.key = key
        self.value = value
    }
}

/// One record read back from a log.
struct ReadRecord: Hashable, CustomStringConvertible {
    var offset: Int64
    var key: String?
    var value: String?
    var timestamp: Int64

    var description: String { "\(offset):\(key ?? "∅")=\(value ?? "⊥")@\(timestamp)" }
}

/// A batch of `records`, record i stamped `timestamp + i`, compressed with `codec` when given, of an
/// idempotent producer when `producerID` is set.
func keyedBatch(
    _ records: [KeyedRecord], timestamp: Int64 = 1_000, codec: CompressionCodec? = nil, producerID: Int64 = -1,
    producerEpoch: Int16 = -1, baseSequence: Int32 = -1
) throws -> ProduceRecordBatches {
    let batch = UncompressedRecordBatch.encode(
        records: records.enumerated().map { index, record in
            BatchRecord(
                timestampDelta: Int64(index), offsetDelta: Int32(index), key: record.key.map { ByteBuffer(string: $0) },
                value: record.value.map { ByteBuffer(string: $0) },
                headers: [.init(key: "h", value: ByteBuffer(string: "\(index)"))])
        },
        baseTimestamp: timestamp, producerId: producerID, producerEpoch: producerEpoch, baseSequence: baseSequence)
    guard let codec else { return try ProduceRecordBatches(validating: batch, maxBatchBytes: 1 << 30) }
    let section = batch.getSlice(at: RecordBatchHeader.size, length: batch.readableBytes - RecordBatchHeader.size)!
    return try ProduceRecordBatches(
        validating: replacingRecordsSection(
            of: batch, with: RecordCompression.compress(section, codec: codec), codec: codec.rawValue),
        maxBatchBytes: 1 << 30)
}

/// A compacted log's config: small segments so a few batches roll several.
func compactedConfig(segmentBytes: Int = 400, deleteRetentionMs: Int64 = 1_000) -> LogConfig {
    var config = LogConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = segmentBytes
    config.minCleanableDirtyRatio = 0.01
    config.deleteRetentionMs = deleteRetentionMs
    config.indexIntervalBytes = 64
    config.segmentMs = 100_000
    return config
}

/// Appends one record of key `tail` stamped far after anything before it, so it rolls a new segment
/// (`segment.ms` of `compactedConfig`): everything before it becomes cleanable. Moves the high
/// watermark to the log end.
func appendTail(_ log: PartitionLog, _ value: String = "t") throws {
    let timestamp = 1_000_000 + log.logEndOffset.rawValue * 200_000
    _ = try log.append(try keyedBatch([.init("tail", value)], timestamp: timestamp), leaderEpoch: 0, now: timestamp)
    log.updateHighWatermark(log.logEndOffset)
}

/// Every batch header and record of `log` from its start to its end, decompressing as needed.
func readEverything(_ log: PartitionLog) throws -> (headers: [RecordBatchHeader], records: [ReadRecord]) {
    var headers: [RecordBatchHeader] = []
    var records: [ReadRecord] = []
    var offset = log.logStartOffset
    while offset < log.logEndOffset {
        guard case .batches(let bytes) = try log.read(from: offset, maxBytes: 1 << 20), bytes.readableBytes > 0 else {
            break
        }
        var position = bytes.readerIndex
        while position < bytes.writerIndex {
            let header = try RecordBatchHeader(verifying: bytes, at: position)
            let batch = bytes.getSlice(at: position, length: header.totalSize)!
            headers.append(header)
            for record in try header.records(in: batch, maxDecompressedBytes: 1 << 24) {
                records.append(
                    ReadRecord(
                        offset: header.baseOffset + Int64(record.offsetDelta),
                        key: record.key.map { String(buffer: $0) }, value: record.value.map { String(buffer: $0) },
                        timestamp: header.timestamp(of: record)))
            }
            position += header.totalSize
            offset = LogOffset(header.nextOffset)
        }
    }
    return (headers, records)
}

/// One full cleaning of `log` at `now`, as the broker's cleaner does it (the swap in the same thread).
@discardableResult
func cleanOnce(
    _ log: PartitionLog, now: Int64, cleaner: inout LogCleaner
) throws -> LogCleaner.Outcome? {
    guard let source = try log.beginCleaning(now: now) else { return nil }
    let outcome = try cleaner.clean(source, now: now) { try log.replaceSegments(with: $0) }
    if case .cleaned(let endOffset, _) = outcome { log.cleaningFinished(source, endOffset: endOffset) }
    return outcome
}

/// The latest record of each key among `records` (what a fully compacted log keeps, tombstones aside).
func latestByKey(_ records: [ReadRecord]) -> [String: ReadRecord] {
    var latest: [String: ReadRecord] = [:]
    for record in records {
        if let key = record.key { latest[key] = record }
    }
    return latest
}
