import Foundation
import KafkaWire
import KafkaZooKeeper
import KeeperClient
import NIOCore
import PaddockTestSupport
import SegmentLog
import Testing

@testable import Broker

#if canImport(Glibc)
import Glibc
#endif

/// The Kafka data plane of real `paddock broker` processes on loopback (STYLE.md §7.5), driven by
/// `KafkaTestClient`.
@Suite(.serialized) struct DataPlaneLoopbackTests {
    /// Waits until broker `id` of `cluster` answers Metadata listing `brokers` live brokers; its port.
    private func waitForBroker(_ cluster: BrokerCluster, id: Int = 1, brokers: Int = 1) async throws -> Int {
        let port = cluster.brokers[id]!.port
        let up = try await eventually(timeout: .seconds(20)) {
            do {
                // Up: every broker registered and a controller elected (a broker may listen before it
                // has read /controller; Kafka answers controller -1 then too).
                return try await KafkaTestClient.with(port: port) {
                    let metadata = try await $0.metadata([])
                    return metadata.brokers.count == brokers && metadata.controllerID >= 0
                }
            } catch {
                return false  // not listening yet
            }
        }
        try #require(up, "broker did not serve Metadata with \(brokers) brokers and a controller:\n\(cluster.logs)")
        return port
    }

    /// Metadata until `topic` has a leader for every partition; the response.
    private func waitForLeaders(_ client: KafkaTestClient, topic: String) async throws -> MetadataResponse.Topic? {
        var described: MetadataResponse.Topic?
        _ = try await eventually(timeout: .seconds(15)) {
            described = try await client.metadata([topic]).topics.first
            return described?.errorCode == .noError
                && described?.partitions.allSatisfy { $0.errorCode == .noError } == true
        }
        return described
    }

