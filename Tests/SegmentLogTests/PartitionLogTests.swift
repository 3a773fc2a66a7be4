import KafkaWire
import NIOCore
import Testing

@testable import SegmentLog

@Suite struct PartitionLogTests {
    @Test func appendAssignsOffsetsFromTheLogEndAndReadReturnsTheSameBatches() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            let first = try log.append(try produceBatch(records: 3), leaderEpoch: 0, now: 5_000)
            let second = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 5_001)
            #expect(first == .init(firstOffset: 0, lastOffset: 2, logAppendTime: nil))
            #expect(second == .init(firstOffset: 3, lastOffset: 4, logAppendTime: nil))
            #expect(log.logEndOffset == 5)
            let headers = try batchHeaders(try log.read(from: 0, maxBytes: 1 << 20))
            #expect(headers.map(\.baseOffset) == [0, 3])
            #expect(headers.map(\.partitionLeaderEpoch) == [0, 0])
            guard case .batches(let bytes) = try log.read(from: 3, maxBytes: 1 << 20) else { throw TestFailure("no batches") }
            #expect(try UncompressedRecordBatch.records(in: bytes, at: bytes.readerIndex).map(\.value) == (0..<2).map {
                ByteBuffer(repeating: UInt8($0), count: 10)
            })
        }
    }

    @Test func readFromInsideABatchReturnsTheWholeBatch() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 5), leaderEpoch: 0, now: 0)
            _ = try log.append(try produceBatch(records: 5), leaderEpoch: 0, now: 0)
            #expect(try batchHeaders(try log.read(from: 7, maxBytes: 1)).map(\.baseOffset) == [5])
            #expect(try batchHeaders(try log.read(from: 4, maxBytes: 1)).map(\.baseOffset) == [0])
        }
    }

    @Test func readReturnsWholeBatchesWithinMaxBytesButAlwaysOne() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            for _ in 0..<4 { _ = try log.append(try produceBatch(valueSize: 100), leaderEpoch: 0, now: 0) }
            let batchSize = try batchHeaders(try log.read(from: 0, maxBytes: 1))[0].totalSize
            #expect(try batchHeaders(try log.read(from: 0, maxBytes: batchSize * 2 + 10)).map(\.baseOffset) == [0, 1])
            #expect(try batchHeaders(try log.read(from: 1, maxBytes: batchSize * 3)).map(\.baseOffset) == [1, 2, 3])
            #expect(try batchHeaders(try log.read(from: 0, maxBytes: 0)).count == 1)
        }
    }

    @Test func readOutsideTheLogIsOffsetOutOfRangeAndAtTheEndIsEmpty() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0)
            #expect(try log.read(from: 3, maxBytes: 100) == .offsetOutOfRange(logStartOffset: 0, logEndOffset: 2))
            #expect(try log.read(from: 2, maxBytes: 100) == .batches(ByteBuffer()))
        }
    }

    @Test func readStopsBeforeTheLimit() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            for _ in 0..<3 { _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0) }
            log.updateHighWatermark(4)
            #expect(try batchHeaders(try log.read(from: 0, maxBytes: 1 << 20, limit: log.highWatermark)).map(\.baseOffset) == [0, 2])
            #expect(try log.read(from: 4, maxBytes: 1 << 20, limit: log.highWatermark) == .batches(ByteBuffer()))
            #expect(log.updateHighWatermark(99) == 6)
        }
    }

    /// 40 batches of ~1 KiB with a 4 KiB index interval: a sparse index, and reads from every
    /// offset still land on the right batch.
    @Test func sparseOffsetIndexFindsEveryBatch() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            for _ in 0..<40 { _ = try log.append(try produceBatch(records: 2, valueSize: 500), leaderEpoch: 0, now: 0) }
            try log.close()
            let index = try FileSurgery.read(FileSurgery.segmentFile(directory, base: 0, suffix: ".index"))
            let entries = index.readableBytes / OffsetIndex.entrySize
            #expect(entries >= 8 && entries <= 10)
            let reopened = try openLog(directory, checkpoints: .init(recoveryPoint: 80, cleanShutdown: true))
            #expect(reopened.recoveryReport == .init())
            for offset in stride(from: Int64(0), to: 80, by: 1) {
                #expect(try batchHeaders(try reopened.read(from: LogOffset(offset), maxBytes: 1)).map(\.baseOffset) == [offset & ~1])
            }
        }
    }

    @Test func timestampLookupFindsTheFirstRecordAtOrAfterIt() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.indexIntervalBytes = 100
            let log = try openLog(directory, config: config)
            // Batch i holds records stamped 1000*i + 0..2 at offsets 3i..3i+2.
            for batch in 1...20 {
                _ = try log.append(try produceBatch(records: 3, valueSize: 50, timestamp: Int64(batch) * 1_000), leaderEpoch: 0, now: 0)
            }
            #expect(try log.offset(forTimestamp: 0) == .init(timestamp: 1_000, offset: 0))
            #expect(try log.offset(forTimestamp: 7_001) == .init(timestamp: 7_001, offset: 19))
            #expect(try log.offset(forTimestamp: 7_003) == .init(timestamp: 8_000, offset: 21))
            #expect(try log.offset(forTimestamp: 20_002) == .init(timestamp: 20_002, offset: 59))
            #expect(try log.offset(forTimestamp: 20_003) == nil)
        }
    }

    @Test func logAppendTimeStampsTheBatchAndReportsIt() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.timestampType = .logAppendTime
            let log = try openLog(directory, config: config)
            let result = try log.append(try produceBatch(records: 2), leaderEpoch: 1, now: 77_000)
            #expect(result.logAppendTime == 77_000)
            let header = try batchHeaders(try log.read(from: 0, maxBytes: 100))[0]
            #expect(header.attributes.isLogAppendTime)
            #expect(header.maxTimestamp == 77_000)
            #expect(try log.offset(forTimestamp: 50_000) == .init(timestamp: 77_000, offset: 0))
        }
    }

    @Test func rollsBySize() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentBytes = 200
            let log = try openLog(directory, config: config)
            for _ in 0..<5 { _ = try log.append(try produceBatch(), leaderEpoch: 0, now: 0) }  // 78 bytes each
            #expect(log.segmentBaseOffsets == [0, 2, 4])
            #expect(FileSystem.exists(FileSurgery.segmentFile(directory, base: 2, suffix: ".log")))
            #expect(try FileSurgery.size(FileSurgery.segmentFile(directory, base: 0, suffix: ".index")) == 0)
            #expect(try FileSurgery.size(FileSurgery.segmentFile(directory, base: 4, suffix: ".index")) == config.segmentIndexBytes)
            // One segment per read, as Kafka reads: offset 4 is in the next segment.
            #expect(try batchHeaders(try log.read(from: 2, maxBytes: 1 << 20)).map(\.baseOffset) == [2, 3])
        }
    }

    @Test func rollsByTimeFromTheFirstBatchTimestamp() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentMs = 10_000
            let log = try openLog(directory, config: config)
            _ = try log.append(try produceBatch(timestamp: 1_000), leaderEpoch: 0, now: 0)
            _ = try log.append(try produceBatch(timestamp: 11_000), leaderEpoch: 0, now: 0)
            #expect(log.segmentBaseOffsets == [0])
            _ = try log.append(try produceBatch(timestamp: 11_001), leaderEpoch: 0, now: 0)
            #expect(log.segmentBaseOffsets == [0, 2])
        }
    }

    @Test func rollsWhenTheOffsetIndexIsFull() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.indexIntervalBytes = 1
            config.segmentIndexBytes = 24  // three offset-index entries, two time-index entries
            let log = try openLog(directory, config: config)
            for batch in 0..<6 { _ = try log.append(try produceBatch(timestamp: Int64(batch)), leaderEpoch: 0, now: 0) }
            #expect(log.segmentBaseOffsets == [0, 3])
        }
    }

    @Test func retentionByTimeDeletesOldSegmentsAndAdvancesTheLogStart() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentBytes = 100
            config.retentionMs = 5_000
            let log = try openLog(directory, config: config)
            for batch in 0..<4 { _ = try log.append(try produceBatch(timestamp: Int64(batch) * 1_000), leaderEpoch: 0, now: 0) }
            log.updateHighWatermark(log.logEndOffset)
            #expect(log.segmentBaseOffsets == [0, 1, 2, 3])
            #expect(try log.deleteOldSegments(now: 6_500) == 2)
            #expect(log.segmentBaseOffsets == [2, 3])
            #expect(log.logStartOffset == 2)
            #expect(!FileSystem.exists(FileSurgery.segmentFile(directory, base: 0, suffix: ".log")))
            #expect(try log.read(from: 1, maxBytes: 100) == .offsetOutOfRange(logStartOffset: 2, logEndOffset: 4))
            #expect(try log.deleteOldSegments(now: 1_000_000) == 1)
            #expect(log.segmentBaseOffsets == [3])
        }
    }

    @Test func retentionBySizeKeepsTheNewestBytes() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentBytes = 100
            config.retentionMs = nil
            config.retentionBytes = 78 * 2
            let log = try openLog(directory, config: config)
            for _ in 0..<5 { _ = try log.append(try produceBatch(), leaderEpoch: 0, now: 0) }
            log.updateHighWatermark(log.logEndOffset)
            #expect(try log.deleteOldSegments(now: 0) == 3)
            #expect(log.segmentBaseOffsets == [3, 4])
            #expect(log.size == 78 * 2)
        }
    }

    @Test func leaderEpochsAreCheckpointedAndTruncatedWithTheLog() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 1, now: 0)
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 1, now: 0)
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 4, now: 0)
            let path = directory + "/" + testPartition.directoryName + "/leader-epoch-checkpoint"
            #expect(try FileSystem.readText(path) == "0\n2\n1 0\n4 4\n")
            #expect(log.endOffset(forEpoch: 2) == .init(epoch: 1, startOffset: 4))
            try log.truncate(to: 3, now: 0)
            #expect(log.logEndOffset == 2)
            #expect(try FileSystem.readText(path) == "0\n1\n1 0\n")
            let next = try log.append(try produceBatch(), leaderEpoch: 5, now: 0)
            #expect(next.firstOffset == 2)
            #expect(try batchHeaders(try log.read(from: 0, maxBytes: 1 << 20)).map(\.baseOffset) == [0, 2])
        }
    }

    @Test func truncateAcrossSegmentsDeletesLaterOnesAndKeepsAppending() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentBytes = 100
            let log = try openLog(directory, config: config)
            for _ in 0..<4 { _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0) }
            #expect(log.segmentBaseOffsets == [0, 2, 4, 6])
            log.updateHighWatermark(8)
            try log.truncate(to: 3, now: 0)
            #expect(log.segmentBaseOffsets == [0, 2])
            #expect(log.logEndOffset == 2)
            #expect(log.highWatermark == 2)
            #expect(!FileSystem.exists(FileSurgery.segmentFile(directory, base: 4, suffix: ".log")))
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0)
            #expect(log.segmentBaseOffsets == [0, 2])
            #expect(try batchHeaders(try log.read(from: 2, maxBytes: 1 << 20)).map(\.baseOffset) == [2])
        }
    }
}
