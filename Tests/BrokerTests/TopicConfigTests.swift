import KafkaWire
import KafkaZooKeeper
import SegmentLog
import Testing

@testable import Broker

/// Effective topic configs: broker defaults, overrides, and the values Paddock refuses.
@Suite struct TopicConfigTests {
    private var broker: BrokerConfiguration {
        var configuration = BrokerConfiguration()
        configuration.logRetentionMs = 3_600_000
        configuration.logSegmentBytes = 1 << 20
        return configuration
    }

    @Test func defaultsComeFromTheBrokerConfiguration() throws {
        let config = try TopicConfig(broker: broker, overrides: [:])
        let values = Dictionary(uniqueKeysWithValues: config.entries.map { ($0.name, $0.value) })
        #expect(values["retention.ms"] == "3600000")
        #expect(values["segment.bytes"] == "1048576")
        #expect(values["cleanup.policy"] == "delete")
        #expect(values["max.message.bytes"] == "1048588")
        #expect(config.entries.allSatisfy { !$0.isOverride })
        #expect(config.logConfig.retentionMs == 3_600_000)
        #expect(config.logConfig.segmentBytes == 1 << 20)
        #expect(config.logConfig.retentionBytes == nil)
        #expect(config.maxMessageBytes == 1_048_588)
    }

    @Test func overridesWinAndKafkaKeysPaddockDoesNotInterpretAreListed() throws {
        let config = try TopicConfig(
            broker: broker,
            overrides: [
                "retention.ms": "-1", "message.timestamp.type": "LogAppendTime", "retention.bytes": "5000",
                "flush.ms": "1000", "leader.replication.throttled.replicas": "0:1,1:2", "preallocate": "TRUE",
            ])
        #expect(config.logConfig.retentionMs == nil)
        #expect(config.logConfig.retentionBytes == 5000)
        #expect(config.logConfig.timestampType == .logAppendTime)
        #expect(config.entries.first { $0.name == "flush.ms" }?.isOverride == true)
        #expect(config.entries.first { $0.name == "flush.ms" }?.value == "1000")
        #expect(config.entries.first { $0.name == "preallocate" }?.type == .boolean)
        #expect(config.entries.map(\.name) == config.entries.map(\.name).sorted())
    }

