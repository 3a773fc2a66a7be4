import KafkaZooKeeper
import SegmentLog
import Testing

@testable import Broker

@Suite struct TopicAdminTests {
    @Test func topicNamesFollowKafkasRules() {
        #expect(TopicName.problem("orders.v1_x-2") == nil)
        #expect(TopicName.problem(String(repeating: "a", count: 249)) == nil)
        #expect(TopicName.problem("") == "Topic name is illegal, it can't be empty")
        #expect(TopicName.problem(".") == "Topic name cannot be \".\" or \"..\"")
        #expect(TopicName.problem("..") == "Topic name cannot be \".\" or \"..\"")
        #expect(TopicName.problem(String(repeating: "a", count: 250))?.hasPrefix("Topic name is illegal, it can't be longer than 249 characters") == true)
        for bad in ["a b", "a/b", "ä", "a:b", "a*"] {
            #expect(
                TopicName.problem(bad)
                    == "Topic name \"\(bad)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")
        }
        #expect(TopicName.collides("a.b", "a_b"))
        #expect(!TopicName.collides("a.b", "a.b"))
        #expect(!TopicName.collides("a.b", "a-b"))
    }

    /// `paddock topics reassign --replicas` and `--reassignment-json-file` are checked as the znode is.
    @Test func reassignmentOptions() throws {
        #expect(try TopicAdmin.parseReassignment(topic: "t", partition: 2, replicas: "3, 1") == [TopicPartition("t", 2): [3, 1]])
        for (topic, partition, replicas) in [("t", Int32(0), "1,1"), ("t", 0, ""), ("t", 0, "1,x"), ("t", -1, "1"), ("a/b", 0, "1")] {
            #expect(throws: TopicAdmin.Failure.self) {
                try TopicAdmin.parseReassignment(topic: topic, partition: partition, replicas: replicas)
            }
        }
        #expect(throws: TopicAdmin.Failure.self) { try TopicAdmin.parseReassignmentJSON(Array("{".utf8), source: "f.json") }
    }

    @Test func replicaAssignmentOption() throws {
        #expect(try TopicAdmin.parseReplicaAssignment("1:2,2:3,3:1") == [0: [1, 2], 1: [2, 3], 2: [3, 1]])
        #expect(try TopicAdmin.parseReplicaAssignment("5") == [0: [5]])
        #expect(throws: TopicAdmin.Failure.invalidReplicaAssignment("Partition replica lists may not contain duplicate entries: 1,1")) {
            try TopicAdmin.parseReplicaAssignment("1:1")
        }
        #expect(throws: TopicAdmin.Failure.invalidReplicaAssignment("All partitions should have the same number of replicas")) {
            try TopicAdmin.parseReplicaAssignment("1:2,3")
        }
        #expect(throws: TopicAdmin.Failure.invalidReplicaAssignment("Invalid replica assignment \"1:x\": \"x\" is not a broker id")) {
            try TopicAdmin.parseReplicaAssignment("1:x")
        }
    }

    @Test func configOption() throws {
        #expect(try TopicAdmin.parseConfig(["retention.ms=1000", "cleanup.policy=compact", "a=b=c"]) == [
            "retention.ms": "1000", "cleanup.policy": "compact", "a": "b=c",
        ])
        #expect(throws: TopicAdmin.Failure.invalidConfig("Invalid topic config \"novalue\": expected key=value")) {
            try TopicAdmin.parseConfig(["novalue"])
        }
    }

    @Test func describeUsesKafkaTopicsFormat() {
        func partition(_ id: Int32, leader: BrokerID?, replicas: [BrokerID], isr: [BrokerID]) -> MetadataCache.Partition {
            .init(topicPartition: TopicPartition("t", id), replicas: replicas, leader: leader, leaderEpoch: 0, isr: isr, partitionEpoch: 0)
        }
        var description = TopicAdmin.Description(
            name: "t", topicID: "AAAAAAAAAAAAAAAAAAAAAQ", configs: ["retention.ms": "1000", "cleanup.policy": "compact"],
            markedForDeletion: false,
            partitions: [partition(0, leader: 1, replicas: [1, 2], isr: [1, 2]), partition(1, leader: nil, replicas: [2, 3], isr: [2])])
        #expect(
            description.rendered == """
                Topic: t\tTopicId: AAAAAAAAAAAAAAAAAAAAAQ\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: cleanup.policy=compact,retention.ms=1000
                \tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2
                \tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,3\tIsr: 2
                """)
        description.markedForDeletion = true
        description.partitions.removeLast()
        #expect(description.rendered.hasSuffix("\tIsr: 1,2\tMarkedForDeletion: true"))
        #expect(TopicAdmin.Listing(name: "t", markedForDeletion: true).rendered == "t - marked for deletion")
    }

    @Test func metadataSnapshotAnswersLeadershipQuestions() {
        var cluster = ControllerStateMachineTests.snapshot(
            live: [1, 2], assignment: [0: [1, 2], 1: [2, 1], 2: [3, 2]],
            states: [0: PartitionState(leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 5), 1: PartitionState(leader: .noLeader, leaderEpoch: 2, isr: [2], controllerEpoch: 5)])
        cluster.pendingDeletions = ["t"]
        let snapshot = MetadataCache.Snapshot(clusterID: "c", cluster: cluster)
        #expect(snapshot.leadership(of: TopicPartition("t", 0), for: 1) == .leader(epoch: 4))
        #expect(snapshot.leadership(of: TopicPartition("t", 0), for: 2) == .follower(leader: 1, epoch: 4))
        #expect(snapshot.leadership(of: TopicPartition("t", 1), for: 2) == .follower(leader: nil, epoch: 2))
        #expect(snapshot.leadership(of: TopicPartition("t", 2), for: 1) == .notReplica)
        #expect(snapshot.leadership(of: TopicPartition("t", 9), for: 1) == .unknownTopicOrPartition)
        #expect(snapshot.partition(TopicPartition("t", 2))?.leaderEpoch == -1)
        #expect(snapshot.partitionsLed(by: 1) == [TopicPartition("t", 0)])
        #expect(snapshot.topics["t"]?.markedForDeletion == true)
        #expect(snapshot.brokers.keys.sorted() == [1, 2])
        #expect(snapshot.controller == 1)
    }

    @Test func metadataCacheStreamsChangesOnly() async {
        let cache = MetadataCache()
        var updates = cache.updates().makeAsyncIterator()
        #expect(await updates.next() == .empty)
        let first = MetadataCache.Snapshot(clusterID: "c", cluster: ControllerStateMachineTests.snapshot(live: [1], assignment: [0: [1]]))
        cache.update(first)
        cache.update(first)
        var second = first
        second.controller = nil
        cache.update(second)
        // bufferingNewest(1): a slow reader sees the newest view; identical updates were not yielded.
        #expect(await updates.next() == second)
        #expect(cache.current == second)
    }
}
