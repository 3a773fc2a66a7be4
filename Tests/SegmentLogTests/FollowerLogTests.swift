import KafkaWire
import NIOCore
import Testing

@testable import SegmentLog

/// The follower's side of a partition log: appending a leader's batches as they are, recording a
/// new leader's epoch at takeover, and restarting at the leader's log start.
@Suite struct FollowerLogTests {
    /// A leader's log with `batches` batches of 2 records: epoch 0 for the first half, epoch 3 after.
    private func leaderBytes(_ directory: String, batches: Int) throws -> ByteBuffer {
        try FileSystem.makeDirectory(directory + "/leader")
        let leader = try openLog(directory + "/leader")
        for index in 0..<batches {
            _ = try leader.append(try produceBatch(records: 2), leaderEpoch: index < batches / 2 ? 0 : 3, now: 0)
        }
        guard case .batches(let bytes) = try leader.read(from: 0, maxBytes: 1 << 20) else {
            throw TestFailure("no batches")
        }
        return bytes
    }

    @Test func aFollowerStoresTheLeadersBatchesByteForByteWithTheirEpochs() throws {
        try withTemporaryDirectory { directory in
            let bytes = try leaderBytes(directory, batches: 4)
            let follower = try openLog(directory)
            let batches = try ProduceRecordBatches(replicating: bytes, expectedOffset: 0)
            #expect(try follower.appendAsFollower(batches, now: 0) == 8)
            guard case .batches(let copy) = try follower.read(from: 0, maxBytes: 1 << 20) else {
                throw TestFailure("no batches")
            }
            #expect(copy == bytes)
            #expect(follower.leaderEpochs.entries == [.init(epoch: 0, startOffset: 0), .init(epoch: 3, startOffset: 4)])
        }
    }

