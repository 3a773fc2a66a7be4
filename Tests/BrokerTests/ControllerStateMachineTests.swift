import KafkaZooKeeper
import KeeperClient
import SimulationKit
import SegmentLog
import Testing
import TestSupport
import ZooKeeperWire

@testable import Broker

@Suite struct ControllerStateMachineTests {
    static let epoch: Int32 = 5
    static let epochVersion: Int32 = 4
    static let check = Op.check(path: "/controller_epoch", version: epochVersion)

    static func settings(unclean: Bool = false, deleteTopics: Bool = true) -> ControllerStateMachine.Settings {
        .init(uncleanLeaderElection: unclean, deleteTopicEnable: deleteTopics, defaultPartitions: 2, defaultReplicationFactor: 2)
    }

    /// A controller (broker 1) that won epoch 5 at /controller_epoch version 4.
    static func activeController(_ settings: ControllerStateMachine.Settings = settings()) -> ControllerStateMachine {
        var controller = ControllerStateMachine(brokerID: 1, settings: settings)
        #expect(controller.becameController(epoch: epoch, epochZkVersion: epochVersion) == [.note(.becameController(epoch: epoch))])
        return controller
    }

    /// Brokers `live` registered, broker 1 controller at epoch 5, one topic "t".
    static func snapshot(
        live: [BrokerID],
        assignment: [Int32: [BrokerID]],
        states: [Int32: PartitionState] = [:]
    ) -> ClusterSnapshot {
        var snapshot = ClusterSnapshot()
        for id in live {
            let registration = BrokerRegistration(id: id, endpoints: [Endpoint(listenerName: "PLAINTEXT", host: "h", port: 9000 + Int(id.rawValue))], rack: nil, timestamp: 0)
            snapshot.brokers[id] = .init(registration: registration, epoch: Int64(id.rawValue))
        }
        snapshot.controller = 1
        snapshot.controllerEpoch = .init(epoch: epoch, version: epochVersion)
        snapshot.featureNodeExists = true
        snapshot.topics["t"] = .init(assignment: TopicAssignment(partitions: assignment, topicID: "id"), version: 0)
        for (partition, state) in states {
            snapshot.partitionStates[TopicPartition("t", partition)] = .init(state: state, version: 3)
        }
        return snapshot
    }

    static func setState(_ partition: Int32, _ state: PartitionState) -> ControllerStateMachine.Action {
        .write([check, .setData(path: "/brokers/topics/t/partitions/\(partition)/state", data: state.encode(), version: 3)])
    }

