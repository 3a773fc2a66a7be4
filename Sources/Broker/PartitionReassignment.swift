package import KafkaZooKeeper
/// Partition reassignment as Kafka's ZooKeeper-mode controller carries it out (KIP-455;
/// `KafkaController.onPartitionReassignment`, reference/kafka.md §1.3): the decisions for one partition
/// moving from its original replicas OR to the target replicas RS. Pure.
///
/// The topic znode holds the progress, so a new controller resumes where the last one stopped:
/// 1. Phase 1 writes replicas = RS + (OR − RS), `adding_replicas` = RS − OR, `removing_replicas` =
///    OR − RS, and bumps the leader epoch (Kafka's `updateLeaderEpochAndSendRequest`), so the leader
///    serves the larger replica set and the new replicas start following.
/// 2. Once every replica of RS is in the ISR (the leader adds caught-up followers by itself), phase 2
///    moves the leadership to the first live in-sync replica of RS when the leader is not in RS or not
///    live (`ReassignPartitionLeaderElectionStrategy`), otherwise bumps the leader epoch; the removed
///    replicas leave the ISR; the topic znode gets replicas = RS with nothing adding or removing.
///
/// Each step is decided from what the ensemble holds, so re-reading after a write, or after a lost
/// write, decides the same step again or the next one.
package enum PartitionReassignment {
    /// The replica lists of a partition's topic znode while it moves from `original` to `target`
    /// (`ReplicaAssignment.fromOldAndNewReplicas`).
    package struct Plan: Hashable, Sendable {
        package var replicas: [BrokerID]
        package var adding: [BrokerID]
        package var removing: [BrokerID]

        package init(original: [BrokerID], target: [BrokerID]) {
            replicas = target + original.filter { !target.contains($0) }
            adding = target.filter { !original.contains($0) }
            removing = original.filter { !target.contains($0) }
        }

        package init(replicas: [BrokerID], adding: [BrokerID], removing: [BrokerID]) {
            self.replicas = replicas
            self.adding = adding
            self.removing = removing
        }
    }

    /// What a partition's reassignment needs next.
    package enum Step: Hashable, Sendable {
        /// The replicas are the target and nothing is being added or removed: the request is done.
        case complete
        /// Phase 1: write `plan` into the topic znode and `state` (the leader epoch bumped).
        case start(Plan, state: PartitionState)
        /// Phase 1 is written; these target replicas are not in the ISR yet.
        case awaitingISR(missing: [BrokerID])
        /// Every target replica is in sync, but none of them is live to lead.
        case awaitingLeader
        /// Phase 2: write `state` (a new leader or the leader epoch bumped, the removed replicas out of the
        /// ISR) and the topic znode with the target replicas only.
        case finish(state: PartitionState)
    }

    /// The original replicas of a partition whose topic znode holds `current`: Kafka's
    /// `ReplicaAssignment.originReplicas` (the replicas without those being added).
    package static func original(of current: Plan) -> [BrokerID] {
        current.replicas.filter { !current.adding.contains($0) }
    }

    /// The target of a reassignment found in a topic znode without a request naming it (the request
    /// was deleted by hand): the replicas without those being removed (`ReplicaAssignment.targetReplicas`).
    package static func target(of current: Plan) -> [BrokerID] {
        current.replicas.filter { !current.removing.contains($0) }
    }

    /// Whether `current` (the topic znode's lists) is `target` with no reassignment in progress.
    package static func isComplete(_ current: Plan, target: [BrokerID]) -> Bool {
        current.replicas == target && current.adding.isEmpty && current.removing.isEmpty
    }

    /// The next step of moving a partition whose topic znode holds `current` and whose state is `state`
    /// to `target`. `live` are the brokers that may lead (registered and not stopping). A request that
    /// changes the target of a reassignment in progress starts again from the original replicas
    /// (KIP-455: the new target replaces the old one).
    package static func next(
        current: Plan, target: [BrokerID], state: PartitionState, live: Set<BrokerID>, controllerEpoch: Int32
    ) -> Step {
        if isComplete(current, target: target) { return .complete }
        let plan = Plan(original: original(of: current), target: target)
        if current != plan {
            // Leader epochs below Int32.max are all a decoded state holds: `+ 1` cannot overflow.
            let bumped = PartitionState(
                leader: state.leader, leaderEpoch: state.leaderEpoch + 1, isr: state.isr,
                controllerEpoch: controllerEpoch, recovering: state.recovering)
            return .start(plan, state: bumped)
        }
        let missing = target.filter { !state.isr.contains($0) }
        guard missing.isEmpty else { return .awaitingISR(missing: missing) }
        let leader: BrokerID
        if target.contains(state.leader) && live.contains(state.leader) {
            leader = state.leader
        } else if let elected = target.first(where: { live.contains($0) && state.isr.contains($0) }) {
            leader = elected
        } else {
            return .awaitingLeader
        }
        return .finish(
            state: PartitionState(
                leader: leader, leaderEpoch: state.leaderEpoch + 1, isr: state.isr.filter { !plan.removing.contains($0) },
                controllerEpoch: controllerEpoch, recovering: state.recovering && leader == state.leader))
    }
}
