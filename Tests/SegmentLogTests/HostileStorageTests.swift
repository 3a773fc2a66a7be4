import KafkaWire
import NIOCore
import RecordCompression
import Testing

@testable import SegmentLog

/// Issue 11: batch and file values are input, so no value in a Produce batch, a segment file or a
/// checkpoint can trap; corrupt start-up state is refused with an error naming the file and field.
@Suite struct HostileStorageTests {
    /// `batch` (one whole batch at index 0) after `edit`, with its CRC-32C recomputed.
    private static func patched(_ batch: ByteBuffer, _ edit: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var result = batch
        edit(&result)
        let crc = CRC32C.checksum(
            result, at: RecordBatchHeader.Field.attributes,
            length: result.readableBytes - RecordBatchHeader.Field.attributes)
        result.setInteger(crc, at: RecordBatchHeader.Field.crc)
        return result
    }

    /// One-record batch whose maxTimestamp (and baseTimestamp) the producer set to `timestamp`.
    private static func batch(maxTimestamp timestamp: Int64) throws -> ProduceRecordBatches {
        let plain = UncompressedRecordBatch.encode(
            records: [BatchRecord(offsetDelta: 0, value: ByteBuffer(repeating: 1, count: 10))], baseTimestamp: 0)
        let bytes = patched(plain) {
            $0.setInteger(timestamp, at: RecordBatchHeader.Field.baseTimestamp)
            $0.setInteger(timestamp, at: RecordBatchHeader.Field.maxTimestamp)
        }
        return try ProduceRecordBatches(validating: bytes, maxBatchBytes: 1 << 20)
    }

    /// Records one compressed batch may claim without produce validation counting them (records
    /// are never decompressed on append): 64 MiB of 7-byte records.
    private static let claimedRecords: Int32 = (64 << 20) / 7
    /// Batches per append so that one append claims just under `Int32.max` offsets.
    private static let batchesPerAppend = Int(Int32.max / claimedRecords)
    private static let offsetsPerAppend = Int64(batchesPerAppend) * Int64(claimedRecords)

    /// `batchesPerAppend` gzip batches, each claiming `claimedRecords` records over one real record.
    private static func hugeCountBatches() throws -> ProduceRecordBatches {
        let one = try produceBatch(codec: .gzip).bytes
        let claimed = patched(one) {
            $0.setInteger(claimedRecords, at: RecordBatchHeader.Field.recordCount)
            $0.setInteger(claimedRecords - 1, at: RecordBatchHeader.Field.lastOffsetDelta)
        }
        var all = ByteBuffer()
        for _ in 0..<batchesPerAppend { all.writeImmutableBuffer(claimed) }
        return try ProduceRecordBatches(validating: all, maxBatchBytes: 1 << 20)
    }

    // MARK: - Produce