    @Test func aBatchThatDoesNotStartAtTheLogEndIsRefused() throws {
        try withTemporaryDirectory { directory in
            let bytes = try leaderBytes(directory, batches: 2)
            let follower = try openLog(directory)
            _ = try follower.append(try produceBatch(records: 1), leaderEpoch: 0, now: 0)
            #expect(throws: RecordBatchError.offsetsOutOfOrder(position: 0, baseOffset: 0, expected: 1)) {
                try ProduceRecordBatches(replicating: bytes, expectedOffset: 1)
            }
            let stale = try ProduceRecordBatches(replicating: bytes, expectedOffset: 0)
            #expect(throws: SegmentLogError.self) { try follower.appendAsFollower(stale, now: 0) }
            #expect(follower.logEndOffset == 1)
        }
    }

    @Test func aPartialBatchAtTheEndIsLeftForTheNextFetch() throws {
        try withTemporaryDirectory { directory in
            let bytes = try leaderBytes(directory, batches: 2)
            let cut = bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes - 5)!
            let batches = try ProduceRecordBatches(replicating: cut, expectedOffset: 0)
            #expect(batches.batches.map(\.header.baseOffset) == [0])
            let follower = try openLog(directory)
            #expect(try follower.appendAsFollower(batches, now: 0) == 2)
        }
    }

    @Test func corruptOrEpochlessBatchesFromALeaderAreRefused() throws {
        try withTemporaryDirectory { directory in
            var bytes = try leaderBytes(directory, batches: 1)
            var negative = bytes
            negative.setInteger(Int32(-1), at: RecordBatchHeader.Field.partitionLeaderEpoch)
            #expect(throws: RecordBatchError.invalidLeaderEpoch(position: 0, epoch: -1)) {
                try ProduceRecordBatches(replicating: negative, expectedOffset: 0)
            }
            let last = bytes.writerIndex - 1
            bytes.setInteger(bytes.getInteger(at: last, as: UInt8.self)! ^ 0xFF, at: last)
            #expect(throws: RecordBatchError.self) { try ProduceRecordBatches(replicating: bytes, expectedOffset: 0) }
        }
    }

    @Test func aNewLeaderRecordsItsEpochStartBeforeItsFirstAppend() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 3), leaderEpoch: 1, now: 0)
            try log.assignLeaderEpoch(4)
            #expect(log.leaderEpochs.entries == [.init(epoch: 1, startOffset: 0), .init(epoch: 4, startOffset: 3)])
            // An older or the same epoch changes nothing.
            try log.assignLeaderEpoch(2)
            try log.assignLeaderEpoch(4)
            #expect(log.leaderEpochs.latestEpoch == 4)
            let path = directory + "/" + testPartition.directoryName + "/leader-epoch-checkpoint"
            #expect(try FileSystem.readText(path) == "0\n2\n1 0\n4 3\n")
            // A follower of epoch 4 that ended epoch 1 at 3 needs nothing truncated (KIP-101).
            #expect(log.endOffset(forEpoch: 1) == .init(epoch: 1, startOffset: 3))
        }
    }

    /// A broker that led epoch 4 without appending, then follows a leader whose next batch has epoch 2:
    /// truncating to its own log end drops the empty epoch, so the leader's batches append (found by
    /// the replication simulation; Kafka's `UnifiedLog.truncateTo` does the same).
    @Test func truncatingAtTheLogEndDropsAnEmptyEpochOfItsOwnLeadership() throws {
        try withTemporaryDirectory { directory in
            try FileSystem.makeDirectory(directory + "/leader")
            let leader = try openLog(directory + "/leader")
            _ = try leader.append(try produceBatch(records: 3), leaderEpoch: 1, now: 0)
            _ = try leader.append(try produceBatch(records: 2), leaderEpoch: 2, now: 0)
            guard case .batches(let next) = try leader.read(from: 3, maxBytes: 1 << 20) else { throw TestFailure("none") }

            let follower = try openLog(directory)
            _ = try follower.append(try produceBatch(records: 3), leaderEpoch: 1, now: 0)
            try follower.assignLeaderEpoch(4)
            let batches = try ProduceRecordBatches(replicating: next, expectedOffset: 3)
            #expect(throws: SegmentLogError.self) { try follower.appendAsFollower(batches, now: 0) }
            try follower.truncate(to: 3, now: 0)
            #expect(follower.leaderEpochs.entries == [.init(epoch: 1, startOffset: 0)])
            #expect(try follower.appendAsFollower(batches, now: 0) == 5)
            #expect(follower.leaderEpochs.latestEpoch == 2)
        }
    }

    /// A flush planned under the lock and fsynced outside it moves the recovery point, unless the log
    /// was truncated in between.
    @Test func aFlushPlanMovesTheRecoveryPointUnlessTheLogWasTruncatedMeanwhile() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 4), leaderEpoch: 0, now: 0)
            let plan = try #require(try log.flushPlan(upTo: log.logEndOffset))
            #expect(plan.target == 4 && plan.descriptors.count == 3)
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0)
            try plan.syncAndClose()
            log.flushed(plan)
            #expect(log.recoveryPoint == 4)
            #expect(try log.flushPlan(upTo: 4) == nil)

            let second = try #require(try log.flushPlan(upTo: log.logEndOffset))
            try log.truncate(to: 5, now: 0)
            _ = try log.append(try produceBatch(records: 3), leaderEpoch: 1, now: 0)
            try second.syncAndClose()
            log.flushed(second)
            #expect(log.recoveryPoint == 4)
        }
    }

    @Test func restartingAtTheLeadersLogStartEmptiesTheLog() throws {
        try withTemporaryDirectory { directory in
            let log = try openLog(directory)
            _ = try log.append(try produceBatch(records: 3), leaderEpoch: 1, now: 0)
            try log.truncateFullyAndStart(at: 100, now: 0)
            #expect(log.logStartOffset == 100)
            #expect(log.logEndOffset == 100)
            #expect(log.leaderEpochs.entries.isEmpty)
            #expect(log.segmentBaseOffsets == [100])
            let reopened = try openLog(directory, checkpoints: .init(logStartOffset: 100, cleanShutdown: false))
            #expect(reopened.logEndOffset == 100)
        }
    }
}
