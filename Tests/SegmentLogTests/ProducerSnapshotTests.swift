import KafkaWire
import Logging
import NIOCore
import Synchronization
import Testing

@testable import SegmentLog

/// The bytes `hex` spells (two digits a byte).
private func buffer(hex: String) -> ByteBuffer {
    let digits = Array(hex.utf8)
    return ByteBuffer(bytes: stride(from: 0, to: digits.count, by: 2).map {
        UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
    })
}

extension ByteBuffer {
    /// The readable bytes as lowercase hex.
    fileprivate var hex: String { readableBytesView.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}

/// The snapshot codec alone: Kafka's version-1 layout byte for byte, and hostile files refused.
@Suite struct ProducerSnapshotCodecTests {
    /// Kafka's layout built by hand (a throwaway script packed the fields with `struct.pack(">hI")` and
    /// `">qhiqiqiq"` and computed the CRC-32C bit by bit; it is not kept): producer 7 at epoch 3 whose
    /// last batch is offsets 37–41 with sequences 5–9; producer 12 whose last batch's sequences wrap
    /// (Int32.max-1 … 2 at offsets 96–100); producer 1000 at epoch 5 with no batch (LastOffset -1, as
    /// Kafka writes for a producer that only bumped its epoch or wrote markers).
    static let kafkaFormat =
        "00017796601f0000000300000000000000070003000000090000000000000029000000040000018bcfe56800ffffffffffff"
        + "ffffffffffff000000000000000c0000000000020000000000000064000000040000018bcfe569f4ffffffffffffffffffff"
        + "ffff00000000000003e80005ffffffffffffffffffffffff000000000000000000001388ffffffffffffffffffffffff"

    static let kafkaEntries: [ProducerSnapshot.Entry] = [
        .init(producerID: 7, epoch: 3, lastSequence: 9, lastOffset: 41, offsetDelta: 4, timestamp: 1_700_000_000_000),
        .init(producerID: 12, epoch: 0, lastSequence: 2, lastOffset: 100, offsetDelta: 4, timestamp: 1_700_000_000_500),
        .init(producerID: 1000, epoch: 5, lastSequence: -1, lastOffset: -1, offsetDelta: 0, timestamp: 5_000),
    ]

    private static func decode(_ bytes: ByteBuffer) throws(SegmentLogError) -> ProducerSnapshot {
        try ProducerSnapshot(decoding: bytes, path: "p/00000000000000000101.snapshot")
    }

    /// `count` entries' worth of `entryBytes` after a header whose CRC matches them.
    private static func file(version: Int16 = 1, count: Int32, entryBytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(count)
        buffer.writeBytes(entryBytes)
        buffer.setInteger(CRC32C.checksum(buffer, at: 6, length: buffer.readableBytes - 6), at: 2)
        return buffer
    }

    @Test func kafkaFormatDecodesAndEncodesByteForByte() throws {
        let snapshot = try Self.decode(buffer(hex: Self.kafkaFormat))
        #expect(snapshot.entries == Self.kafkaEntries)
        #expect(ProducerSnapshot(entries: Self.kafkaEntries).encoded().hex == Self.kafkaFormat)
    }

    @Test func kafkaFormatGivesTheLastBatchOfEachProducer() throws {
        let table = try Self.decode(buffer(hex: Self.kafkaFormat)).table
        #expect(
            table.producers[7]
                == .init(
                    epoch: 3,
                    batches: [
                        .init(
                            firstSequence: 5, lastSequence: 9, firstOffset: 37, lastOffset: 41,
                            maxTimestamp: 1_700_000_000_000)
                    ], lastTimestamp: 1_700_000_000_000))
        #expect(table.producers[12]?.batches.map(\.firstSequence) == [Int32.max - 1])
        #expect(table.producers[12]?.batches.map(\.firstOffset) == [96])
        #expect(table.producers[1000] == .init(epoch: 5, batches: [], lastTimestamp: 5_000))
        // A known producer at epoch 5 with no batch: the epoch still fences, a new batch starts at 0.
        #expect(table.check(producerID: 1000, epoch: 4, firstSequence: 0, lastSequence: 0) == .invalidProducerEpoch)
        #expect(table.check(producerID: 1000, epoch: 5, firstSequence: 0, lastSequence: 0) == .append)
        #expect(table.check(producerID: 12, epoch: 0, firstSequence: 3, lastSequence: 3) == .append)
    }

