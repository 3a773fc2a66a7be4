import SimulationKit
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole replicated keeper in the simulator (STYLE.md §7.3): the production `ServerCore`s
/// with simulated disks and network, simulated clients running writes, watched reads and syncs.
/// Safety is checked after every event by `KeeperChecker`, the clients (FIFO replies, one event
/// per watch for the first change after it, reads after a sync) and the consensus
/// `InvariantChecker`; liveness after healing. Three-
/// and five-member ensembles alternate by seed; `SIM_SEED=n` replays one run, `SIM_SEEDS=n`
/// runs more.
@Suite struct KeeperScenarioTests {
    /// Longer failure traces with `SIM_TRACE=n`.
    static func options(seed: UInt64) -> KeeperSimulationOptions {
        var options = KeeperSimulationOptions()
        // Odd seeds write tree rows only now and then (`paddock.treeFlushMs`), so restarts
        // rebuild the tree from an older checkpoint and a longer log tail.
        if seed % 2 == 1 { options.treeFlushIntervalMillis = [200, 1_000, 5_000][Int(seed / 2 % 3)] }
        options.sessionOrderViolationsAreFatal = true
        options.lostForwardHangsAreFatal = true
        // SIM_WRITES=n: outputs each member writes at once (1: one at a time, the driver
        // contract before the write pipeline).
        if let text = getenv("SIM_WRITES"), let n = Int(String(cString: text)), n >= 1 { options.writesInFlight = n }
        if let text = getenv("SIM_TRACE"), let n = Int(String(cString: text)) { options.traceCapacity = n }
        return options
    }

    /// Without faults the workload exercises the client-visible rules the checkers watch: every
    /// client gets a session, watches fire, reads follow syncs.
    @Test(arguments: SimulationSeeds.seeds(scenario: 20, defaultCount: 4))
    func workloadExercisesWatchesSyncsAndSessions(seed: UInt64) {
        var ensemble = KeeperSimulation(seed: seed, size: ensembleSize(for: seed), options: Self.options(seed: seed))
        ensemble.addClients(4)
        ensemble.run(ticks: 300)
        expectKeeperSafe(ensemble)
        let stats = ensemble.statistics
        #expect(stats.answered > 100 && stats.reads > 20 && stats.syncs > 3 && stats.watchesFired > 5, "\(stats)")
        #expect(stats.sessionsCreated >= 4, "\(stats)")
        // Every member checkpointed its tree beside its log, and dropped log rows behind it.
        for id in ensemble.ids {
            #expect(ensemble.disk(id).checkpoints > 0, "\(id) never checkpointed")
        }
        expectKeeperLiveAfterHealing(&ensemble)
    }

    /// Random faults — crashes and restarts (leaders more often), partitions, isolation, loss,
    /// duplication and long delays — under a client workload with sessions moving between
    /// members.
    @Test(arguments: SimulationSeeds.seeds(scenario: 21, defaultCount: 10))
    func randomFaultsKeepTheKeeperConsistent(seed: UInt64) {
        var options = Self.options(seed: seed)
        options.movePerMille = 15
        // Every third seed writes one output at a time, the others pipeline (unless SIM_WRITES).
        if getenv("SIM_WRITES") == nil && seed % 3 == 0 { options.writesInFlight = 1 }
        var ensemble = KeeperSimulation(seed: seed, size: ensembleSize(for: seed), options: options)
        var chaos = Xoshiro256StarStar(seed: seed ^ 0x4B_EE9E_4000)
        ensemble.addClients(4)
        ensemble.run(ticks: 40)
        for _ in 0..<12 {
            guard ensemble.violation == nil else { break }
            ensemble.injectRandomFault(FaultMix(dropRates: [0, 10, 50]), using: &chaos)
            ensemble.run(ticks: Int.random(in: 5...40, using: &chaos))
        }
        expectKeeperSafe(ensemble)
        expectKeeperLiveAfterHealing(&ensemble)
    }

    /// The leader is killed while clients have writes in flight — often after followers
    /// acknowledged them but before its own slow write finished. Every acknowledged write
    /// survives, every member applies the same sequence, and clients carry on.
    @Test(arguments: SimulationSeeds.seeds(scenario: 22, defaultCount: 8))
    func leaderCrashMidWorkloadLosesNoAcknowledgedWrite(seed: UInt64) {
        var ensemble = Self.leaderCrashes(seed: seed, options: Self.options(seed: seed))
        expectKeeperSafe(ensemble)
        expectKeeperLiveAfterHealing(&ensemble)
    }

