/// A simulation whose members can be crashed, restarted, cut off and healed: the Raft-only
/// `RaftSimulation` and the whole-keeper `KeeperSimulation` both are, and share one random-fault
/// schedule (`injectRandomFault`), so a fault mix tuned for one is the mix the other runs.
package protocol FaultInjectable {
    associatedtype MemberID: Hashable
    var ids: [MemberID] { get }
    /// The live leader with the highest term, if any.
    var leader: MemberID? { get }
    var network: FakeNetwork { get set }
    func isUp(_ id: MemberID) -> Bool
    mutating func crash(_ id: MemberID)
    mutating func restart(_ id: MemberID)
    mutating func isolate(_ id: MemberID)
    mutating func partition(_ groups: [[MemberID]])
    mutating func heal()
}

/// How lossy the links of a random-fault schedule may get, per mille of messages.
package struct FaultMix: Sendable {
    package var dropRates: [Int]
    package var duplicateRates: [Int]
    package var longDelayRates: [Int]

    package init(dropRates: [Int], duplicateRates: [Int] = [0, 50, 200], longDelayRates: [Int] = [0, 30, 100]) {
        self.dropRates = dropRates
        self.duplicateRates = duplicateRates
        self.longDelayRates = longDelayRates
    }
}

extension FaultInjectable {
    /// One step of the random-fault schedule (FoundationDB's swizzle in small): crash the leader
    /// (most often) or any member, restart every crashed member, isolate the leader, split the
    /// members in two, heal, or change how lossy the links are. Returns the member it drew, which
    /// callers may use for their own traffic.
    @discardableResult
    package mutating func injectRandomFault<R: RandomNumberGenerator>(_ mix: FaultMix, using chaos: inout R) -> MemberID {
        let ids = self.ids
        let pick = ids[Int.random(in: 0..<ids.count, using: &chaos)]
        switch Int.random(in: 0..<10, using: &chaos) {
        case 0, 1:
            crash(leader ?? pick)
        case 2:
            crash(pick)
        case 3, 4:
            for id in ids where !isUp(id) { restart(id) }
        case 5:
            if let leader { isolate(leader) }
        case 6:
            let shuffled = ids.shuffled(using: &chaos)
            let cut = Int.random(in: 1..<ids.count, using: &chaos)
            partition([Array(shuffled[..<cut]), Array(shuffled[cut...])])
        case 7:
            heal()
        default:
            network.dropPerMille = mix.dropRates.randomElement(using: &chaos)!
            network.duplicatePerMille = mix.duplicateRates.randomElement(using: &chaos)!
            network.longDelayPerMille = mix.longDelayRates.randomElement(using: &chaos)!
        }
        return pick
    }
}

extension RaftSimulation: FaultInjectable {}
extension KeeperSimulation: FaultInjectable {}
