import Consensus
import SimulationKit
import TestSupport
import Testing

/// Random faults: crashes and restarts of leaders and followers, partitions, loss, duplication,
/// long delays, with client writes and ReadIndex reads throughout; safety checked after every
/// event, liveness after healing.
@Suite struct RandomFaultTests {
    @Test(arguments: SimulationSeeds.seeds(scenario: 1, defaultCount: 60))
    func randomFaultsKeepSafetyAndHealLive(seed: UInt64) {
        var options = SimulationOptions()
        options.leaderSendsBeforePersisting = seed % 3 != 0
        options.readiesInFlight = seed % 2 == 0 ? 1 : 4
        var ensemble = RaftSimulation(seed: seed, size: ensembleSize(for: seed), options: options)
        var chaos = Xoshiro256StarStar(seed: seed ^ 0x5EED_CA05)
        ensemble.run(ticks: 30)
        for _ in 0..<14 {
            guard ensemble.violation == nil else { break }
            let pick = ensemble.injectRandomFault(FaultMix(dropRates: [0, 20, 100, 300]), using: &chaos)
            ensemble.submit(count: Int.random(in: 0...6, using: &chaos), retry: false)
            if Bool.random(using: &chaos) { ensemble.read(on: pick) }
            ensemble.run(ticks: Int.random(in: 5...40, using: &chaos))
        }
        expectSafe(ensemble)
        expectLiveAfterHealing(&ensemble)
    }
}
