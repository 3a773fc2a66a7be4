import NIOCore
import Testing

@testable import KafkaWire

@Suite struct ProduceRecordBatchesTests {
    private static func batch(records count: Int, baseTimestamp: Int64 = 1_000) -> ByteBuffer {
        let records = (0..<count).map {
            BatchRecord(timestampDelta: Int64($0), offsetDelta: Int32($0), value: ByteBuffer(string: "value-\($0)"))
        }
        return UncompressedRecordBatch.encode(records: records, baseTimestamp: baseTimestamp)
    }

    private static func payload(_ batches: ByteBuffer...) -> ByteBuffer {
        var payload = ByteBuffer()
        for var batch in batches { payload.writeBuffer(&batch) }
        return payload
    }

    /// Overwrites header field bytes and, unless told not to, re-seals the CRC so only the field is wrong.
    private static func patched(
        _ batch: ByteBuffer, reseal: Bool = true, _ patch: (inout ByteBuffer) -> Void
    ) -> ByteBuffer {
        var copy = batch
        patch(&copy)
        if reseal {
            copy.setInteger(CRC32C.checksum(copy, at: 21, length: copy.readableBytes - 21), at: 17)
        }
        return copy
    }

    @Test func acceptsSeveralBatchesInOrder() throws {
        let first = Self.batch(records: 3)
        let validated = try ProduceRecordBatches(validating: Self.payload(first, Self.batch(records: 2)), maxBatchBytes: 1 << 20)
        #expect(validated.batches.map(\.position) == [0, first.readableBytes])
        #expect(validated.batches.map(\.header.recordCount) == [3, 2])
        #expect(validated.recordCount == 5)
    }

