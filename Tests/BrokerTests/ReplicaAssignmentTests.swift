import KafkaZooKeeper
import SimulationKit
import Testing
import TestSupport

@testable import Broker

/// Expected values derived by hand from `AdminUtils.assignReplicasToBrokersRackUnaware`.
@Suite struct ReplicaAssignmentTests {
    /// The table in AdminUtils' doc comment: 5 brokers, 10 partitions, RF 3, start index 0, shift 0.
    @Test func kafkasDocumentedExample() throws {
        let assignment = try ReplicaAssignment.assign(
            partitions: 10, replicationFactor: 3, brokers: [4, 2, 0, 3, 1], startIndex: 0, replicaShift: 0)
        #expect(
            assignment == [
                0: [0, 1, 2], 1: [1, 2, 3], 2: [2, 3, 4], 3: [3, 4, 0], 4: [4, 0, 1],
                5: [0, 2, 3], 6: [1, 3, 4], 7: [2, 4, 0], 8: [3, 0, 1], 9: [4, 1, 2],
            ])
    }

    /// Start index 2, shift 3 over brokers 1…4: the shift grows to 4 at partition 4 (one full round).
    @Test func startIndexAndShiftAreHonoured() throws {
        let assignment = try ReplicaAssignment.assign(
            partitions: 6, replicationFactor: 2, brokers: [1, 2, 3, 4], startIndex: 2, replicaShift: 3)
        #expect(assignment == [0: [3, 4], 1: [4, 1], 2: [1, 2], 3: [2, 3], 4: [3, 1], 5: [4, 2]])
    }

    @Test func singleBrokerSingleReplica() throws {
        #expect(try ReplicaAssignment.assign(partitions: 2, replicationFactor: 1, brokers: [7], startIndex: 0, replicaShift: 0) == [0: [7], 1: [7]])
    }

    /// `AdminZkClient.addPartitions`: start at partition 0's first replica, number after the existing ones.
    @Test func addedPartitionsContinueTheLayout() throws {
        let existing: [Int32: [BrokerID]] = [0: [2, 3], 1: [3, 1]]
        let added = try ReplicaAssignment.assignAddedPartitions(existing: existing, newTotal: 4, brokers: [1, 2, 3])
        // startIndex = index of broker 2 = 1 = shift; p2: first (2+1)%3=0 → 1, follower 1+(1)%2=2 → index 2 → 3.
        // p3: 3%3==0 → shift 2; first (3+1)%3=1 → 2, follower 1+(2)%2=1 → index 2 → 3.
        #expect(added == [2: [1, 3], 3: [2, 3]])
    }

    @Test func failures() {
        #expect(throws: ReplicaAssignment.Failure.replicationFactorTooLarge(replicationFactor: 3, brokers: 2)) {
            try ReplicaAssignment.assign(partitions: 1, replicationFactor: 3, brokers: [1, 2], startIndex: 0, replicaShift: 0)
        }
        #expect(ReplicaAssignment.Failure.replicationFactorTooLarge(replicationFactor: 3, brokers: 2).description
            == "Replication factor: 3 larger than available brokers: 2.")
        #expect(throws: ReplicaAssignment.Failure.invalidPartitions(0)) {
            try ReplicaAssignment.assign(partitions: 0, replicationFactor: 1, brokers: [1], startIndex: 0, replicaShift: 0)
        }
    }

    @Test func randomPlacementIsBalancedAndReplays() throws {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let a = try ReplicaAssignment.assignNewTopic(partitions: 6, replicationFactor: 3, brokers: [1, 2, 3], random: &first)
        let b = try ReplicaAssignment.assignNewTopic(partitions: 6, replicationFactor: 3, brokers: [1, 2, 3], random: &second)
        #expect(a == b)
        for replicas in a.values { #expect(Set(replicas) == [1, 2, 3]) }
        let leaders = a.values.map { $0[0] }
        for broker: BrokerID in [1, 2, 3] { #expect(leaders.filter { $0 == broker }.count == 2) }
    }
}
