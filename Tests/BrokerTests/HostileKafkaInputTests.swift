import Foundation
import KafkaWire
import NIOCore
import PaddockTestSupport
import Testing

@testable import Broker

/// Issue 11 on a real `paddock broker` (STYLE.md §7.5): hostile requests get an error or a closed
/// connection, and the broker goes on serving.
@Suite(.serialized) struct HostileKafkaInputTests {
    private func waitForBroker(_ cluster: BrokerCluster) async throws -> Int {
        let port = cluster.brokers[1]!.port
        let up = try await eventually(timeout: .seconds(20)) {
            do {
                return try await KafkaTestClient.with(port: port) {
                    let metadata = try await $0.metadata([])
                    return metadata.brokers.count == 1 && metadata.controllerID >= 0
                }
            } catch {
                return false
            }
        }
        try #require(up, "broker did not serve Metadata:\n\(cluster.logs)")
        return port
    }

    private func stillServes(_ port: Int) async throws {
        let metadata = try await KafkaTestClient.with(port: port) { try await $0.metadata([]) }
        #expect(metadata.brokers.count == 1)
    }

    private func create(
        _ client: KafkaTestClient, _ topic: CreateTopicsRequest.Topic, version: Int16 = 4
    ) async throws -> CreateTopicsResponse.TopicResult? {
        let request = CreateTopicsRequest(topics: [topic], timeoutMs: 15_000)
        guard case .createTopics(let response) = try await client.send(.createTopics(request), version: version) else {
            return nil
        }
        return response.topics.first
    }

    private func topic(
        _ name: String, partitions: Int32 = 1, replicationFactor: Int16 = 1, configs: [String: String] = [:]
    ) -> CreateTopicsRequest.Topic {
        CreateTopicsRequest.Topic(
            name: name, numPartitions: partitions, replicationFactor: replicationFactor, assignments: [],
            configs: configs.map { .init(name: $0.key, value: $0.value) })
    }

    @Test(.timeLimit(.minutes(2)))
    func adminRequestsWithHostileValuesGetErrors() async throws {
        try await BrokerCluster.with(brokerIDs: [1], sessionTimeoutMs: 4000) { cluster in
            let port = try await waitForBroker(cluster)
            try await KafkaTestClient.with(port: port) { client in
                // The verified crash: the error text quoting a 32,700-byte name passed an int16 string.
                let long = String(repeating: "x", count: 32_700)
                let refused = try await create(client, topic(long), version: 1)
                #expect(refused?.errorCode == .invalidTopicException)
                #expect(refused?.name == long)
                #expect(try await create(client, topic("bad/name"))?.errorCode == .invalidTopicException)
                let tooLong = try await create(client, topic(String(repeating: "y", count: 250)))
                #expect(tooLong?.errorCode == .invalidTopicException)

                let started = ContinuousClock.now
                #expect(try await create(client, topic("huge", partitions: .max))?.errorCode == .invalidPartitions)
                #expect(ContinuousClock.now - started < .seconds(5))
                let wide = try await create(client, topic("rf", replicationFactor: .max))
                #expect(wide?.errorCode == .invalidReplicationFactor)

                for (key, value) in [
                    ("segment.bytes", "13"), ("segment.index.bytes", "3"), ("segment.ms", "0"),
                    ("retention.ms", "-2"), ("max.message.bytes", "-1"), ("min.insync.replicas", "0"),
                    ("segment.bytes", "99999999999"), ("compression.type", "brotli"),
                    ("unclean.leader.election.enable", "maybe"),
                ] {
                    let result = try await create(client, topic("conf", configs: [key: value]))
                    #expect(result?.errorCode == .invalidConfig, "\(key)=\(value)")
                }

                // Repeated resources are answered once; the repeats get an error.
                let resource = DescribeConfigsRequest.Resource(
                    resourceType: 4, resourceName: "", configurationKeys: nil)
                let describe = DescribeConfigsRequest(resources: Array(repeating: resource, count: 1_000))
                let answer = try await client.send(.describeConfigs(describe), version: 1)
                guard case .describeConfigs(let described) = answer else {
                    Issue.record("not DescribeConfigs")
                    return
                }
                #expect(described.results.count == 1_000)
                #expect(described.results.filter { $0.errorCode == .noError }.count == 1)
                #expect(described.results.first?.configs.contains { $0.name == "fetch.max.bytes" } == true)
            }
            try await stillServes(port)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func dataRequestsWithHostileValuesGetErrors() async throws {
        try await BrokerCluster.with(brokerIDs: [1], sessionTimeoutMs: 4000) { cluster in
            let port = try await waitForBroker(cluster)
            try await KafkaTestClient.with(port: port) { client in
                #expect(try await create(client, topic("data"))?.errorCode == .noError)
                #expect(try await client.produce(TestBatches.batch(["a", "b"]), topic: "data").errorCode == .noError)

                // A batch claiming 2^31-1 records, CRC intact, never reaches the log.
                var claim = TestBatches.batch(["c"])
                claim.setInteger(Int32.max - 1, at: RecordBatchHeader.Field.lastOffsetDelta)
                claim.setInteger(Int32.max, at: RecordBatchHeader.Field.recordCount)
                claim.setInteger(
                    CRC32C.checksum(claim, at: RecordBatchHeader.Field.attributes, length: claim.readableBytes - 21),
                    at: RecordBatchHeader.Field.crc)
                #expect(try await client.produce(claim, topic: "data").errorCode == .invalidRecord)
                #expect(try await client.listOffset(topic: "data", timestamp: -1).offset == 2)

                // Client-chosen extremes in Fetch and ListOffsets.
                #expect(try await client.fetch(topic: "data", offset: -5).errorCode == .offsetOutOfRange)
                #expect(try await client.fetch(topic: "data", offset: .max).errorCode == .offsetOutOfRange)
                #expect(try await client.fetch(topic: "data", partition: -1, offset: 0).errorCode != .noError)
                let negative = try await client.fetch(topic: "data", offset: 0, partitionMaxBytes: .min)
                #expect(negative.errorCode == .noError)
                for timestamp in [Int64.min, -3, .max] {
                    let listed = try await client.listOffset(topic: "data", timestamp: timestamp)
                    #expect(listed.errorCode == .noError || listed.errorCode == .invalidRequest, "\(timestamp)")
                }
                let values = try TestBatches.values(in: try await client.fetch(topic: "data", offset: 0).records)
                #expect(values.map(\.value) == ["a", "b"])
            }
            try await stillServes(port)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func idleConnectionsAreClosed() async throws {
        try await BrokerCluster.with(
            brokerIDs: [1], sessionTimeoutMs: 4000, extraProperties: "connections.max.idle.ms=300"
        ) { cluster in
            let port = try await waitForBroker(cluster)
            let closed = try await KafkaTestClient.with(port: port) { client in
                _ = try await client.metadata([])
                return await client.isClosedByBroker()
            }
            #expect(closed)
            let logged = try await eventually(timeout: .seconds(5)) {
                cluster.brokers[1]!.log.contains("closing idle kafka connection")
            }
            #expect(logged)
            try await stillServes(port)
        }
    }
}
