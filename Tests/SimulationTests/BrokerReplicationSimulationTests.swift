import Broker
import KafkaZooKeeper
import SegmentLog
import SimulationKit
import TestSupport
import Testing

/// Kafka-style partition replication (three brokers, a controller, acks=all producers, consumers)
/// under random faults, on the production `PartitionReplication`, `FollowerTruncation`,
/// `LeaderEpochCache` and `PartitionLeaderElection`; plus scripted KIP-101, KIP-279 and ISR
/// scenarios. Safety is checked after every event (`BrokerReplicationChecker`), liveness after
/// healing. A failure prints the seed and the last events; `SIM_SEED=n` replays one run.
@Suite struct BrokerReplicationSimulationTests {
    @Test(arguments: SimulationSeeds.seeds(scenario: 20, defaultCount: 200))
    func randomFaultsKeepAcknowledgedRecords(seed: UInt64) {
        var sim = BrokerReplicationSimulation(seed: seed)
        // One ISR write in ten lands with its answer lost (the leader reads it back, or retries).
        sim.ambiguousISRWritePerMille = 100
        runRandomFaults(&sim, seed: seed, rounds: 24)
        expectReplicationSafe(sim)
        expectLiveAfterHealing(&sim)
    }

    /// KIP-101: the leader appends records no follower fetched, and is killed; a follower becomes
    /// leader and writes other records at the same offsets; the old leader comes back, must drop its
    /// tail (by leader epoch, not high watermark) and take the new leader's records.
    @Test func kip101OldLeaderTruncatesItsUnreplicatedTail() {
        var sim = steadySimulation(seed: 101)
        let oldLeader = sim.znode!.leader
        let followers = sim.brokerIDs.filter { $0 != oldLeader }
        // The followers stop fetching; the leader goes on appending (nothing is acknowledged).
        for follower in followers { sim.cut(from: follower, to: oldLeader) }
        let acknowledged = sim.acknowledgedCount
        sim.run(ms: 40)
        let tailStart = sim.log(of: followers[0]).logEndOffset
        #expect(sim.log(of: oldLeader).logEndOffset > tailStart, "the old leader has an unreplicated tail")
        #expect(sim.acknowledgedCount == acknowledged)
        sim.crash(oldLeader)
        sim.heal()
        #expect(sim.run(upTo: 2_000) { $0.znode.map { $0.leader != oldLeader && $0.leader != .noLeader } ?? false })
        let newLeader = sim.znode!.leader
        // The new leader writes its own records over the old leader's tail offsets.
        #expect(sim.run(upTo: 2_000) { $0.log(of: newLeader).logEndOffset.rawValue > tailStart.rawValue + 3 && $0.acknowledgedCount > acknowledged })
        guard let divergent = sim.log(of: oldLeader).record(at: tailStart) else {
            Issue.record("the old leader lost its tail\n\(sim.report)")
            return
        }
        #expect(divergent != sim.log(of: newLeader).record(at: tailStart))
        let truncationsBefore = sim.truncations
        sim.restart(oldLeader)
        #expect(sim.run(upTo: 3_000) { $0.znode?.isr.contains(oldLeader) ?? false }, "\(sim.report)")
        #expect(sim.truncations > truncationsBefore)
        let old = sim.log(of: oldLeader)
        let leader = sim.log(of: newLeader)
        #expect(Array(leader.records.prefix(old.records.count)) == old.records, "\(sim.report)")
        #expect(!old.records.contains(divergent))
        expectReplicationSafe(sim)
    }