    @Test func maxTimestampOfInt64MinAfterANormalBatchIsStored() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(timestamp: 1_000), leaderEpoch: 0, now: 0)
            _ = try log.append(try Self.batch(maxTimestamp: Int64.min), leaderEpoch: 0, now: 0)
            _ = try log.append(try Self.batch(maxTimestamp: Int64.max), leaderEpoch: 0, now: 0)
            _ = try log.append(try produceBatch(timestamp: 2_000), leaderEpoch: 0, now: 0)
            #expect(log.logEndOffset == 4)
            for offset: LogOffset in [0, 1, 2, 3] {
                #expect(try batchHeaders(try log.read(from: offset, maxBytes: 1)).map(\.baseOffset) == [offset.rawValue])
            }
            #expect(try log.deleteOldSegments(now: Int64.max) == 0)
        }
    }

    @Test func segmentPolicyAgesSaturateInsteadOfOverflowing() {
        let config = LogConfig()
        #expect(
            !SegmentPolicy.shouldRoll(
                segmentSize: 100, segmentBaseOffset: 0, firstBatchTimestamp: 1_000, createdAt: 0, indexesFull: false,
                appendSize: 10, appendMaxTimestamp: Int64.min, appendLastOffset: 5, now: 0, config: config))
        #expect(
            SegmentPolicy.shouldRoll(
                segmentSize: 100, segmentBaseOffset: 0, firstBatchTimestamp: Int64.min, createdAt: 0, indexesFull: false,
                appendSize: 10, appendMaxTimestamp: Int64.max, appendLastOffset: 5, now: 0, config: config))
        #expect(
            SegmentPolicy.shouldRoll(
                segmentSize: 100, segmentBaseOffset: Int64.min, firstBatchTimestamp: nil, createdAt: Int64.max,
                indexesFull: false, appendSize: Int.max, appendMaxTimestamp: 0, appendLastOffset: Int64.max,
                now: Int64.min, config: config))
        let segments = [
            SegmentPolicy.SegmentSummary(baseOffset: 0, size: 10, largestTimestamp: Int64.min),
            SegmentPolicy.SegmentSummary(baseOffset: 5, size: 10, largestTimestamp: Int64.max),
        ]
        #expect(
            SegmentPolicy.deletableSegmentCount(
                segments, highWatermark: 10, logStartOffset: 0, now: Int64.max, config: config) == 1)
    }

    @Test func offsetsPastASegmentsThirtyTwoBitsRollANewSegment() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(), leaderEpoch: 0, now: 0)
            let span = Self.offsetsPerAppend
            #expect(try log.append(try Self.hugeCountBatches(), leaderEpoch: 0, now: 0).firstOffset.rawValue == 1)
            #expect(try log.append(try Self.hugeCountBatches(), leaderEpoch: 0, now: 0).firstOffset.rawValue == 1 + span)
            #expect(log.segmentBaseOffsets == [0])
            // A third would end past relative offset 2^32 - 1: it goes to a new segment.
            #expect(
                try log.append(try Self.hugeCountBatches(), leaderEpoch: 0, now: 0).firstOffset.rawValue == 1 + 2 * span)
            #expect(log.segmentBaseOffsets == [0, 1 + 2 * span])
            let end = log.logEndOffset
            _ = try log.append(try produceBatch(), leaderEpoch: 0, now: 0)
            #expect(try batchHeaders(try log.read(from: end, maxBytes: 1 << 20)).map(\.baseOffset) == [end.rawValue])
            let reopened = try openLog(directory, checkpoints: .init(cleanShutdown: false))
            #expect(reopened.logEndOffset.rawValue == end.rawValue + 1)
        }
    }

    @Test func appendPastTheLargestOffsetIsRefusedChangingNothing() throws {
        try withTemporaryDirectory { directory in
            try openLog(directory).close()
            let base = LogOffset.largest.rawValue - 5
            try FileSystem.writeTextAtomically(
                "", to: directory + "/" + testPartition.directoryName + "/" + LogSegment.fileName(baseOffset: base, suffix: ".log"))
            let log = try openLog(directory)
            #expect(log.logEndOffset.rawValue == base)
            _ = try log.append(try produceBatch(records: 5), leaderEpoch: 0, now: 0)
            let error = try #require(throws: SegmentLogError.self) {
                try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0)
            }
            #expect("\(error)".contains("would pass"))
            #expect(log.logEndOffset == LogOffset.largest)
            #expect(try batchHeaders(try log.read(from: LogOffset(base), maxBytes: 1 << 20)).map(\.baseOffset) == [base])
        }
    }

    @Test func negativeOrStaleLeaderEpochIsRefusedNotTrapped() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            #expect(throws: SegmentLogError.self) { try log.append(try produceBatch(), leaderEpoch: -3, now: 0) }
            _ = try log.append(try produceBatch(), leaderEpoch: 5, now: 0)
            #expect(throws: SegmentLogError.self) { try log.append(try produceBatch(), leaderEpoch: 4, now: 0) }
            #expect(log.logEndOffset == 1)
        }
    }

    @Test func timestampLookupWrapsAProducersOverflowingTimestampAsJavaDoes() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            let plain = UncompressedRecordBatch.encode(
                records: [BatchRecord(timestampDelta: 5, offsetDelta: 0, value: ByteBuffer(repeating: 3, count: 4))],
                baseTimestamp: 0)
            let bytes = Self.patched(plain) {
                $0.setInteger(Int64.max - 1, at: RecordBatchHeader.Field.baseTimestamp)
                $0.setInteger(Int64.max, at: RecordBatchHeader.Field.maxTimestamp)
            }
            _ = try log.append(try ProduceRecordBatches(validating: bytes, maxBatchBytes: 1 << 20), leaderEpoch: 0, now: 0)
            #expect(try log.offset(forTimestamp: Int64.max) == nil)
        }
    }

    @Test func indexesReturnNilForOffsetsOutsideTheirThirtyTwoBits() {
        var offsets = OffsetIndex(baseOffset: 100, maxIndexBytes: 80)
        #expect(offsets.append(lastOffset: 100 + Int64(UInt32.max) + 1, position: 10) == nil)
        #expect(offsets.append(lastOffset: 50, position: 10) == nil)
        #expect(offsets.append(lastOffset: 110, position: Int(UInt32.max) + 1) == nil)
        #expect(offsets.append(lastOffset: 110, position: 10) != nil)
        #expect(offsets.append(lastOffset: 105, position: 20) == nil)
        #expect(offsets.position(lookingFor: Int64.max) == 10)
        var times = TimeIndex(baseOffset: 100, maxIndexBytes: 120)
        #expect(times.appendIfNewer(timestamp: 1, offset: Int64.max) == nil)
        #expect(times.appendIfNewer(timestamp: 1, offset: Int64.min) == nil)
        #expect(times.appendIfNewer(timestamp: 1, offset: 120) != nil)
        #expect(times.appendIfNewer(timestamp: 2, offset: 110) == nil)
    }

    // MARK: - Start-up

    @Test func segmentNamedNearInt64MaxIsRefusedNamingTheFile() throws {
        try withTemporaryDirectory { directory in
            try openLog(directory).close()
            let name = LogSegment.fileName(baseOffset: Int64.max - 10, suffix: ".log")
            try FileSystem.writeTextAtomically("", to: directory + "/" + testPartition.directoryName + "/" + name)
            let error = try #require(throws: SegmentLogError.self) { try openLog(directory) }
            #expect("\(error)".contains(name))
            #expect("\(error)".contains("base offset 9223372036854775797"))
        }
    }

    /// A stored batch's baseOffset lies outside the CRC, so a flipped offset passes the CRC check.
    @Test func storedBatchOffsetNearInt64MaxIsCutOrRefused() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 3), leaderEpoch: 0, now: 0)
            _ = try log.append(try produceBatch(records: 3), leaderEpoch: 0, now: 0)
            try log.flush(upTo: log.logEndOffset)
            try log.close()
            let path = FileSurgery.segmentFile(directory, base: 0, suffix: ".log")
            let batchSize = try FileSurgery.size(path) / 2
            var offset = ByteBuffer()
            offset.writeInteger(Int64.max - 1)
            try FileSurgery.overwrite(path, at: batchSize, with: Array(offset.readableBytesView))
            // Trusted (clean shutdown, below the recovery point): corruption there is refused.
            let error = try #require(throws: SegmentLogError.self) {
                try openLog(directory, checkpoints: .init(recoveryPoint: 6, cleanShutdown: true))
            }
            #expect("\(error)".contains(path))
            #expect("\(error)".contains("baseOffset 9223372036854775806"))
            // Above the recovery point after a crash: cut there, as any bad tail is.
            let recovered = try openLog(directory, checkpoints: .init(recoveryPoint: 0, cleanShutdown: false))
            #expect(recovered.logEndOffset == 3)
            #expect(recovered.recoveryReport.truncatedBytes == batchSize)
        }
    }

    @Test func oversizedOrMisalignedIndexFilesAreRebuiltWithoutReadingThem() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.indexIntervalBytes = 1
            let log = try openLog(directory, config: config)
            for _ in 0..<4 { _ = try log.append(try produceBatch(), leaderEpoch: 0, now: 0) }
            try log.flush(upTo: log.logEndOffset)
            try log.close()
            let index = FileSurgery.segmentFile(directory, base: 0, suffix: ".index")
            let timeIndex = FileSurgery.segmentFile(directory, base: 0, suffix: ".timeindex")
            let clean = PartitionLog.Checkpoints(recoveryPoint: 4, cleanShutdown: true)
            // 64 GiB, sparse: reading it whole would exhaust memory.
            try FileSurgery.truncate(index, to: 64 << 30)
            let big = try openLog(directory, config: config, checkpoints: clean)
            #expect(big.recoveryReport.rebuiltIndexes == [0])
            #expect(try batchHeaders(try big.read(from: 2, maxBytes: 1)).map(\.baseOffset) == [2])
            try big.close()
            #expect(try FileSurgery.size(index) < 1 << 20)
            try FileSurgery.append(timeIndex, [1, 2, 3])
            let misaligned = try openLog(directory, config: config, checkpoints: clean)
            #expect(misaligned.recoveryReport.rebuiltIndexes == [0])
            #expect(misaligned.logEndOffset == 4)
        }
    }

    @Test(arguments: [
        ("0\n1\n-1 0\n", 3, "epoch \"-1\" is not a Int32 in 0...2147483647"),
        ("0\n1\n0 -7\n", 3, "start offset \"-7\" is not a Int64 in 0...4611686018427387904"),
        ("0\n1\n0 9223372036854775807\n", 3, "start offset \"9223372036854775807\" is not a Int64 in 0...4611686018427387904"),
        ("0\n2\n5 10\n4 20\n", 4, "epoch 4 start offset 20 does not follow epoch 5 start offset 10"),
        ("0\n2\n4 20\n5 10\n", 4, "epoch 5 start offset 10 does not follow epoch 4 start offset 20"),
    ])
    func corruptLeaderEpochCheckpointNamesFileLineAndField(text: String, line: Int, detail: String) {
        let path = "/logs/orders-3/leader-epoch-checkpoint"
        do {
            _ = try LeaderEpochCache(parsing: text, path: path)
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)" == "\(path) line \(line) is not a valid checkpoint: \(detail)")
        }
    }

    @Test func corruptLeaderEpochCheckpointIsRefusedAtOpen() throws {
        try withTemporaryDirectory { directory in
            try openLog(directory).close()
            let path = directory + "/" + testPartition.directoryName + "/" + LeaderEpochCache.fileName
            try FileSystem.writeTextAtomically("0\n2\n3 0\n1 5\n", to: path)
            let error = try #require(throws: SegmentLogError.self) { try openLog(directory) }
            #expect("\(error)".contains(path))
        }
    }

    @Test func hugeRootCheckpointIsRefusedAtOpen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/" + OffsetCheckpoint.recoveryPointFileName
            try FileSystem.writeTextAtomically("0\n1\norders 3 9223372036854775807\n", to: path)
            let error = try #require(throws: SegmentLogError.self) {
                try LogDirectory(path: directory, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            }
            #expect("\(error)".contains(path))
            #expect("\(error)".contains("offset"))
        }
    }
}
