package import KafkaZooKeeper
/// Kafka's ZooKeeper-mode leader and ISR rules for one partition, as the controller applies them
/// when brokers come and go (`PartitionStateMachine`, `PartitionLeaderElectionAlgorithms`,
/// `ReplicaStateMachine.doRemoveReplicasFromIsr`; reference/kafka.md §1.3). Pure.
package enum PartitionLeaderElection {
    /// Why the state changed.
    package enum Reason: Hashable, Sendable {
        /// A new leader was elected from the ISR (`offlinePartitionLeaderElection`, clean).
        case cleanElection
        /// A live replica outside the ISR was elected (`unclean.leader.election.enable`).
        case uncleanElection
        /// The leader is gone and no live replica may lead: `leader` is -1.
        case noLeader
        /// The leader stays; dead replicas left the ISR.
        case isrShrunk
        /// A broker stopping with controlled shutdown: leadership moved off it, or it left the ISR.
        case controlledShutdown
        /// The preferred replica (the first assigned) leads again.
        case preferredElection
    }

    /// The initial state of a new partition (`NewPartition → OnlinePartition`): leader = first live
    /// replica, leader epoch 0, ISR = every live replica in assignment order (every log is empty, so
    /// each holds all the partition's data); nil when no replica is live (Kafka leaves the partition in
    /// NewPartition then). A follower that does not start fetching leaves the ISR after
    /// `replica.lag.time.max.ms` (`PartitionReplication.checkLag`).
    package static func initialState(replicas: [BrokerID], live: Set<BrokerID>, controllerEpoch: Int32) -> PartitionState? {
        let isr = replicas.filter(live.contains)
        guard let leader = isr.first else { return nil }
        return PartitionState(leader: leader, leaderEpoch: 0, isr: isr, controllerEpoch: controllerEpoch)
    }

    /// The state after reconciling `current` with the live brokers, or nil when nothing changes.
    ///
    /// - A live leader keeps leading; dead brokers leave the ISR (leader epoch bumped).
    /// - A dead (or absent) leader is replaced by the first replica in assignment order that is live
    ///   and in the ISR; the ISR becomes its live members.
    /// - With none and `unclean`, the first live replica leads with ISR `[leader]`, marked RECOVERING
    ///   (KIP-704).
    /// - Otherwise the partition is offline: leader -1, dead brokers leave the ISR except the last one
    ///   (Kafka never empties the ISR, so the last in-sync replica can be elected cleanly when it returns).
    package static func reconcile(
        _ current: PartitionState,
        replicas: [BrokerID],
        live: Set<BrokerID>,
        controllerEpoch: Int32,
        unclean: Bool
    ) -> (state: PartitionState, reason: Reason)? {
        let liveISR = current.isr.filter(live.contains)
        func next(leader: BrokerID, isr: [BrokerID], recovering: Bool = false) -> PartitionState {
            PartitionState(
                leader: leader, leaderEpoch: current.leaderEpoch + 1, isr: isr, controllerEpoch: controllerEpoch,
                recovering: recovering)
        }
        if current.leader != .noLeader && live.contains(current.leader) {
            guard liveISR != current.isr else { return nil }
            return (next(leader: current.leader, isr: liveISR, recovering: current.recovering), .isrShrunk)
        }
        if let leader = replicas.first(where: { live.contains($0) && current.isr.contains($0) }) {
            return (next(leader: leader, isr: liveISR), .cleanElection)
        }
        if unclean, let leader = replicas.first(where: live.contains) {
            return (next(leader: leader, isr: [leader], recovering: true), .uncleanElection)
        }
        var keptISR = liveISR
        if keptISR.isEmpty {
            keptISR = current.isr.contains(current.leader) ? [current.leader] : Array(current.isr.suffix(1))
        }
        guard current.leader != .noLeader || keptISR != current.isr else { return nil }
        return (next(leader: .noLeader, isr: keptISR), .noLeader)
    }

    /// Moves what a broker stopping with controlled shutdown holds (`ControlledShutdownLeaderElection`,
    /// `KafkaController.doControlledShutdown`): a partition it leads goes to the first replica in
    /// assignment order that is in the ISR, live and not stopping, and the stopping brokers leave the
    /// ISR; one it follows in the ISR loses it from the ISR unless it is the last member. Nil when
    /// nothing can change: a partition whose only in-sync replica is stopping keeps its leader (the
    /// stopping broker reports it as remaining), never going offline or to an out-of-sync replica.
    package static func controlledShutdown(
        _ current: PartitionState, replicas: [BrokerID], live: Set<BrokerID>, stopping: Set<BrokerID>,
        controllerEpoch: Int32
    ) -> PartitionState? {
        let keptISR = current.isr.filter { !stopping.contains($0) }
        if stopping.contains(current.leader) {
            guard let leader = replicas.first(where: { keptISR.contains($0) && live.contains($0) }) else { return nil }
            return PartitionState(
                leader: leader, leaderEpoch: current.leaderEpoch + 1, isr: keptISR, controllerEpoch: controllerEpoch,
                recovering: current.recovering)
        }
        guard current.leader != .noLeader, keptISR != current.isr, !keptISR.isEmpty else { return nil }
        return PartitionState(
            leader: current.leader, leaderEpoch: current.leaderEpoch + 1, isr: keptISR, controllerEpoch: controllerEpoch,
            recovering: current.recovering)
    }

    /// The preferred replica (the first assigned) leads again when it is live and in the ISR and does
    /// not lead now (`PreferredReplicaPartitionLeaderElection`); nil otherwise. The ISR stays.
    package static func preferred(
        _ current: PartitionState, replicas: [BrokerID], live: Set<BrokerID>, controllerEpoch: Int32
    ) -> PartitionState? {
        guard let preferred = replicas.first, preferred != current.leader, live.contains(preferred),
            current.isr.contains(preferred)
        else { return nil }
        return PartitionState(
            leader: preferred, leaderEpoch: current.leaderEpoch + 1, isr: current.isr, controllerEpoch: controllerEpoch,
            recovering: current.recovering)
    }
}