    /// KIP-279: two leader changes in quick succession, each new leader writing at offsets where the
    /// previous one left unreplicated records; the brokers that come back must agree with the last
    /// leader, whatever epochs their tails were written in.
    @Test func kip279TwoQuickLeaderChanges() {
        var sim = steadySimulation(seed: 279)
        let first = sim.znode!.leader
        // First leader: its followers stop fetching, it writes a tail of its own, and dies.
        for other in sim.brokerIDs where other != first { sim.cut(from: other, to: first) }
        sim.run(ms: 30)
        sim.crash(first)
        sim.heal()
        #expect(sim.run(upTo: 2_000) { $0.znode.map { $0.leader != first && $0.leader != .noLeader } ?? false })
        let second = sim.znode!.leader
        let third = sim.brokerIDs.first { $0 != first && $0 != second }!
        // Second leader: writes (the third broker still acknowledges), then the third stops fetching;
        // the second writes an unreplicated tail and dies quickly.
        #expect(sim.run(upTo: 1_000) { $0.servingEpoch(second) != nil && $0.acknowledgedCount > 15 })
        sim.cut(from: third, to: second)
        sim.run(ms: 30)
        sim.crash(second)
        sim.heal()
        sim.restart(first)
        #expect(sim.run(upTo: 3_000) { $0.znode.map { $0.leader == third } ?? false }, "\(sim.report)")
        sim.restart(second)
        #expect(
            sim.run(upTo: 4_000) { sim in sim.znode?.isr.count == 3 && sim.brokerIDs.allSatisfy { sim.isUp($0) } }, "\(sim.report)")
        #expect(sim.run(upTo: 2_000) { sim in
            let leader = sim.log(of: third)
            return sim.brokerIDs.allSatisfy { id in
                let log = sim.log(of: id)
                return log.logEndOffset >= leader.highWatermark
                    && Array(log.records.prefix(Int(leader.highWatermark.rawValue)))
                        == Array(leader.records.prefix(Int(leader.highWatermark.rawValue)))
            }
        }, "\(sim.report)")
        expectReplicationSafe(sim)
        expectLiveAfterHealing(&sim)
    }

    /// A follower stopped (SIGSTOP) for longer than `replica.lag.time.max.ms` leaves the ISR (the
    /// high watermark moves on without it); resumed, it catches up and joins again.
    @Test func isrShrinksThenExpands() {
        var options = BrokerReplicationOptions()
        options.sessionTimeoutMs = 5_000  // the controller must not notice: the leader shrinks the ISR
        var sim = BrokerReplicationSimulation(seed: 7, options: options)
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr.count == 3 && $0.acknowledgedCount > 10 })
        let leader = sim.znode!.leader
        let follower = sim.brokerIDs.first { $0 != leader }!
        sim.pause(follower)
        #expect(sim.run(upTo: 2_000) { $0.isrShrinks >= 1 }, "\(sim.report)")
        #expect(sim.znode!.leader == leader && !sim.znode!.isr.contains(follower))
        let acknowledged = sim.acknowledgedCount
        sim.run(ms: 300)
        #expect(sim.acknowledgedCount > acknowledged, "acks=all goes on with two in-sync replicas")
        sim.resume(follower)
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr.contains(follower) ?? false }, "\(sim.report)")
        #expect(sim.run(upTo: 500) { $0.isrExpansions >= 1 })
        expectReplicationSafe(sim)
    }

    /// With only the leader left in the ISR, acks=all produces are refused NOT_ENOUGH_REPLICAS before
    /// any append, and the high watermark does not move.
    @Test func underMinISRRefusesAcksAll() {
        var options = BrokerReplicationOptions()
        options.sessionTimeoutMs = 5_000
        var sim = BrokerReplicationSimulation(seed: 11, options: options)
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr.count == 3 && $0.acknowledgedCount > 5 })
        let leader = sim.znode!.leader
        for id in sim.brokerIDs where id != leader { sim.pause(id) }
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr == [leader] }, "\(sim.report)")
        sim.run(ms: 100)
        let acknowledged = sim.acknowledgedCount
        let end = sim.log(of: leader).logEndOffset
        let refused = sim.refusedNotEnoughReplicas
        sim.run(ms: 300)
        #expect(sim.acknowledgedCount == acknowledged)
        #expect(sim.log(of: leader).logEndOffset == end)
        #expect(sim.refusedNotEnoughReplicas > refused)
        sim.heal()
        #expect(sim.run(upTo: 2_000) { $0.acknowledgedCount > acknowledged }, "\(sim.report)")
        expectReplicationSafe(sim)
    }

    // MARK: - Known issues found by the simulation (driver and log, not the pure types)

    /// Regression: a leader's ISR expansion that the ensemble applied but reported as failed
    /// (connection loss: "may or may not have been applied") once left the leader with a smaller ISR
    /// than the znode, and the high watermark moved on without a broker the znode lists as in sync.
    /// `BrokerServer.writeISR` now reads the znode back (Kafka's
    /// `ReplicationUtils.checkLeaderAndIsrZkData`), and an outcome still unknown stays pending.
    @Test func ambiguousISRExpansionLeavesZnodeISRBehindTheHighWatermark() {
        var options = BrokerReplicationOptions()
        options.sessionTimeoutMs = 5_000  // the controller does not step in
        var sim = BrokerReplicationSimulation(seed: 9, options: options)
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr.count == 3 && $0.acknowledgedCount > 10 })
        let leader = sim.znode!.leader
        let follower = sim.brokerIDs.last { $0 != leader }!
        sim.pause(follower)
        #expect(sim.run(upTo: 2_000) { $0.isrShrinks >= 1 }, "\(sim.report)")
        // From now on every ISR write lands but the leader hears "connection loss".
        sim.ambiguousISRWritePerMille = 1_000
        sim.resume(follower)
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr.contains(follower) ?? false }, "\(sim.report)")
        sim.pause(follower)
        sim.run(ms: 500)
        #expect(sim.violation == nil, "\(sim.report)")
    }

    /// Regression: a broker that led an epoch without appending anything kept that epoch's entry
    /// (starting at its log end) when it followed the next leader, whose records there carry an older
    /// epoch, so every fetch was refused until a restart. Truncating to the log end now drops the
    /// entry (`PartitionLog.truncate`, as Kafka's `UnifiedLog.truncateTo`).
    @Test func kip101FollowerStuckBehindEmptyEpoch() {
        var sim = BrokerReplicationSimulation(seed: 5)
        sim.network.minDelay = 1
        sim.network.maxDelay = 3
        #expect(sim.run(upTo: 2_000) { $0.znode?.isr == [1, 2, 3] && $0.znode?.leader == 1 && $0.acknowledgedCount > 10 })
        // Broker 1 writes a tail that broker 3 replicates and broker 2 does not.
        sim.cut(from: 2, to: 1)
        sim.run(ms: 40)
        sim.cut(from: 3, to: 1)
        #expect(sim.log(of: 3).logEndOffset > sim.log(of: 2).logEndOffset)
        // Broker 2 is elected for epoch 1 but, cut off from clients and broker 3, appends nothing...
        sim.partition([[2], [1, 3]], clientsWith: 1)
        sim.crash(1)
        #expect(sim.run(upTo: 2_000) { $0.servingEpoch(2) != nil }, "\(sim.report)")
        #expect(sim.log(of: 2).epochs.entries.last?.startOffset == sim.log(of: 2).logEndOffset)
        // ...and is stopped until broker 3 (with the older-epoch tail) leads epoch 2.
        sim.pause(2)
        #expect(sim.run(upTo: 2_000) { $0.servingEpoch(3) != nil }, "\(sim.report)")
        sim.heal()
        sim.restart(1)
        let caughtUp = sim.run(upTo: 2_000) { $0.znode?.isr.contains(2) ?? false }
        #expect(caughtUp, "\(sim.report)")
        #expect(sim.followersStuckBehindEmptyEpoch.isEmpty, "\(sim.report)")
        expectReplicationSafe(sim)
    }
}

