import KafkaWire
import NIOCore
import Testing

@testable import SegmentLog

/// Opening a log after SIGKILL or disk damage (`LogLoader`, `LogSegment.recover`).
@Suite struct RecoveryTests {
    /// Writes `batches` one-record batches into a log that is then dropped without `close()`, as a
    /// killed broker leaves it (preallocated index files, no closing time-index entry).
    private static func writeLog(_ directory: String, batches: Int, config: LogConfig = LogConfig()) throws {
        let log = try openLog(directory, config: config)
        for batch in 0..<batches {
            _ = try log.append(try produceBatch(records: 2, timestamp: Int64(batch) * 10), leaderEpoch: LeaderEpoch(Int32(batch / 2)), now: 0)
        }
    }

    private static func logPath(_ directory: String, base: Int64 = 0) -> String {
        FileSurgery.segmentFile(directory, base: base, suffix: ".log")
    }

    @Test func intactLogAfterAKillIsRecoveredWithoutLoss() throws {
        try withTemporaryDirectory { directory in
            try Self.writeLog(directory, batches: 5)
            let log = try openLog(directory)
            #expect(log.recoveryReport.recoveredSegments == [0])
            #expect(log.recoveryReport.truncatedBytes == 0)
            #expect(log.logEndOffset == 10)
            #expect(log.leaderEpochs.entries.map(\.startOffset) == [0, 4, 8])
            #expect(try FileSurgery.size(FileSurgery.segmentFile(directory, base: 0, suffix: ".index")) == LogConfig().segmentIndexBytes)
        }
    }

    /// Cut the `.log` at every byte inside the last batch: recovery keeps exactly the batches before it.
    @Test func tornTailAtEveryByteIsTruncatedToTheLastWholeBatch() throws {
        try withTemporaryDirectory { directory in
            try Self.writeLog(directory, batches: 3)
            let path = Self.logPath(directory)
            let whole = try FileSurgery.read(path)
            let lastStart = whole.readableBytes / 3 * 2
            for cut in lastStart..<whole.readableBytes {
                try FileSurgery.truncate(path, to: 0)
                try FileSurgery.append(path, Array(whole.readableBytesView.prefix(cut)))
                let log = try openLog(directory)
                #expect(log.logEndOffset == 4, "cut at \(cut)")
                #expect(log.recoveryReport.truncatedBytes == cut - lastStart, "cut at \(cut)")
                #expect(try FileSurgery.size(path) == lastStart)
                #expect(try batchHeaders(try log.read(from: 0, maxBytes: 1 << 20)).map(\.baseOffset) == [0, 2])
                try log.close()
            }
        }
    }

    @Test func garbledByteInsideABatchTruncatesThereByCRC() throws {
        try withTemporaryDirectory { directory in
            try Self.writeLog(directory, batches: 4)
            let path = Self.logPath(directory)
            let batchSize = try FileSurgery.size(path) / 4
            try FileSurgery.overwrite(path, at: batchSize + 70, with: [0xEE])
            let log = try openLog(directory)
            #expect(log.logEndOffset == 2)
            #expect(log.recoveryReport.truncatedBytes == batchSize * 3)
            #expect(log.leaderEpochs.entries == [.init(epoch: 0, startOffset: 0)])
            let next = try log.append(try produceBatch(), leaderEpoch: 3, now: 0)
            #expect(next.firstOffset == 2)
        }
    }

    @Test func garbageAfterTheLastBatchIsCutOff() throws {
        try withTemporaryDirectory { directory in
            try Self.writeLog(directory, batches: 2)
            let path = Self.logPath(directory)
            let size = try FileSurgery.size(path)
            try FileSurgery.append(path, [0, 0, 0, 0, 0, 0, 0, 9, 0x7F, 0xFF, 0xFF, 0xFF, 2, 3, 4])
            let log = try openLog(directory)
            #expect(log.logEndOffset == 4)
            #expect(log.recoveryReport.truncatedBytes == 15)
            #expect(try FileSurgery.size(path) == size)
        }
    }

    @Test func truncatingAnEarlierSegmentDeletesTheLaterOnes() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentBytes = 100
            try Self.writeLog(directory, batches: 4, config: config)
            try FileSurgery.overwrite(Self.logPath(directory, base: 2), at: 80, with: [0xEE])
            let log = try openLog(directory, config: config, checkpoints: .init(recoveryPoint: 2))
            #expect(log.recoveryReport.recoveredSegments == [2])
            #expect(log.recoveryReport.deletedSegments == [4, 6])
            #expect(log.segmentBaseOffsets == [0, 2])
            #expect(log.logEndOffset == 2)
            #expect(!FileSystem.exists(Self.logPath(directory, base: 4)))
            _ = try log.append(try produceBatch(), leaderEpoch: 5, now: 0)
            #expect(log.segmentBaseOffsets == [0, 2])
        }
    }

    @Test(arguments: [".index", ".timeindex"])
    func deletedOrGarbledIndexIsRebuiltEvenAfterACleanShutdown(suffix: String) throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.indexIntervalBytes = 100
            let log = try openLog(directory, config: config)
            for batch in 0..<10 { _ = try log.append(try produceBatch(records: 2, timestamp: Int64(batch) * 10), leaderEpoch: 0, now: 0) }
            try log.close()
            let path = FileSurgery.segmentFile(directory, base: 0, suffix: suffix)
            let original = try FileSurgery.read(path)
            for damage in ["deleted", "garbled"] {
                if damage == "deleted" {
                    try FileSystem.remove(path)
                } else {
                    try FileSurgery.overwrite(path, at: 4, with: [UInt8](repeating: 0xFF, count: 8))
                }
                let reopened = try openLog(directory, config: config, checkpoints: .init(recoveryPoint: 20, cleanShutdown: true))
                #expect(reopened.recoveryReport.rebuiltIndexes == [0], "\(damage)")
                #expect(reopened.recoveryReport.recoveredSegments.isEmpty)
                try reopened.close()
                #expect(try FileSurgery.read(path) == original, "\(damage)")
                let again = try openLog(directory, config: config, checkpoints: .init(recoveryPoint: 20, cleanShutdown: true))
                #expect(again.recoveryReport == .init())
                #expect(try again.offset(forTimestamp: 41) == .init(timestamp: 41, offset: 9))
                #expect(try batchHeaders(try again.read(from: 13, maxBytes: 1)).map(\.baseOffset) == [12])
                try again.close()
            }
        }
    }

    /// Below the recovery point data was flushed: damage there is reported with the file, not cut.
    @Test func corruptionBelowTheRecoveryPointIsAnErrorNamingTheFile() throws {
        try withTemporaryDirectory { directory in
            var config = LogConfig()
            config.segmentBytes = 100
            try Self.writeLog(directory, batches: 3, config: config)
            let path = Self.logPath(directory, base: 0)
            try FileSurgery.overwrite(path, at: 70, with: [0xEE])
            try FileSystem.remove(FileSurgery.segmentFile(directory, base: 0, suffix: ".index"))
            #expect {
                _ = try openLog(directory, config: config, checkpoints: .init(recoveryPoint: 4, cleanShutdown: true))
            } throws: { error in
                "\(error)".hasPrefix("\(path) is corrupt at byte 0: crcMismatch")
            }
        }
    }

    @Test func segmentFileWithAForeignNameIsAnError() throws {
        try withTemporaryDirectory { directory in
            try Self.writeLog(directory, batches: 1)
            let stray = directory + "/" + testPartition.directoryName + "/12.log"
            try PosixFile(path: stray, create: true).close()
            #expect(throws: SegmentLogError.self) { _ = try openLog(directory) }
        }
    }
}
