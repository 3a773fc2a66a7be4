import KafkaWire
import NIOCore
import RecordCompression
import Testing

@testable import SegmentLog

/// ListOffsets by timestamp inside compressed batches (`FileRecords.searchForTimestamp`): the exact
/// record, not the batch's first offset.
@Suite struct CompressedTimestampLookupTests {
    @Test(arguments: CompressionCodec.allCases)
    func lookupFindsTheExactRecordInsideACompressedBatch(codec: CompressionCodec) throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.indexIntervalBytes = 100
            let log = try openLog(directory, config: config)
            // Batch i holds records stamped 1000*i + 0..9 at offsets 10(i-1)...10(i-1)+9.
            for batch in 1...20 {
                _ = try log.append(
                    try produceBatch(records: 10, valueSize: 50, timestamp: Int64(batch) * 1_000, codec: codec),
                    leaderEpoch: 0, now: 0)
            }
            #expect(try log.offset(forTimestamp: 0) == .init(timestamp: 1_000, offset: 0))
            #expect(try log.offset(forTimestamp: 7_004) == .init(timestamp: 7_004, offset: 64))
            #expect(try log.offset(forTimestamp: 7_010) == .init(timestamp: 8_000, offset: 70))
            #expect(try log.offset(forTimestamp: 20_009) == .init(timestamp: 20_009, offset: 199))
            #expect(try log.offset(forTimestamp: 20_010) == nil)
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func lookupSkipsRecordsBelowTheLogStartInsideACompressedBatch(codec: CompressionCodec) throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 10, timestamp: 1_000, codec: codec), leaderEpoch: 0, now: 0)
            try log.close()
            let reopened = try openLog(directory, checkpoints: .init(logStartOffset: 4, cleanShutdown: true))
            #expect(try reopened.offset(forTimestamp: 0) == .init(timestamp: 1_004, offset: 4))
            #expect(try reopened.offset(forTimestamp: 1_006) == .init(timestamp: 1_006, offset: 6))
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func logAppendTimeReportsTheAppendTimeForEveryRecordOfACompressedBatch(codec: CompressionCodec) throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.timestampType = .logAppendTime
            let log = try openLog(directory, config: config)
            _ = try log.append(try produceBatch(records: 3, codec: codec), leaderEpoch: 0, now: 77_000)
            #expect(try log.offset(forTimestamp: 50_000) == .init(timestamp: 77_000, offset: 0))
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func aStoredBatchThatDoesNotDecompressIsReportedAsCorruptRecordsNamingTheCodec(codec: CompressionCodec) throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            let batch = UncompressedRecordBatch.encode(records: [BatchRecord(offsetDelta: 0, value: nil)], baseTimestamp: 1_000)
            let garbage = ByteBuffer(bytes: [0x0A, 0xFF, 0xFE, 0xFD, 0xFC, 0x00, 0x01, 0x02, 0x03, 0x04])
            let corrupt = replacingRecordsSection(of: batch, with: garbage, codec: codec.rawValue)
            _ = try log.append(try ProduceRecordBatches(validating: corrupt, maxBatchBytes: 1 << 20), leaderEpoch: 0, now: 0)
            let error = #expect(throws: SegmentLogError.self) { try log.offset(forTimestamp: 0) }
            guard case .corruptRecords(_, let position, let detail) = error else {
                throw TestFailure("expected corruptRecords, got \(String(describing: error))")
            }
            #expect(position == 0)
            #expect(detail.contains("malformed \(codec) payload"))
        }
    }

    @Test func aDecompressionBombIsReportedAsCorruptRecords() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.maxDecompressedBatchBytes = 1_000
            let log = try openLog(directory, config: config)
            _ = try log.append(try produceBatch(records: 10, valueSize: 500, codec: .zstd), leaderEpoch: 0, now: 0)
            let error = #expect(throws: SegmentLogError.self) { try log.offset(forTimestamp: 0) }
            guard case .corruptRecords(_, _, let detail) = error else {
                throw TestFailure("expected corruptRecords, got \(String(describing: error))")
            }
            #expect(detail == "zstd payload decompresses to more than 1000 bytes")
        }
    }
}
