import KafkaWire
import NIOCore
import RecordCompression
import Testing

@testable import SegmentLog

/// The cleaner's record-level reading and re-encoding, and the keyless-record check of produce to a
/// compacted topic.
@Suite struct CleanerRecordsTests {
    private func stored(_ records: [KeyedRecord], codec: CompressionCodec? = nil) throws -> (
        RecordBatchHeader, ByteBuffer
    ) {
        var batches = try keyedBatch(
            records, timestamp: 10_000, codec: codec, producerID: 42, producerEpoch: 3, baseSequence: 7)
        batches.assignOffsets(from: 100, partitionLeaderEpoch: 5, logAppendTime: nil)
        return (batches.batches[0].header, batches.bytes)
    }

    private func decoded(_ bytes: ByteBuffer) throws -> (RecordBatchHeader, [BatchRecord]) {
        let header = try RecordBatchHeader(verifying: bytes, at: bytes.readerIndex)
        return (header, try header.records(in: bytes, maxDecompressedBytes: 1 << 20))
    }

    /// A re-encoded batch keeps its offsets (the last offset too, for the producer's last sequence),
    /// leader epoch, producer id, epoch, base sequence, codec and each record's bytes and timestamp.
    @Test(arguments: [nil, CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func aRewrittenBatchKeepsEverythingButTheDroppedRecords(codec: CompressionCodec?) throws {
        let (header, bytes) = try stored([.init("a", "1"), .init("b", "2"), .init("c", "3")], codec: codec)
        let scanned = try CleanerRecords.records(of: header, in: bytes, maxDecompressedBytes: 1 << 20)
        let records = scanned.records
        #expect(records.map(\.offsetDelta) == [0, 1, 2])
        #expect(records.map(\.keyHash) == ["a", "b", "c"].map { KeyHash(of: ByteBuffer(string: $0)) })
        let (kept, keptHeader) = CleanerRecords.batch(
            of: header, in: scanned.section, keeping: [records[1]], deleteHorizon: nil)
        let (parsed, parsedRecords) = try decoded(kept)
        #expect(parsed == keptHeader)
        #expect(parsed.baseOffset == 100 && parsed.lastOffset == 102 && parsed.recordCount == 1)
        #expect(parsed.partitionLeaderEpoch == 5)
        #expect(parsed.producerId == 42 && parsed.producerEpoch == 3 && parsed.baseSequence == 7)
        #expect(parsed.attributes.compressionCodec == (codec?.rawValue ?? 0))
        #expect(parsed.deleteHorizon == nil)
        #expect(parsed.maxTimestamp == 10_001)
        #expect(parsedRecords.map(\.offsetDelta) == [1])
        #expect(parsedRecords.map { parsed.timestamp(of: $0) } == [10_001])
        #expect(parsedRecords[0].key == ByteBuffer(string: "b") && parsedRecords[0].headers.count == 1)
    }

    /// Kept records copied as stored: adjacent ones in one run, the others each after the last.
    @Test func keptRecordsAreCopiedInOrder() throws {
        let (header, bytes) = try stored((0..<6).map { KeyedRecord("k\($0)", "v\($0)") }, codec: .zstd)
        let scanned = try CleanerRecords.records(of: header, in: bytes, maxDecompressedBytes: 1 << 20)
        let keep = [0, 2, 3, 5].map { scanned.records[$0] }
        let (kept, _) = CleanerRecords.batch(of: header, in: scanned.section, keeping: keep, deleteHorizon: nil)
        let (_, parsed) = try decoded(kept)
        #expect(parsed.map(\.offsetDelta) == [0, 2, 3, 5])
        #expect(parsed.map { $0.value.map { String(buffer: $0) } } == ["v0", "v2", "v3", "v5"])
    }

    /// Stamping a delete horizon moves the base timestamp and re-bases every record's delta, so record
    /// timestamps do not change; attribute bit 6 says so.
    @Test(arguments: [nil, CompressionCodec.lz4])
    func aDeleteHorizonKeepsRecordTimestamps(codec: CompressionCodec?) throws {
        let (header, bytes) = try stored([.init("a", "1"), .init("b", nil)], codec: codec)
        let scanned = try CleanerRecords.records(of: header, in: bytes, maxDecompressedBytes: 1 << 20)
        #expect(scanned.records.map(\.isTombstone) == [false, true])
        let (kept, _) = CleanerRecords.batch(
            of: header, in: scanned.section, keeping: scanned.records, deleteHorizon: 99_000)
        let (parsed, parsedRecords) = try decoded(kept)
        #expect(parsed.attributes.hasDeleteHorizon)
        #expect(parsed.deleteHorizon == 99_000)
        #expect(parsedRecords.map { parsed.timestamp(of: $0) } == [10_000, 10_001])
        #expect(parsedRecords[1].value == nil)
        #expect(parsed.maxTimestamp == 10_001)
    }

    /// The header alone: same offsets and producer fields, no records, no codec (`writeEmptyHeader`).
    @Test func anEmptyBatchKeepsTheHeaderFields() throws {
        let (header, _) = try stored([.init("a", "1"), .init("b", "2")], codec: .gzip)
        let (empty, emptyHeader) = CleanerRecords.emptyBatch(of: header)
        let (parsed, records) = try decoded(empty)
        #expect(parsed == emptyHeader && records.isEmpty)
        #expect(empty.readableBytes == RecordBatchHeader.size)
        #expect(parsed.baseOffset == 100 && parsed.lastOffset == 101 && parsed.recordCount == 0)
        #expect(parsed.producerId == 42 && parsed.producerEpoch == 3 && parsed.baseSequence == 7)
        #expect(
            parsed.attributes.isUncompressed && parsed.baseTimestamp == -1 && parsed.maxTimestamp == header.maxTimestamp
        )
    }

    /// Offset deltas outside the batch, lengths past the records, or garbage are errors, never traps.
    @Test func malformedRecordsAreErrors() throws {
        let (header, bytes) = try stored([.init("a", "1")])
        var wrongDelta = header
        wrongDelta.lastOffsetDelta = -1
        #expect(throws: StoredRecordsError.self) {
            try CleanerRecords.records(of: wrongDelta, in: bytes, maxDecompressedBytes: 1 << 20)
        }
        var garbled = bytes
        garbled.setInteger(UInt8(0x7F), at: RecordBatchHeader.size)  // record length far past the batch
        #expect(throws: StoredRecordsError.self) {
            try CleanerRecords.records(of: header, in: garbled, maxDecompressedBytes: 1 << 20)
        }
        var huge = header
        huge.recordCount = .max
        #expect(throws: StoredRecordsError.self) {
            try CleanerRecords.records(of: huge, in: bytes, maxDecompressedBytes: 1 << 20)
        }
    }

    /// Produce to a compacted topic: every record must have a key (`LogValidator.validateKey`),
    /// compressed batches included.
    @Test func keylessRecordsAreFound() throws {
        #expect(
            try keyedBatch([.init("a", "1"), .init("b", nil)]).checkKeys(maxDecompressedBytes: 1 << 20) == .allKeyed)
        #expect(
            try keyedBatch([.init("a", "1"), .init(nil, "2")]).checkKeys(maxDecompressedBytes: 1 << 20)
                == .keyless(recordIndex: 1))
        #expect(
            try keyedBatch([.init(nil, "1")], codec: .zstd).checkKeys(maxDecompressedBytes: 1 << 20)
                == .keyless(recordIndex: 0))
        var two = ByteBuffer()
        two.writeImmutableBuffer(try keyedBatch([.init("a", "1")]).bytes)
        two.writeImmutableBuffer(try keyedBatch([.init("b", "1"), .init(nil, "x")], codec: .gzip).bytes)
        let batches = try ProduceRecordBatches(validating: two, maxBatchBytes: 1 << 20)
        #expect(batches.checkKeys(maxDecompressedBytes: 1 << 20) == .keyless(recordIndex: 2))
        // A compressed section that does not decompress.
        let plain = try keyedBatch([.init("a", "1")]).bytes
        let bogus = replacingRecordsSection(
            of: plain, with: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8]), codec: CompressionCodec.lz4.rawValue)
        let unreadable = try ProduceRecordBatches(validating: bogus, maxBatchBytes: 1 << 20)
        guard case .unreadable = unreadable.checkKeys(maxDecompressedBytes: 1 << 20) else {
            Issue.record("expected unreadable")
            return
        }
    }
}
