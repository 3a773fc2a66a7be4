/// Which log the cleaner compacts next and which part of it: the arithmetic of Kafka's
/// `LogCleanerManager` (`cleanableOffsets`, `calculateCleanableBytes`, `maxCompactionDelay`,
/// `grabFilthiestCompactedLog`), `LogToClean` and `Cleaner.groupSegmentsBySize`, over plain numbers.
/// Pure: time comes in as `now` (ms since the epoch), nothing touches a file.
///
/// A compacted log is a clean head (already compacted, below the cleaner checkpoint) followed by a
/// dirty tail. The dirty section the cleaner may compact ends at the first uncleanable offset: the
/// active segment's base, the high watermark (Kafka's last stable offset, which has no open
/// transactions to wait for here), or the first segment holding a record younger than
/// `min.compaction.lag.ms`, whichever is lowest, rounded down to a segment base.
package enum LogCleaningPlanner {
    /// What planning needs of one segment.
    package struct Segment: Hashable, Sendable {
        package var baseOffset: Int64
        package var size: Int
        /// Newest timestamp in the segment (its creation time when empty).
        package var largestTimestamp: Int64
        /// maxTimestamp of its first batch; nil when empty.
        package var firstBatchTimestamp: Int64?
        package var offsetIndexBytes: Int
        package var timeIndexBytes: Int

        package init(
            baseOffset: Int64, size: Int, largestTimestamp: Int64, firstBatchTimestamp: Int64? = nil,
            offsetIndexBytes: Int = 0, timeIndexBytes: Int = 0
        ) {
            self.baseOffset = baseOffset
            self.size = size
            self.largestTimestamp = largestTimestamp
            self.firstBatchTimestamp = firstBatchTimestamp
            self.offsetIndexBytes = offsetIndexBytes
            self.timeIndexBytes = timeIndexBytes
        }
    }

    /// A log as the planner sees it.
    package struct LogSummary: Hashable, Sendable {
        /// Oldest first; the last one is the active segment. Never empty.
        package var segments: [Segment]
        package var logStartOffset: Int64
        package var logEndOffset: Int64
        package var highWatermark: Int64
        /// Where the last cleaning ended (`cleaner-offset-checkpoint`); nil when never cleaned.
        package var cleanerCheckpoint: Int64?

        package init(
            segments: [Segment], logStartOffset: Int64, logEndOffset: Int64, highWatermark: Int64,
            cleanerCheckpoint: Int64?
        ) {
            precondition(!segments.isEmpty, "a log has at least its active segment")
            self.segments = segments
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
            self.highWatermark = highWatermark
            self.cleanerCheckpoint = cleanerCheckpoint
        }
    }

    /// The dirty section of a log and how dirty it is (Kafka's `LogToClean`).
    package struct DirtySection: Hashable, Sendable {
        /// Where compaction starts: the cleaner checkpoint, or the log start when there is none or it
        /// is outside the log.
        package var firstDirtyOffset: Int64
        /// Where it must stop: a segment base (see the type's comment).
        package var firstUncleanableOffset: Int64
        /// Bytes of the segments below the first dirty offset.
        package var cleanBytes: Int64
        /// Bytes of the segments from the first dirty offset to the first uncleanable one.
        package var cleanableBytes: Int64
        /// How long past `max.compaction.lag.ms` the oldest dirty segment is; 0 when none is.
        package var compactionDelayMs: Int64
        /// The checkpoint was outside the log and was replaced by the log start.
        package var checkpointReset: Bool

        package var totalBytes: Int64 { cleanBytes + cleanableBytes }
        /// cleanable / total: the log's dirty ratio (0 for an empty log).
        package var dirtyRatio: Double { totalBytes > 0 ? Double(cleanableBytes) / Double(totalBytes) : 0 }
        /// `max.compaction.lag.ms` has passed for a dirty segment.
        package var needsCompactionNow: Bool { compactionDelayMs > 0 }
    }

    // MARK: - Dirty section

    /// The dirty section of `log` at `now` under `config` (`cleanableOffsets` + `LogToClean`).
    package static func dirtySection(of log: LogSummary, config: LogConfig, now: Int64) -> DirtySection {
        var firstDirty = log.cleanerCheckpoint ?? log.logStartOffset
        var reset = false
        if firstDirty < log.logStartOffset || firstDirty > log.logEndOffset {
            firstDirty = log.logStartOffset
            reset = true
        }
        let activeIndex = log.segments.count - 1
        let active = log.segments[activeIndex]
        // Non-active segments from the one holding `firstDirty`.
        let dirtyNonActive = Array(log.segments[index(containing: firstDirty, in: log.segments)..<activeIndex])
        var uncleanable = min(log.highWatermark, active.baseOffset)
        let minLag = max(config.minCompactionLagMs, 0)
        if minLag > 0 {
            let horizon = now.saturatingSubtracting(minLag)
            if let young = dirtyNonActive.first(where: { $0.largestTimestamp > horizon }) {
                uncleanable = min(uncleanable, young.baseOffset)
            }
        }
        uncleanable = max(firstDirty, uncleanable)
        // Rounded down to the base of the segment holding it, unless that is the active one.
        let holding = index(containing: uncleanable, in: log.segments)
        let firstUncleanable = holding < activeIndex ? log.segments[holding].baseOffset : active.baseOffset
        let cleanBytes = bytes(of: log.segments, from: nil, below: firstDirty)
        let cleanableBytes = bytes(of: log.segments, from: min(firstDirty, firstUncleanable), below: firstUncleanable)
        return DirtySection(
            firstDirtyOffset: firstDirty, firstUncleanableOffset: firstUncleanable, cleanBytes: cleanBytes,
            cleanableBytes: cleanableBytes,
            compactionDelayMs: compactionDelay(of: dirtyNonActive, config: config, now: now),
            checkpointReset: reset)
    }

    /// Whether the cleaner should compact a log with this dirty section now: it is dirtier than
    /// `min.cleanable.dirty.ratio` (strictly, as Kafka), or overdue by `max.compaction.lag.ms` with
    /// something to compact.
    package static func isDue(_ section: DirtySection, config: LogConfig) -> Bool {
        guard section.totalBytes > 0, section.firstUncleanableOffset > section.firstDirtyOffset else { return false }
        return (section.needsCompactionNow && section.cleanableBytes > 0)
            || section.dirtyRatio > config.minCleanableDirtyRatio
    }

    /// The due candidate with the highest dirty ratio (ties: the lowest id, so the choice does not
    /// depend on the order they came in); nil when none is due.
    package static func filthiest<ID: Comparable>(
        _ candidates: [(id: ID, section: DirtySection, config: LogConfig)]
    ) -> ID? {
        candidates.filter { isDue($0.section, config: $0.config) }
            .min { a, b in
                a.section.dirtyRatio != b.section.dirtyRatio
                    ? a.section.dirtyRatio > b.section.dirtyRatio : a.id < b.id
            }?.id
    }

    /// How long past `max.compaction.lag.ms` the earliest first-batch timestamp of the dirty
    /// non-active segments is (timestamps ≤ 0 are ignored, as Kafka does); 0 when not overdue.
    static func compactionDelay(of dirtyNonActive: [Segment], config: LogConfig, now: Int64) -> Int64 {
        guard let earliest = dirtyNonActive.compactMap(\.firstBatchTimestamp).filter({ $0 > 0 }).min() else {
            return 0
        }
        let cleanUntil = now.saturatingSubtracting(max(config.maxCompactionLagMs, 0))
        return earliest < cleanUntil ? cleanUntil.saturatingSubtracting(earliest) : 0
    }

    // MARK: - Grouping

    /// Splits `segments` (consecutive, oldest first) into runs the cleaner copies into one segment
    /// each (`groupSegmentsBySize`): a run grows while its log bytes stay within `maxSize`
    /// (`segment.bytes`), each index's bytes within `maxIndexSize` (`segment.index.bytes`), and its
    /// offsets within one segment's 32-bit relative range, estimated from the next segment's base
    /// (or `firstUncleanableOffset` for the last one); an empty segment always joins. Returns index
    /// ranges into `segments`.
    package static func groupBySize(
        _ segments: [Segment], maxSize: Int, maxIndexSize: Int, firstUncleanableOffset: Int64
    ) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var start = 0
        while start < segments.count {
            var end = start + 1
            var logBytes = segments[start].size
            var offsetIndexBytes = segments[start].offsetIndexBytes
            var timeIndexBytes = segments[start].timeIndexBytes
            while end < segments.count {
                let next = segments[end]
                let lastOffsetEstimate =
                    end + 1 < segments.count ? segments[end + 1].baseOffset - 1 : firstUncleanableOffset - 1
                let fits =
                    logBytes <= maxSize - next.size
                    && offsetIndexBytes <= maxIndexSize - next.offsetIndexBytes
                    && timeIndexBytes <= maxIndexSize - next.timeIndexBytes
                    && (next.size == 0
                        || lastOffsetEstimate.saturatingSubtracting(segments[start].baseOffset) <= Int64(Int32.max))
                guard fits else { break }
                logBytes += next.size
                offsetIndexBytes += next.offsetIndexBytes
                timeIndexBytes += next.timeIndexBytes
                end += 1
            }
            groups.append(start..<end)
            start = end
        }
        return groups
    }

    // MARK: - Helpers

    /// Index of the last segment whose base is ≤ `offset`; the first segment when none is.
    static func index(containing offset: Int64, in segments: [Segment]) -> Int {
        segments.lastIndex { $0.baseOffset <= offset } ?? 0
    }

    /// Bytes of Kafka's `logSegments(from, below)`: the segments from the one holding `from` (from
    /// the first when nil) whose base is below `below`.
    static func bytes(of segments: [Segment], from: Int64?, below: Int64) -> Int64 {
        let first = from.map { index(containing: $0, in: segments) } ?? 0
        return segments[first...].filter { $0.baseOffset < below }.reduce(0) { $0 + Int64($1.size) }
    }
}
