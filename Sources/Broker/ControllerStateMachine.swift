package import KafkaZooKeeper
package import KeeperClient
import ZooKeeperWire
package import SegmentLog

/// The ZooKeeper-mode controller as a pure state machine (`KafkaController`, reference/kafka.md §1.3).
///
/// Inputs: won or lost the election, a fresh `ClusterSnapshot`, a fenced write rejected. Outputs:
/// ZooKeeper writes for the driver to run and notes for it to log. Every write is fenced: a `multi`
/// whose first op checks `/controller_epoch` at the version this controller wrote when elected
/// (`wrapRequestWithControllerEpochCheck`, KAFKA-6082), so a controller that lost its session or was
/// replaced cannot change anything. Randomness (replica placement) is an input.
///
/// What it decides on each snapshot, in this order:
/// 1. Fencing: a snapshot naming another controller, or a newer epoch, makes it resign.
/// 2. `/feature` is created if missing (versioning enabled, no finalized features).
/// 3. Leaders' `/isr_change_notification` nodes are deleted (consumed).
/// 4. Deletions under `/admin/delete_topics`: the topic's znodes, its config, then the request
///    (only the request when `delete.topic.enable` is false or the topic does not exist).
/// 5. Topics whose znode has no partitions get `num.partitions` × `default.replication.factor`.
/// 6. Partitions without a state znode get their initial state; partitions whose leader or ISR
///    names dead brokers are re-elected (`PartitionLeaderElection.reconcile`).
/// 7. Partition reassignments (`/admin/reassign_partitions`, and those in progress in topic znodes)
///    take their next step (`PartitionReassignment`), one fenced multi per topic; finished and
///    unknown partitions leave the request, which is deleted once empty.
///
/// Unlike Kafka there are no LeaderAndIsr/UpdateMetadata RPCs: brokers learn states from the ensemble.
package struct ControllerStateMachine {
    /// The broker settings the controller's decisions depend on.
    package struct Settings: Hashable, Sendable {
        package var uncleanLeaderElection: Bool
        package var deleteTopicEnable: Bool
        package var defaultPartitions: Int32
        package var defaultReplicationFactor: Int
        /// The ACLs of the znodes the controller creates (`zookeeper.set.acl`).
        package var acls: ZkACLPolicy
        /// `leader.imbalance.per.broker.percentage` (10): at an imbalance check, a broker whose share of
        /// partitions it prefers but does not lead is above this gets them back.
        package var leaderImbalancePerBrokerPercentage: Int

        package init(
            uncleanLeaderElection: Bool, deleteTopicEnable: Bool, defaultPartitions: Int32,
            defaultReplicationFactor: Int, acls: ZkACLPolicy = .open, leaderImbalancePerBrokerPercentage: Int = 10
        ) {
            self.uncleanLeaderElection = uncleanLeaderElection
            self.deleteTopicEnable = deleteTopicEnable
            self.defaultPartitions = defaultPartitions
            self.defaultReplicationFactor = defaultReplicationFactor
            self.acls = acls
            self.leaderImbalancePerBrokerPercentage = leaderImbalancePerBrokerPercentage
        }

        package init(_ configuration: BrokerConfiguration) {
            self.init(
                uncleanLeaderElection: configuration.uncleanLeaderElectionEnable,
                deleteTopicEnable: configuration.deleteTopicEnable, defaultPartitions: configuration.numPartitions,
                defaultReplicationFactor: Int(configuration.defaultReplicationFactor), acls: configuration.zkACLPolicy,
                leaderImbalancePerBrokerPercentage: Int(configuration.leaderImbalancePerBrokerPercentage))
        }
    }

    /// Something worth one log line.
    package enum Note: Hashable, Sendable {
        case becameController(epoch: Int32)
        case resigned(reason: String)
        case partitionCreated(TopicPartition, leader: BrokerID, isr: [BrokerID])
        case partitionOffline(TopicPartition, reason: String)
        case leaderChanged(TopicPartition, PartitionState, PartitionLeaderElection.Reason)
        case replicasAssigned(topic: String, partitions: Int)
        /// The first partition states of a topic were written.
        case topicCreated(String, partitions: Int)
        case replicasUnassignable(topic: String, reason: String)
        case topicDeleted(String)
        case deletionIgnored(topic: String, reason: String)
        case writeConflict(path: String, code: String)
        /// The ensemble refused a write for want of permission (NOAUTH): the node's ACL names another
        /// identity. Not a race that re-reading resolves, so it is worth a warning.
        case writeNotAuthorized(path: String)
        /// Phase 1 of a reassignment: the new replicas were added to the partition's replica list.
        case reassignmentStarted(TopicPartition, replicas: [BrokerID], adding: [BrokerID], removing: [BrokerID])
        /// Phase 2: the partition's replicas are the target, led by `leader`.
        case reassignmentCompleted(TopicPartition, replicas: [BrokerID], leader: BrokerID)
        /// A partition the request names cannot be reassigned (unknown, or its topic is being deleted).
        case reassignmentDropped(TopicPartition, reason: String)
        /// `/admin/reassign_partitions` was deleted: nothing left in it, or unreadable.
        case reassignmentRequestDeleted(reason: String)
    }

    /// What the driver does.
    package enum Action: Hashable, Sendable {
        /// Run `ops` as one multi; the first op is the epoch check. A rejected check means fenced.
        case write([Op])
        /// Run each create (in order) unless its node exists, each as a fenced multi; NODEEXISTS is fine.
        case createIfAbsent([Op], epochCheck: Op)
        /// Delete `path` and everything under it, deepest first, each delete a fenced multi;
        /// NONODE is fine.
        case deleteRecursive(String, epochCheck: Op)
        case note(Note)
    }

    private enum State {
        case inactive
        case active(epoch: Int32, epochZkVersion: Int32)
    }

    /// ISR change notifications deleted per multi.
    static let notificationBatch = 100

    package let brokerID: BrokerID
    package let settings: Settings
    private var state = State.inactive
    /// Partitions and topics already reported as stuck, so a note is logged once, not per snapshot.
    private var reportedStuck: Set<String> = []
    /// Brokers stopping with controlled shutdown, by the broker epoch of the registration that asked.
    private var stopping: [BrokerID: Int64] = [:]
    /// Whether the next snapshot runs the leader imbalance check.
    private var imbalanceCheckDue = false

    package init(brokerID: BrokerID, settings: Settings) {
        self.brokerID = brokerID
        self.settings = settings
    }

    /// True between `becameController` and resignation.
    package var isActive: Bool {
        if case .active = state { true } else { false }
    }

    /// The controller epoch while active.
    package var epoch: Int32? {
        if case .active(let epoch, _) = state { epoch } else { nil }
    }

    /// This broker won the election: `/controller_epoch` now holds `epoch` at data version `epochZkVersion`.
    /// The driver reads a full snapshot next; nothing is decided before it arrives.
    package mutating func becameController(epoch: Int32, epochZkVersion: Int32) -> [Action] {
        state = .active(epoch: epoch, epochZkVersion: epochZkVersion)
        reportedStuck = []
        stopping = [:]
        imbalanceCheckDue = false
        return [.note(.becameController(epoch: epoch))]
    }

    /// The session ended, or another broker's controller node was seen: stop acting.
    package mutating func resign(reason: String) -> [Action] {
        guard isActive else { return [] }
        state = .inactive
        return [.note(.resigned(reason: reason))]
    }

    /// Broker `broker`, registered with `brokerEpoch`, asks to stop (ControlledShutdown): from the next
    /// snapshot on its leaderships move to other in-sync replicas and it leaves the ISRs it is in
    /// (`PartitionLeaderElection.controlledShutdown`), for as long as that registration lives.
    package mutating func controlledShutdownRequested(broker: BrokerID, brokerEpoch: Int64) {
        guard isActive else { return }
        stopping[broker] = brokerEpoch
    }

    /// `leader.imbalance.check.interval.seconds` passed (with `auto.leader.rebalance.enable`): the next
    /// snapshot gives preferred replicas back the partitions of brokers above the imbalance percentage.
    package mutating func leaderImbalanceCheckDue() {
        guard isActive else { return }
        imbalanceCheckDue = true
    }

    /// A fenced write came back failed: a failed epoch check means another controller took over.
    package mutating func writeFailed(_ ops: [Op], results: [OpResult]) -> [Action] {
        var actions: [Action] = []
        if let check = results.first, let code = check.error, code != .ok {
            actions += resign(reason: "controller epoch check failed (\(code))")
            return actions
        }
        let failed = zip(ops, results).first { $0.1.error != nil && $0.1.error != .ok && $0.1.error != .runtimeInconsistency }
        if let failed, let code = failed.1.error {
            let path = failed.0.path
            let note = code == .noAuth ? Note.writeNotAuthorized(path: path) : .writeConflict(path: path, code: "\(code)")
            actions.append(.note(note))
        }
        return actions
    }

    /// A fresh snapshot of the ensemble (read after the previous actions ran).
    package mutating func clusterRead(_ snapshot: ClusterSnapshot, random: inout some RandomNumberGenerator) -> [Action] {
        var actions: [Action] = []
        guard case .active(let epoch, let epochZkVersion) = state else { return actions }
        if let current = snapshot.controllerEpoch, current.epoch > epoch {
            actions += resign(reason: "controller epoch \(current.epoch) is newer than ours (\(epoch))")
            return actions
        }
        if snapshot.controller != brokerID {
            let other = snapshot.controller.map { "broker \($0)" } ?? "nobody"
            actions += resign(reason: "\(ZkPaths.controller) names \(other)")
            return actions
        }
        let check = Op.check(path: ZkPaths.controllerEpoch, version: epochZkVersion)
        if !snapshot.featureNodeExists {
            let feature = create(ZkPaths.feature, data: FeaturePayload.encodeEnabledWithoutFeatures())
            actions.append(.write([check, feature]))
        }
        // Leaders' ISR change notifications: brokers learn states from their watches on the state
        // znodes, so the controller only consumes them (Kafka's `IsrChangeNotificationHandler` then sends
        // UpdateMetadata), in batches that keep a multi small.
        for start in stride(from: 0, to: snapshot.isrChangeNotifications.count, by: Self.notificationBatch) {
            let names = snapshot.isrChangeNotifications[start..<min(start + Self.notificationBatch, snapshot.isrChangeNotifications.count)]
            actions.append(.write([check] + names.map { .delete(path: ZkPaths.isrChangeNotification + "/" + $0) }))
        }
        for topic in snapshot.pendingDeletions.sorted() {
            if !settings.deleteTopicEnable || snapshot.topics[topic] == nil {
                let reason = settings.deleteTopicEnable ? "topic does not exist" : "delete.topic.enable is false"
                actions.append(.deleteRecursive(ZkPaths.deleteTopic(topic), epochCheck: check))
                actions.append(.note(.deletionIgnored(topic: topic, reason: reason)))
            } else {
                actions.append(.deleteRecursive(ZkPaths.topic(topic), epochCheck: check))
                actions.append(.deleteRecursive(ZkPaths.topicConfig(topic), epochCheck: check))
                actions.append(.deleteRecursive(ZkPaths.deleteTopic(topic), epochCheck: check))
                actions.append(.note(.topicDeleted(topic)))
            }
        }
        let live = Set(snapshot.brokers.keys)
        // A stopping broker's request lasts as long as the registration that made it.
        stopping = stopping.filter { snapshot.brokers[$0.key]?.epoch == $0.value }
        var preferred = snapshot.preferredReplicaElection ?? []
        if imbalanceCheckDue {
            imbalanceCheckDue = false
            preferred.formUnion(Self.imbalanced(snapshot, percentage: settings.leaderImbalancePerBrokerPercentage))
        }
        let context = ReconcileContext(
            live: live, stopping: Set(stopping.keys), preferred: preferred, epoch: epoch, check: check)
        let (reassigning, dropped) = Self.reassignmentTargets(snapshot)
        for (partition, reason) in dropped { actions.append(.note(.reassignmentDropped(partition, reason: reason))) }
        var reassigned: Set<TopicPartition> = []
        for name in snapshot.topics.keys.sorted() where !snapshot.pendingDeletions.contains(name) {
            guard let topic = snapshot.topics[name] else { continue }
            if topic.assignment.partitions.isEmpty {
                actions += assignReplicas(name, topic, live: snapshot.liveBrokerIDs, check: check, random: &random)
                continue
            }
            var written: Set<TopicPartition> = []
            actions += reconcilePartitions(name, topic.assignment, snapshot: snapshot, context: context, written: &written)
            if let targets = reassigning[name] {
                actions += reassignPartitions(
                    name, topic, targets: targets, snapshot: snapshot, context: context, skipping: written,
                    done: &reassigned)
            }
        }
        if let request = snapshot.partitionReassignment {
            actions += updateReassignmentRequest(request, done: reassigned, dropped: Set(dropped.map(\.0)), check: check)
        }
        if snapshot.preferredReplicaElection != nil {
            // Done with the request (Kafka deletes it once its elections are written).
            actions.append(.write([check, .delete(path: ZkPaths.preferredReplicaElection)]))
        }
        return actions
    }

    private mutating func assignReplicas(
        _ name: String, _ topic: ClusterSnapshot.Topic, live: [BrokerID], check: Op,
        random: inout some RandomNumberGenerator
    ) -> [Action] {
        var actions: [Action] = []
        do {
            var assignment = topic.assignment
            assignment.partitions = try ReplicaAssignment.assignNewTopic(
                partitions: settings.defaultPartitions, replicationFactor: settings.defaultReplicationFactor,
                brokers: live, random: &random)
            actions.append(.write([check, .setData(path: ZkPaths.topic(name), data: assignment.encode(), version: topic.version)]))
            actions.append(.note(.replicasAssigned(topic: name, partitions: assignment.partitions.count)))
        } catch {
            if reportedStuck.insert("topic:\(name)").inserted {
                actions.append(.note(.replicasUnassignable(topic: name, reason: error.description)))
            }
        }
        return actions
    }

    /// What `reconcilePartitions` decides with, beyond the snapshot.
    private struct ReconcileContext {
        var live: Set<BrokerID>
        /// Live brokers stopping with controlled shutdown.
        var stopping: Set<BrokerID>
        /// Partitions whose preferred replica should lead again.
        var preferred: Set<TopicPartition>
        var epoch: Int32
        var check: Op
    }

    /// Partitions to give back to their preferred replica at an imbalance check
    /// (`KafkaController.checkAndTriggerAutoLeaderRebalance`): for each broker, the partitions it is the
    /// preferred replica of but does not lead, when they are more than `percentage` % of those it prefers.
    static func imbalanced(_ snapshot: ClusterSnapshot, percentage: Int) -> Set<TopicPartition> {
        var preferredBy: [BrokerID: [TopicPartition]] = [:]
        var notLedBy: [BrokerID: [TopicPartition]] = [:]
        for (name, topic) in snapshot.topics where !snapshot.pendingDeletions.contains(name) {
            for (id, replicas) in topic.assignment.partitions {
                let partition = TopicPartition(name, id)
                guard let preferred = replicas.first, let state = snapshot.partitionStates[partition]?.state else { continue }
                preferredBy[preferred, default: []].append(partition)
                if state.leader != preferred { notLedBy[preferred, default: []].append(partition) }
            }
        }
        var result: Set<TopicPartition> = []
        for (broker, partitions) in notLedBy where snapshot.brokers[broker] != nil {
            let total = preferredBy[broker]?.count ?? 0
            if total > 0, partitions.count * 100 > percentage * total { result.formUnion(partitions) }
        }
        return result
    }

    /// Reconciles each partition of a topic with the live brokers; `written` gets the partitions whose
    /// state it writes.
    private mutating func reconcilePartitions(
        _ name: String, _ assignment: TopicAssignment, snapshot: ClusterSnapshot, context: ReconcileContext,
        written: inout Set<TopicPartition>
    ) -> [Action] {
        let live = context.live
        let epoch = context.epoch
        let check = context.check
        var actions: [Action] = []
        var parentsCreated = false
        let isNew = assignment.partitionIDs.allSatisfy { snapshot.partitionStates[TopicPartition(name, $0)] == nil }
        var created = 0
        for id in assignment.partitionIDs {
            let partition = TopicPartition(name, id)
            let replicas = assignment.partitions[id] ?? []
            guard let current = snapshot.partitionStates[partition] else {
                guard let initial = PartitionLeaderElection.initialState(replicas: replicas, live: live, controllerEpoch: epoch) else {
                    if reportedStuck.insert("partition:\(partition)").inserted {
                        actions.append(.note(.partitionOffline(partition, reason: "no live replica among \(replicas)")))
                    }
                    continue
                }
                if !parentsCreated {
                    let parents = [ZkPaths.partitions(name)] + assignment.partitionIDs.map { ZkPaths.partition(TopicPartition(name, $0)) }
                    actions.append(.createIfAbsent(parents.map { create($0, data: []) }, epochCheck: check))
                    parentsCreated = true
                }
                written.insert(partition)
                actions.append(.write([check, create(ZkPaths.partitionState(partition), data: initial.encode())]))
                actions.append(.note(.partitionCreated(partition, leader: initial.leader, isr: initial.isr)))
                reportedStuck.remove("partition:\(partition)")
                created += 1
                continue
            }
            let unclean = snapshot.uncleanLeaderElection[name] ?? settings.uncleanLeaderElection
            let change: (PartitionState, PartitionLeaderElection.Reason)?
            if let elected = PartitionLeaderElection.reconcile(
                current.state, replicas: replicas, live: live, controllerEpoch: epoch, unclean: unclean)
            {
                change = elected
            } else if !context.stopping.isEmpty,
                let moved = PartitionLeaderElection.controlledShutdown(
                    current.state, replicas: replicas, live: live, stopping: context.stopping, controllerEpoch: epoch)
            {
                change = (moved, .controlledShutdown)
            } else if context.preferred.contains(partition),
                let preferred = PartitionLeaderElection.preferred(
                    current.state, replicas: replicas, live: live.subtracting(context.stopping), controllerEpoch: epoch)
            {
                change = (preferred, .preferredElection)
            } else {
                change = nil
            }
            guard let (next, reason) = change else { continue }
            written.insert(partition)
            actions.append(
                .write([
                    check, .setData(path: ZkPaths.partitionState(partition), data: next.encode(), version: current.version),
                ]))
            actions.append(.note(.leaderChanged(partition, next, reason)))
        }
        if isNew && created > 0 { actions.append(.note(.topicCreated(name, partitions: created))) }
        return actions
    }

    // MARK: - Reassignment

    /// The partitions to reassign, by topic and partition id, with their targets: those
    /// `/admin/reassign_partitions` names, and those whose topic znode shows a reassignment in progress
    /// that the request no longer names (its target: the replicas not being removed). Also the request's
    /// partitions that cannot be reassigned, with the reason, sorted.
    static func reassignmentTargets(
        _ snapshot: ClusterSnapshot
    ) -> (targets: [String: [Int32: [BrokerID]]], dropped: [(TopicPartition, String)]) {
        var targets: [String: [Int32: [BrokerID]]] = [:]
        var dropped: [(TopicPartition, String)] = []
        for (name, topic) in snapshot.topics where !snapshot.pendingDeletions.contains(name) {
            for (id, adding) in topic.assignment.addingReplicas where !adding.isEmpty {
                guard let replicas = topic.assignment.partitions[id] else { continue }
                let removing = topic.assignment.removingReplicas[id] ?? []
                targets[name, default: [:]][id] = PartitionReassignment.target(
                    of: .init(replicas: replicas, adding: adding, removing: removing))
            }
            for (id, removing) in topic.assignment.removingReplicas where !removing.isEmpty {
                guard let replicas = topic.assignment.partitions[id], targets[name]?[id] == nil else { continue }
                targets[name, default: [:]][id] = PartitionReassignment.target(
                    of: .init(replicas: replicas, adding: [], removing: removing))
            }
        }
        for (partition, target) in snapshot.partitionReassignment?.targets ?? [:] {
            if snapshot.topics[partition.topic] == nil {
                dropped.append((partition, "topic does not exist"))
            } else if snapshot.pendingDeletions.contains(partition.topic) {
                dropped.append((partition, "topic is being deleted"))
            } else if snapshot.topics[partition.topic]?.assignment.partitions[partition.partition] == nil {
                dropped.append((partition, "partition does not exist"))
            } else {
                targets[partition.topic, default: [:]][partition.partition] = target
            }
        }
        return (targets, dropped.sorted { $0.0 < $1.0 })
    }

    /// The next reassignment step of each of a topic's partitions in `targets` (`PartitionReassignment.next`),
    /// skipping those whose state was just written: one fenced multi with the version-checked topic znode
    /// and the partitions' states. `done` gets the partitions that are complete, or will be once the
    /// multi is written.
    private func reassignPartitions(
        _ name: String, _ topic: ClusterSnapshot.Topic, targets: [Int32: [BrokerID]], snapshot: ClusterSnapshot,
        context: ReconcileContext, skipping: Set<TopicPartition>, done: inout Set<TopicPartition>
    ) -> [Action] {
        var actions: [Action] = []
        var assignment = topic.assignment
        var stateWrites: [Op] = []
        var notes: [Note] = []
        let leaders = context.live.subtracting(context.stopping)
        for id in targets.keys.sorted() {
            let partition = TopicPartition(name, id)
            guard let target = targets[id], let replicas = assignment.partitions[id] else { continue }
            let current = PartitionReassignment.Plan(
                replicas: replicas, adding: assignment.addingReplicas[id] ?? [],
                removing: assignment.removingReplicas[id] ?? [])
            if PartitionReassignment.isComplete(current, target: target) {
                done.insert(partition)
                continue
            }
            guard !skipping.contains(partition), let state = snapshot.partitionStates[partition] else { continue }
            let lists: PartitionReassignment.Plan
            let next: PartitionState
            switch PartitionReassignment.next(
                current: current, target: target, state: state.state, live: leaders, controllerEpoch: context.epoch)
            {
            case .complete, .awaitingISR, .awaitingLeader:
                continue
            case .start(let plan, let state):
                (lists, next) = (plan, state)
                notes.append(.reassignmentStarted(partition, replicas: plan.replicas, adding: plan.adding, removing: plan.removing))
            case .finish(let state):
                (lists, next) = (.init(replicas: target, adding: [], removing: []), state)
                notes.append(.reassignmentCompleted(partition, replicas: target, leader: state.leader))
                done.insert(partition)
            }
            // Kafka writes only non-empty adding/removing lists.
            assignment.partitions[id] = lists.replicas
            assignment.addingReplicas[id] = lists.adding.isEmpty ? nil : lists.adding
            assignment.removingReplicas[id] = lists.removing.isEmpty ? nil : lists.removing
            stateWrites.append(.setData(path: ZkPaths.partitionState(partition), data: next.encode(), version: state.version))
        }
        guard !stateWrites.isEmpty else { return actions }
        actions.append(
            .write(
                [context.check, .setData(path: ZkPaths.topic(name), data: assignment.encode(), version: topic.version)]
                    + stateWrites))
        actions += notes.map { .note($0) }
        return actions
    }

    /// Removes the finished and dropped partitions from `/admin/reassign_partitions`, version-checked;
    /// deletes it when nothing is left (also when it could not be read: it would block every later
    /// request).
    private func updateReassignmentRequest(
        _ request: ClusterSnapshot.PartitionReassignmentRequest, done: Set<TopicPartition>, dropped: Set<TopicPartition>,
        check: Op
    ) -> [Action] {
        var actions: [Action] = []
        let remaining = request.targets.filter { !done.contains($0.key) && !dropped.contains($0.key) }
        if remaining.isEmpty {
            let reason = request.targets.isEmpty ? "empty or malformed" : "every partition reassigned or dropped"
            actions.append(.write([check, .delete(path: ZkPaths.reassignPartitions, version: request.version)]))
            actions.append(.note(.reassignmentRequestDeleted(reason: reason)))
        } else if remaining.count != request.targets.count {
            actions.append(
                .write([
                    check,
                    .setData(
                        path: ZkPaths.reassignPartitions, data: PartitionReassignmentPayload.encode(remaining),
                        version: request.version),
                ]))
        }
        return actions
    }

    /// A persistent create with the ACL `settings.acls` gives `path`.
    private func create(_ path: String, data: [UInt8]) -> Op {
        .create(path: path, data: data, acl: settings.acls.acl(for: path))
    }
}
