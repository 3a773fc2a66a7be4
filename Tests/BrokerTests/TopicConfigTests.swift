import KafkaWire
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

    @Test func overridesWinAndUnknownKeysAreListed() throws {
        let config = try TopicConfig(
            broker: broker,
            overrides: [
                "retention.ms": "-1", "message.timestamp.type": "LogAppendTime", "retention.bytes": "5000",
                "x.custom": "y",
            ])
        #expect(config.logConfig.retentionMs == nil)
        #expect(config.logConfig.retentionBytes == 5000)
        #expect(config.logConfig.timestampType == .logAppendTime)
        #expect(config.entries.first { $0.name == "x.custom" }?.isOverride == true)
        #expect(config.entries.map(\.name) == config.entries.map(\.name).sorted())
    }

    @Test(arguments: [
        ["retention.ms": "soon"], ["segment.bytes": "10"], ["cleanup.policy": "bogus"],
        ["message.timestamp.type": "Now"],
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
