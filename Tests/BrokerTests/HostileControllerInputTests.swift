import KafkaZooKeeper
import SegmentLog
import Testing

@testable import Broker

/// Issue 11: a znode is input. Values a hostile znode can carry up to the codecs' limits (epochs
/// just below `Int32.max`, partition counts at `Int32.max`) reach the controller's arithmetic
/// without trapping. The codecs' own refusals are in KafkaZooKeeperTests.
@Suite struct HostileControllerInputTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func partitionStateBelowTheLimitElectsWithoutOverflow() throws {
        let state = try PartitionState.decode(
            TopicPartition("t", 0),
            Self.bytes(#"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":2147483646,"isr":[1,2]}"#))
        let next = try #require(
            PartitionLeaderElection.reconcile(state, replicas: [1, 2], live: [2], controllerEpoch: 1, unclean: false))
        #expect(next.state.leaderEpoch == Int32.max)
    }

    @Test func partitionIdsPastInt32MaxOrShrinkingTotalsAreRefused() {
        #expect(throws: ReplicaAssignment.Failure.self) {
            try ReplicaAssignment.assign(
                partitions: Int32.max, replicationFactor: 1, brokers: [1], startIndex: 0, replicaShift: 0,
                firstPartition: 5)
        }
        #expect(throws: ReplicaAssignment.Failure.self) {
            try ReplicaAssignment.assignAddedPartitions(existing: [0: [1], 1: [1]], newTotal: Int32.min, brokers: [1])
        }
        #expect(throws: ReplicaAssignment.Failure.self) {
            try ReplicaAssignment.assignAddedPartitions(existing: [0: [1], 1: [1]], newTotal: 2, brokers: [1])
        }
    }
}
