import KafkaWire
import NIOCore
import RecordCompression
import Testing

@testable import SegmentLog

/// Compaction of real logs in a temporary directory: cleaning, reopening and reading every offset, the
/// cleaner checkpoint, tombstones, producers' last batches, a full offset map, and the swap's
/// behaviour when the log changes underneath it or a crash interrupts it.
@Suite struct LogCleanerTests {
    /// Writes `rounds` rounds of one value per key for `keys` keys, one batch of `perBatch` records at a
    /// time, then returns what was written in order.
    @discardableResult
    private func fill(
        _ log: PartitionLog, keys: Int, rounds: Int, perBatch: Int = 2, codec: CompressionCodec? = nil,
        timestamp: Int64 = 1_000
    ) throws -> [KeyedRecord] {
        var written: [KeyedRecord] = []
        for round in 0..<rounds {
            for key in 0..<keys { written.append(KeyedRecord("k\(key)", "v\(round)-\(key)")) }
        }
        for start in stride(from: 0, to: written.count, by: perBatch) {
            let chunk = Array(written[start..<min(start + perBatch, written.count)])
            _ = try log.append(
                try keyedBatch(chunk, timestamp: timestamp, codec: codec), leaderEpoch: 0, now: timestamp)
        }
        log.updateHighWatermark(log.logEndOffset)
        return written
    }

    @Test(arguments: [nil, CompressionCodec.gzip, .zstd])
    func cleaningKeepsTheLatestValueOfEveryKeyAcrossARestart(codec: CompressionCodec?) throws {
        try withTemporaryDirectory { directory in
            let config = compactedConfig()
            let log = try openLog(directory, config: config)
            try fill(log, keys: 5, rounds: 6, codec: codec)
            // The active segment is never cleaned: roll a new one with a record of another key.
            try appendTail(log)
            let before = try readEverything(log)
            let segmentsBefore = log.segmentBaseOffsets
            #expect(segmentsBefore.count > 3)

            var cleaner = LogCleaner(mapMemory: 1 << 20)
            guard case .cleaned(let end, let stats) = try cleanOnce(log, now: 5_000, cleaner: &cleaner) else {
                throw TestFailure("nothing cleaned")
            }
            #expect(end.rawValue == segmentsBefore.last!)
            #expect(stats.recordsRead == 30 && stats.recordsWritten == 5)
            #expect(stats.bytesWritten < stats.bytesRead)
            #expect(log.cleanerCheckpoint == end)
            let after = try readEverything(log)
            let expected =
                before.records.filter { $0.offset >= end.rawValue }
                + latestByKey(
                    before.records.filter {
                        $0.offset < end.rawValue
                    }
                ).values
            #expect(after.records.sorted { $0.offset < $1.offset } == expected.sorted { $0.offset < $1.offset })
            // Re-encoded batches keep their codec (the tail's batch is not compressed).
            #expect(after.headers.dropLast().allSatisfy { $0.attributes.compressionCodec == (codec?.rawValue ?? 0) })
            // Every offset reads: a fetch from inside a removed range gets the next batch kept.
            for offset in 0..<log.logEndOffset.rawValue {
                let headers = try batchHeaders(try log.read(from: LogOffset(offset), maxBytes: 1))
                #expect(headers.first.map { $0.lastOffset >= offset } == true, "offset \(offset)")
            }
            // Nothing was due any more.
            #expect(try cleanOnce(log, now: 5_000, cleaner: &cleaner) == nil)

            try log.flush(upTo: log.logEndOffset)
            try log.close()
            let reopened = try openLog(
                directory, config: config,
                checkpoints: .init(recoveryPoint: log.logEndOffset, cleanerOffset: end, cleanShutdown: true))
            #expect(try readEverything(reopened).records == after.records)
            #expect(reopened.logEndOffset == log.logEndOffset)
            #expect(reopened.cleanerCheckpoint == end)
            try reopened.close()
            // Also after an unclean shutdown: every segment re-validated.
            let recovered = try openLog(directory, config: config, checkpoints: .init(recoveryPoint: 0))
            #expect(try readEverything(recovered).records == after.records)
            #expect(recovered.recoveryReport.truncatedBytes == 0)
        }
    }

