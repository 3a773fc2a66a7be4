import KafkaZooKeeper
import KeeperClient
import SimulationKit
import SegmentLog
import Testing
import TestSupport
import ZooKeeperWire

@testable import Broker

/// Partition reassignment (KIP-455, ZooKeeper-mode `KafkaController.onPartitionReassignment`): the pure
/// steps, the controller's writes for each phase, and the `/admin/reassign_partitions` payload.
@Suite struct PartitionReassignmentTests {
    typealias C = ControllerStateMachineTests
    static let t0 = TopicPartition("t", 0)
    static let requestPath = "/admin/reassign_partitions"

    /// The snapshot of `C.snapshot` with a reassignment request for `targets` at znode version 7.
    static func snapshot(
        live: [BrokerID], assignment: TopicAssignment, states: [Int32: PartitionState],
        request: [TopicPartition: [BrokerID]]?
    ) -> ClusterSnapshot {
        var snapshot = C.snapshot(live: live, assignment: assignment.partitions, states: states)
        snapshot.topics["t"] = .init(assignment: assignment, version: 0)
        if let request { snapshot.partitionReassignment = .init(targets: request, version: 7) }
        return snapshot
    }

    static func assignment(_ partitions: [Int32: [BrokerID]], adding: [Int32: [BrokerID]] = [:], removing: [Int32: [BrokerID]] = [:])
        -> TopicAssignment
    {
        var assignment = TopicAssignment(partitions: partitions, topicID: "id")
        assignment.addingReplicas = adding
        assignment.removingReplicas = removing
        return assignment
    }

    static func topicWrite(_ assignment: TopicAssignment, states: [(Int32, PartitionState)]) -> ControllerStateMachine.Action {
        .write(
            [C.check, .setData(path: "/brokers/topics/t", data: assignment.encode(), version: 0)]
                + states.map { .setData(path: "/brokers/topics/t/partitions/\($0.0)/state", data: $0.1.encode(), version: 3) })
    }

    // MARK: - Pure steps

    @Test func planPutsTargetFirstThenTheReplicasLeaving() {
        let plan = PartitionReassignment.Plan(original: [1, 2, 5], target: [2, 3, 4])
        #expect(plan == .init(replicas: [2, 3, 4, 1, 5], adding: [3, 4], removing: [1, 5]))
        #expect(PartitionReassignment.original(of: plan) == [2, 1, 5])
        #expect(PartitionReassignment.target(of: plan) == [2, 3, 4])
    }

    /// A new target for a partition already moving starts again from its original replicas.
    @Test func newTargetReplacesTheOneInProgress() {
        let moving = PartitionReassignment.Plan(replicas: [2, 3, 1], adding: [3], removing: [1])
        let state = PartitionState(leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 5)
        let step = PartitionReassignment.next(current: moving, target: [2, 4], state: state, live: [1, 2, 3, 4], controllerEpoch: 6)
        let bumped = PartitionState(leader: 1, leaderEpoch: 5, isr: [1, 2], controllerEpoch: 6)
        #expect(step == .start(.init(replicas: [2, 4, 1], adding: [4], removing: [1]), state: bumped))
    }

