import SegmentLog
import Testing
import TestSupport

@testable import KafkaZooKeeper

/// Golden strings: the bytes a Kafka 3.x broker writes (key order as Jackson emits Kafka's maps).
@Suite struct ZkPayloadTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// `/admin/preferred_replica_election` as kafka-leader-election writes it.
    @Test func preferredReplicaElection() throws {
        let partitions = [TopicPartition("b", 1), TopicPartition("a", 0)]
        let bytes = PreferredReplicaElectionPayload.encode(partitions)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"version":1,"partitions":[{"topic":"a","partition":0},{"topic":"b","partition":1}]}"#)
        #expect(try PreferredReplicaElectionPayload.decode(bytes) == Set(partitions))
        #expect(throws: ZkDataError.self) {
            try PreferredReplicaElectionPayload.decode(Array(#"{"version":1,"partitions":[{"topic":"a","partition":-1}]}"#.utf8))
        }
        #expect(throws: ZkDataError.self) { try PreferredReplicaElectionPayload.decode(Array("[]".utf8)) }
    }

    @Test func clusterID() throws {
        #expect(text(ClusterIDPayload.encode("7ZfxNXzUTxmhx1-XpGR6Eg")) == #"{"version":"1","id":"7ZfxNXzUTxmhx1-XpGR6Eg"}"#)
        #expect(try ClusterIDPayload.decode(Array(#"{"version":"1","id":"abc"}"#.utf8)) == "abc")
    }

    @Test func kafkaUUIDsAre22CharacterBase64URL() {
        #expect(KafkaUUID.base64URL([UInt8](repeating: 0, count: 15) + [1]) == "AAAAAAAAAAAAAAAAAAAAAQ")
        #expect(KafkaUUID.base64URL([UInt8](repeating: 0xFB, count: 16)) == "-_v7-_v7-_v7-_v7-_v7-w")
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let id = KafkaUUID.random(using: &random)
            #expect(id.count == 22)
            #expect(!id.hasPrefix("-"))
            #expect(id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func brokerRegistrationVersion5() throws {
        let registration = BrokerRegistration(
            id: 1, endpoints: [Endpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9092)], rack: nil,
            timestamp: 1_700_000_000_000)
        #expect(
            text(registration.encode())
                == #"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://127.0.0.1:9092"],"jmx_port":-1,"port":9092,"host":"127.0.0.1","version":5,"timestamp":"1700000000000"}"#
        )
        #expect(try BrokerRegistration.decode(id: 1, registration.encode()) == registration)
    }

    @Test func brokerRegistrationWithRackAndNoPlaintextListener() throws {
        let registration = BrokerRegistration(
            id: 2, endpoints: [Endpoint(listenerName: "INTERNAL", host: "h", port: 19092)], rack: "r1", timestamp: 5)
        #expect(
            text(registration.encode())
                == #"{"features":{},"listener_security_protocol_map":{"INTERNAL":"PLAINTEXT"},"endpoints":["INTERNAL://h:19092"],"rack":"r1","jmx_port":-1,"port":-1,"host":null,"version":5,"timestamp":"5"}"#
        )
        #expect(try BrokerRegistration.decode(id: 2, registration.encode()) == registration)
    }

    @Test func brokerRegistrationVersion1DecodesFromHostAndPort() throws {
        let decoded = try BrokerRegistration.decode(
            id: 3, Array(#"{"version":1,"host":"old","port":9092,"jmx_port":9999,"timestamp":"1"}"#.utf8))
        #expect(decoded.endpoints == [Endpoint(listenerName: "PLAINTEXT", host: "old", port: 9092)])
        #expect(decoded.jmxPort == 9999)
    }

    @Test func topicAssignmentVersion3() throws {
        var assignment = TopicAssignment(partitions: [1: [2, 3], 0: [1, 2], 10: [3, 1]], topicID: "AAAAAAAAAAAAAAAAAAAAAQ")
        #expect(
            text(assignment.encode())
                == #"{"partitions":{"0":[1,2],"1":[2,3],"10":[3,1]},"topic_id":"AAAAAAAAAAAAAAAAAAAAAQ","adding_replicas":{},"removing_replicas":{},"version":3}"#
        )
        assignment.addingReplicas = [0: [3]]
        #expect(try TopicAssignment.decode(topic: "t", assignment.encode()) == assignment)
    }

    @Test func topicAssignmentVersion1FromOlderTools() throws {
        let decoded = try TopicAssignment.decode(topic: "t", Array(#"{"version":1,"partitions":{"1":[2],"0":[1]}}"#.utf8))
        #expect(decoded == TopicAssignment(partitions: [0: [1], 1: [2]], topicID: nil))
        #expect(decoded.partitionIDs == [0, 1])
    }

    @Test func partitionState() throws {
        let state = PartitionState(leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 7)
        #expect(text(state.encode()) == #"{"controller_epoch":7,"leader":1,"version":1,"leader_epoch":4,"isr":[1,2]}"#)
        let recovering = PartitionState(leader: 2, leaderEpoch: 5, isr: [2], controllerEpoch: 7, recovering: true)
        #expect(
            text(recovering.encode())
                == #"{"controller_epoch":7,"leader":2,"version":1,"leader_epoch":5,"isr":[2],"leader_recovery_state":1}"#)
        let partition = TopicPartition("t", 0)
        #expect(try PartitionState.decode(partition, state.encode()) == state)
        #expect(try PartitionState.decode(partition, recovering.encode()) == recovering)
        let spaced = #"{ "version" : 1, "leader" : -1, "leader_epoch" : 0, "controller_epoch" : 1, "isr" : [ ] }"#
        #expect(try PartitionState.decode(partition, Array(spaced.utf8)).leader == .noLeader)
    }

    @Test func controllerAndEpoch() throws {
        #expect(
            text(ControllerPayload.encode(brokerID: 1, timestamp: 1_700_000_000_000))
                == #"{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}"#)
        #expect(try ControllerPayload.decode(Array(#"{"version":1,"brokerid":3,"timestamp":"1"}"#.utf8)) == 3)
        #expect(text(ControllerEpochPayload.encode(7)) == "7")
        #expect(try ControllerEpochPayload.decode(Array("12".utf8)) == 12)
    }

    @Test func controllerElectionCarriesItsTimestamp() throws {
        let election = try ControllerPayload.decodeElection(ControllerPayload.encode(brokerID: 2, timestamp: 1_700_000_000_000))
        #expect(election.brokerID == 2 && election.timestamp == 1_700_000_000_000)
        #expect(try ControllerPayload.decodeElection(Array(#"{"version":1,"brokerid":3}"#.utf8)).timestamp == nil)
    }

    /// As Kafka's leader writes it (`IsrChangeNotificationSequenceZNode.encode`).
    @Test func isrChangeNotification() {
        #expect(
            text(IsrChangeNotificationPayload.encode([TopicPartition("t", 3)]))
                == #"{"version":1,"partitions":[{"topic":"t","partition":3}]}"#)
        #expect(ZkPaths.isrChangeNotificationPrefix.hasPrefix(ZkPaths.isrChangeNotification + "/"))
    }

    @Test func registrationWithoutTimestampDecodesWithNone() throws {
        let decoded = try BrokerRegistration.decode(id: 4, Array(#"{"version":5,"endpoints":["PLAINTEXT://[::1]:9092"]}"#.utf8))
        #expect(decoded.timestamp == nil)
        #expect(decoded.endpoints.first?.address == "[::1]:9092")
    }

    @Test func pathsByIDAndByZnodeName() {
        #expect(ZkPaths.broker(7) == ZkPaths.broker(named: "7"))
        #expect(ZkPaths.partitionState(TopicPartition("t", 2)) == ZkPaths.partitionState(topic: "t", partition: "2"))
        #expect(ZkPaths.partitionState(TopicPartition("t", 2)) == "/brokers/topics/t/partitions/2/state")
    }

    @Test func entityConfigAndFeature() throws {
        let config = ["retention.ms": "86400000", "cleanup.policy": "compact"]
        #expect(
            text(EntityConfigPayload.encode(config)) == #"{"version":1,"config":{"cleanup.policy":"compact","retention.ms":"86400000"}}"#)
        #expect(try EntityConfigPayload.decode(path: "/config/topics/t", EntityConfigPayload.encode(config)) == config)
        #expect(text(EntityConfigPayload.encode([:])) == #"{"version":1,"config":{}}"#)
        #expect(text(FeaturePayload.encodeEnabledWithoutFeatures()) == #"{"features":{},"version":2,"status":1}"#)
    }

    @Test func malformedPayloadsNameThePathAndField() {
        #expect(throws: ZkDataError.malformed(path: "/brokers/topics/t/partitions/0/state", reason: "field isr is not an array of broker ids")) {
            try PartitionState.decode(TopicPartition("t", 0), Array(#"{"leader":1,"leader_epoch":0,"controller_epoch":1,"isr":"x"}"#.utf8))
        }
        #expect(throws: ZkDataError.malformed(path: "/controller", reason: "not a JSON object")) {
            try ControllerPayload.decode(Array("[1]".utf8))
        }
        #expect(throws: ZkDataError.malformed(path: "/brokers/topics/t", reason: "partition key \"x\" is not a partition id")) {
            try TopicAssignment.decode(topic: "t", Array(#"{"partitions":{"x":[1]}}"#.utf8))
        }
    }

    @Test func paths() {
        let partition = TopicPartition("orders", 3)
        #expect(ZkPaths.partitionState(partition) == "/brokers/topics/orders/partitions/3/state")
        #expect(ZkPaths.broker(5) == "/brokers/ids/5")
        #expect(ZkPaths.deleteTopic("orders") == "/admin/delete_topics/orders")
        #expect(ZkPaths.topicConfig("orders") == "/config/topics/orders")
        #expect(ZkPaths.ancestry(of: "/a/b/c") == ["/a", "/a/b", "/a/b/c"])
    }

    /// `/latest_producer_id_block` as `ProducerIdBlockZNode` writes it; blocks of 1000 follow each other.
    @Test func producerIDBlocks() throws {
        let first = ProducerIDBlock.next(after: nil, for: 2)
        #expect(text(first.encode()) == #"{"version":1,"broker":2,"block_start":"0","block_end":"999"}"#)
        #expect(try ProducerIDBlock.decode(first.encode()) == first)
        #expect(try ProducerIDBlock.decode([]) == nil)
        let second = ProducerIDBlock.next(after: first, for: 3)
        #expect(second == ProducerIDBlock(broker: 3, start: 1000, end: 1999))
        #expect(throws: ZkDataError.self) {
            try ProducerIDBlock.decode(Array(#"{"version":1,"broker":1,"block_start":"9","block_end":"3"}"#.utf8))
        }
    }
}