    /// Leaders' ISR change notifications are consumed in fenced batches of 100.
    @Test func isrChangeNotificationsAreDeleted() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let state = PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 5)
        var snapshot = Self.snapshot(live: [1], assignment: [0: [1]], states: [0: state])
        snapshot.isrChangeNotifications = (0..<150).map { "isr_change_" + String(1_000_000_000 + $0) }
        let actions = controller.clusterRead(snapshot, random: &random)
        let paths = snapshot.isrChangeNotifications.map { "/isr_change_notification/" + $0 }
        #expect(
            actions == [
                .write([Self.check] + paths[..<100].map { .delete(path: $0) }),
                .write([Self.check] + paths[100...].map { .delete(path: $0) }),
            ])
    }

    @Test func inactiveControllerDoesNothing() {
        var controller = ControllerStateMachine(brokerID: 1, settings: Self.settings())
        var random = SplitMix64(seed: 1)
        #expect(controller.clusterRead(Self.snapshot(live: [1], assignment: [0: [1]]), random: &random).isEmpty)
    }

    /// The ISR starts as every live replica in assignment order (all logs are empty), as in Kafka.
    @Test func newPartitionsGetLeaderFirstLiveReplicaAndEveryLiveReplicaInTheISR() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let actions = controller.clusterRead(Self.snapshot(live: [1, 2, 3], assignment: [0: [2, 1], 1: [4, 3, 1]]), random: &random)
        let p0 = PartitionState(leader: 2, leaderEpoch: 0, isr: [2, 1], controllerEpoch: 5)
        let p1 = PartitionState(leader: 3, leaderEpoch: 0, isr: [3, 1], controllerEpoch: 5)
        #expect(
            actions == [
                .createIfAbsent(
                    ["/brokers/topics/t/partitions", "/brokers/topics/t/partitions/0", "/brokers/topics/t/partitions/1"]
                        .map { .create(path: $0, data: []) },
                    epochCheck: Self.check),
                .write([Self.check, .create(path: "/brokers/topics/t/partitions/0/state", data: p0.encode())]),
                .note(.partitionCreated(TopicPartition("t", 0), leader: 2, isr: [2, 1])),
                .write([Self.check, .create(path: "/brokers/topics/t/partitions/1/state", data: p1.encode())]),
                .note(.partitionCreated(TopicPartition("t", 1), leader: 3, isr: [3, 1])),
                .note(.topicCreated("t", partitions: 2)),
            ])
    }

    @Test func partitionWithoutLiveReplicaWaitsAndIsReportedOnce() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let snapshot = Self.snapshot(live: [1], assignment: [0: [2, 3]])
        #expect(
            controller.clusterRead(snapshot, random: &random)
                == [.note(.partitionOffline(TopicPartition("t", 0), reason: "no live replica among [2, 3]"))])
        #expect(controller.clusterRead(snapshot, random: &random).isEmpty)
    }

    @Test func brokerLossElectsFirstLiveISRReplicaInAssignmentOrder() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        // Assignment order 3, 1, 2 (ISR order differs): leader 3 died, 1 is next in assignment order.
        let before = PartitionState(leader: 3, leaderEpoch: 2, isr: [2, 1, 3], controllerEpoch: 4)
        let actions = controller.clusterRead(Self.snapshot(live: [1, 2], assignment: [0: [3, 1, 2]], states: [0: before]), random: &random)
        let after = PartitionState(leader: 1, leaderEpoch: 3, isr: [2, 1], controllerEpoch: 5)
        #expect(actions == [Self.setState(0, after), .note(.leaderChanged(TopicPartition("t", 0), after, .cleanElection))])
    }

    @Test func replicaOutsideISRIsNotElectedCleanly() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let before = PartitionState(leader: 1, leaderEpoch: 2, isr: [1, 3], controllerEpoch: 4)
        let actions = controller.clusterRead(Self.snapshot(live: [2, 3], assignment: [0: [1, 2, 3]], states: [0: before]), random: &random)
        let after = PartitionState(leader: 3, leaderEpoch: 3, isr: [3], controllerEpoch: 5)
        #expect(actions == [Self.setState(0, after), .note(.leaderChanged(TopicPartition("t", 0), after, .cleanElection))])
    }

    @Test func followerLossShrinksISR() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let before = PartitionState(leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 4)
        let actions = controller.clusterRead(Self.snapshot(live: [1], assignment: [0: [1, 2]], states: [0: before]), random: &random)
        let after = PartitionState(leader: 1, leaderEpoch: 3, isr: [1], controllerEpoch: 5)
        #expect(actions == [Self.setState(0, after), .note(.leaderChanged(TopicPartition("t", 0), after, .isrShrunk))])
    }

    @Test func noLiveISRReplicaMeansNoLeaderUntilAnISRMemberReturns() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let before = PartitionState(leader: 2, leaderEpoch: 2, isr: [2], controllerEpoch: 4)
        let leaderless = PartitionState(leader: .noLeader, leaderEpoch: 3, isr: [2], controllerEpoch: 5)
        #expect(
            controller.clusterRead(Self.snapshot(live: [1, 3], assignment: [0: [2, 3]], states: [0: before]), random: &random)
                == [Self.setState(0, leaderless), .note(.leaderChanged(TopicPartition("t", 0), leaderless, .noLeader))])
        // Nothing more to do while only the out-of-sync replica 3 is live.
        #expect(controller.clusterRead(Self.snapshot(live: [1, 3], assignment: [0: [2, 3]], states: [0: leaderless]), random: &random).isEmpty)
        // Broker 2, the last in-sync replica, returns and is elected cleanly.
        let back = PartitionState(leader: 2, leaderEpoch: 4, isr: [2], controllerEpoch: 5)
        #expect(
            controller.clusterRead(Self.snapshot(live: [1, 2, 3], assignment: [0: [2, 3]], states: [0: leaderless]), random: &random)
                == [Self.setState(0, back), .note(.leaderChanged(TopicPartition("t", 0), back, .cleanElection))])
    }

    @Test func uncleanElectionWhenEnabled() {
        var controller = Self.activeController(Self.settings(unclean: true))
        var random = SplitMix64(seed: 1)
        let before = PartitionState(leader: 2, leaderEpoch: 2, isr: [2], controllerEpoch: 4)
        let after = PartitionState(leader: 3, leaderEpoch: 3, isr: [3], controllerEpoch: 5, recovering: true)
        #expect(
            controller.clusterRead(Self.snapshot(live: [1, 3], assignment: [0: [2, 3]], states: [0: before]), random: &random)
                == [Self.setState(0, after), .note(.leaderChanged(TopicPartition("t", 0), after, .uncleanElection))])
    }

    /// The topic's own `unclean.leader.election.enable` wins over the broker's.
    @Test func perTopicUncleanElectionOverridesTheBrokerSetting() {
        var random = SplitMix64(seed: 1)
        let before = PartitionState(leader: 2, leaderEpoch: 2, isr: [2], controllerEpoch: 4)
        var snapshot = Self.snapshot(live: [1, 3], assignment: [0: [2, 3]], states: [0: before])
        snapshot.uncleanLeaderElection["t"] = true
        var allowing = Self.activeController(Self.settings(unclean: false))
        let after = PartitionState(leader: 3, leaderEpoch: 3, isr: [3], controllerEpoch: 5, recovering: true)
        #expect(
            allowing.clusterRead(snapshot, random: &random)
                == [Self.setState(0, after), .note(.leaderChanged(TopicPartition("t", 0), after, .uncleanElection))])
        snapshot.uncleanLeaderElection["t"] = false
        var refusing = Self.activeController(Self.settings(unclean: true))
        let offline = PartitionState(leader: .noLeader, leaderEpoch: 3, isr: [2], controllerEpoch: 5)
        #expect(
            refusing.clusterRead(snapshot, random: &random)
                == [Self.setState(0, offline), .note(.leaderChanged(TopicPartition("t", 0), offline, .noLeader))])
    }

    /// A broker stopping with controlled shutdown: what it leads moves to the next in-sync replica, it
    /// leaves the ISRs it follows in, and a partition it alone has in sync keeps it as leader.
    @Test func controlledShutdownMovesLeadershipsWithoutTakingAnythingOffline() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let led = PartitionState(leader: 2, leaderEpoch: 1, isr: [2, 3, 1], controllerEpoch: 5)
        let followed = PartitionState(leader: 3, leaderEpoch: 4, isr: [3, 2], controllerEpoch: 5)
        let alone = PartitionState(leader: 2, leaderEpoch: 0, isr: [2], controllerEpoch: 5)
        let snapshot = Self.snapshot(
            live: [1, 2, 3], assignment: [0: [2, 3, 1], 1: [3, 2], 2: [2, 1]], states: [0: led, 1: followed, 2: alone])
        #expect(controller.clusterRead(snapshot, random: &random).isEmpty)
        // A request from another registration of broker 2 is ignored.
        controller.controlledShutdownRequested(broker: 2, brokerEpoch: 99)
        #expect(controller.clusterRead(snapshot, random: &random).isEmpty)
        controller.controlledShutdownRequested(broker: 2, brokerEpoch: 2)
        let moved = PartitionState(leader: 3, leaderEpoch: 2, isr: [3, 1], controllerEpoch: 5)
        let shrunk = PartitionState(leader: 3, leaderEpoch: 5, isr: [3], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                Self.setState(0, moved), .note(.leaderChanged(TopicPartition("t", 0), moved, .controlledShutdown)),
                Self.setState(1, shrunk), .note(.leaderChanged(TopicPartition("t", 1), shrunk, .controlledShutdown)),
            ])
    }

    /// `/admin/preferred_replica_election`: the named partitions whose preferred replica is live and in
    /// sync get it back as leader; the request is deleted.
    @Test func preferredElectionRequestIsCarriedOutAndDeleted() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        let movable = PartitionState(leader: 3, leaderEpoch: 2, isr: [3, 2], controllerEpoch: 5)
        let outOfSync = PartitionState(leader: 3, leaderEpoch: 1, isr: [3], controllerEpoch: 5)
        var snapshot = Self.snapshot(live: [1, 2, 3], assignment: [0: [2, 3], 1: [2, 3]], states: [0: movable, 1: outOfSync])
        snapshot.preferredReplicaElection = [TopicPartition("t", 0), TopicPartition("t", 1)]
        let preferred = PartitionState(leader: 2, leaderEpoch: 3, isr: [3, 2], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                Self.setState(0, preferred), .note(.leaderChanged(TopicPartition("t", 0), preferred, .preferredElection)),
                .write([Self.check, .delete(path: "/admin/preferred_replica_election")]),
            ])
    }

    /// At an imbalance check, a broker whose preferred partitions are led elsewhere above
    /// `leader.imbalance.per.broker.percentage` gets them back; below it nothing moves.
    @Test func leaderImbalanceCheckRestoresPreferredLeaders() {
        var random = SplitMix64(seed: 1)
        var states: [Int32: PartitionState] = [:]
        var assignment: [Int32: [BrokerID]] = [:]
        for id in Int32(0)..<10 {
            assignment[id] = [1, 2]
            states[id] = PartitionState(leader: id == 0 ? 2 : 1, leaderEpoch: 1, isr: [1, 2], controllerEpoch: 5)
        }
        let snapshot = Self.snapshot(live: [1, 2], assignment: assignment, states: states)
        // 1 of 10 (10 %) is not above 10 %.
        var controller = Self.activeController()
        controller.leaderImbalanceCheckDue()
        #expect(controller.clusterRead(snapshot, random: &random).isEmpty)
        var strict = Self.activeController(
            .init(
                uncleanLeaderElection: false, deleteTopicEnable: true, defaultPartitions: 2, defaultReplicationFactor: 2,
                leaderImbalancePerBrokerPercentage: 5))
        // Not due: nothing.
        #expect(strict.clusterRead(snapshot, random: &random).isEmpty)
        strict.leaderImbalanceCheckDue()
        let back = PartitionState(leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 5)
        #expect(
            strict.clusterRead(snapshot, random: &random)
                == [Self.setState(0, back), .note(.leaderChanged(TopicPartition("t", 0), back, .preferredElection))])
        // The check ran once.
        #expect(strict.clusterRead(snapshot, random: &random).isEmpty)
    }

    @Test func everyWriteIsFencedByTheEpochCheck() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        var snapshot = Self.snapshot(
            live: [1, 2], assignment: [0: [3, 1], 1: [1, 3], 2: [2, 1]],
            states: [0: PartitionState(leader: 3, leaderEpoch: 0, isr: [3, 1], controllerEpoch: 1), 1: PartitionState(leader: 1, leaderEpoch: 0, isr: [1, 3], controllerEpoch: 1)])
        snapshot.featureNodeExists = false
        snapshot.pendingDeletions = ["gone"]
        snapshot.topics["empty"] = .init(assignment: TopicAssignment(partitions: [:], topicID: nil), version: 2)
        let actions = controller.clusterRead(snapshot, random: &random)
        var writes = 0
        for action in actions {
            switch action {
            case .write(let ops):
                writes += 1
                #expect(ops.first == Self.check)
                #expect(ops.count == 2)
            case .createIfAbsent(_, let check), .deleteRecursive(_, let check):
                writes += 1
                #expect(check == Self.check)
            case .note: continue
            }
        }
        // feature, deletion request, assignment of "empty", p0 election, p1 ISR shrink, p2 create (+ parents).
        #expect(writes == 7)
    }

    @Test func newerEpochOrAnotherControllerFencesUsOut() {
        var random = SplitMix64(seed: 1)
        let dead = Self.snapshot(live: [1], assignment: [0: [2, 1]], states: [0: PartitionState(leader: 2, leaderEpoch: 0, isr: [2, 1], controllerEpoch: 5)])

        var newerEpoch = dead
        newerEpoch.controllerEpoch = .init(epoch: 6, version: 5)
        var controller = Self.activeController()
        #expect(controller.clusterRead(newerEpoch, random: &random) == [.note(.resigned(reason: "controller epoch 6 is newer than ours (5)"))])
        #expect(!controller.isActive)
        #expect(controller.clusterRead(dead, random: &random).isEmpty)

        var other = dead
        other.controller = 2
        controller = Self.activeController()
        #expect(controller.clusterRead(other, random: &random) == [.note(.resigned(reason: "/controller names broker 2"))])
    }

    /// `zookeeper.set.acl=true`: every node the controller creates gets creator ALL + world READ.
    @Test func secureControllerCreatesNodesWithKafkasSecureACLs() {
        var settings = Self.settings()
        settings.acls = .secure
        var controller = Self.activeController(settings)
        var snapshot = Self.snapshot(live: [1], assignment: [0: [1]])
        snapshot.featureNodeExists = false
        var random = SplitMix64(seed: 1)
        let secure = ACL.creatorAll + ACL.readUnsafe
        let state = PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 5)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                .write([
                    Self.check,
                    .create(path: "/feature", data: FeaturePayload.encodeEnabledWithoutFeatures(), acl: secure),
                ]),
                .createIfAbsent(
                    [
                        .create(path: "/brokers/topics/t/partitions", data: [], acl: secure),
                        .create(path: "/brokers/topics/t/partitions/0", data: [], acl: secure),
                    ],
                    epochCheck: Self.check),
                .write([Self.check, .create(path: "/brokers/topics/t/partitions/0/state", data: state.encode(), acl: secure)]),
                .note(.partitionCreated(TopicPartition("t", 0), leader: 1, isr: [1])),
                .note(.topicCreated("t", partitions: 1)),
            ])
    }

    @Test func noAuthIsReportedAsARefusalNotAConflict() {
        var controller = Self.activeController()
        let ops = [Self.check, Op.setData(path: "/brokers/topics/t/partitions/0/state", data: [], version: 3)]
        #expect(
            controller.writeFailed(ops, results: [.error(.ok), .error(.noAuth)])
                == [.note(.writeNotAuthorized(path: "/brokers/topics/t/partitions/0/state"))])
        #expect(controller.isActive)
    }

    @Test func rejectedEpochCheckResignsOtherFailuresAreConflicts() {
        var controller = Self.activeController()
        let ops = [Self.check, Op.setData(path: "/brokers/topics/t/partitions/0/state", data: [], version: 3)]
        #expect(
            controller.writeFailed(ops, results: [.error(.ok), .error(.badVersion)])
                == [.note(.writeConflict(path: "/brokers/topics/t/partitions/0/state", code: "BADVERSION"))])
        #expect(controller.isActive)
        #expect(
            controller.writeFailed(ops, results: [.error(.badVersion), .error(.runtimeInconsistency)])
                == [.note(.resigned(reason: "controller epoch check failed (BADVERSION)"))])
        #expect(!controller.isActive)
        #expect(controller.resign(reason: "again").isEmpty)
    }

    @Test func deletionRemovesTopicConfigAndRequestWithoutElecting() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        var snapshot = Self.snapshot(live: [1], assignment: [0: [2, 1]], states: [0: PartitionState(leader: 2, leaderEpoch: 0, isr: [2, 1], controllerEpoch: 5)])
        snapshot.pendingDeletions = ["t"]
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                .deleteRecursive("/brokers/topics/t", epochCheck: Self.check),
                .deleteRecursive("/config/topics/t", epochCheck: Self.check),
                .deleteRecursive("/admin/delete_topics/t", epochCheck: Self.check),
                .note(.topicDeleted("t")),
            ])
    }

    @Test func deletionDisabledOnlyRemovesTheRequest() {
        var controller = Self.activeController(Self.settings(deleteTopics: false))
        var random = SplitMix64(seed: 1)
        var snapshot = Self.snapshot(live: [1], assignment: [0: [1]], states: [0: PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 5)])
        snapshot.pendingDeletions = ["t"]
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                .deleteRecursive("/admin/delete_topics/t", epochCheck: Self.check),
                .note(.deletionIgnored(topic: "t", reason: "delete.topic.enable is false")),
            ])
    }

    @Test func topicWithoutPartitionsGetsDefaultAssignment() throws {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 9)
        var expectedRandom = SplitMix64(seed: 9)
        var snapshot = Self.snapshot(live: [1, 2, 3], assignment: [:])
        snapshot.topics["t"]?.version = 6
        var expected = TopicAssignment(partitions: [:], topicID: "id")
        expected.partitions = try ReplicaAssignment.assignNewTopic(partitions: 2, replicationFactor: 2, brokers: [1, 2, 3], random: &expectedRandom)
        #expect(
            controller.clusterRead(snapshot, random: &random) == [
                .write([Self.check, .setData(path: "/brokers/topics/t", data: expected.encode(), version: 6)]),
                .note(.replicasAssigned(topic: "t", partitions: 2)),
            ])
    }

    @Test func missingFeatureNodeIsCreated() {
        var controller = Self.activeController()
        var random = SplitMix64(seed: 1)
        var snapshot = Self.snapshot(live: [1], assignment: [0: [1]], states: [0: PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 5)])
        snapshot.featureNodeExists = false
        #expect(
            controller.clusterRead(snapshot, random: &random)
                == [.write([Self.check, .create(path: "/feature", data: Array(#"{"features":{},"version":2,"status":1}"#.utf8))])])
    }
}
