import Foundation
import KafkaZooKeeper
import KeeperClient
import Logging
import PaddockTestSupport
import SimulationKit
import SegmentLog
import Testing
import TestSupport

@testable import Broker

#if canImport(Glibc)
import Glibc
#endif

/// Real `paddock keeper` and `paddock broker` processes on loopback (STYLE.md §7.5).
@Suite(.serialized) struct BrokerLoopbackTests {
    /// Registration, one controller, topic creation through the CLI, broker loss and controller loss.
    @Test(.timeLimit(.minutes(2)))
    func brokersRegisterElectOneControllerAndFailOver() async throws {
        try await BrokerCluster.with(brokerIDs: [1, 2, 3], sessionTimeoutMs: 4000) { cluster in

            let registered = try await eventually(timeout: .seconds(20)) {
                let ids = try await cluster.registeredIDs()
                let controller = try await cluster.controller()
                return ids == ["1", "2", "3"] && controller != nil
            }
            #expect(registered, "brokers did not register:\n\(cluster.logs)")
            guard registered else { return }
            let first = try await cluster.snapshot()
            let (controllerID, firstEpoch) = try #require(try await cluster.controller())
            #expect(first.brokers[2]?.registration.endpoints == [Endpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: cluster.brokers[2]!.port)])
            let clusterID = try await cluster.client.getData(ZkPaths.clusterID).data
            #expect(try ClusterIDPayload.decode(clusterID).count == 22)
            for path in ZkPaths.persistentPaths { #expect(try await cluster.client.exists(path) != nil, "\(path) missing") }

            let created = try await cluster.topics(["create", "--topic", "orders", "--partitions", "3", "--replication-factor", "2"])
            #expect(created.status == 0)
            #expect(created.output == "Created topic orders.\n")
            let tooMany = try await cluster.topics(["create", "--topic", "big", "--partitions", "1", "--replication-factor", "4"])
            #expect(tooMany.status == 1)
            #expect(tooMany.output.contains("Replication factor: 4 larger than available brokers: 3."))

            // Every partition gets a state whose leader is its preferred (first) replica: all are live.
            let allLed = try await eventually(timeout: .seconds(10)) {
                let snapshot = try await cluster.snapshot()
                guard let topic = snapshot.topics["orders"], topic.assignment.partitions.count == 3 else { return false }
                return topic.assignment.partitions.allSatisfy { id, replicas in
                    snapshot.partitionStates[TopicPartition("orders", id)]?.state.leader == replicas.first
                }
            }
            #expect(allLed, "partitions got no leaders:\n\(cluster.logs)")
            let described = try await cluster.topics(["describe", "--topic", "orders"])
            #expect(described.status == 0)
            let lines = described.output.split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines.first?.hasPrefix("Topic: orders\tTopicId: ") == true)
            #expect(lines.first?.hasSuffix("\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: ") == true)
            #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\tTopic: orders\tPartition: ") && $0.contains("\tLeader: ") })

            // SIGKILL a broker that is not the controller: after its session timeout the partitions it led
            // move to their other replica, which is in the ISR (clean election), and it leaves the ISR of
            // every partition; the others keep their leader.
            let victim = try #require([1, 2, 3].map { BrokerID(Int32($0)) }.first { $0 != controllerID })
            let before = try await cluster.snapshot()
            cluster.brokers[Int(victim.rawValue)]?.send(SIGKILL)
            let failedOver = try await eventually(timeout: .seconds(20)) {
                let snapshot = try await cluster.snapshot()
                guard snapshot.brokers[victim] == nil, let topic = snapshot.topics["orders"] else { return false }
                return topic.assignment.partitions.allSatisfy { id, replicas in
                    guard let state = snapshot.partitionStates[TopicPartition("orders", id)]?.state else { return false }
                    let survivors = replicas.filter { $0 != victim }
                    guard replicas.first == victim else { return state.leader == replicas.first && state.isr == survivors }
                    return state.leader == survivors.first && state.isr == survivors
                }
            }
            #expect(failedOver, "no failover after broker \(victim) died:\n\(cluster.logs)")
            let after = try await cluster.snapshot()
            for (partition, versioned) in before.partitionStates where versioned.state.leader == victim {
                #expect((after.partitionStates[partition]?.state.leaderEpoch ?? 0) > versioned.state.leaderEpoch)
            }

            // SIGKILL the controller: the last broker takes over with a higher epoch and still creates
            // state for topics created afterwards.
            cluster.brokers[Int(controllerID.rawValue)]?.send(SIGKILL)
            let survivor = try #require([1, 2, 3].map { BrokerID(Int32($0)) }.first { $0 != controllerID && $0 != victim })
            let tookOver = try await eventually(timeout: .seconds(20)) {
                guard let (id, epoch) = try await cluster.controller() else { return false }
                return id == survivor && epoch > firstEpoch
            }
            #expect(tookOver, "broker \(survivor) did not take over:\n\(cluster.logs)")
            var random = SystemRandomNumberGenerator()
            try await TopicAdmin(client: cluster.client, acls: .open).create("after", partitions: 2, replicationFactor: 1, random: &random)
            let afterLed = try await eventually(timeout: .seconds(10)) {
                let snapshot = try await cluster.snapshot()
                return (0..<2).allSatisfy { snapshot.partitionStates[TopicPartition("after", $0)]?.state.leader == survivor }
            }
            #expect(afterLed, "topic created after failover got no state:\n\(cluster.logs)")
        }
    }

