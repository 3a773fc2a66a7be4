import Testing

@testable import SegmentLog

@Suite struct SegmentPolicyTests {
    private static func config(_ change: (inout LogConfig) -> Void) -> LogConfig {
        var config = LogConfig()
        change(&config)
        return config
    }

    private static func shouldRoll(
        size: Int, first: Int64? = 1_000, full: Bool = false, appendSize: Int = 100, maxTimestamp: Int64 = 1_000,
        lastOffset: Int64 = 10, now: Int64 = 0, config: LogConfig
    ) -> Bool {
        SegmentPolicy.shouldRoll(
            segmentSize: size, segmentBaseOffset: 0, firstBatchTimestamp: first, createdAt: 500, indexesFull: full,
            appendSize: appendSize, appendMaxTimestamp: maxTimestamp, appendLastOffset: lastOffset, now: now,
            config: config)
    }

    @Test func rollsWhenTheAppendWouldPassSegmentBytes() {
        let config = Self.config { $0.segmentBytes = 1_000 }
        #expect(!Self.shouldRoll(size: 900, config: config))
        #expect(Self.shouldRoll(size: 901, config: config))
        #expect(!Self.shouldRoll(size: 0, appendSize: 5_000, config: config))
    }

    @Test func rollsWhenSegmentMsPassedSinceTheFirstBatch() {
        let config = Self.config { $0.segmentMs = 60_000 }
        #expect(!Self.shouldRoll(size: 10, maxTimestamp: 61_000, config: config))
        #expect(Self.shouldRoll(size: 10, maxTimestamp: 61_001, config: config))
        // Without a first batch timestamp the creation time counts, against the wall clock.
        #expect(Self.shouldRoll(size: 10, first: nil, maxTimestamp: 0, now: 60_501, config: config))
        // An empty segment never rolls by time.
        #expect(!Self.shouldRoll(size: 0, maxTimestamp: 999_999, config: config))
    }

    /// Timestamps are the producer's: Int64.min after a normal batch used to overflow and trap.
    @Test func extremeTimestampsSaturateInsteadOfTrapping() {
        let config = Self.config { $0.segmentMs = 60_000 }
        #expect(!Self.shouldRoll(size: 10, first: 1_000, maxTimestamp: .min, config: config))
        #expect(Self.shouldRoll(size: 10, first: .min, maxTimestamp: .max, config: config))
        #expect(Self.shouldRoll(size: 10, first: nil, maxTimestamp: 0, now: .max, config: config))
        let segments = [
            SegmentPolicy.SegmentSummary(baseOffset: 0, size: 10, largestTimestamp: .min),
            SegmentPolicy.SegmentSummary(baseOffset: 5, size: 10, largestTimestamp: .max),
        ]
        let retention = Self.config { $0.retentionMs = 1_000 }
        #expect(
            SegmentPolicy.deletableSegmentCount(
                segments, highWatermark: 10, logStartOffset: 0, now: .max, config: retention) == 1)
        #expect(Int64.max.saturatingSubtracting(-1) == .max)
        #expect(Int64.min.saturatingSubtracting(1) == .min)
        #expect(Int64(5).saturatingSubtracting(7) == -2)
    }

    @Test func rollsWhenAnIndexIsFullOrOffsetsOverflow() {
        #expect(Self.shouldRoll(size: 10, full: true, config: LogConfig()))
        #expect(Self.shouldRoll(size: 10, lastOffset: Int64(UInt32.max) + 1, config: LogConfig()))
    }

    private static let segments = [
        SegmentPolicy.SegmentSummary(baseOffset: 0, size: 100, largestTimestamp: 1_000),
        SegmentPolicy.SegmentSummary(baseOffset: 10, size: 100, largestTimestamp: 2_000),
        SegmentPolicy.SegmentSummary(baseOffset: 20, size: 100, largestTimestamp: 3_000),
        SegmentPolicy.SegmentSummary(baseOffset: 30, size: 50, largestTimestamp: 1_000),  // active
    ]

    @Test func retentionByTimeNeverTakesTheActiveSegment() {
        let config = Self.config { $0.retentionMs = 500 }
        func count(now: Int64) -> Int {
            SegmentPolicy.deletableSegmentCount(Self.segments, highWatermark: 35, logStartOffset: 0, now: now, config: config)
        }
        #expect(count(now: 1_500) == 0)
        #expect(count(now: 1_501) == 1)
        #expect(count(now: 2_501) == 2)
        #expect(count(now: 99_999) == 3)
    }

    @Test func retentionBySizeKeepsAtLeastRetentionBytes() {
        func count(_ bytes: Int64) -> Int {
            let config = Self.config {
                $0.retentionMs = nil
                $0.retentionBytes = bytes
            }
            return SegmentPolicy.deletableSegmentCount(Self.segments, highWatermark: 35, logStartOffset: 0, now: 0, config: config)
        }
        #expect(count(350) == 0)
        #expect(count(250) == 1)
        #expect(count(249) == 1)
        #expect(count(150) == 2)
        #expect(count(0) == 3)
    }

    @Test func nothingAtOrAboveTheHighWatermarkIsDeleted() {
        let config = Self.config { $0.retentionMs = 0 }
        #expect(SegmentPolicy.deletableSegmentCount(Self.segments, highWatermark: 19, logStartOffset: 0, now: 99_999, config: config) == 1)
    }

    @Test func segmentsBelowTheLogStartOffsetAreDeleted() {
        let config = Self.config { $0.retentionMs = nil }
        #expect(SegmentPolicy.deletableSegmentCount(Self.segments, highWatermark: 35, logStartOffset: 25, now: 0, config: config) == 2)
    }
}
