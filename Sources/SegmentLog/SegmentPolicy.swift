/// When to roll the active segment and which old segments retention deletes: the arithmetic of
/// Kafka's `LogSegment.shouldRoll` and `UnifiedLog.deleteOldSegments`, over plain numbers so it is
/// tested without files. Pure.
package enum SegmentPolicy {
    /// What retention needs to know about one segment.
    package struct SegmentSummary: Hashable, Sendable {
        package var baseOffset: Int64
        package var size: Int
        /// Newest timestamp in the segment (its creation time when it holds none).
        package var largestTimestamp: Int64

        package init(baseOffset: Int64, size: Int, largestTimestamp: Int64) {
            self.baseOffset = baseOffset
            self.size = size
            self.largestTimestamp = largestTimestamp
        }
    }

    /// Whether a batch set of `appendSize` bytes, newest timestamp `appendMaxTimestamp`, last offset
    /// `appendLastOffset`, must go to a new segment rather than the active one. A non-empty segment
    /// rolls when it would pass `segment.bytes`; when `segment.ms` has passed since its first
    /// batch's timestamp (or, without one, since it was created); when an index is full; or when an
    /// offset or byte position would not fit the indexes' 32-bit relative fields. Timestamps are the
    /// producer's: the age is computed saturating, so `Int64.min` after a normal batch is no crash.
    package static func shouldRoll(
        segmentSize: Int, segmentBaseOffset: Int64, firstBatchTimestamp: Int64?, createdAt: Int64,
        indexesFull: Bool, appendSize: Int, appendMaxTimestamp: Int64, appendLastOffset: Int64, now: Int64,
        config: LogConfig
    ) -> Bool {
        // An empty segment takes any append: rolling it would only create another empty one at the
        // same base offset.
        guard segmentSize > 0 else { return false }
        let waited =
            firstBatchTimestamp.map { appendMaxTimestamp.saturatingSubtracting($0) }
            ?? now.saturatingSubtracting(createdAt)
        return segmentSize > config.segmentBytes.saturatingSubtracting(appendSize)
            || segmentSize > Int(UInt32.max).saturatingSubtracting(appendSize)
            || waited > config.segmentMs
            || indexesFull
            || appendLastOffset.saturatingSubtracting(segmentBaseOffset) > Int64(UInt32.max)
    }

    /// How many of the oldest segments retention deletes: first those past `retention.ms` (now minus
    /// their newest timestamp), then more while the partition stays at or above `retention.bytes`
    /// without them, then those wholly below `logStartOffset`. Never the active (last) segment, and
    /// only segments entirely below the high watermark. Time and size retention apply only when
    /// `cleanup.policy` contains `delete` (`UnifiedLog.deleteOldSegments`): a compacted-only log loses
    /// segments to its log start offset alone.
    package static func deletableSegmentCount(
        _ segments: [SegmentSummary], highWatermark: Int64, logStartOffset: Int64, now: Int64, config: LogConfig
    ) -> Int {
        var count = 0
        func deletable(_ index: Int) -> Bool {
            index < segments.count - 1 && segments[index + 1].baseOffset <= highWatermark
        }
        if config.cleanupPolicy.delete, let retentionMs = config.retentionMs {
            while deletable(count), now.saturatingSubtracting(segments[count].largestTimestamp) > retentionMs {
                count += 1
            }
        }
        if config.cleanupPolicy.delete, let retentionBytes = config.retentionBytes {
            var excess = Int64(segments[count...].reduce(0) { $0 + $1.size }) - retentionBytes
            while deletable(count), excess - Int64(segments[count].size) >= 0 {
                excess -= Int64(segments[count].size)
                count += 1
            }
        }
        while deletable(count), segments[count + 1].baseOffset <= logStartOffset { count += 1 }
        return count
    }
}
