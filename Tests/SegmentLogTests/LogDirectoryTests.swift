import Testing

@testable import SegmentLog

@Suite struct LogDirectoryTests {
    private static func open(_ path: String, now: Int64 = 0) throws -> LogDirectory {
        try LogDirectory(path: path, now: now, config: { _ in LogConfig() }, logger: testLogger)
    }

    @Test func partitionsAndCheckpointsSurviveACleanRestart() throws {
        try withTemporaryDirectory { root in
            let path = root + "/kafka-logs"
            let directory = try Self.open(path)
            let orders = try directory.createLog(for: TopicPartition(topic: "orders-eu", partition: 0), config: LogConfig(), now: 0)
            let audit = try directory.createLog(for: TopicPartition(topic: "audit", partition: 7), config: LogConfig(), now: 0)
            for _ in 0..<3 { _ = try orders.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0) }
            _ = try audit.append(try produceBatch(), leaderEpoch: 0, now: 0)
            orders.updateHighWatermark(4)
            try directory.close(now: 0)

            #expect(try FileSystem.readText(path + "/recovery-point-offset-checkpoint") == "0\n2\naudit 7 1\norders-eu 0 6\n")
            #expect(try FileSystem.readText(path + "/replication-offset-checkpoint") == "0\n2\naudit 7 0\norders-eu 0 4\n")
            #expect(try FileSystem.readText(path + "/log-start-offset-checkpoint") == "0\n2\naudit 7 0\norders-eu 0 0\n")
            #expect(FileSystem.exists(path + "/.kafka_cleanshutdown"))

            let reopened = try Self.open(path)
            #expect(reopened.topicPartitions == [TopicPartition(topic: "audit", partition: 7), TopicPartition(topic: "orders-eu", partition: 0)])
            let log = try #require(reopened.log(for: TopicPartition(topic: "orders-eu", partition: 0)))
            #expect(log.recoveryReport == .init())
            #expect(log.logEndOffset == 6)
            #expect(log.highWatermark == 4)
            #expect(log.recoveryPoint == 6)
            #expect(!FileSystem.exists(path + "/.kafka_cleanshutdown"))
        }
    }

    @Test func withoutACleanShutdownTheTailIsRecovered() throws {
        try withTemporaryDirectory { root in
            let directory = try Self.open(root)
            let log = try directory.createLog(for: testPartition, config: LogConfig(), now: 0)
            _ = try log.append(try produceBatch(), leaderEpoch: 0, now: 0)
            try directory.writeCheckpoints()
            let reopened = try Self.open(root)
            #expect(try #require(reopened.log(for: testPartition)).recoveryReport.recoveredSegments == [0])
        }
    }

    @Test func deletedPartitionIsRenamedThenRemoved() throws {
        try withTemporaryDirectory { root in
            let directory = try Self.open(root)
            _ = try directory.createLog(for: testPartition, config: LogConfig(), now: 0)
            try directory.deleteLog(for: testPartition, uniqueId: "5f1c0c6a0d8e4b1f9a3b2c1d0e9f8a7b")
            #expect(directory.topicPartitions.isEmpty)
            #expect(try FileSystem.contents(of: root).filter { FileSystem.isDirectory(root + "/" + $0) }.isEmpty)
            #expect(try FileSystem.readText(root + "/recovery-point-offset-checkpoint") == "0\n0\n")
        }
    }

    @Test func leftoverDeleteDirectoryIsRemovedOnOpen() throws {
        try withTemporaryDirectory { root in
            let leftover = root + "/orders-3.abc123-delete"
            try FileSystem.makeDirectory(leftover)
            try PosixFile(path: leftover + "/00000000000000000000.log", create: true).close()
            let directory = try Self.open(root)
            #expect(directory.topicPartitions.isEmpty)
            #expect(!FileSystem.exists(leftover))
        }
    }

    @Test func strayDirectoryIsAnError() throws {
        try withTemporaryDirectory { root in
            try FileSystem.makeDirectory(root + "/not_a_partition")
            #expect(throws: SegmentLogError.self) { _ = try Self.open(root) }
        }
    }

    @Test func garbledRootCheckpointRefusesToOpenAndNamesTheFile() throws {
        try withTemporaryDirectory { root in
            try FileSystem.writeTextAtomically("0\n1\norders 0\n", to: root + "/replication-offset-checkpoint")
            #expect {
                _ = try Self.open(root)
            } throws: { error in
                "\(error)" == "\(root)/replication-offset-checkpoint line 3 is not a valid checkpoint: expected 3 fields in \"orders 0\""
            }
        }
    }
}
