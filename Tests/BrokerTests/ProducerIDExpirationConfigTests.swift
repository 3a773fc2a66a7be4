import SegmentLog
import Testing

@testable import Broker

/// `producer.id.expiration.ms`: a broker key in Kafka (`ProducerStateManagerConfig`), read from
/// `server.properties`, listed by DescribeConfigs and handed to every partition log.
@Suite struct ProducerIDExpirationConfigTests {
    @Test func defaultIsKafkasOneDay() throws {
        let config = try BrokerConfiguration.parse(BrokerConfigurationTests.minimal)
        #expect(config.producerIDExpirationMs == 86_400_000)
        #expect(config.ignoredKeys.isEmpty)
        #expect(try TopicConfig(broker: config, overrides: [:]).logConfig.producerIDExpirationMs == 86_400_000)
        #expect(LogConfig().producerIDExpirationMs == 86_400_000)
    }

    @Test func aSetValueReachesEveryLogAndDescribeConfigs() throws {
        let config = try BrokerConfiguration.parse(
            BrokerConfigurationTests.minimal + "\nproducer.id.expiration.ms=60000")
        #expect(config.producerIDExpirationMs == 60_000)
        #expect(config.ignoredKeys.isEmpty)
        #expect(try TopicConfig(broker: config, overrides: [:]).logConfig.producerIDExpirationMs == 60_000)
        let described = config.describedEntries.first { $0.name == "producer.id.expiration.ms" }
        #expect(described?.value == "60000")
        #expect(described?.type == .int)
    }

    /// Kafka's range: an int of at least 1.
    @Test(arguments: ["0", "-1", "2147483648", "soon"])
    func valuesOutsideKafkasRangeAreRefused(value: String) {
        #expect(
            throws: BrokerConfiguration.Problem(
                "producer.id.expiration.ms: expected a whole number in 1...2147483647, got \"\(value)\"")
        ) {
            try BrokerConfiguration.parse(BrokerConfigurationTests.minimal + "\nproducer.id.expiration.ms=\(value)")
        }
    }
}
