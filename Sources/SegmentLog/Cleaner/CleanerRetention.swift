/// What the cleaner keeps of each batch and record it copies (Kafka's `Cleaner.cleanInto` filter,
/// `Cleaner.shouldRetainRecord` and `MemoryRecords.filterTo`). Pure: the offset map, the producers'
/// last offsets and `now` come in as arguments.
///
/// A record is kept when it is the latest of its key in the map (or lies past what the map covers);
/// a tombstone (null value) only until its batch's delete horizon, which the cleaner stamps as
/// `now + delete.retention.ms` the first time it copies a batch holding one (KIP-534: the batch's
/// base timestamp, attribute bit 6). A batch left without records is dropped, unless it is the last
/// batch of an idempotent producer (its header carries the producer's last sequence and epoch) or
/// the last batch before the end of the cleaned range (it carries the range's last offset): those
/// stay as empty batches.
///
/// Divergences from Kafka: a record without a key is kept (Kafka's cleaner drops it as invalid;
/// produce refuses keyless records to compacted topics, so only a topic whose policy changed could
/// hold one). Control batches are kept whole: Paddock has no transactions, so there are no
/// transaction markers to expire and no aborted records to drop.
package enum CleanerRetention {
    /// A batch as the filter sees it.
    package struct Batch: Hashable, Sendable {
        package var baseOffset: Int64
        package var lastOffset: Int64
        package var producerID: Int64
        package var isControl: Bool
        /// The delete horizon already stamped on the batch (attribute bit 6), if any.
        package var deleteHorizon: Int64?

        package init(
            baseOffset: Int64, lastOffset: Int64, producerID: Int64 = -1, isControl: Bool = false,
            deleteHorizon: Int64? = nil
        ) {
            self.baseOffset = baseOffset
            self.lastOffset = lastOffset
            self.producerID = producerID
            self.isControl = isControl
            self.deleteHorizon = deleteHorizon
        }
    }

    /// A record as the filter sees it.
    package struct Record: Hashable, Sendable {
        package var offset: Int64
        /// Hash of its key; nil for a record without a key.
        package var key: KeyHash?
        /// Its value is null.
        package var isTombstone: Bool

        package init(offset: Int64, key: KeyHash?, isTombstone: Bool) {
            self.offset = offset
            self.key = key
            self.isTombstone = isTombstone
        }
    }

    /// What becomes of one batch.
    package enum Outcome: Hashable, Sendable {
        /// Copied byte for byte.
        case keep
        /// Not copied.
        case drop
        /// Its header alone, without records (same offsets, producer id, epoch and sequence).
        case empty
        /// Re-encoded with only the records at `retained` (indices into its records, ascending);
        /// `deleteHorizon` is stamped when set, else the batch keeps the horizon it had.
        case rewrite(retained: [Int], deleteHorizon: Int64?)
    }

    /// What the filter needs besides the batch.
    package struct Context: Sendable {
        package var map: KeyOffsetMap
        /// Last offset of the last data batch of each idempotent producer the log knows.
        package var producerLastOffsets: [Int64: Int64]
        /// The end of this cleaning round (the first offset it does not clean).
        package var upperBoundOffset: Int64
        package var now: Int64
        package var deleteRetentionMs: Int64

        package init(
            map: KeyOffsetMap, producerLastOffsets: [Int64: Int64], upperBoundOffset: Int64, now: Int64,
            deleteRetentionMs: Int64
        ) {
            self.map = map
            self.producerLastOffsets = producerLastOffsets
            self.upperBoundOffset = upperBoundOffset
            self.now = now
            self.deleteRetentionMs = deleteRetentionMs
        }
    }

    /// Whether `record` of `batch` survives (`shouldRetainRecord`): past the map's latest offset, or
    /// without a key, it does; otherwise it must be the latest offset of its key, and a tombstone also
    /// needs its batch's delete horizon not to have passed (a batch without one keeps it).
    package static func retains(_ record: Record, of batch: Batch, map: KeyOffsetMap, now: Int64) -> Bool {
        guard record.offset <= map.latestOffset, let key = record.key else { return true }
        guard record.offset >= map.offset(of: key) else { return false }
        guard record.isTombstone else { return true }
        return batch.deleteHorizon.map { now < $0 } ?? true
    }

    /// Whether `batch` stays as an empty batch when none of its records survive (`RETAIN_EMPTY`): it is
    /// its producer's last data batch, or it ends exactly at the round's upper bound.
    package static func keepsWhenEmpty(_ batch: Batch, context: Context) -> Bool {
        if batch.producerID >= 0, context.producerLastOffsets[batch.producerID] == batch.lastOffset { return true }
        return batch.lastOffset < Int64.max && batch.lastOffset + 1 == context.upperBoundOffset
    }

    /// What becomes of `batch` holding `records` (in offset order).
    package static func filter(_ batch: Batch, records: [Record], context: Context) -> Outcome {
        if batch.isControl { return .keep }
        let retained = records.indices.filter { retains(records[$0], of: batch, map: context.map, now: context.now) }
        if retained.isEmpty {
            guard keepsWhenEmpty(batch, context: context) else { return .drop }
            return records.isEmpty ? .keep : .empty
        }
        let stampHorizon = batch.deleteHorizon == nil && retained.contains { records[$0].isTombstone }
        if retained.count == records.count && !stampHorizon { return .keep }
        let horizon = stampHorizon ? saturatingAdd(context.now, max(context.deleteRetentionMs, 0)) : nil
        return .rewrite(retained: retained, deleteHorizon: horizon)
    }

    /// `a + b` for `b ≥ 0`, stopping at `Int64.max` (Kafka's sum wraps negative for a huge
    /// `delete.retention.ms`, which would drop tombstones at once).
    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}