    /// Small segments are merged into one of at most `segment.bytes` (`groupSegmentsBySize`).
    @Test func smallSegmentsAreMerged() throws {
        try withTemporaryDirectory { directory in
            var config = compactedConfig()
            config.segmentBytes = 100_000
            config.segmentMs = 5
            let log = try openLog(directory, config: config)
            // Every record 10 ms after the previous one: each rolls a segment.
            for index in 0..<24 {
                let timestamp = 1_000 + Int64(index) * 10
                _ = try log.append(
                    try keyedBatch([.init("k\(index % 2)", "v\(index)")], timestamp: timestamp), leaderEpoch: 0,
                    now: timestamp)
            }
            try appendTail(log)
            #expect(log.segmentBaseOffsets.count == 25)
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            try cleanOnce(log, now: 5_000, cleaner: &cleaner)
            #expect(log.segmentBaseOffsets == [0, 24])
            #expect(try readEverything(log).records.map(\.value) == ["v22", "v23", "t"])
        }
    }

    /// Tombstones survive the cleaning that first copies them (which stamps their delete horizon) and go
    /// at the first cleaning after `delete.retention.ms`.
    @Test func tombstonesGoAfterDeleteRetention() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: compactedConfig(deleteRetentionMs: 1_000))
            try fill(log, keys: 3, rounds: 2)
            _ = try log.append(try keyedBatch([.init("k1", nil), .init("k2", nil)]), leaderEpoch: 0, now: 1_000)
            try appendTail(log)
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            try cleanOnce(log, now: 5_000, cleaner: &cleaner)
            let first = try readEverything(log)
            #expect(first.records.map(\.key) == ["k0", "k1", "k2", "tail"])
            #expect(first.records.filter { $0.value == nil }.map(\.key) == ["k1", "k2"])
            let stamped = try #require(first.headers.first { $0.deleteHorizon != nil })
            #expect(stamped.deleteHorizon == 6_000)
            // Timestamps of the kept records are those they were written with.
            #expect(first.records.first { $0.key == "k1" }?.timestamp == 1_000)

            // More dirt, so the log is due again; before the horizon the tombstones stay.
            _ = try log.append(try keyedBatch([.init("k0", "new")]), leaderEpoch: 0, now: 5_500)
            try appendTail(log, "t2")
            try cleanOnce(log, now: 5_999, cleaner: &cleaner)
            #expect(try readEverything(log).records.filter { $0.value == nil }.map(\.key) == ["k1", "k2"])

            _ = try log.append(try keyedBatch([.init("k0", "newer")]), leaderEpoch: 0, now: 6_500)
            try appendTail(log, "t3")
            try cleanOnce(log, now: 6_000, cleaner: &cleaner)
            let last = try readEverything(log).records
            #expect(last.filter { $0.value == nil }.isEmpty)
            #expect(last.filter { $0.key == "k0" }.map(\.value) == ["newer"])
        }
    }

    /// The last batch of an idempotent producer survives as an empty batch, so its sequence and epoch
    /// are rebuilt at the next open and the producer's next batch is accepted.
    @Test func aProducersLastBatchSurvivesEmpty() throws {
        try withTemporaryDirectory { directory in
            let config = compactedConfig()
            let log = try openLog(directory, config: config)
            _ = try log.append(
                try keyedBatch([.init("k0", "1"), .init("k1", "1")], producerID: 9, producerEpoch: 2, baseSequence: 0),
                leaderEpoch: 0, now: 1_000)
            _ = try log.append(
                try keyedBatch(
                    [.init("k0", "2"), .init("k1", "2")], producerID: 10, producerEpoch: 0, baseSequence: 0),
                leaderEpoch: 0, now: 1_000)
            _ = try log.append(
                try keyedBatch(
                    [.init("k0", "3"), .init("k1", "3")], producerID: 10, producerEpoch: 0, baseSequence: 2),
                leaderEpoch: 0, now: 1_000)
            try fill(log, keys: 2, rounds: 4)
            try appendTail(log)
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            try cleanOnce(log, now: 5_000, cleaner: &cleaner)
            let headers = try readEverything(log).headers
            // Producer 9's only batch and producer 10's last one stay, without records; 10's first goes.
            let empty = headers.filter { $0.recordCount == 0 }
            #expect(empty.map(\.producerId) == [9, 10])
            #expect(empty.map(\.baseOffset) == [0, 4])
            #expect(empty.map(\.lastOffset) == [1, 5])
            #expect(empty.map(\.baseSequence) == [0, 2])
            #expect(empty.map(\.producerEpoch) == [2, 0])
            try log.close()
            let reopened = try openLog(directory, config: config, checkpoints: .init(cleanShutdown: true))
            let next = try keyedBatch([.init("k0", "4")], producerID: 10, producerEpoch: 0, baseSequence: 4)
            #expect(reopened.checkProducers(next) == .append)
            #expect(reopened.producerState.producers[9]?.epoch == 2)
        }
    }

    /// A dedupe buffer too small for the dirty section cleans up to where it filled, as Kafka does; the
    /// next cleaning goes on from there.
    @Test func aFullOffsetMapCleansUpToWhereItFilled() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: compactedConfig(segmentBytes: 2_000))
            try fill(log, keys: 40, rounds: 2)
            try appendTail(log)
            let firstUncleanable = log.segmentBaseOffsets.last!
            // 30 slots, 27 keys at most.
            var cleaner = LogCleaner(mapMemory: 24 * 30)
            guard case .cleaned(let end, let stats) = try cleanOnce(log, now: 5_000, cleaner: &cleaner) else {
                throw TestFailure("nothing cleaned")
            }
            #expect(end.rawValue == 27)
            #expect(stats.bufferUtilization == 0.9)
            #expect(log.cleanerCheckpoint == end)
            // Nothing at or past the end of the map was removed.
            let records = try readEverything(log).records
            #expect(records.filter { $0.offset >= 27 }.count == Int(firstUncleanable) - 27 + 1)
            var rounds = 1
            while rounds < 10, try cleanOnce(log, now: 5_000, cleaner: &cleaner) != nil { rounds += 1 }
            #expect(rounds > 1)
            #expect(log.cleanerCheckpoint?.rawValue == firstUncleanable)
            let cleaned = try readEverything(log).records
            #expect(cleaned.count == 41)
            #expect(Set(cleaned.compactMap(\.value)).isSuperset(of: (0..<40).map { "v1-\($0)" }))
        }
    }

    /// A compacted-only log never loses segments to retention.ms or retention.bytes; compact,delete does.
    @Test func retentionAppliesOnlyWithTheDeletePolicy() throws {
        try withTemporaryDirectory { directory in
            var config = compactedConfig()
            config.retentionMs = 10
            config.retentionBytes = 1
            let compacted = try openLog(directory, config: config)
            try fill(compacted, keys: 3, rounds: 6)
            let segments = compacted.segmentBaseOffsets.count
            #expect(try compacted.deleteOldSegments(now: 1_000_000) == 0)
            #expect(compacted.segmentBaseOffsets.count == segments)
            config.cleanupPolicy = .compactAndDelete
            try FileSystem.makeDirectory(directory + "/both")
            let both = try openLog(directory + "/both", config: config)
            try fill(both, keys: 3, rounds: 6)
            #expect(try both.deleteOldSegments(now: 1_000_000) > 0)
        }
    }

    /// The swap is abandoned, the log untouched, when the log was truncated or lost segments to retention
    /// after the copy was read.
    @Test func aSwapIntoAChangedLogIsAbandoned() throws {
        try withTemporaryDirectory { directory in
            var config = compactedConfig()
            config.cleanupPolicy = .compactAndDelete
            config.retentionMs = 100_000
            let log = try openLog(directory, config: config)
            try fill(log, keys: 3, rounds: 6)
            try appendTail(log)

            var cleaner = LogCleaner(mapMemory: 1 << 20)
            let truncated = try #require(try log.beginCleaning(now: 5_000))
            try log.truncate(to: log.logEndOffset, now: 5_000)  // a truncation, even one cutting nothing
            let outcome = try cleaner.clean(truncated, now: 5_000) { try log.replaceSegments(with: $0) }
            guard case .abandoned = outcome else { throw TestFailure("\(outcome)") }
            #expect(try FileSystem.contents(of: log.directory).allSatisfy { !$0.hasSuffix(".cleaned") })

            // Retention deletes the segments read (compact,delete) before the copy is swapped in.
            let retained = try #require(try log.beginCleaning(now: 5_000))
            #expect(try log.deleteOldSegments(now: 10_000_000) > 0)
            let another = try cleaner.clean(retained, now: 5_000) { try log.replaceSegments(with: $0) }
            guard case .abandoned = another else { throw TestFailure("\(another)") }
            #expect(try readEverything(log).records.map(\.key) == ["tail"])
        }
    }

    /// Unreadable data in a segment to clean is an error naming the file, never a trap.
    @Test func aCorruptSegmentIsAnError() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory, config: compactedConfig())
            try fill(log, keys: 3, rounds: 6)
            try appendTail(log)
            let first = FileSurgery.segmentFile(directory, base: 0, suffix: ".log")
            // A flipped byte inside the first batch's records: its CRC no longer matches.
            try FileSurgery.overwrite(first, at: RecordBatchHeader.size + 2, with: [0xEE])
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            let source = try #require(try log.beginCleaning(now: 5_000))
            #expect(throws: SegmentLogError.self) {
                try cleaner.clean(source, now: 5_000) { try log.replaceSegments(with: $0) }
            }
            #expect(log.isCurrent(source))
            #expect(try FileSystem.contents(of: log.directory).allSatisfy { !$0.hasSuffix(".cleaned") })
        }
    }

    /// The cleaner checkpoint is written with the log dir's checkpoints and read back at open.
    @Test func theCleanerCheckpointSurvivesARestartOfTheLogDir() throws {
        try withTemporaryDirectory { directory in
            let config = compactedConfig()
            var logDir = try LogDirectory(path: directory, now: 0, config: { _ in config }, logger: testLogger)
            let log = try logDir.createLog(for: testPartition, config: config, now: 0)
            try fill(log, keys: 3, rounds: 6)
            try appendTail(log)
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            guard case .cleaned(let end, _) = try cleanOnce(log, now: 5_000, cleaner: &cleaner) else {
                throw TestFailure("nothing cleaned")
            }
            try logDir.close(now: 0)
            let text = try FileSystem.readText(directory + "/cleaner-offset-checkpoint")
            #expect(text == "0\n1\norders 3 \(end)\n")
            logDir = try LogDirectory(path: directory, now: 0, config: { _ in config }, logger: testLogger)
            #expect(logDir.log(for: testPartition)?.cleanerCheckpoint == end)
            #expect(try logDir.log(for: testPartition)?.beginCleaning(now: 5_000) == nil)
        }
    }

    /// A follower appends a leader's compacted batches: a gap where the cleaner removed batches is fine.
    @Test func aFollowerTakesALeadersGaps() throws {
        try withTemporaryDirectory { directory in
            try FileSystem.makeDirectory(directory + "/leader")
            let leader = try openLog(directory + "/leader", config: compactedConfig())
            try fill(leader, keys: 3, rounds: 6)
            try appendTail(leader)
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            try cleanOnce(leader, now: 5_000, cleaner: &cleaner)
            let follower = try openLog(directory, config: compactedConfig())
            while follower.logEndOffset < leader.logEndOffset {
                guard case .batches(let bytes) = try leader.read(from: follower.logEndOffset, maxBytes: 100) else {
                    throw TestFailure("out of range")
                }
                let batches = try ProduceRecordBatches(
                    replicating: bytes, expectedOffset: follower.logEndOffset.rawValue)
                try follower.appendAsFollower(batches, now: 5_000)
            }
            #expect(try readEverything(follower).records == readEverything(leader).records)
        }
    }
}