    /// Five rounds of: a stable leader under a busy workload with slow disks, killed a few
    /// steps after taking writes, restarted later.
    static func leaderCrashes(seed: UInt64, options base: KeeperSimulationOptions) -> KeeperSimulation {
        var options = base
        options.slowPersistPerMille = 400
        options.slowPersistDelay = 20...80
        options.requestPerMille = 700
        var ensemble = KeeperSimulation(seed: seed, size: ensembleSize(for: seed), options: options)
        var chaos = Xoshiro256StarStar(seed: seed ^ 0x1EAD_E4C4)
        ensemble.addClients(5)
        for _ in 0..<5 {
            _ = ensemble.run(upTo: 100) { $0.stableLeader != nil }
            ensemble.run(ticks: Int.random(in: 5...15, using: &chaos))
            guard let leader = ensemble.leader else { continue }
            ensemble.run(steps: Int64.random(in: 1...9, using: &chaos))
            ensemble.crash(leader)
            ensemble.run(ticks: Int.random(in: 10...40, using: &chaos))
            ensemble.restart(leader)
        }
        return ensemble
    }

    /// A follower loses its whole disk while the others apply and compact far past it; it comes
    /// back empty, is rebuilt through a snapshot stream and then appends, and ends with the same
    /// tree as everyone else. Later the leader crashes, so the rebuilt member's state matters.
    @Test(arguments: SimulationSeeds.seeds(scenario: 23, defaultCount: 8))
    func wipedFollowerIsRebuiltFromItsPeers(seed: UInt64) {
        var options = Self.options(seed: seed)
        options.requestPerMille = 800
        var ensemble = KeeperSimulation(seed: seed, size: ensembleSize(for: seed), options: options)
        ensemble.addClients(4)
        _ = ensemble.run(upTo: 100) { $0.stableLeader != nil }
        ensemble.run(ticks: 30)
        guard let leader = ensemble.stableLeader else {
            Issue.record("no stable leader\n\(ensemble.report)")
            return
        }
        let followers = ensemble.ids.filter { $0 != leader }
        let victim = followers[Int(seed % UInt64(followers.count))]
        ensemble.wipe(victim)
        let before = ensemble.snapshotsInstalled
        ensemble.run(ticks: 80)
        ensemble.restart(victim)
        let rebuilt = ensemble.run(upTo: 200) { e in
            e.appliedIndex(of: victim).map { $0 > 0 && e.snapshotsInstalled > before } ?? false
        }
        #expect(rebuilt, "\(victim) was not rebuilt through a snapshot\n\(ensemble.report)")
        ensemble.run(ticks: 40)
        if let current = ensemble.leader {
            ensemble.crash(current)
            ensemble.run(ticks: 30)
            ensemble.restart(current)
        }
        ensemble.run(ticks: 30)
        expectKeeperSafe(ensemble)
        expectKeeperLiveAfterHealing(&ensemble)
    }

    /// Sessions holding ephemerals move between members (also to and from the leader, and across
    /// a crash of the member they left); their ephemerals stay while the session lives and all go
    /// in the one txn that closes or expires it.
    @Test(arguments: SimulationSeeds.seeds(scenario: 24, defaultCount: 8))
    func sessionsMoveBetweenMembersWithTheirEphemerals(seed: UInt64) {
        var options = Self.options(seed: seed)
        options.closePerMille = 3
        var ensemble = KeeperSimulation(seed: seed, size: ensembleSize(for: seed), options: options)
        var chaos = Xoshiro256StarStar(seed: seed ^ 0x5E55_1011)
        let ids = ensemble.ids
        ensemble.addClients(ids.count)
        _ = ensemble.run(upTo: 100) { $0.stableLeader != nil }
        ensemble.run(ticks: 30)
        var movedWithEphemerals = 0
        for round in 0..<8 {
            for client in 0..<ensemble.clientCount {
                let target = ids[Int.random(in: 0..<ids.count, using: &chaos)]
                if !ensemble.ephemerals(ofClient: client).isEmpty, ensemble.clientMember(client) != target {
                    movedWithEphemerals += 1
                }
                ensemble.moveClient(client, to: target)
            }
            ensemble.run(ticks: 15)
            if round == 4, let member = ensemble.clientMember(0) {
                ensemble.crash(member)
                ensemble.moveClient(0, to: ids.first { $0 != member }!)
                ensemble.run(ticks: 20)
                ensemble.restart(member)
            }
        }
        #expect(movedWithEphemerals > 0, "no session moved while holding ephemerals\n\(ensemble.report)")
        expectKeeperSafe(ensemble)
        expectKeeperLiveAfterHealing(&ensemble)
    }
}

/// Expects no invariant violation, printing the seed and the last events otherwise.
func expectKeeperSafe(_ ensemble: KeeperSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ensemble.violation == nil, "\(ensemble.report)", sourceLocation: sourceLocation)
}

/// Liveness after healing (see `KeeperSimulation.checkLiveAfterHealing`), then the known issues
/// the run met, reported as such.
func expectKeeperLiveAfterHealing(_ ensemble: inout KeeperSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
    guard ensemble.violation == nil else { return }
    let failure = ensemble.checkLiveAfterHealing()
    #expect(failure == nil, "\(failure ?? "")\n\(ensemble.report)", sourceLocation: sourceLocation)
    expectKeeperSafe(ensemble, sourceLocation: sourceLocation)
    for issue in ensemble.knownIssues {
        Issue.record("seed \(ensemble.seed): \(issue)", sourceLocation: sourceLocation)
    }
}