    /// Topic admin flows end to end, an in-process broker's metadata cache, and graceful shutdown.
    @Test(.timeLimit(.minutes(2)))
    func topicAdminMetadataCacheAndGracefulShutdown() async throws {
        try await BrokerCluster.with(brokerIDs: [1, 2], sessionTimeoutMs: 10_000) { cluster in
            var config = BrokerConfiguration()
            config.brokerID = 3
            config.listeners = [Endpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: try freePorts(1)[0])]
            config.zookeeperConnect = cluster.connectString
            config.zookeeperSessionTimeoutMs = 10_000
            let inProcess = BrokerServer(configuration: config, logger: Logger(label: "broker3"))
            let running = Task { try await inProcess.run() }

            let registered = try await eventually(timeout: .seconds(20)) { try await cluster.registeredIDs() == ["1", "2", "3"] }
            #expect(registered, "brokers did not register:\n\(cluster.logs)")
            guard registered else {
                running.cancel()
                return
            }
            let admin = TopicAdmin(client: cluster.client, acls: .open)
            var random = SplitMix64(seed: 3)
            try await admin.create("events", partitions: 2, replicationFactor: 3, configs: ["retention.ms": "1000"], random: &random)
            await #expect(throws: TopicAdmin.Failure.topicExists("events")) {
                var random = SplitMix64(seed: 4)
                try await admin.create("events", partitions: 1, replicationFactor: 1, random: &random)
            }
            await #expect(throws: TopicAdmin.Failure.topicCollides("ev_x", existing: "ev.x")) {
                var random = SplitMix64(seed: 5)
                try await admin.create("ev.x", partitions: 1, replicationFactor: 1, random: &random)
                try await admin.create("ev_x", partitions: 1, replicationFactor: 1, random: &random)
            }
            let config0 = try await cluster.client.getData(ZkPaths.topicConfig("events")).data
            #expect(try EntityConfigPayload.decode(path: "", config0) == ["retention.ms": "1000"])

            try await admin.addPartitions("events", to: 4)
            await #expect(throws: TopicAdmin.Failure.invalidPartitions(
                "The number of partitions for a topic can only be increased. Topic events currently has 4 partitions, 3 would not be an increase.")) {
                try await admin.addPartitions("events", to: 3)
            }
            // The in-process broker learns every leader from the ensemble alone.
            let learned = try await eventually(timeout: .seconds(10)) {
                let metadata = inProcess.metadata.current
                return (Int32(0)..<4).allSatisfy { id in
                    guard let partition = metadata.partition(TopicPartition("events", id)) else { return false }
                    return partition.leader == partition.replicas.first && partition.isr == partition.replicas
                }
            }
            #expect(learned, "metadata cache did not converge:\n\(cluster.logs)")
            let metadata = inProcess.metadata.current
            #expect(metadata.brokers.keys.sorted() == [1, 2, 3])
            #expect(metadata.controller != nil)
            let led = metadata.partitionsLed(by: 3)
            for partition in led { #expect(metadata.leadership(of: partition, for: 3) == .leader(epoch: 0)) }

            let listing = try await admin.list().map(\.rendered)
            #expect(listing == ["ev.x", "events"])
            try await admin.delete("events")
            await #expect(throws: TopicAdmin.Failure.topicNotFound("nope")) { try await admin.delete("nope") }
            let deleted = try await eventually(timeout: .seconds(10)) {
                for path in [ZkPaths.topic("events"), ZkPaths.topicConfig("events"), ZkPaths.deleteTopic("events")] {
                    if try await cluster.client.exists(path) != nil { return false }
                }
                return true
            }
            #expect(deleted, "topic was not deleted:\n\(cluster.logs)")

            // Graceful stops close the session: registrations vanish well before the 10 s session timeout.
            let stopped = ContinuousClock.now
            cluster.brokers[2]?.send(SIGTERM)
            running.cancel()
            let gone = try await eventually(timeout: .seconds(5)) { try await cluster.registeredIDs() == ["1"] }
            #expect(gone, "graceful shutdown left registrations:\n\(cluster.logs)")
            #expect(ContinuousClock.now - stopped < .seconds(6))
            _ = try? await running.value
        }
    }

    /// A broker whose session expired registers again; a second broker with a live broker's id
    /// refuses to start; a restarted broker waits for its crashed predecessor's registration to expire.
    @Test(.timeLimit(.minutes(2)))
    func sessionExpiryReRegistersAndBrokerIDsAreGuarded() async throws {
        try await BrokerCluster.with(brokerIDs: [1], sessionTimeoutMs: 4000) { cluster in
            func epoch() async throws -> Int64? { try await cluster.snapshot().brokers[1]?.epoch }
            let registered = try await eventually(timeout: .seconds(20)) { try await epoch() != nil }
            #expect(registered, "broker did not register:\n\(cluster.logs)")
            let firstEpoch = try #require(try await epoch())
            let original = try #require(cluster.brokers[1])

            let impostor = try cluster.launchBroker(id: 1, name: "impostor")
            defer { impostor.stop() }
            let refused = try await eventually(timeout: .seconds(20)) {
                impostor.log.contains("broker.id 1 is already registered by another live broker")
            }
            #expect(refused, "second broker 1 did not refuse to start:\n\(impostor.log)")

            // Freeze the broker past its session timeout: the ensemble expires the session and
            // deletes the registration; once thawed, the broker notices and registers again.
            original.send(SIGSTOP)
            let expired = try await eventually(timeout: .seconds(20)) { try await epoch() == nil }
            original.send(SIGCONT)
            #expect(expired, "registration outlived the session:\n\(cluster.logs)")
            let back = try await eventually(timeout: .seconds(20)) { try await (epoch() ?? 0) > firstEpoch }
            #expect(back, "broker did not register again:\n\(cluster.logs)")
            // The log line reaches the file on its own schedule: poll for it too.
            let logged = try await eventually(timeout: .seconds(10)) {
                original.log.contains("session expired; registering again with a new session")
            }
            #expect(logged, "no session-expiry line:\n\(original.log)")

            // Crash and restart at once on the same endpoint: the newcomer waits out the old session.
            let beforeCrash = try #require(try await epoch())
            original.send(SIGKILL)
            let restarted = try cluster.launchBroker(id: 1, port: original.port, name: "restarted")
            defer { restarted.stop() }
            let reRegistered = try await eventually(timeout: .seconds(20)) { try await (epoch() ?? 0) > beforeCrash }
            #expect(reRegistered, "restarted broker did not register:\n\(restarted.log)")
            #expect(restarted.log.contains("waiting for the registration of a previous session to expire"))
        }
    }
}