    /// Auto-creation on Metadata, Produce (acks 1 and 0, unsupported versions), Fetch (whole batches, out
    /// of range, long poll), ListOffsets, and bad input closing only the offending connection.
    @Test(.timeLimit(.minutes(2)))
    func producesFetchesAndListsOffsets() async throws {
        try await BrokerCluster.with(brokerIDs: [1], sessionTimeoutMs: 4000) { cluster in
            let port = try await waitForBroker(cluster)
            try await KafkaTestClient.with(port: port) { client in
                // KIP-511: ApiVersions v3 gets a v0 answer with UNSUPPORTED_VERSION and our ranges.
                var v3 = ByteBuffer()
                v3.writeInteger(Int32(12))  // key, version, correlation id, null client id, two empty tag sections
                v3.writeInteger(Int16(18))
                v3.writeInteger(Int16(3))
                v3.writeInteger(Int32(99))
                v3.writeInteger(Int16(-1))
                v3.writeInteger(UInt8(0))  // header tagged fields
                v3.writeInteger(UInt8(0))  // body (not parsed)
                try await client.sendRaw(v3)
                let (correlation, downgrade) = try await client.receive(apiKey: .apiVersions, version: 0)
                #expect(correlation == 99)
                guard case .apiVersions(let versions) = downgrade else { Issue.record("not ApiVersions"); return }
                #expect(versions.errorCode == .unsupportedVersion)
                #expect(versions.apiKeys.contains { $0.apiKey == .produce && $0.minVersion == 0 && $0.maxVersion == 8 })

                let first = try await client.metadata(["events"])
                #expect(first.topics.first?.errorCode == .leaderNotAvailable)
                #expect(first.controllerID == 1)
                #expect(first.clusterID?.count == 22)
                #expect(first.brokers == [MetadataResponse.Broker(nodeID: 1, host: "127.0.0.1", port: Int32(port))])
                let events = try #require(try await waitForLeaders(client, topic: "events"), "\(cluster.logs)")
                #expect(events.partitions.map(\.leaderID) == [1])
                #expect(events.partitions.first?.leaderEpoch == 0)
                #expect(events.partitions.first?.replicaNodes == [1])
                let noCreate = try await client.metadata(["absent"], allowAutoCreation: false)
                #expect(noCreate.topics.first?.errorCode == .unknownTopicOrPartition)

                let offsets = [
                    try await client.produce(TestBatches.batch(["a", "b"]), topic: "events"),
                    try await client.produce(TestBatches.batch(["c", "d", "e"]), topic: "events", version: 3),
                    try await client.produce(
                        TestBatches.batch(["f"], timestamp: 1_700_000_100_000), topic: "events", acks: -1),
                ]
                #expect(offsets.map(\.errorCode) == [.noError, .noError, .noError])
                #expect(offsets.map(\.baseOffset) == [0, 2, 5])
                #expect(offsets.map(\.logAppendTimeMs) == [-1, -1, -1])
                #expect(offsets.first?.logStartOffset == 0)

                let all = try await client.fetch(topic: "events", offset: 0)
                #expect(all.errorCode == .noError)
                #expect(all.highWatermark == 6)
                #expect(all.lastStableOffset == 6)
                #expect(try TestBatches.values(in: all.records).map(\.value) == ["a", "b", "c", "d", "e", "f"])
                // Offset 3 lies inside the batch 2...4: the whole batch comes back.
                let inside = try await client.fetch(topic: "events", offset: 3, version: 4)
                #expect(try TestBatches.values(in: inside.records).map(\.offset) == [2, 3, 4, 5])
                #expect(try await client.fetch(topic: "events", offset: 7).errorCode == .offsetOutOfRange)
                #expect(
                    try await client.fetch(topic: "events", partition: 3, offset: 0).errorCode
                        == .unknownTopicOrPartition)

                #expect(try await client.listOffset(topic: "events", timestamp: -2).offset == 0)
                let latest = try await client.listOffset(topic: "events", timestamp: -1)
                #expect(latest.offset == 6)
                #expect(latest.leaderEpoch == 0)
                let byTime = try await client.listOffset(topic: "events", timestamp: 1_700_000_050_000, version: 1)
                #expect(byTime.offset == 5)
                #expect(byTime.timestamp == 1_700_000_100_000)
                #expect(try await client.listOffset(topic: "events", timestamp: 1_800_000_000_000).offset == -1)

                let old = try await client.produce(TestBatches.batch(["x"]), topic: "events", version: 2)
                #expect(old.errorCode == .unsupportedVersion)
                #expect(
                    try await client.produce(TestBatches.batch(["x"]), topic: "events", partition: 9).errorCode
                        == .unknownTopicOrPartition)
                var corrupt = TestBatches.batch(["y"])
                corrupt.setInteger(UInt8(0xFF), at: corrupt.writerIndex - 1)
                #expect(try await client.produce(corrupt, topic: "events").errorCode == .corruptMessage)

                // acks=0: no response, so the next request's response is the next frame.
                let fireAndForget = ProduceRequest(
                    acks: 0, timeoutMs: 1000,
                    topicData: [
                        .init(name: "events", partitionData: [.init(index: 0, records: TestBatches.batch(["g"]))])
                    ])
                try await client.sendWithoutResponse(.produce(fireAndForget), version: 8)
                #expect(try await client.listOffset(topic: "events", timestamp: -1).offset == 7)
            }
            // A failed acks=0 produce closes the connection: the producer has no other way to learn of it.
            try await KafkaTestClient.with(port: port) { client in
                let lost = ProduceRequest(
                    acks: 0, timeoutMs: 1000,
                    topicData: [
                        .init(name: "events", partitionData: [.init(index: 5, records: TestBatches.batch(["h"]))])
                    ])
                try await client.sendWithoutResponse(.produce(lost), version: 8)
                #expect(await client.isClosedByBroker())
            }

            // A fetch at the end waits for data produced on another connection, and no longer.
            let started = ContinuousClock.now
            async let parked = KafkaTestClient.with(port: port) { waiting in
                try await waiting.fetch(topic: "events", offset: 7, maxWaitMs: 10_000, minBytes: 1)
            }
            try await Task.sleep(for: .milliseconds(300))
            try await KafkaTestClient.with(port: port) { producer in
                let answer = try await producer.produce(TestBatches.batch(["late"]), topic: "events")
                #expect(answer.baseOffset == 7)
            }
            let woken = try await parked
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(try TestBatches.values(in: woken.records).map(\.value) == ["late"])
            try await KafkaTestClient.with(port: port) { waiting in
                let quiet = ContinuousClock.now
                let empty = try await waiting.fetch(topic: "events", offset: 8, maxWaitMs: 300, minBytes: 1)
                #expect(empty.records?.readableBytes == 0)
                #expect(ContinuousClock.now - quiet >= .milliseconds(250))
            }