    @Test(arguments: [Int8(0), 1, 3, -1])
    func rejectsOtherMagic(magic: Int8) {
        let bad = Self.patched(Self.batch(records: 1)) { $0.setInteger(magic, at: 16) }
        #expect(throws: RecordBatchError.unsupportedMagic(position: 0, magic: magic)) {
            try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20)
        }
    }

    @Test func rejectsFlippedRecordByteByCRC() throws {
        let good = Self.batch(records: 2)
        let stored = try RecordBatchHeader(verifying: good, at: 0).crc
        let bad = Self.patched(good, reseal: false) { $0.setInteger(UInt8(0x5A), at: $0.writerIndex - 2) }
        #expect(throws: RecordBatchError.crcMismatch(position: 0, stored: stored, computed: CRC32C.checksum(bad, at: 21, length: bad.readableBytes - 21))) {
            try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20)
        }
    }

    @Test func rejectsEveryTruncation() {
        let good = Self.batch(records: 2)
        for cut in 1..<good.readableBytes {
            let truncated = good.getSlice(at: 0, length: cut)!
            #expect(throws: RecordBatchError.self, "cut at \(cut)") {
                try ProduceRecordBatches(validating: truncated, maxBatchBytes: 1 << 20)
            }
        }
    }

    @Test func truncationReportsNeededAndAvailableBytes() {
        let good = Self.batch(records: 2)
        let truncated = good.getSlice(at: 0, length: good.readableBytes - 1)!
        #expect(throws: RecordBatchError.truncated(position: 0, field: "records", needed: good.readableBytes, available: good.readableBytes - 1)) {
            try ProduceRecordBatches(validating: truncated, maxBatchBytes: 1 << 20)
        }
    }

    @Test func rejectsBatchLengthBelowHeaderSize() {
        let bad = Self.patched(Self.batch(records: 1), reseal: false) { $0.setInteger(Int32(48), at: 8) }
        #expect(throws: RecordBatchError.batchLengthTooSmall(position: 0, batchLength: 48)) {
            try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20)
        }
    }

    /// A length one byte short leaves the CRC covering the wrong range and a stray byte behind.
    @Test func rejectsBatchLengthShorterThanItsBytes() {
        let good = Self.batch(records: 1)
        let bad = Self.patched(good, reseal: false) { $0.setInteger(Int32(good.readableBytes - 13), at: 8) }
        #expect(throws: RecordBatchError.self) { try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20) }
    }

    @Test func rejectsInconsistentRecordCount() {
        let bad = Self.patched(Self.batch(records: 3)) { $0.setInteger(Int32(5), at: 57) }
        #expect(throws: RecordBatchError.invalidRecordCount(position: 0, recordCount: 5, lastOffsetDelta: 2)) {
            try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20)
        }
    }

    /// A small batch claiming 2^31 records would take 2^31 offsets and pass a segment's 32-bit
    /// relative offsets; an uncompressed one can hold at most one record per 7 bytes.
    @Test func rejectsMoreRecordsThanTheBytesCanHold() {
        let bad = Self.patched(Self.batch(records: 1)) {
            $0.setInteger(Int32.max - 1, at: 23)
            $0.setInteger(Int32.max, at: 57)
        }
        #expect(throws: RecordBatchError.invalidRecordCount(position: 0, recordCount: .max, lastOffsetDelta: .max - 1)) {
            try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20)
        }
        let compressed = Self.patched(Self.batch(records: 1)) {
            $0.setInteger(Int16(1), at: 21)
            $0.setInteger(Int32.max - 1, at: 23)
            $0.setInteger(Int32.max, at: 57)
        }
        #expect(throws: RecordBatchError.invalidRecordCount(position: 0, recordCount: .max, lastOffsetDelta: .max - 1)) {
            try ProduceRecordBatches(validating: compressed, maxBatchBytes: 1 << 20)
        }
    }

    @Test func rejectsControlBatch() {
        let bad = Self.patched(Self.batch(records: 1)) { $0.setInteger(Int16(0x20), at: 21) }
        #expect(throws: RecordBatchError.controlBatchFromClient(position: 0)) {
            try ProduceRecordBatches(validating: bad, maxBatchBytes: 1 << 20)
        }
    }

    @Test func rejectsBatchOverMaxMessageBytes() {
        let second = Self.batch(records: 4)
        let first = Self.batch(records: 1)
        #expect(throws: RecordBatchError.batchTooLarge(position: first.readableBytes, size: second.readableBytes, limit: first.readableBytes)) {
            try ProduceRecordBatches(validating: Self.payload(first, second), maxBatchBytes: first.readableBytes)
        }
    }

    @Test func rejectsEmptyPayload() {
        #expect(throws: RecordBatchError.noBatches) { try ProduceRecordBatches(validating: ByteBuffer(), maxBatchBytes: 1 << 20) }
    }

    @Test func assigningOffsetsKeepsTheCRCValid() throws {
        var validated = try ProduceRecordBatches(
            validating: Self.payload(Self.batch(records: 3), Self.batch(records: 2)), maxBatchBytes: 1 << 20)
        let next = validated.assignOffsets(from: 100, partitionLeaderEpoch: 7, logAppendTime: nil)
        #expect(next == 105)
        let reparsed = try ProduceRecordBatches(validating: validated.bytes, maxBatchBytes: 1 << 20)
        #expect(reparsed.batches == validated.batches)
        #expect(reparsed.batches.map(\.header.baseOffset) == [100, 103])
        #expect(reparsed.batches.map(\.header.partitionLeaderEpoch) == [7, 7])
        #expect(reparsed.batches.map(\.header.maxTimestamp) == [1_002, 1_001])
        #expect(reparsed.batches.allSatisfy { !$0.header.attributes.isLogAppendTime })
    }

    @Test func logAppendTimeRewritesMaxTimestampAndRecomputesTheCRC() throws {
        var validated = try ProduceRecordBatches(validating: Self.batch(records: 2), maxBatchBytes: 1 << 20)
        validated.assignOffsets(from: 0, partitionLeaderEpoch: 1, logAppendTime: 9_999)
        let header = try RecordBatchHeader(verifying: validated.bytes, at: 0)
        #expect(header.attributes.isLogAppendTime)
        #expect(header.maxTimestamp == 9_999)
        #expect(header.baseTimestamp == 1_000)
        #expect(header == validated.batches[0].header)
    }

    @Test func offsetsNearInt64MaxSaturateInsteadOfTrapping() throws {
        var header = try RecordBatchHeader(verifying: Self.batch(records: 3), at: 0)
        header.baseOffset = .max - 1
        #expect(header.lastOffset == .max)
        #expect(header.nextOffset == .max)
        header.baseOffset = .min
        header.lastOffsetDelta = -1
        #expect(header.lastOffset == .min)
    }

    @Test func largestBatchSizeIsTheBiggestBatch() throws {
        let small = Self.batch(records: 1)
        let big = Self.batch(records: 5)
        let validated = try ProduceRecordBatches(validating: Self.payload(small, big), maxBatchBytes: 1 << 20)
        #expect(validated.largestBatchSize == big.readableBytes)
    }
}