// MARK: - Helpers

/// Random faults for `rounds` rounds: kills and restarts (leaders more often), SIGSTOP/SIGCONT,
/// brokers cut off from ZooKeeper, partitions, losses and long delays.
func runRandomFaults(_ sim: inout BrokerReplicationSimulation, seed: UInt64, rounds: Int) {
    var chaos = Xoshiro256StarStar(seed: seed ^ 0xB40C_E125)
    sim.run(ms: 300)
    for _ in 0..<rounds {
        guard sim.violation == nil else { break }
        let ids = sim.brokerIDs
        let pick = ids[Int.random(in: 0..<ids.count, using: &chaos)]
        let leader = sim.znode.map(\.leader).flatMap { $0 == .noLeader ? nil : $0 } ?? pick
        switch Int.random(in: 0..<12, using: &chaos) {
        case 0, 1: sim.crash(leader)
        case 2: sim.crash(pick)
        case 3, 4: sim.restartAll()
        case 5: sim.pause(Bool.random(using: &chaos) ? leader : pick)
        case 6: for id in ids { sim.resume(id) }
        case 7: sim.cutFromZooKeeper(leader)
        case 8:
            let shuffled = ids.shuffled(using: &chaos)
            let cut = Int.random(in: 1..<ids.count, using: &chaos)
            sim.partition([Array(shuffled[..<cut]), Array(shuffled[cut...])], clientsWith: Int.random(in: 0...1, using: &chaos))
        case 9: if pick != leader { sim.cut(from: pick, to: leader) } else { sim.isolate(leader) }
        case 10: sim.heal()
        default:
            sim.network.dropPerMille = [0, 10, 50, 200].randomElement(using: &chaos)!
            sim.network.longDelayPerMille = [0, 20, 100].randomElement(using: &chaos)!
        }
        sim.run(ms: Int64.random(in: 50...400, using: &chaos))
    }
}

/// A simulation on a fast network, run until every replica is in sync and writes are acknowledged.
func steadySimulation(seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> BrokerReplicationSimulation {
    var sim = BrokerReplicationSimulation(seed: seed)
    sim.network.minDelay = 1
    sim.network.maxDelay = 3
    let steady = sim.run(upTo: 2_000) { $0.znode?.isr.count == 3 && $0.acknowledgedCount > 10 }
    #expect(steady, "\(sim.report)", sourceLocation: sourceLocation)
    return sim
}

func expectReplicationSafe(_ sim: BrokerReplicationSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(sim.violation == nil, "\(sim.report)", sourceLocation: sourceLocation)
}

/// After healing (network reliable, every broker running and reachable), acks=all writes are
/// acknowledged again and every replica is back in the ISR.
func expectLiveAfterHealing(_ sim: inout BrokerReplicationSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
    guard sim.violation == nil else { return }
    sim.heal()
    sim.network.dropPerMille = 0
    sim.network.longDelayPerMille = 0
    sim.restartAll()
    let acknowledged = sim.acknowledgedCount
    let live = sim.run(upTo: 4_000) { sim in
        sim.acknowledgedCount > acknowledged + 5 && sim.znode?.isr.count == sim.brokerIDs.count
            && sim.brokerIDs.allSatisfy { sim.isUp($0) }
    }
    #expect(live, "not live within 4 s of healing\n\(sim.report)", sourceLocation: sourceLocation)
    expectReplicationSafe(sim, sourceLocation: sourceLocation)
}
