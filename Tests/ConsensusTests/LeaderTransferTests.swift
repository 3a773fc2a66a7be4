import Consensus
import Testing

/// Leadership transfer (thesis §3.10; etcd `MsgTransferLeader` / `MsgTimeoutNow`).
@Suite struct LeaderTransferTests {
    /// An up-to-date target gets `timeoutNow`, campaigns at once (skipping pre-vote) with the
    /// transfer flag, which the other members' leases let through.
    @Test func transferToUpToDateFollower() {
        var net = TestNetwork(size: 3, preVote: true, checkQuorum: true)
        net.campaign(1)
        net.tickAll(3)
        let term = net[1].term
        net[1].transferLeadership(to: n(2))
        net.settle()
        #expect(net.delivered.contains { $0.message == .timeoutNow && $0.to == n(2) })
        #expect(net.delivered.contains {
            if case .vote(_, _, leadershipTransfer: true) = $0.message { $0.from == n(2) } else { false }
        })
        #expect(net[2].role == .leader)
        #expect(net[2].term == t(term.rawValue + 1))
        #expect(net[1].role == .follower && net[1].leader == n(2))
    }

    /// A lagging target is first brought up to date; `timeoutNow` follows its acknowledgement.
    @Test func transferCatchesUpLaggingTargetFirst() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        net.isolate(3)
        for k in 0..<5 { _ = net[1].propose(payload("p\(k)")) }
        net.settle()
        net.heal()
        let before = net.delivered.count
        net[1].transferLeadership(to: n(3))
        net.settle()
        let after = Array(net.delivered[before...])
        let firstAppend = after.firstIndex { if case .append = $0.message { $0.to == n(3) } else { false } }
        let timeout = after.firstIndex { $0.message == .timeoutNow }
        #expect(firstAppend != nil && timeout != nil && firstAppend! < timeout!)
        #expect(net[3].role == .leader)
        #expect(net[3].lastIndex >= i(6))
    }

    /// Proposals are refused during a transfer; it is abandoned after an election timeout.
    @Test func transferAbortsAfterElectionTimeout() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        net.isolate(3)
        net[1].transferLeadership(to: n(3))
        #expect(net[1].leadTransferee == n(3))
        #expect(net[1].propose(payload("a")) == .notLeader(leader: nil))
        net.tick(1, 10)
        #expect(net[1].leadTransferee == nil)
        #expect(net[1].role == .leader)
        if case .accepted = net[1].propose(payload("b")) {} else { Issue.record("proposal refused after abort") }
    }

    /// Followers can't transfer (there is no message to ask the leader); transferring to
    /// oneself or a non-member is ignored.
    @Test func transferIgnoredWhereMeaningless() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        net[2].transferLeadership(to: n(3))
        net[1].transferLeadership(to: n(1))
        net[1].transferLeadership(to: n(9))
        #expect(net[1].leadTransferee == nil)
        #expect(!net[2].hasReady())
    }
}
