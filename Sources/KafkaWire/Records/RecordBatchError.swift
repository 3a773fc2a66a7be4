/// Why a RecordBatch (or a record inside one) was refused. Thrown by the record-batch parsers and
/// the produce validator; `position` is the batch's byte offset inside the buffer it was read from.
///
/// Kafka error codes the broker answers with (`LogValidator`, `ByteBufferLogInputStream`):
/// `unsupportedMagic` → UNSUPPORTED_FOR_MESSAGE_FORMAT (43) for magic 0/1, CORRUPT_MESSAGE (2)
/// otherwise; `truncated`, `batchLengthTooSmall`, `crcMismatch`, `malformedRecord` → CORRUPT_MESSAGE (2);
/// `batchTooLarge` → MESSAGE_TOO_LARGE (10, `RecordTooLargeException`); `invalidRecordCount`, `controlBatchFromClient`,
/// `noBatches` → INVALID_RECORD (87).
package enum RecordBatchError: Error, Hashable, Sendable {
    /// Fewer bytes remain than `field` needs (a batch cut short, or a record running past its batch).
    case truncated(position: Int, field: String, needed: Int, available: Int)
    /// `batchLength` is below the 49 bytes a v2 header needs after the length field.
    case batchLengthTooSmall(position: Int, batchLength: Int32)
    /// The magic byte is not 2: an old message format (0, 1) or garbage.
    case unsupportedMagic(position: Int, magic: Int8)
    /// The CRC-32C stored in the header differs from the one computed over attributes..end.
    case crcMismatch(position: Int, stored: UInt32, computed: UInt32)
    /// `recordCount` is not positive or disagrees with `lastOffsetDelta` (Kafka requires
    /// `lastOffsetDelta == recordCount - 1` for every produced v2 batch, compressed or not).
    case invalidRecordCount(position: Int, recordCount: Int32, lastOffsetDelta: Int32)
    /// A batch larger than `max.message.bytes`.
    case batchTooLarge(position: Int, size: Int, limit: Int)
    /// Clients may not produce control batches (transaction markers); only coordinators write them.
    case controlBatchFromClient(position: Int)
    /// The payload holds no batch at all.
    case noBatches
    /// A record inside an uncompressed batch cannot be decoded: `field` names the part that failed.
    case malformedRecord(field: String, detail: String)
    /// Records were asked for from a batch whose records are compressed (codec id as in the attributes).
    case compressedRecords(codec: Int16)
    /// A batch fetched from a leader starts before the previous one (or the follower's log) ends.
    case offsetsOutOfOrder(position: Int, baseOffset: Int64, expected: Int64)
    /// A batch fetched from a leader carries a negative partition leader epoch.
    case invalidLeaderEpoch(position: Int, epoch: Int32)
}