    @Test func tableRoundTripsThroughTheFileKeepingTheLastBatch() throws {
        var table = ProducerStateTable()
        for sequence in Int32(0)..<7 {
            table.appended(
                producerID: 42, epoch: 1,
                batch: .init(
                    firstSequence: sequence * 2, lastSequence: sequence * 2 + 1,
                    firstOffset: LogOffset(Int64(sequence) * 2), lastOffset: LogOffset(Int64(sequence) * 2 + 1),
                    maxTimestamp: 900 + Int64(sequence)))
        }
        table.appended(
            producerID: 3, epoch: 0,
            batch: .init(firstSequence: 0, lastSequence: 0, firstOffset: 14, lastOffset: 14, maxTimestamp: 77))
        let snapshot = ProducerSnapshot(table)
        #expect(snapshot.entries.map(\.producerID) == [3, 42])
        let decoded = try Self.decode(snapshot.encoded())
        #expect(decoded == snapshot)
        #expect(decoded.table.producers[42]?.batches == table.producers[42]?.batches.suffix(1).map { $0 })
        #expect(decoded.table.producers[42]?.lastTimestamp == 906)
        #expect(decoded.table.producers[3] == table.producers[3])
        #expect(try Self.decode(ProducerSnapshot(ProducerStateTable()).encoded()).entries.isEmpty)
    }

    /// Every cut of a valid file (an empty file, a torn write) is refused, never trapped on.
    @Test func truncatedFilesAreCorrupt() {
        let whole = buffer(hex: Self.kafkaFormat)
        for length in 0..<whole.readableBytes {
            #expect(throws: SegmentLogError.self, "cut to \(length) bytes") {
                _ = try Self.decode(whole.getSlice(at: 0, length: length)!)
            }
        }
        var longer = whole
        longer.writeInteger(UInt8(0))
        #expect(throws: SegmentLogError.self) { _ = try Self.decode(longer) }
    }

    @Test func aFlippedBitFailsTheCRC() {
        var bytes = buffer(hex: Self.kafkaFormat)
        bytes.setInteger(bytes.getInteger(at: 40, as: UInt8.self)! ^ 0x10, at: 40)
        #expect {
            _ = try Self.decode(bytes)
        } throws: { error in
            guard case .corruptProducerSnapshot(_, let detail) = error as? SegmentLogError else { return false }
            return detail.contains("CRC")
        }
    }

    @Test func otherVersionsAreRefused() {
        var bytes = buffer(hex: Self.kafkaFormat)
        bytes.setInteger(Int16(2), at: 0)
        #expect {
            _ = try Self.decode(bytes)
        } throws: { error in
            guard case .corruptProducerSnapshot(_, let detail) = error as? SegmentLogError else { return false }
            return detail == "unknown version 2"
        }
    }

    /// A count the bytes cannot hold is refused before anything is allocated for it, CRC or not.
    @Test(arguments: [Int32.max, 2, -1, Int32.min])
    func countsTheBytesDoNotHoldAreRefused(count: Int32) {
        let bytes = Self.file(count: count, entryBytes: [UInt8](repeating: 0, count: ProducerSnapshot.entrySize))
        #expect {
            _ = try Self.decode(bytes)
        } throws: { error in
            guard case .corruptProducerSnapshot(_, let detail) = error as? SegmentLogError else { return false }
            return detail.hasPrefix("\(count) entries need")
        }
    }

    /// Entries whose batch does not add up are refused even with a valid CRC, so offsets and sequences
    /// computed from them cannot overflow.
    @Test(arguments: [
        ProducerSnapshot.Entry(producerID: 1, epoch: 0, lastSequence: 4, lastOffset: 3, offsetDelta: 4, timestamp: 0),
        .init(producerID: 1, epoch: 0, lastSequence: 4, lastOffset: 9, offsetDelta: -1, timestamp: 0),
        .init(producerID: 1, epoch: 0, lastSequence: -1, lastOffset: 9, offsetDelta: 0, timestamp: 0),
        .init(producerID: 1, epoch: 0, lastSequence: 0, lastOffset: Int64.max, offsetDelta: 0, timestamp: 0),
        .init(producerID: -1, epoch: 0, lastSequence: 0, lastOffset: 0, offsetDelta: 0, timestamp: 0),
    ])
    func entriesThatDoNotAddUpAreRefused(entry: ProducerSnapshot.Entry) {
        #expect(throws: SegmentLogError.self) {
            _ = try Self.decode(ProducerSnapshot(entries: [entry]).encoded())
        }
        #expect(ProducerSnapshot(entries: [entry]).table.producers.isEmpty)
    }

    @Test func fileNamesAreTwentyDigitOffsets() {
        #expect(ProducerSnapshot.fileName(offset: 42) == "00000000000000000042.snapshot")
        #expect(ProducerSnapshot.offset(ofFileName: "00000000000000000042.snapshot") == 42)
        for name in [
            "42.snapshot", "0000000000000000004x.snapshot", "00000000000000000042.snapshot.tmp",
            "00000000000000000042.log", "+0000000000000000042.snapshot", "99999999999999999999.snapshot",
            "09223372036854775807.snapshot",
        ] {
            #expect(ProducerSnapshot.offset(ofFileName: name) == nil, "\(name)")
        }
    }
}

