import NIOCore
import Testing

@testable import SegmentLog

/// The cleaner's pure parts: the offset map, which log and which range to clean, grouping, and what
/// of each batch and record survives (Kafka's `LogCleanerManagerTest`, `SkimpyOffsetMapTest`,
/// `LogCleanerTest` cases, without files).
@Suite struct KeyOffsetMapTests {
    private func hash(_ key: String) -> KeyHash { KeyHash(of: ByteBuffer(string: key)) }

    @Test func theLatestOffsetOfEachKeyWins() {
        var map = KeyOffsetMap(memory: 24 * 100)
        map.put(hash("a"), offset: 1)
        map.put(hash("b"), offset: 2)
        map.put(hash("a"), offset: 7)
        #expect(map.offset(of: hash("a")) == 7)
        #expect(map.offset(of: hash("b")) == 2)
        #expect(map.offset(of: hash("c")) == -1)
        #expect(map.count == 2)
        #expect(map.latestOffset == 7)
        map.updateLatestOffset(20)
        #expect(map.latestOffset == 20)
    }

    /// `memory / 24` slots, filled to 90% at most: the cleaner stops mapping when it is full.
    @Test func theMapIsBoundedByItsMemory() {
        var map = KeyOffsetMap(memory: 24 * 100)
        #expect(map.slots == 100)
        #expect(map.maxEntries == 90)
        for index in 0..<90 {
            #expect(!map.isFull)
            map.put(hash("key-\(index)"), offset: Int64(index))
        }
        #expect(map.isFull)
        #expect(map.utilization == 0.9)
        for index in 0..<90 { #expect(map.offset(of: hash("key-\(index)")) == Int64(index)) }
        map.clear()
        #expect(map.count == 0 && map.latestOffset == -1 && map.offset(of: hash("key-3")) == -1)
    }

    /// Keys whose hashes collide on every spread probe still find their own slots (linear probing), also
    /// when the map is full to the last slot.
    @Test func collidingHashesProbeToTheirOwnSlots() {
        var map = KeyOffsetMap(memory: 24 * 8, loadFactor: 1)
        let colliding = (0..<8).map { KeyHash(high: 0, low: UInt64($0) << 32) }
        for (index, key) in colliding.enumerated() { map.put(key, offset: Int64(index)) }
        for (index, key) in colliding.enumerated() { #expect(map.offset(of: key) == Int64(index)) }
        #expect(map.offset(of: KeyHash(high: 1, low: 1)) == -1)
    }

    @Test func keysHashAsMD5() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        #expect(hash("") == KeyHash(high: 0xd41d_8cd9_8f00_b204, low: 0xe980_0998_ecf8_427e))
    }
}

@Suite struct LogCleaningPlannerTests {
    private typealias Segment = LogCleaningPlanner.Segment

    /// Segments of `size` bytes based at `bases`, the last active; record timestamps = base.
    private func log(
        _ bases: [Int64], size: Int = 100, end: Int64? = nil, highWatermark: Int64? = nil, checkpoint: Int64? = nil,
        start: Int64 = 0
    ) -> LogCleaningPlanner.LogSummary {
        let logEnd = end ?? (bases.last! + 10)
        return LogCleaningPlanner.LogSummary(
            segments: bases.map {
                Segment(baseOffset: $0, size: size, largestTimestamp: $0, firstBatchTimestamp: $0)
            },
            logStartOffset: start, logEndOffset: logEnd, highWatermark: highWatermark ?? logEnd,
            cleanerCheckpoint: checkpoint)
    }

    private var config: LogConfig {
        var config = LogConfig()
        config.cleanupPolicy = .compact
        return config
    }

    @Test func aNeverCleanedLogIsDirtyFromItsStartToItsActiveSegment() {
        let section = LogCleaningPlanner.dirtySection(of: log([0, 10, 20, 30]), config: config, now: 1_000)
        #expect(section.firstDirtyOffset == 0)
        #expect(section.firstUncleanableOffset == 30)
        #expect(section.cleanBytes == 0)
        #expect(section.cleanableBytes == 300)
        #expect(section.dirtyRatio == 1)
        #expect(!section.checkpointReset)
    }