    @Test func phaseTwoWaitsForEveryTargetReplicaInTheISR() {
        let moving = PartitionReassignment.Plan(replicas: [2, 3, 1], adding: [3], removing: [1])
        let state = PartitionState(leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 5)
        #expect(
            PartitionReassignment.next(current: moving, target: [2, 3], state: state, live: [1, 2, 3], controllerEpoch: 5)
                == .awaitingISR(missing: [3]))
        // In sync, but no target replica is live to lead.
        let synced = PartitionState(leader: 1, leaderEpoch: 4, isr: [1, 2, 3], controllerEpoch: 5)
        #expect(
            PartitionReassignment.next(current: moving, target: [2, 3], state: synced, live: [1], controllerEpoch: 5)
                == .awaitingLeader)
    }

    // MARK: - Controller

    /// Phase 1: the topic znode gets RS + (OR − RS) with adding/removing, the state a bumped leader epoch,
    /// in one fenced, version-checked multi; the request stays.
    @Test func phaseOneWritesTheFullReplicaSetAndBumpsTheLeaderEpoch() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let state = PartitionState(leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 5)
        let snapshot = Self.snapshot(
            live: [1, 2, 3], assignment: Self.assignment([0: [1, 2]]), states: [0: state], request: [Self.t0: [2, 3]])
        let moving = Self.assignment([0: [2, 3, 1]], adding: [0: [3]], removing: [0: [1]])
        let bumped = PartitionState(leader: 1, leaderEpoch: 3, isr: [1, 2], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                Self.topicWrite(moving, states: [(0, bumped)]),
                .note(.reassignmentStarted(Self.t0, replicas: [2, 3, 1], adding: [3], removing: [1])),
            ])
        // Re-read after the write: nothing to do until broker 3 is in the ISR.
        let written = Self.snapshot(live: [1, 2, 3], assignment: moving, states: [0: bumped], request: [Self.t0: [2, 3]])
        #expect(controller.clusterRead(written, random: &random).isEmpty)
    }

    /// Phase 2 with the leader outside RS: the first live in-sync replica of RS leads (epoch + 1), the
    /// removed replica leaves the ISR, the topic znode holds RS only, and the emptied request is deleted.
    @Test func phaseTwoMovesLeadershipIntoTheTargetAndFinishes() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let moving = Self.assignment([0: [2, 3, 1]], adding: [0: [3]], removing: [0: [1]])
        let synced = PartitionState(leader: 1, leaderEpoch: 3, isr: [1, 2, 3], controllerEpoch: 5)
        let snapshot = Self.snapshot(live: [1, 2, 3], assignment: moving, states: [0: synced], request: [Self.t0: [2, 3]])
        let moved = PartitionState(leader: 2, leaderEpoch: 4, isr: [2, 3], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                Self.topicWrite(Self.assignment([0: [2, 3]]), states: [(0, moved)]),
                .note(.reassignmentCompleted(Self.t0, replicas: [2, 3], leader: 2)),
                .write([C.check, .delete(path: Self.requestPath, version: 7)]),
                .note(.reassignmentRequestDeleted(reason: "every partition reassigned or dropped")),
            ])
        // If only the request's deletion was lost, the re-read finds the partition complete and deletes it.
        let done = Self.snapshot(
            live: [1, 2, 3], assignment: Self.assignment([0: [2, 3]]), states: [0: moved], request: [Self.t0: [2, 3]])
        #expect(
            controller.clusterRead(done, random: &random) == [
                .write([C.check, .delete(path: Self.requestPath, version: 7)]),
                .note(.reassignmentRequestDeleted(reason: "every partition reassigned or dropped")),
            ])
    }

    /// Phase 2 with the leader in RS: it keeps leading in a new epoch; growing the replica set removes nobody.
    @Test func phaseTwoKeepsALeaderThatIsInTheTarget() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let moving = Self.assignment([0: [1, 2, 3]], adding: [0: [3]])
        let synced = PartitionState(leader: 1, leaderEpoch: 3, isr: [1, 2, 3], controllerEpoch: 5)
        let snapshot = Self.snapshot(live: [1, 2, 3], assignment: moving, states: [0: synced], request: [Self.t0: [1, 2, 3]])
        let kept = PartitionState(leader: 1, leaderEpoch: 4, isr: [1, 2, 3], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                Self.topicWrite(Self.assignment([0: [1, 2, 3]]), states: [(0, kept)]),
                .note(.reassignmentCompleted(Self.t0, replicas: [1, 2, 3], leader: 1)),
                .write([C.check, .delete(path: Self.requestPath, version: 7)]),
                .note(.reassignmentRequestDeleted(reason: "every partition reassigned or dropped")),
            ])
    }

    /// Unknown topics and partitions leave the request with a note; the rest of it stays (version-checked).
    @Test func unknownPartitionsAreDroppedFromTheRequest() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let moving = Self.assignment([0: [2, 3, 1]], adding: [0: [3]], removing: [0: [1]])
        let state = PartitionState(leader: 1, leaderEpoch: 3, isr: [1, 2], controllerEpoch: 5)
        let request: [TopicPartition: [BrokerID]] = [Self.t0: [2, 3], TopicPartition("t", 9): [2], TopicPartition("nope", 0): [1]]
        let snapshot = Self.snapshot(live: [1, 2, 3], assignment: moving, states: [0: state], request: request)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                .note(.reassignmentDropped(TopicPartition("nope", 0), reason: "topic does not exist")),
                .note(.reassignmentDropped(TopicPartition("t", 9), reason: "partition does not exist")),
                .write([
                    C.check,
                    .setData(path: Self.requestPath, data: PartitionReassignmentPayload.encode([Self.t0: [2, 3]]), version: 7),
                ]),
            ])
    }

    /// An unreadable request (decoded as no targets) is deleted, so later requests are not blocked.
    @Test func malformedRequestIsDeleted() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let state = PartitionState(leader: 1, leaderEpoch: 3, isr: [1], controllerEpoch: 5)
        let snapshot = Self.snapshot(live: [1], assignment: Self.assignment([0: [1]]), states: [0: state], request: [:])
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                .write([C.check, .delete(path: Self.requestPath, version: 7)]),
                .note(.reassignmentRequestDeleted(reason: "empty or malformed")),
            ])
    }

    /// A reassignment in progress in the topic znode continues without a request (a new controller, or
    /// the request deleted by hand), towards the replicas not being removed.
    @Test func reassignmentInProgressResumesWithoutRequest() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let moving = Self.assignment([0: [2, 3, 1]], adding: [0: [3]], removing: [0: [1]])
        let synced = PartitionState(leader: 2, leaderEpoch: 3, isr: [2, 1, 3], controllerEpoch: 4)
        let snapshot = Self.snapshot(live: [1, 2, 3], assignment: moving, states: [0: synced], request: nil)
        let finished = PartitionState(leader: 2, leaderEpoch: 4, isr: [2, 3], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                Self.topicWrite(Self.assignment([0: [2, 3]]), states: [(0, finished)]),
                .note(.reassignmentCompleted(Self.t0, replicas: [2, 3], leader: 2)),
            ])
    }

    /// A partition whose state the controller is rewriting for another reason (its leader died) waits for
    /// the next read, so two writes never race on one state version.
    @Test func electionFirstThenReassignmentOnTheNextRead() {
        var controller = C.activeController()
        var random = SplitMix64(seed: 1)
        let state = PartitionState(leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 5)
        let snapshot = Self.snapshot(
            live: [2, 3], assignment: Self.assignment([0: [1, 2]]), states: [0: state], request: [Self.t0: [2, 3]])
        let elected = PartitionState(leader: 2, leaderEpoch: 3, isr: [2], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                C.setState(0, elected), .note(.leaderChanged(Self.t0, elected, .cleanElection)),
            ])
    }

    // MARK: - Payload

    /// `/admin/reassign_partitions` as kafka-reassign-partitions writes it.
    @Test func reassignmentPayloadRoundTrips() throws {
        let targets: [TopicPartition: [BrokerID]] = [TopicPartition("b", 1): [1], TopicPartition("a", 0): [2, 3, 4]]
        let bytes = PartitionReassignmentPayload.encode(targets)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[2,3,4]},{"topic":"b","partition":1,"replicas":[1]}]}"#)
        #expect(try PartitionReassignmentPayload.decode(bytes) == targets)
        // A reassignment JSON file may carry log_dirs: ignored.
        let file = #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[2],"log_dirs":["any"]}]}"#
        #expect(try PartitionReassignmentPayload.decode(Array(file.utf8)) == [TopicPartition("a", 0): [2]])
    }

    @Test(arguments: [
        #"{"version":1,"partitions":[{"topic":"a","partition":-1,"replicas":[1]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":4294967296,"replicas":[1]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,1]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[-1]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[2147483648]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1.5]}]}"#,
        #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}"#,
        #"{"version":1,"partitions":[{"topic":"../x","partition":0,"replicas":[1]}]}"#,
        #"{"version":1,"partitions":[{"topic":"","partition":0,"replicas":[1]}]}"#,
        #"{"version":1,"partitions":[{"partition":0,"replicas":[1]}]}"#,
        #"{"version":1,"partitions":{}}"#,
        #"{"version":1}"#,
        "[]",
        "",
    ])
    func hostileReassignmentPayloadIsRefused(_ text: String) {
        #expect(throws: ZkDataError.self) { try PartitionReassignmentPayload.decode(Array(text.utf8)) }
    }

    @Test func reassignmentPayloadCountsAreBounded() {
        let replicas = (0...PartitionReassignmentPayload.maxReplicas).map(String.init).joined(separator: ",")
        let tooMany = #"{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":["# + replicas + "]}]}"
        #expect(throws: ZkDataError.self) { try PartitionReassignmentPayload.decode(Array(tooMany.utf8)) }
        let entry = #"{"topic":"a","partition":0,"replicas":[1]}"#
        let entries = Array(repeating: entry, count: PartitionReassignmentPayload.maxPartitions + 1).joined(separator: ",")
        #expect(throws: ZkDataError.self) {
            try PartitionReassignmentPayload.decode(Array((#"{"version":1,"partitions":["# + entries + "]}").utf8))
        }
    }
}