// MARK: - The partition log's snapshots

/// One idempotent batch of `records` one-record-per-sequence records, stamped `timestamp`.
private func idempotentBatch(
    producer: Int64, epoch: Int16 = 0, sequence: Int32, records: Int = 1, timestamp: Int64 = 1_000
) throws -> ProduceRecordBatches {
    let batch = UncompressedRecordBatch.encode(
        records: (0..<records).map {
            BatchRecord(timestampDelta: 0, offsetDelta: Int32($0), value: ByteBuffer(repeating: 7, count: 40))
        },
        baseTimestamp: timestamp, producerId: producer, producerEpoch: epoch, baseSequence: sequence)
    return try ProduceRecordBatches(validating: batch, maxBatchBytes: 1 << 30)
}

/// Appends `batch` as the leader after the producer check passed.
private func produce(_ log: PartitionLog, _ batch: ProduceRecordBatches, now: Int64 = 1_000) throws {
    #expect(log.checkProducers(batch) == .append)
    _ = try log.append(batch, leaderEpoch: 0, now: now)
}

/// What a snapshot of `log`'s producer state would hold (its last batch per producer).
private func snapshotView(_ log: PartitionLog) -> [ProducerSnapshot.Entry] {
    ProducerSnapshot(log.producerState).entries
}

private func snapshotFile(_ directory: String, _ offset: Int64) -> String {
    directory + "/" + testPartition.directoryName + "/" + ProducerSnapshot.fileName(offset: LogOffset(offset))
}

/// Collects the messages a logger writes at warning level and above.
private final class WarningLines: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "segmentlog-test-warnings") { _ in WarningCapture(sink: self) }
    }

    private struct WarningCapture: LogHandler {
        let sink: WarningLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning
        var metadataProvider: Logger.MetadataProvider?

        func log(event: LogEvent) { sink.lines.withLock { $0.append(event.message.description) } }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }
}

/// Small segments: about two of these batches each.
private var smallSegments: LogConfig {
    var config = LogConfig()
    config.segmentBytes = 300
    return config
}