    @Test func theCheckpointSplitsCleanFromDirty() {
        let section = LogCleaningPlanner.dirtySection(
            of: log([0, 10, 20, 30], checkpoint: 20), config: config, now: 1_000)
        #expect(section.firstDirtyOffset == 20)
        #expect(section.cleanBytes == 200)
        #expect(section.cleanableBytes == 100)
        #expect(abs(section.dirtyRatio - 1.0 / 3) < 1e-9)
    }

    /// A checkpoint below the log start or past its end is replaced by the log start (`cleanableOffsets`).
    @Test(arguments: [Int64(5), 99]) func aCheckpointOutsideTheLogIsReset(checkpoint: Int64) {
        let section = LogCleaningPlanner.dirtySection(
            of: log([10, 20, 30], checkpoint: checkpoint, start: 10), config: config, now: 1_000)
        #expect(section.firstDirtyOffset == 10)
        #expect(section.checkpointReset)
    }

    /// The high watermark ends the cleanable range, rounded down to its segment's base.
    @Test func cleaningStopsBelowTheHighWatermarksSegment() {
        let section = LogCleaningPlanner.dirtySection(
            of: log([0, 10, 20, 30], highWatermark: 15), config: config, now: 1_000)
        #expect(section.firstUncleanableOffset == 10)
        #expect(section.cleanableBytes == 100)
    }

    /// `min.compaction.lag.ms`: the first segment holding a record younger than that is not cleaned.
    @Test func segmentsYoungerThanTheMinimumLagAreNotCleaned() {
        var config = config
        config.minCompactionLagMs = 985
        // Timestamps: segment 10 holds 10, segment 20 holds 20; now - lag = 15.
        let section = LogCleaningPlanner.dirtySection(of: log([0, 10, 20, 30]), config: config, now: 1_000)
        #expect(section.firstUncleanableOffset == 20)
    }

    /// Due when strictly dirtier than `min.cleanable.dirty.ratio`, or overdue by `max.compaction.lag.ms`.
    @Test func aLogIsDueAboveItsRatioOrPastItsMaximumLag() {
        var config = config
        config.minCleanableDirtyRatio = 0.5
        let half = LogCleaningPlanner.dirtySection(
            of: log([0, 10, 20, 30, 40], checkpoint: 20), config: config, now: 50)
        #expect(half.dirtyRatio == 0.5)
        #expect(!LogCleaningPlanner.isDue(half, config: config))
        config.maxCompactionLagMs = 30
        let overdue = LogCleaningPlanner.dirtySection(
            of: log([0, 10, 20, 30, 40], checkpoint: 20), config: config, now: 55)
        // The oldest dirty first batch (20) is 5 ms past now - lag (25).
        #expect(overdue.compactionDelayMs == 5)
        #expect(LogCleaningPlanner.isDue(overdue, config: config))
        config.minCleanableDirtyRatio = 0.4
        #expect(LogCleaningPlanner.isDue(half, config: config))
    }

    @Test func nothingDirtyIsNeverDue() {
        var config = config
        config.minCleanableDirtyRatio = 0
        let clean = LogCleaningPlanner.dirtySection(of: log([0, 10], checkpoint: 10), config: config, now: 0)
        #expect(clean.cleanableBytes == 0)
        #expect(!LogCleaningPlanner.isDue(clean, config: config))
    }

    /// The dirtiest due log is cleaned first; ties go to the lowest id.
    @Test func theFilthiestDueLogIsChosen() {
        var strict = config
        strict.minCleanableDirtyRatio = 0.9
        let quarter = LogCleaningPlanner.dirtySection(
            of: log([0, 10, 20, 30, 40], checkpoint: 30), config: config, now: 0)
        let all = LogCleaningPlanner.dirtySection(of: log([0, 10]), config: config, now: 0)
        #expect(LogCleaningPlanner.filthiest([("a", quarter, config), ("b", all, config), ("c", all, config)]) == "b")
        #expect(LogCleaningPlanner.filthiest([("a", quarter, strict)]) == nil)
        #expect(LogCleaningPlanner.filthiest([(String, LogCleaningPlanner.DirtySection, LogConfig)]()) == nil)
    }

