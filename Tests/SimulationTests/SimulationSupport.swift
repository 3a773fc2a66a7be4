import Consensus
import SimulationKit
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeds for the parameterized scenarios. By default each scenario runs its own fixed range
/// (about 200 runs in total); `SIM_SEEDS=n` runs `n` seeds per scenario; `SIM_SEED=n` replays
/// exactly seed `n` (as printed by a failure) in every scenario, so pair it with `--filter`.
enum SimulationSeeds {
    static func seeds(scenario: UInt64, defaultCount: Int) -> [UInt64] {
        if let replay = environment("SIM_SEED").flatMap(UInt64.init) { return [replay] }
        let count = environment("SIM_SEEDS").flatMap(Int.init) ?? defaultCount
        return (0..<UInt64(max(1, count))).map { scenario * 100_000 + $0 }
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// The ensemble size a seed runs with: odd seeds five members, even seeds three.
func ensembleSize(for seed: UInt64) -> Int { seed % 2 == 0 ? 3 : 5 }

/// Expects no invariant violation, printing the seed and the last events otherwise.
func expectSafe(_ ensemble: RaftSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ensemble.violation == nil, "\(ensemble.report)", sourceLocation: sourceLocation)
}

/// Liveness after healing: every member restarted and reachable, the network reliable; within a
/// bounded number of ticks a leader is followed by everyone and fresh proposals commit on all.
func expectLiveAfterHealing(_ ensemble: inout RaftSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
    guard ensemble.violation == nil else { return }
    ensemble.heal()
    ensemble.network.dropPerMille = 0
    ensemble.network.duplicatePerMille = 0
    ensemble.network.longDelayPerMille = 0
    for id in ensemble.ids { ensemble.restart(id) }
    let electionBound = 30 * ensemble.options.electionTicks
    let elected = ensemble.run(upTo: electionBound) { $0.stableLeader != nil }
    #expect(elected, "no stable leader within \(electionBound) ticks of healing\n\(ensemble.report)",
        sourceLocation: sourceLocation)
    let proposals = ensemble.submit(count: 5, retry: true)
    let committed = ensemble.run(upTo: 400) { $0.allApplied(proposals) }
    #expect(committed, "proposals \(proposals) not applied everywhere after healing\n\(ensemble.report)",
        sourceLocation: sourceLocation)
    ensemble.finalCheck()
    expectSafe(ensemble, sourceLocation: sourceLocation)
}