@Suite struct ProducerSnapshotLogTests {
    @Test func rollingWritesASnapshotAtTheNewSegmentBase() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: smallSegments)
            var sequence: Int32 = 0
            while log.segmentBaseOffsets.count < 2 {
                try produce(log, try idempotentBatch(producer: 5, sequence: sequence, records: 2))
                sequence += 2
            }
            let base = log.segmentBaseOffsets[1]
            #expect(log.producerSnapshotOffsets == [LogOffset(base)])
            let snapshot = try ProducerSnapshot(
                decoding: try FileSurgery.read(snapshotFile(directory, base)), path: "snapshot")
            // Written before the batch that rolled the segment was appended.
            #expect(
                snapshot.entries == [
                    .init(
                        producerID: 5, epoch: 0, lastSequence: sequence - 3, lastOffset: base - 1, offsetDelta: 1,
                        timestamp: 1_000)
                ])
        }
    }

    @Test func aCleanRestartLoadsTheSnapshotAtTheLogEnd() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: smallSegments)
            for sequence in Int32(0)..<5 {
                try produce(log, try idempotentBatch(producer: 5, sequence: sequence))
                try produce(log, try idempotentBatch(producer: 9, epoch: 2, sequence: sequence * 3, records: 3))
            }
            let before = snapshotView(log)
            try log.flush(upTo: log.logEndOffset)
            try log.close(now: 2_000)
            #expect(FileSystem.exists(snapshotFile(directory, log.logEndOffset.rawValue)))

            let reopened = try openLog(
                directory, config: smallSegments,
                checkpoints: .init(recoveryPoint: log.logEndOffset, cleanShutdown: true), now: 2_000)
            #expect(snapshotView(reopened) == before)
            #expect(reopened.producerSnapshotOffsets.last == reopened.logEndOffset)
            // The next batches continue the sequences; the last one again is a duplicate.
            let retry = try idempotentBatch(producer: 9, epoch: 2, sequence: 12, records: 3)
            guard case .duplicate = reopened.checkProducers(retry) else {
                Issue.record("the last batch is not recognised after a restart")
                return
            }
            try produce(reopened, try idempotentBatch(producer: 5, sequence: 5))
        }
    }

    /// After a crash the newest snapshot (at a segment base) is loaded and the batches after it are
    /// replayed; the state is the same as before, and a snapshot at the log end is written.
    @Test func anUncleanRestartReplaysTheBatchesAfterTheNewestSnapshot() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: smallSegments)
            for sequence in Int32(0)..<7 {
                try produce(log, try idempotentBatch(producer: 5, sequence: sequence))
                if sequence < 3 { try produce(log, try idempotentBatch(producer: 6, sequence: sequence)) }
            }
            #expect(log.segmentBaseOffsets.count >= 3)
            let before = snapshotView(log)
            let end = log.logEndOffset
            #expect(log.producerSnapshotOffsets.last.map { $0 < end } == true)
            try log.close()  // no snapshot: as after a crash

            let reopened = try openLog(directory, config: smallSegments)
            #expect(reopened.recoveryReport.recoveredSegments.isEmpty == false)
            #expect(snapshotView(reopened) == before)
            #expect(reopened.producerSnapshotOffsets.last == end)
        }
    }

    @Test func withoutSnapshotsEveryBatchIsReplayed() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: smallSegments)
            for sequence in Int32(0)..<6 { try produce(log, try idempotentBatch(producer: 5, sequence: sequence)) }
            let state = log.producerState
            try log.close()
            for offset in log.producerSnapshotOffsets {
                try FileSystem.remove(snapshotFile(directory, offset.rawValue))
            }
            let reopened = try openLog(directory, config: smallSegments)
            #expect(reopened.producerState == state)
        }
    }

    /// A garbled newest snapshot and a torn older one are deleted (one warning each), and the next older
    /// one is used instead.
    @Test func aCorruptSnapshotFallsBackToTheNextOlderOne() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: smallSegments)
            for sequence in Int32(0)..<8 { try produce(log, try idempotentBatch(producer: 5, sequence: sequence)) }
            let before = snapshotView(log)
            try log.close(now: 1_000)
            let offsets = log.producerSnapshotOffsets.map(\.rawValue)
            #expect(offsets.count >= 3)
            try FileSurgery.overwrite(snapshotFile(directory, offsets[offsets.count - 1]), at: 12, with: [0xFF, 0xFF])
            try FileSurgery.truncate(snapshotFile(directory, offsets[offsets.count - 2]), to: 7)

            let warnings = WarningLines()
            let reopened = try PartitionLog(
                directory: directory + "/" + testPartition.directoryName, topicPartition: testPartition,
                config: smallSegments, checkpoints: .init(), now: 0, logger: warnings.logger)
            #expect(snapshotView(reopened) == before)
            #expect(!FileSystem.exists(snapshotFile(directory, offsets[offsets.count - 2])))
            let lines = warnings.lines.withLock { $0 }
            #expect(lines == Array(repeating: "deleted unreadable producer snapshot", count: 2))
            // The log end's snapshot was written again from the replayed state.
            #expect(reopened.producerSnapshotOffsets.map(\.rawValue) == offsets.dropLast(2) + [offsets.last!])
        }
    }

    @Test func truncationDeletesTheSnapshotsAboveTheNewEnd() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: smallSegments)
            for sequence in Int32(0)..<8 { try produce(log, try idempotentBatch(producer: 5, sequence: sequence)) }
            try produce(log, try idempotentBatch(producer: 6, sequence: 0))
            let offsets = log.producerSnapshotOffsets
            #expect(offsets.count >= 3)
            let target = offsets[1]
            try log.truncate(to: target, now: 1_000)
            #expect(log.producerSnapshotOffsets == Array(offsets.prefix(2)))
            for offset in offsets.dropFirst(2) { #expect(!FileSystem.exists(snapshotFile(directory, offset.rawValue))) }
            // The state is the log's up to the new end: producer 5's batch before it, and no producer 6.
            #expect(log.producerState.producers[6] == nil)
            #expect(log.producerState.producers[5]?.batches.last?.lastOffset == LogOffset(target.rawValue - 1))
            try produce(log, try idempotentBatch(producer: 5, sequence: Int32(target.rawValue)))

            try log.truncateFullyAndStart(at: 100, now: 1_000)
            #expect(log.producerSnapshotOffsets.isEmpty)
            #expect(log.producerState.producers.isEmpty)
            let files = try FileSystem.contents(of: directory + "/" + testPartition.directoryName)
            #expect(!files.contains { $0.hasSuffix(ProducerSnapshot.fileSuffix) })
        }
    }

    /// Truncating to a batch a producer wrote long before its newest five: the in-memory batches alone
    /// would forget it; the snapshot and the headers after it know its batch below the new end.
    @Test func truncationKeepsAProducerWhoseNewerBatchesAreCut() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            for sequence in Int32(0)..<8 { try produce(log, try idempotentBatch(producer: 5, sequence: sequence)) }
            try log.truncate(to: 2, now: 1_000)
            #expect(log.producerState.producers[5]?.batches.map(\.lastSequence) == [0, 1])
            try produce(log, try idempotentBatch(producer: 5, sequence: 2))
        }
    }

    /// Retention deletes the only segment holding producer 5's batches: the producer stays known, in
    /// memory and after an unclean restart, and may go on with its next sequence.
    @Test func aProducerWhoseSegmentsRetentionDeletedIsStillKnownAfterARestart() throws {
        try withTemporaryDirectory { directory in
            var config = smallSegments
            config.retentionMs = 10_000
            config.segmentMs = 10_000
            let log = try openLog(directory, config: config)
            try produce(log, try idempotentBatch(producer: 5, sequence: 0, timestamp: 1_000))
            // 49 s later: a new segment (segment.ms) for producer 6's batches.
            var sequence: Int32 = 0
            while log.segmentBaseOffsets.count < 4 {
                try produce(log, try idempotentBatch(producer: 6, sequence: sequence, timestamp: 50_000), now: 50_000)
                sequence += 1
            }
            log.updateHighWatermark(log.logEndOffset)
            #expect(try log.deleteOldSegments(now: 55_000) == 1)
            let logStart = log.logStartOffset
            #expect(logStart > 0)
            #expect(log.producerState.producers[5] != nil)
            // Snapshots below the log start go, except the newest at or below it.
            #expect(log.producerSnapshotOffsets.first == logStart)
            try log.close()

            let reopened = try openLog(
                directory, config: config, checkpoints: .init(logStartOffset: logStart), now: 55_000)
            #expect(reopened.logStartOffset == logStart)
            #expect(reopened.producerState.producers[5]?.batches.map(\.lastSequence) == [0])
            try produce(reopened, try idempotentBatch(producer: 5, sequence: 1, timestamp: 55_000), now: 55_000)
            // Without the snapshot it would have been unknown.
            let fresh = ProducerStateTable()
            #expect(fresh.check(producerID: 5, epoch: 0, firstSequence: 1, lastSequence: 1) == .unknownProducerID)
        }
    }

    /// Producers idle for `producer.id.expiration.ms` are dropped when a snapshot is written (here at a
    /// roll) and when one is loaded.
    @Test func idleProducersExpireWithTheSnapshots() throws {
        try withTemporaryDirectory { directory in
            var config = smallSegments
            config.producerIDExpirationMs = 60_000
            let log = try openLog(directory, config: config)
            try produce(log, try idempotentBatch(producer: 5, sequence: 0, timestamp: 1_000))
            try produce(log, try idempotentBatch(producer: 6, sequence: 0, timestamp: 30_000), now: 30_000)
            // The roll at 61,000: producer 5 (last batch at 1,000) has been idle for 60 s.
            var sequence: Int32 = 1
            let segments = log.segmentBaseOffsets.count
            while log.segmentBaseOffsets.count == segments {
                try produce(log, try idempotentBatch(producer: 6, sequence: sequence, timestamp: 61_000), now: 61_000)
                sequence += 1
            }
            #expect(log.producerState.producers[5] == nil)
            #expect(log.producerState.producers[6] != nil)
            let newest = try #require(log.producerSnapshotOffsets.last)
            let snapshot = try ProducerSnapshot(
                decoding: try FileSurgery.read(snapshotFile(directory, newest.rawValue)), path: "snapshot")
            #expect(snapshot.entries.map(\.producerID) == [6])
            try log.close(now: 62_000)

            // Loading at 200,000: producer 6 (last batch at 61,000) has expired too.
            let reopened = try openLog(
                directory, config: config, checkpoints: .init(recoveryPoint: log.logEndOffset, cleanShutdown: true),
                now: 200_000)
            #expect(reopened.producerState.producers.isEmpty)
            #expect(
                reopened.checkProducers(try idempotentBatch(producer: 6, sequence: sequence)) == .unknownProducerID)
        }
    }

    /// KIP-360: an idempotent producer bumps its own epoch after an error and starts again at sequence
    /// 0; the log takes it, fences the old epoch, and keeps the new epoch across a restart.
    @Test func aBumpedEpochStartsAgainAtSequenceZero() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            for sequence in Int32(0)..<3 { try produce(log, try idempotentBatch(producer: 5, sequence: sequence)) }
            #expect(log.checkProducers(try idempotentBatch(producer: 5, epoch: 1, sequence: 3)) == .outOfOrderSequence)
            try produce(log, try idempotentBatch(producer: 5, epoch: 1, sequence: 0))
            try produce(log, try idempotentBatch(producer: 5, epoch: 1, sequence: 1))
            #expect(log.checkProducers(try idempotentBatch(producer: 5, sequence: 3)) == .invalidProducerEpoch)
            #expect(log.producerState.producers[5]?.epoch == 1)
            try log.close(now: 1_000)

            let reopened = try openLog(
                directory, checkpoints: .init(recoveryPoint: log.logEndOffset, cleanShutdown: true))
            #expect(reopened.producerState.producers[5]?.epoch == 1)
            #expect(
                reopened.checkProducers(try idempotentBatch(producer: 5, sequence: 3)) == .invalidProducerEpoch)
            try produce(reopened, try idempotentBatch(producer: 5, epoch: 1, sequence: 2))
            try produce(reopened, try idempotentBatch(producer: 5, epoch: 2, sequence: 0))
        }
    }
}