    /// `groupSegmentsBySize`: runs within `segment.bytes`, the index limit and a 32-bit offset range;
    /// empty segments always join.
    @Test func segmentsAreGroupedBySizeIndexAndOffsetRange() {
        let segments = [
            Segment(baseOffset: 0, size: 300, largestTimestamp: 0, offsetIndexBytes: 8),
            Segment(baseOffset: 10, size: 300, largestTimestamp: 0, offsetIndexBytes: 8),
            Segment(baseOffset: 20, size: 500, largestTimestamp: 0, offsetIndexBytes: 8),
            Segment(baseOffset: 30, size: 0, largestTimestamp: 0),
            Segment(baseOffset: 40, size: 100, largestTimestamp: 0, offsetIndexBytes: 16),
        ]
        #expect(
            LogCleaningPlanner.groupBySize(segments, maxSize: 1_000, maxIndexSize: 100, firstUncleanableOffset: 50)
                == [0..<2, 2..<5])
        #expect(
            LogCleaningPlanner.groupBySize(segments, maxSize: 1_000, maxIndexSize: 20, firstUncleanableOffset: 50)
                == [0..<2, 2..<4, 4..<5])
        let far = [
            Segment(baseOffset: 0, size: 10, largestTimestamp: 0),
            Segment(baseOffset: Int64(Int32.max) - 5, size: 10, largestTimestamp: 0),
            Segment(baseOffset: Int64(Int32.max) + 10, size: 10, largestTimestamp: 0),
        ]
        #expect(
            LogCleaningPlanner.groupBySize(
                far, maxSize: 1_000, maxIndexSize: 100, firstUncleanableOffset: Int64(Int32.max) + 20) == [
                    0..<1, 1..<3,
                ])
        // The last segment's range is estimated from the first uncleanable offset.
        #expect(
            LogCleaningPlanner.groupBySize(far, maxSize: 1_000, maxIndexSize: 100, firstUncleanableOffset: 1 << 40)
                == [0..<1, 1..<2, 2..<3])
    }
}

@Suite struct CleanerRetentionTests {
    private func hash(_ key: String) -> KeyHash { KeyHash(of: ByteBuffer(string: key)) }

    /// A map of `keys` → offsets, mapped up to `latest`.
    private func context(
        _ keys: [String: Int64], latest: Int64, producers: [Int64: Int64] = [:], upperBound: Int64 = 1_000,
        now: Int64 = 5_000
    ) -> CleanerRetention.Context {
        var map = KeyOffsetMap(memory: 24 * 64)
        for (key, offset) in keys.sorted(by: { $0.value < $1.value }) { map.put(hash(key), offset: offset) }
        map.updateLatestOffset(latest)
        return CleanerRetention.Context(
            map: map, producerLastOffsets: producers, upperBoundOffset: upperBound, now: now, deleteRetentionMs: 100)
    }

    private func record(_ offset: Int64, _ key: String?, tombstone: Bool = false) -> CleanerRetention.Record {
        CleanerRetention.Record(offset: offset, key: key.map(hash), isTombstone: tombstone)
    }

    @Test func onlyTheLatestRecordOfEachKeyIsKept() {
        let context = context(["a": 2, "b": 1], latest: 2)
        let batch = CleanerRetention.Batch(baseOffset: 0, lastOffset: 2)
        let outcome = CleanerRetention.filter(
            batch, records: [record(0, "a"), record(1, "b"), record(2, "a")], context: context)
        #expect(outcome == .rewrite(retained: [1, 2], deleteHorizon: nil))
    }

