/// The idempotent producers' state of one partition (Kafka's `ProducerStateManager` and
/// `ProducerAppendInfo.checkSequence`, KIP-98; unknown producers as after KIP-360). Pure: the log
/// feeds it the batches it appends, as leader or follower, and asks it before a leader append.
///
/// Per producer id it keeps the epoch and the last `maxBatchesPerProducer` batches' sequence
/// ranges and offsets, so that a batch a producer sends again after a lost answer is recognised and
/// answered with the offsets it was first written at, never written twice.
///
/// Rules for a batch with producer id ≥ 0 (non-idempotent batches, id -1, are never checked):
/// - An epoch below the producer's is fenced: INVALID_PRODUCER_EPOCH.
/// - A new epoch must start at sequence 0: OUT_OF_ORDER_SEQUENCE_NUMBER, or UNKNOWN_PRODUCER_ID when
///   the producer is not known at all (its state expired or was never written here).
/// - Within the epoch, a batch whose sequences equal one of the kept batches is a duplicate; any
///   other batch must start right after the last one (sequences wrap from Int32.max to 0), else
///   OUT_OF_ORDER_SEQUENCE_NUMBER.
///
/// A producer-state snapshot (`ProducerSnapshot`) keeps only each producer's last batch, as Kafka's
/// does: after a restart from a snapshot, a retry of an older in-flight batch is no longer recognised
/// as a duplicate (it is out of order instead) until the producer's later batches are appended again.
/// Duplicates of the other in-flight batches are detected only while the state is in memory.
package struct ProducerStateTable: Hashable, Sendable {
    /// Kafka's `ProducerStateEntry.NumBatchesToRetain`: the in-flight limit of an idempotent producer.
    package static let maxBatchesPerProducer = 5

    /// One appended batch of a producer.
    package struct BatchMetadata: Hashable, Sendable {
        package var firstSequence: Int32
        package var lastSequence: Int32
        package var firstOffset: LogOffset
        package var lastOffset: LogOffset
        package var maxTimestamp: Int64

        package init(
            firstSequence: Int32, lastSequence: Int32, firstOffset: LogOffset, lastOffset: LogOffset,
            maxTimestamp: Int64
        ) {
            self.firstSequence = firstSequence
            self.lastSequence = lastSequence
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.maxTimestamp = maxTimestamp
        }
    }

    /// What the table knows of one producer.
    package struct Entry: Hashable, Sendable {
        package var epoch: Int16
        /// Oldest first, at most `maxBatchesPerProducer`. Empty only for an entry loaded from a snapshot
        /// that Kafka wrote without a batch (LastOffset -1).
        package var batches: [BatchMetadata]
        /// The maxTimestamp of the producer's last batch (Kafka's `ProducerStateEntry.lastTimestamp`):
        /// what `producer.id.expiration.ms` counts from.
        package var lastTimestamp: Int64
    }

    /// The outcome of checking a batch before a leader appends it.
    package enum Check: Hashable, Sendable {
        /// Append it.
        case append
        /// Already written: answer with these offsets and do not append.
        case duplicate(BatchMetadata)
        case outOfOrderSequence
        case invalidProducerEpoch
        case unknownProducerID
    }

    package private(set) var producers: [Int64: Entry] = [:]

    package init() {}

    /// The last sequence of a batch of `recordCount` records starting at `firstSequence` (sequences wrap).
    package static func lastSequence(firstSequence: Int32, recordCount: Int32) -> Int32 {
        let last = Int64(firstSequence) + Int64(max(recordCount, 1)) - 1
        return last > Int64(Int32.max) ? Int32(last - Int64(Int32.max) - 1) : Int32(last)
    }

    /// The sequence after `sequence` (Int32.max is followed by 0).
    package static func nextSequence(after sequence: Int32) -> Int32 {
        sequence == Int32.max ? 0 : sequence + 1
    }

    /// Whether a leader may append a batch of `producerID` at `epoch` holding sequences
    /// `firstSequence...lastSequence`.
    package func check(producerID: Int64, epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> Check {
        guard producerID >= 0 else { return .append }
        guard let entry = producers[producerID] else {
            return firstSequence == 0 ? .append : .unknownProducerID
        }
        if epoch < entry.epoch { return .invalidProducerEpoch }
        if epoch > entry.epoch { return firstSequence == 0 ? .append : .outOfOrderSequence }
        if let duplicate = entry.batches.first(where: {
            $0.firstSequence == firstSequence && $0.lastSequence == lastSequence
        }) {
            return .duplicate(duplicate)
        }
        guard let last = entry.batches.last else { return firstSequence == 0 ? .append : .outOfOrderSequence }
        return firstSequence == Self.nextSequence(after: last.lastSequence) ? .append : .outOfOrderSequence
    }

    /// A batch was appended (by the leader after `check`, or by a follower as the leader wrote it).
    package mutating func appended(producerID: Int64, epoch: Int16, batch: BatchMetadata) {
        guard producerID >= 0 else { return }
        var entry = producers[producerID] ?? Entry(epoch: epoch, batches: [], lastTimestamp: batch.maxTimestamp)
        if epoch != entry.epoch {
            entry = Entry(epoch: epoch, batches: [], lastTimestamp: batch.maxTimestamp)
        }
        entry.batches.append(batch)
        entry.lastTimestamp = batch.maxTimestamp
        if entry.batches.count > Self.maxBatchesPerProducer {
            entry.batches.removeFirst(entry.batches.count - Self.maxBatchesPerProducer)
        }
        producers[producerID] = entry
    }

    /// The log was truncated to end at `offset`: batches at or past it are forgotten, and producers
    /// left with none are dropped (Kafka rebuilds from the log; here the kept batches are what remains).
    package mutating func truncate(to offset: LogOffset) {
        for (id, entry) in producers {
            let kept = entry.batches.filter { $0.lastOffset < offset }
            if kept.isEmpty {
                producers.removeValue(forKey: id)
            } else {
                producers[id]?.batches = kept
                producers[id]?.lastTimestamp = kept[kept.count - 1].maxTimestamp
            }
        }
    }

    /// Sets what a snapshot says of `producerID`: its epoch, its last batch (nil when the snapshot has
    /// none) and the timestamp expiration counts from. Replaces anything known of it.
    package mutating func restore(producerID: Int64, epoch: Int16, lastBatch: BatchMetadata?, lastTimestamp: Int64) {
        guard producerID >= 0 else { return }
        producers[producerID] = Entry(epoch: epoch, batches: lastBatch.map { [$0] } ?? [], lastTimestamp: lastTimestamp)
    }

    /// Forgets producers whose last batch is `expirationMs` or more older than `now`
    /// (`producer.id.expiration.ms`; Kafka's `ProducerStateManager.isProducerExpired`, which has no
    /// transactions to wait for here). Timestamps are the producers' own, so the age saturates rather
    /// than overflows. Returns the expired ids, ascending.
    @discardableResult
    package mutating func removeExpired(now: Int64, expirationMs: Int64) -> [Int64] {
        let expired = producers.filter { now.saturatingSubtracting($0.value.lastTimestamp) >= expirationMs }
            .keys.sorted()
        for id in expired { producers.removeValue(forKey: id) }
        return expired
    }
}