/// A crash at each step of the swap: the next open finishes it or undoes it, as Kafka's `LogLoader`.
@Suite struct CleanerSwapRecoveryTests {
    /// The directory's names after recovery would run on `names`, given each `.log.swap`'s next offset.
    @Test func thePlanDeletesCleanedFilesAndCompletesCommittedSwaps() {
        func name(_ base: Int64, _ suffix: String) -> String { LogSegment.fileName(baseOffset: base, suffix: suffix) }
        let names = [
            name(0, ".log"), name(0, ".index"), name(0, ".timeindex"), name(10, ".log"), name(10, ".index"),
            name(10, ".timeindex"), name(20, ".log"), name(20, ".index"), name(20, ".timeindex"),
            name(0, ".log.swap"), name(0, ".index.swap"), name(0, ".timeindex.swap"),
            name(20, ".log.cleaned"), name(20, ".index.cleaned"), name(30, ".index.swap"),
            "leader-epoch-checkpoint", "partition.metadata",
        ]
        let plan = SwapRecovery.plan(names: names) { base in
            #expect(base == 0)
            return 15
        }
        #expect(plan.completedSwaps == [0])
        #expect(
            Set(plan.deletions) == [
                name(0, ".log"), name(0, ".index"), name(0, ".timeindex"), name(10, ".log"), name(10, ".index"),
                name(10, ".timeindex"), name(20, ".log.cleaned"), name(20, ".index.cleaned"), name(30, ".index.swap"),
            ])
        #expect(
            plan.renames == [
                .init(from: name(0, ".index.swap"), to: name(0, ".index")),
                .init(from: name(0, ".timeindex.swap"), to: name(0, ".timeindex")),
                .init(from: name(0, ".log.swap"), to: name(0, ".log")),
            ])
    }

    /// Builds a log, cleans it into `.cleaned` files without swapping, then leaves the directory as a
    /// crash after `step` steps of the swap would; reopens and checks the log is either the old one or
    /// the cleaned one, whole.
    @Test(arguments: 0...4) func aCrashDuringTheSwapIsRecoveredAtOpen(step: Int) throws {
        try withTemporaryDirectory { directory in
            // Segments rolled by time, all small enough to be cleaned into one.
            var config = compactedConfig(segmentBytes: 100_000)
            config.segmentMs = 5
            let log = try openLog(directory, config: config)
            var written: [KeyedRecord] = []
            for round in 0..<6 { for key in 0..<3 { written.append(.init("k\(key)", "v\(round)")) } }
            for (index, record) in written.enumerated() {
                let timestamp = 1_000 + Int64(index) * 2
                _ = try log.append(try keyedBatch([record], timestamp: timestamp), leaderEpoch: 0, now: timestamp)
            }
            try appendTail(log)
            let old = try readEverything(log).records
            let oldBases = log.segmentBaseOffsets
            #expect(oldBases.count >= 3)

            // A cleaning whose swap never starts (the copy is saved, then put back as a crash before the
            // swap would have left it).
            let partition = directory + "/" + testPartition.directoryName
            var cleaner = LogCleaner(mapMemory: 1 << 20)
            let source = try #require(try log.beginCleaning(now: 5_000))
            var saved: [(String, ByteBuffer)] = []
            var copies = 0
            _ = try cleaner.clean(source, now: 5_000) { _ in
                copies += 1
                for name in try FileSystem.contents(of: partition) where name.hasSuffix(".cleaned") {
                    saved.append((name, try FileSurgery.read(partition + "/" + name)))
                }
                return false
            }
            #expect(copies == 1)
            for (name, bytes) in saved {
                let file = try PosixFile(path: partition + "/" + name, create: true)
                try file.write(bytes, at: 0)
                try file.close()
            }
            try log.flush(upTo: log.logEndOffset)
            try log.close()
            let cleanedFiles = try FileSystem.contents(of: partition).filter { $0.hasSuffix(".cleaned") }
            #expect(cleanedFiles.count == 3)
            let base = oldBases[0]
            func rename(_ kind: String, _ from: String, _ to: String) throws {
                let path = partition + "/" + LogSegment.fileName(baseOffset: base, suffix: kind)
                try FileSystem.rename(path + from, to: path + to)
            }
            // The swap's steps: index files to .swap, the log file to .swap (commit), old segments deleted,
            // the .swap files renamed to their final names.
            if step >= 1 { try rename(".index", ".cleaned", ".swap") }
            if step >= 2 {
                try rename(".timeindex", ".cleaned", ".swap")
                try rename(".log", ".cleaned", ".swap")
            }
            if step >= 3 {
                for old in oldBases.dropLast() { try LogSegment.deleteFiles(in: partition, baseOffset: old) }
            }
            if step >= 4 { try rename(".index", ".swap", "") }

            let reopened = try openLog(directory, config: config, checkpoints: .init(recoveryPoint: 0))
            let names = try FileSystem.contents(of: partition)
            #expect(names.allSatisfy { !$0.hasSuffix(".cleaned") && !$0.hasSuffix(".swap") }, "\(names)")
            let records = try readEverything(reopened).records
            if step < 2 {
                #expect(records == old)
                #expect(reopened.segmentBaseOffsets == oldBases)
                #expect(reopened.recoveryReport.completedSwaps.isEmpty)
            } else {
                #expect(records.map(\.value) == ["v5", "v5", "v5", "t"])
                #expect(reopened.segmentBaseOffsets == [base, oldBases.last!])
                #expect(reopened.recoveryReport.completedSwaps == [base])
            }
            #expect(reopened.logEndOffset.rawValue == Int64(written.count) + 1)
        }
    }
}