    /// Records past what the map covers (it filled up) and records without a key are kept.
    @Test func unmappedAndKeylessRecordsAreKept() {
        let context = context(["a": 5], latest: 5)
        let batch = CleanerRetention.Batch(baseOffset: 4, lastOffset: 7)
        let records = [record(4, "a"), record(5, "a"), record(6, nil), record(7, "a")]
        #expect(
            CleanerRetention.filter(batch, records: records, context: context)
                == .rewrite(retained: [1, 2, 3], deleteHorizon: nil))
    }

    @Test func aBatchKeptWholeIsCopiedAsItIs() {
        let context = context(["a": 0, "b": 1], latest: 1)
        let batch = CleanerRetention.Batch(baseOffset: 0, lastOffset: 1)
        #expect(CleanerRetention.filter(batch, records: [record(0, "a"), record(1, "b")], context: context) == .keep)
    }

    /// A tombstone's batch gets the delete horizon now + delete.retention.ms the first time it is copied
    /// (KIP-534); the tombstone stays until then and goes at the first cleaning after it.
    @Test func tombstonesLiveUntilTheirDeleteHorizon() {
        let batch = CleanerRetention.Batch(baseOffset: 0, lastOffset: 1)
        let records = [record(0, "a"), record(1, "b", tombstone: true)]
        let first = context(["a": 0, "b": 1], latest: 1, now: 5_000)
        #expect(
            CleanerRetention.filter(batch, records: records, context: first)
                == .rewrite(retained: [0, 1], deleteHorizon: 5_100))
        var stamped = batch
        stamped.deleteHorizon = 5_100
        let before = context(["a": 0, "b": 1], latest: 1, now: 5_099)
        #expect(CleanerRetention.filter(stamped, records: records, context: before) == .keep)
        let after = context(["a": 0, "b": 1], latest: 1, now: 5_100)
        #expect(
            CleanerRetention.filter(stamped, records: records, context: after)
                == .rewrite(retained: [0], deleteHorizon: nil))
        // A superseded tombstone goes at once, horizon or not.
        let superseded = context(["a": 0, "b": 9], latest: 9)
        #expect(
            CleanerRetention.filter(batch, records: records, context: superseded)
                == .rewrite(retained: [0], deleteHorizon: nil))
    }

    /// A huge delete.retention.ms saturates instead of wrapping to a horizon in the past.
    @Test func theHorizonSaturates() {
        var context = context(["b": 1], latest: 1)
        context.deleteRetentionMs = .max
        let batch = CleanerRetention.Batch(baseOffset: 1, lastOffset: 1)
        #expect(
            CleanerRetention.filter(batch, records: [record(1, "b", tombstone: true)], context: context)
                == .rewrite(retained: [0], deleteHorizon: .max))
    }

    /// The last batch of an idempotent producer stays, empty, so its sequence and epoch survive; so does
    /// the batch ending at the round's upper bound. Other emptied batches go.
    @Test func emptiedBatchesStayOnlyForAProducerOrTheRoundsEnd() {
        let context = context(["a": 50], latest: 60, producers: [7: 11], upperBound: 21)
        let superseded = [record(10, "a"), record(11, "a")]
        #expect(
            CleanerRetention.filter(
                .init(baseOffset: 10, lastOffset: 11, producerID: 7), records: superseded, context: context) == .empty)
        #expect(
            CleanerRetention.filter(
                .init(baseOffset: 10, lastOffset: 11, producerID: 8), records: superseded, context: context) == .drop)
        #expect(
            CleanerRetention.filter(
                .init(baseOffset: 19, lastOffset: 20), records: [record(19, "a"), record(20, "a")], context: context)
                == .empty)
        // An already empty batch that must stay is copied as it is.
        #expect(
            CleanerRetention.filter(.init(baseOffset: 10, lastOffset: 11, producerID: 7), records: [], context: context)
                == .keep)
    }

    @Test func controlBatchesAreKept() {
        let context = context(["a": 50], latest: 60)
        #expect(
            CleanerRetention.filter(.init(baseOffset: 3, lastOffset: 3, isControl: true), records: [], context: context)
                == .keep)
    }
}
