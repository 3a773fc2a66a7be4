import Consensus
import SimulationKit
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
            let ids = ensemble.ids
            let pick = ids[Int.random(in: 0..<ids.count, using: &chaos)]
            switch Int.random(in: 0..<10, using: &chaos) {
            case 0, 1:
                ensemble.crash(ensemble.leader ?? pick)
            case 2:
                ensemble.crash(pick)
            case 3, 4:
                for id in ids where !ensemble.isUp(id) { ensemble.restart(id) }
            case 5:
                if let leader = ensemble.leader { ensemble.isolate(leader) }
            case 6:
                let shuffled = ids.shuffled(using: &chaos)
                let cut = Int.random(in: 1..<ids.count, using: &chaos)
                ensemble.partition([Array(shuffled[..<cut]), Array(shuffled[cut...])])
            case 7:
                ensemble.heal()
            default:
                ensemble.network.dropPerMille = [0, 20, 100, 300].randomElement(using: &chaos)!
                ensemble.network.duplicatePerMille = [0, 50, 200].randomElement(using: &chaos)!
                ensemble.network.longDelayPerMille = [0, 30, 100].randomElement(using: &chaos)!
            }
            ensemble.submit(count: Int.random(in: 0...6, using: &chaos), retry: false)
            if Bool.random(using: &chaos) { ensemble.read(on: pick) }
            ensemble.run(ticks: Int.random(in: 5...40, using: &chaos))
        }
        expectSafe(ensemble)
        expectLiveAfterHealing(&ensemble)
    }
}