    /// Every topic config of Kafka 3.9 (`TopicConfig.java` and the two `QuotaConfig` throttle lists) is
    /// listed, with Kafka's defaults where Paddock has no broker key for it.
    @Test func everyKafkaTopicConfigIsListed() throws {
        let values = Dictionary(
            uniqueKeysWithValues: try TopicConfig(broker: broker, overrides: [:]).entries.map { ($0.name, $0.value) })
        #expect(
            values.keys.sorted() == [
                "cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type",
                "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
                "follower.replication.throttled.replicas", "index.interval.bytes",
                "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
                "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
                "message.format.version", "message.timestamp.after.max.ms", "message.timestamp.before.max.ms",
                "message.timestamp.difference.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio",
                "min.compaction.lag.ms", "min.insync.replicas", "preallocate", "remote.log.copy.disable",
                "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes", "retention.ms",
                "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
                "unclean.leader.election.enable",
            ])
        #expect(values["min.cleanable.dirty.ratio"] == "0.5")
        #expect(values["delete.retention.ms"] == "86400000")
        #expect(values["min.compaction.lag.ms"] == "0")
        #expect(values["max.compaction.lag.ms"] == "9223372036854775807")
        #expect(values["flush.messages"] == "9223372036854775807")
        #expect(values["local.retention.ms"] == "-2")
    }

    /// `cleanup.policy` takes `delete`, `compact` or both, in either order; the compaction keys reach the log.
    @Test func compactionConfigsReachTheLog() throws {
        for (text, policy) in [
            ("compact", CleanupPolicy.compact), ("compact,delete", .compactAndDelete),
            ("delete, compact", .compactAndDelete), ("delete", .delete),
        ] {
            let config = try TopicConfig(broker: broker, overrides: ["cleanup.policy": text])
            #expect(config.logConfig.cleanupPolicy == policy, "\(text)")
        }
        let config = try TopicConfig(
            broker: broker,
            overrides: [
                "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "100",
                "min.compaction.lag.ms": "5", "max.compaction.lag.ms": "60000",
            ])
        #expect(config.logConfig.minCleanableDirtyRatio == 0.01)
        #expect(config.logConfig.deleteRetentionMs == 100)
        #expect(config.logConfig.minCompactionLagMs == 5)
        #expect(config.logConfig.maxCompactionLagMs == 60_000)
    }

    /// The broker's `log.cleanup.policy` and `log.cleaner.*` keys are the topics' defaults.
    @Test func brokerCleanerKeysAreTheTopicDefaults() throws {
        var configuration = broker
        configuration.logCleanupPolicy = .compact
        configuration.logCleanerMinCleanableRatio = 0.25
        configuration.logCleanerDeleteRetentionMs = 10
        configuration.logCleanerMinCompactionLagMs = 20
        configuration.logCleanerMaxCompactionLagMs = 30
        let config = try TopicConfig(broker: configuration, overrides: [:])
        let values = Dictionary(uniqueKeysWithValues: config.entries.map { ($0.name, $0.value) })
        #expect(values["cleanup.policy"] == "compact")
        #expect(values["min.cleanable.dirty.ratio"] == "0.25")
        #expect(config.logConfig.cleanupPolicy == .compact)
        #expect(config.logConfig.minCleanableDirtyRatio == 0.25)
        #expect(config.logConfig.deleteRetentionMs == 10)
        #expect(config.logConfig.minCompactionLagMs == 20)
        #expect(config.logConfig.maxCompactionLagMs == 30)
    }

    /// A name that is not a Kafka topic config is refused (`LogConfig.validateNames`), naming it.
    @Test func unknownNamesAreRefused() {
        #expect(throws: BrokerConfiguration.Problem("Unknown topic config name: x.custom")) {
            try TopicConfig(broker: broker, overrides: ["x.custom": "y", "retention.ms": "1"])
        }
        #expect(throws: BrokerConfiguration.Problem("Unknown topic config name: log.retention.ms")) {
            try TopicConfig.validate(overrides: ["log.retention.ms": "1"])
        }
        #expect(throws: BrokerConfiguration.Problem.self) {
            try TopicConfig.validate(overrides: ["min.compaction.lag.ms": "10", "max.compaction.lag.ms": "9"])
        }
    }

    @Test(arguments: [
        ["retention.ms": "soon"], ["segment.bytes": "10"], ["message.timestamp.type": "Now"],
        // Compaction keys (Kafka's `LogConfig` ranges).
        ["cleanup.policy": "compacted"], ["cleanup.policy": ""], ["cleanup.policy": "compact,"],
        ["min.cleanable.dirty.ratio": "1.5"], ["min.cleanable.dirty.ratio": "-0.1"], ["min.cleanable.dirty.ratio": "x"],
        ["delete.retention.ms": "-1"], ["min.compaction.lag.ms": "-1"], ["max.compaction.lag.ms": "0"],
        ["min.compaction.lag.ms": "2", "max.compaction.lag.ms": "1"],
        // Keys Paddock only stores are still checked.
        ["flush.ms": "-1"], ["flush.messages": "0"], ["preallocate": "maybe"], ["compression.gzip.level": "10"],
        ["compression.zstd.level": "23"], ["leader.replication.throttled.replicas": "0-1"],
        ["local.retention.ms": "-3"], ["segment.jitter.ms": "soon"], ["x.custom": "y"],
        // Kafka's ranges (issue 11).
        ["segment.bytes": "13"], ["segment.bytes": "2147483648"], ["segment.index.bytes": "3"], ["segment.ms": "0"],
        ["retention.ms": "-2"], ["retention.bytes": "-2"], ["max.message.bytes": "-1"], ["index.interval.bytes": "-1"],
        ["min.insync.replicas": "0"], ["unclean.leader.election.enable": "sometimes"], ["compression.type": "brotli"],
    ])
    func badOverridesAreRefused(_ overrides: [String: String]) {
        #expect(throws: BrokerConfiguration.Problem.self) { try TopicConfig(broker: broker, overrides: overrides) }
    }

    /// A topic's `max.message.bytes` cannot raise what a batch may decompress to past the broker's cap.
    @Test func decompressionIsCappedByTheBrokerNotTheTopic() throws {
        var configuration = broker
        configuration.maxDecompressedBatchBytes = 8 << 20
        let topic = try TopicConfig(broker: configuration, overrides: ["max.message.bytes": "2147483647"])
        #expect(topic.logConfig.maxDecompressedBatchBytes == 8 << 20)
        let small = try TopicConfig(broker: configuration, overrides: ["max.message.bytes": "1000"])
        #expect(small.logConfig.maxDecompressedBatchBytes == 8 << 20)
        #expect(try TopicConfig(broker: broker, overrides: [:]).logConfig.maxDecompressedBatchBytes == 64 << 20)
    }

    @Test func longTopicNamesAreNotQuotedWhole() throws {
        let problem = try #require(TopicName.problem(String(repeating: "n", count: 32_700)))
        #expect(problem.utf8.count < 400)
        #expect(TopicName.problem("a.b_c-D9") == nil)
        #expect(TopicName.problem("é") != nil)
        #expect(TopicName.problem(String(repeating: "n", count: 249)) == nil)
    }

    /// Produce answers the error code `LogValidator` gives for each validation failure.
    @Test func recordBatchErrorsMapToKafkaErrorCodes() {
        #expect(RecordBatchError.unsupportedMagic(position: 0, magic: 1).kafkaErrorCode == .unsupportedForMessageFormat)
        #expect(RecordBatchError.unsupportedMagic(position: 0, magic: 7).kafkaErrorCode == .corruptMessage)
        #expect(RecordBatchError.crcMismatch(position: 0, stored: 1, computed: 2).kafkaErrorCode == .corruptMessage)
        #expect(RecordBatchError.batchTooLarge(position: 0, size: 9, limit: 8).kafkaErrorCode == .messageTooLarge)
        #expect(RecordBatchError.noBatches.kafkaErrorCode == .invalidRecord)
        #expect(RecordBatchError.controlBatchFromClient(position: 0).kafkaErrorCode == .invalidRecord)
    }
}