            // Bad input closes that connection only.
            try await KafkaTestClient.with(port: port) { client in
                var garbage = ByteBuffer()
                garbage.writeInteger(Int32(6))
                garbage.writeInteger(Int16(0))  // Produce
                garbage.writeInteger(Int16(8))
                garbage.writeInteger(Int16(1))  // the correlation id is cut short
                try await client.sendRaw(garbage)
                #expect(await client.isClosedByBroker())
            }
            try await KafkaTestClient.with(port: port) { client in
                var huge = ByteBuffer()
                huge.writeInteger(Int32.max)
                try await client.sendRaw(huge)
                #expect(await client.isClosedByBroker())
            }
            try await KafkaTestClient.with(port: port) { client in
                var unknown = ByteBuffer()
                KafkaRequestFrame.encode(
                    .apiVersions(APIVersionsRequest()), version: 0, correlationID: 1, clientID: nil, into: &unknown)
                unknown.setInteger(Int16(57), at: 4)  // UpdateFeatures: not implemented
                try await client.sendRaw(unknown)
                #expect(await client.isClosedByBroker())
            }
            try await KafkaTestClient.with(port: port) { client in
                let data = try await client.fetch(topic: "events", offset: 0)
                #expect(data.highWatermark == 8)
            }
            #expect(cluster.brokers[1]!.log.contains("closing kafka connection: malformed request"))
        }
    }

    /// CreateTopics, DescribeConfigs, InitProducerId and DeleteTopics through the Kafka API.
    @Test(.timeLimit(.minutes(2)))
    func administersTopicsThroughTheKafkaAPI() async throws {
        try await BrokerCluster.with(brokerIDs: [1], sessionTimeoutMs: 4000) { cluster in
            let port = try await waitForBroker(cluster)
            try await KafkaTestClient.with(port: port) { client in
                func create(
                    _ topics: [CreateTopicsRequest.Topic], validateOnly: Bool = false
                ) async throws -> [CreateTopicsResponse.TopicResult] {
                    let request = CreateTopicsRequest(topics: topics, timeoutMs: 15_000, validateOnly: validateOnly)
                    guard case .createTopics(let response) = try await client.send(.createTopics(request), version: 4)
                    else { return [] }
                    return response.topics
                }
                func topic(
                    _ name: String, partitions: Int32 = 2, replicationFactor: Int16 = 1, configs: [String: String] = [:]
                ) -> CreateTopicsRequest.Topic {
                    CreateTopicsRequest.Topic(
                        name: name, numPartitions: partitions, replicationFactor: replicationFactor, assignments: [],
                        configs: configs.map { .init(name: $0.key, value: $0.value) })
                }

                let created = try await create([topic("orders", configs: ["retention.ms": "60000"])])
                #expect(created.map(\.errorCode) == [.noError], "\(created)")
                // CreateTopics waited for the leaders: Metadata shows them at once.
                let orders = try await client.metadata(["orders"], allowAutoCreation: false).topics.first
                #expect(orders?.partitions.map(\.leaderID) == [1, 1])
                #expect(try await create([topic("orders")]).map(\.errorCode) == [.topicAlreadyExists])
                #expect(try await create([topic("dry")], validateOnly: true).map(\.errorCode) == [.noError])
                #expect(
                    try await client.metadata(["dry"], allowAutoCreation: false).topics.first?.errorCode
                        == .unknownTopicOrPartition)
                let refused = try await create([
                    topic("wide", replicationFactor: 3), topic("bad name"), topic("none", partitions: 0),
                    topic("conf", configs: ["retention.ms": "soon"]),
                    topic("defaults", partitions: -1, replicationFactor: -1),
                    topic("unknown", configs: ["x.custom": "y"]),
                    topic("compacted", configs: ["cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01"]),
                ])
                #expect(
                    refused.map(\.errorCode) == [
                        .invalidReplicationFactor, .invalidTopicException, .invalidPartitions, .invalidConfig, .noError,
                        .invalidConfig, .noError,
                    ])
                #expect(refused[5].errorMessage == "Unknown topic config name: x.custom")

                let describe = DescribeConfigsRequest(resources: [
                    .init(resourceType: 2, resourceName: "orders", configurationKeys: nil),
                    .init(
                        resourceType: 4, resourceName: "1", configurationKeys: ["num.partitions", "log.retention.ms"]),
                    .init(resourceType: 2, resourceName: "ghost", configurationKeys: nil),
                ])
                guard case .describeConfigs(let configs) = try await client.send(.describeConfigs(describe), version: 1)
                else {
                    Issue.record("not DescribeConfigs")
                    return
                }
                let topicConfigs = Dictionary(uniqueKeysWithValues: configs.results[0].configs.map { ($0.name, $0) })
                #expect(topicConfigs["retention.ms"]?.value == "60000")
                #expect(topicConfigs["retention.ms"]?.configSource == 1)
                #expect(topicConfigs["cleanup.policy"]?.value == "delete")
                #expect(topicConfigs["segment.bytes"]?.value == "1073741824")
                #expect(topicConfigs["max.message.bytes"]?.value == "1048588")
                #expect(configs.results[1].configs.map(\.name) == ["log.retention.ms", "num.partitions"])
                #expect(configs.results[2].errorCode == .unknownTopicOrPartition)

                let ids = try await [0, 1].asyncMap { _ in
                    guard
                        case .initProducerID(let response) = try await client.send(
                            .initProducerID(InitProducerIDRequest(transactionalID: nil, transactionTimeoutMs: 60_000)),
                            version: 1)
                    else { return Int64(-2) }
                    return response.producerID
                }
                #expect(ids == [0, 1])
                // v3+ carries the producer's id and epoch (KIP-360); as in Kafka, an idempotent producer gets a
                // new id at epoch 0 whatever it held, and an id without an epoch (or the reverse) is refused.
                func initProducerID(_ request: InitProducerIDRequest, version: Int16) async throws
                    -> InitProducerIDResponse?
                {
                    let answer = try await client.send(.initProducerID(request), version: version)
                    guard case .initProducerID(let response) = answer else { return nil }
                    return response
                }
                let resumed = try await initProducerID(
                    InitProducerIDRequest(
                        transactionalID: nil, transactionTimeoutMs: 60_000, producerID: 1, producerEpoch: 5),
                    version: 4)
                #expect(resumed == InitProducerIDResponse(errorCode: .noError, producerID: 2, producerEpoch: 0))
                let halfSet = try await initProducerID(
                    InitProducerIDRequest(transactionalID: nil, transactionTimeoutMs: 60_000, producerID: 1),
                    version: 3)
                #expect(
                    halfSet == InitProducerIDResponse(errorCode: .invalidRequest, producerID: -1, producerEpoch: -1))
                let transactional = try await initProducerID(
                    InitProducerIDRequest(transactionalID: "txn", transactionTimeoutMs: 60_000), version: 2)
                #expect(transactional?.errorCode == .invalidRequest)
                let block = try await cluster.client.getData(ZkPaths.latestProducerIDBlock).data
                #expect(
                    String(decoding: block, as: UTF8.self)
                        == #"{"version":1,"broker":1,"block_start":"0","block_end":"999"}"#)

                guard
                    case .findCoordinator(let coordinator) = try await client.send(
                        .findCoordinator(FindCoordinatorRequest(key: "g")), version: 2)
                else { return }
                #expect(coordinator.errorCode == .coordinatorNotAvailable)

                #expect(
                    try await client.produce(TestBatches.batch(["o"]), topic: "orders", partition: 1).errorCode
                        == .noError)
                let logDir = cluster.brokers[1]!.directory.appendingPathComponent("logs/orders-1").path
                #expect(FileManager.default.fileExists(atPath: logDir))
                let delete = DeleteTopicsRequest(topicNames: ["orders", "ghost"], timeoutMs: 15_000)
                guard case .deleteTopics(let deleted) = try await client.send(.deleteTopics(delete), version: 3) else {
                    return
                }
                #expect(deleted.responses.map(\.errorCode) == [.noError, .unknownTopicOrPartition], "\(cluster.logs)")
                #expect(
                    try await client.metadata(["orders"], allowAutoCreation: false).topics.first?.errorCode
                        == .unknownTopicOrPartition)
                let removed = try await eventually(timeout: .seconds(10)) {
                    !FileManager.default.fileExists(atPath: logDir)
                }
                #expect(removed, "log of a deleted topic still there:\n\(cluster.logs)")
            }
        }
    }

    /// Two brokers each serve the partitions they lead (the other answers NOT_LEADER_OR_FOLLOWER) and
    /// agree on the leaders in Metadata; retention deletes segments past `retention.ms`.
    @Test(.timeLimit(.minutes(2)))
    func brokersServeTheirOwnPartitionsAndApplyRetention() async throws {
        try await BrokerCluster.with(
            brokerIDs: [1, 2], sessionTimeoutMs: 4000, extraProperties: "log.retention.check.interval.ms=300"
        ) {
            cluster in
            let first = try await waitForBroker(cluster, id: 1, brokers: 2)
            let second = try await waitForBroker(cluster, id: 2, brokers: 2)
            try await KafkaTestClient.with(port: first) { client in
                let topic = CreateTopicsRequest.Topic(
                    name: "split", numPartitions: -1, replicationFactor: -1,
                    assignments: [.init(partitionIndex: 0, brokerIDs: [1]), .init(partitionIndex: 1, brokerIDs: [2])],
                    configs: [
                        .init(name: "segment.bytes", value: "200"), .init(name: "retention.ms", value: "3600000"),
                    ])
                guard
                    case .createTopics(let created) = try await client.send(
                        .createTopics(CreateTopicsRequest(topics: [topic], timeoutMs: 15_000)), version: 4)
                else { return }
                #expect(created.topics.map(\.errorCode) == [.noError], "\(created)")
            }
            try await KafkaTestClient.with(port: second) { client in
                // CreateTopics was answered by broker 1; broker 2 learns the leaders from the ensemble a
                // moment later.
                let learned = try await eventually(timeout: .seconds(10)) {
                    let split = try await client.metadata(["split"], allowAutoCreation: false)
                    return split.topics.first?.partitions.map(\.leaderID) == [1, 2]
                }
                #expect(learned, "broker 2 did not learn the leaders of split")
                let split = try await client.metadata(["split"], allowAutoCreation: false)
                #expect(split.brokers.map(\.nodeID) == [1, 2])
                #expect(split.topics.first?.partitions.map(\.leaderID) == [1, 2])
                #expect(
                    try await client.produce(TestBatches.batch(["p1"]), topic: "split", partition: 1).errorCode
                        == .noError)
                #expect(
                    try await client.produce(TestBatches.batch(["p0"]), topic: "split", partition: 0).errorCode
                        == .notLeaderOrFollower)
                #expect(
                    try await client.fetch(topic: "split", partition: 0, offset: 0).errorCode == .notLeaderOrFollower)
            }
            try await KafkaTestClient.with(port: first) { client in
                // Batches stamped in 2023 are older than retention.ms: every segment but the active one goes.
                for index in 0..<10 {
                    let answer = try await client.produce(
                        TestBatches.batch(["old-\(index)"]), topic: "split", partition: 0)
                    #expect(answer.baseOffset == Int64(index))
                }
                let trimmed = try await eventually(timeout: .seconds(10)) {
                    try await client.listOffset(topic: "split", partition: 0, timestamp: -2).offset > 0
                }
                #expect(trimmed, "retention deleted nothing:\n\(cluster.logs)")
                #expect(try await client.fetch(topic: "split", partition: 0, offset: 0).errorCode == .offsetOutOfRange)
                #expect(try await client.listOffset(topic: "split", partition: 0, timestamp: -1).offset == 10)
            }
            #expect(cluster.brokers[1]!.log.contains("retention deleted segments"))
        }
    }

    /// Every acknowledged batch is served again after the broker is SIGKILLed and restarted.
    @Test(.timeLimit(.minutes(3)))
    func acknowledgedBatchesSurviveSigkill() async throws {
        try await BrokerCluster.with(brokerIDs: [1], sessionTimeoutMs: 4000) { cluster in
            let port = try await waitForBroker(cluster)
            let acknowledged = try await KafkaTestClient.with(port: port) { client in
                _ = try await client.metadata(["durable"])
                _ = try #require(try await waitForLeaders(client, topic: "durable"))
                var values: [String] = []
                for index in 0..<50 {
                    let batch = (0..<3).map { "\(index)-\($0)" }
                    let answer = try await client.produce(TestBatches.batch(batch), topic: "durable")
                    if answer.errorCode == .noError { values += batch }
                }
                return values
            }
            #expect(acknowledged.count == 150)
            cluster.brokers[1]!.send(SIGKILL)
            cluster.brokers[1]!.stop()
            cluster.brokers[1] = try cluster.launchBroker(id: 1, port: port, name: "broker1")
            let served = try await eventually(timeout: .seconds(40)) {
                do {
                    return try await KafkaTestClient.with(port: port) { client in
                        var values: [String] = []
                        var offset: Int64 = 0
                        while true {
                            let data = try await client.fetch(topic: "durable", offset: offset)
                            guard data.errorCode == .noError else { return false }
                            let read = try TestBatches.values(in: data.records)
                            guard let last = read.last else { break }
                            values += read.filter { $0.offset >= offset }.map(\.value)
                            offset = last.offset + 1
                        }
                        return values == acknowledged
                    }
                } catch {
                    return false  // restarting
                }
            }
            #expect(served, "acknowledged batches missing after restart:\n\(cluster.logs)")
        }
    }
}

extension Sequence {
    /// `map` with an async transform, in order.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
