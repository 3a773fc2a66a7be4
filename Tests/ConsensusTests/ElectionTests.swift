import Consensus
import Testing

/// Leader election rules (Raft §5.1, §5.2, §5.4.1; thesis §9.6 pre-vote, §6.2/§4.2.3
/// check-quorum and lease), in the spirit of etcd's `raft_paper_test.go`.
@Suite struct ElectionTests {
    /// §5.1: "If a server receives a request with a larger term, it updates its term; if a
    /// candidate or leader discovers that its term is out of date, it reverts to follower."
    @Test(arguments: [Role.follower, .candidate, .leader])
    func higherTermMakesAnyRoleAFollower(role: Role) {
        var node = makeNode(1)
        switch role {
        case .candidate: node.tick(10)
        case .leader: node.becomeLeaderForTesting()
        default: break
        }
        #expect(node.role == role)
        node.flush()
        node.receive(envelope(2, 1, 9, .append(prevIndex: i(0), prevTerm: t(0), entries: [], commit: i(0))))
        #expect(node.role == .follower)
        #expect(node.term == t(9))
        #expect(node.leader == n(2))
        #expect(node.hardState.vote == nil)
    }

    /// §5.1: a request with a stale term is rejected; with check-quorum or pre-vote the reply
    /// carries our term so the stale leader steps down (etcd).
    @Test func staleLeaderLearnsTheNewTerm() {
        var node = makeNode(1, persisted: PersistedRaftState(hardState: HardState(term: t(5))), preVote: true)
        node.receive(envelope(2, 1, 3, .heartbeat(commit: i(0), context: 0)))
        #expect(node.term == t(5) && node.leader == nil)
        let replies = node.sent()
        #expect(replies == [envelope(1, 2, 5, .appendResponse(success: false, index: i(0), rejectHint: i(0)))])

        var stale = makeNode(2)
        stale.becomeLeaderForTesting()
        stale.receive(replies[0])
        #expect(stale.role == .follower && stale.term == t(5))
    }

    /// §5.2: a follower that hears nothing for an election timeout becomes a candidate: it
    /// increments its term, votes for itself and asks every peer for its vote.
    @Test func followerCampaignsAfterElectionTimeout() {
        var node = makeNode(1)
        node.tick(9)
        #expect(node.role == .follower)
        node.tick(1)
        #expect(node.role == .candidate)
        #expect(node.term == t(1))
        let ready = node.flush()
        #expect(ready.hardState == HardState(term: t(1), vote: n(1), commit: i(0)))
        #expect(
            ready.messages == [
                envelope(1, 2, 1, .vote(lastIndex: i(0), lastTerm: t(0), leadershipTransfer: false)),
                envelope(1, 3, 1, .vote(lastIndex: i(0), lastTerm: t(0), leadershipTransfer: false)),
            ])
    }

    /// §5.2: election timeouts are drawn at random from [electionTicks, 2 * electionTicks), so
    /// split votes are rare.
    @Test func electionTimeoutIsRandomizedWithinBounds() {
        var seen = Set<Int>()
        var random = CountingRandom(state: 42)
        for _ in 0..<200 {
            var node = makeNode(1)
            var ticks = 0
            while node.role == .follower {
                node.tick(using: &random)
                ticks += 1
            }
            #expect((10..<20).contains(ticks))
            seen.insert(ticks)
        }
        #expect(seen.count > 5)
    }

    /// §5.2: a candidate wins with votes from a majority and then sends AppendEntries to all.
    @Test func candidateWinsWithMajority() {
        var node = makeNode(1, members: [1, 2, 3, 4, 5])
        node.tick(10)
        node.flush()
        node.receive(envelope(2, 1, 1, .voteResponse(granted: true)))
        #expect(node.role == .candidate)
        node.receive(envelope(3, 1, 1, .voteResponse(granted: false)))
        node.receive(envelope(4, 1, 1, .voteResponse(granted: true)))
        #expect(node.role == .leader)
        #expect(node.leader == n(1))
        let appends = node.sent().filter { if case .append = $0.message { true } else { false } }
        #expect(appends.map(\.to) == [n(2), n(3), n(4), n(5)])
    }

    /// §5.2: a candidate that a majority rejects steps back to follower (etcd), and one that hears
    /// from a leader of its term follows it.
    @Test func candidateStepsDownOnMajorityRejectionOrLeader() {
        var node = makeNode(1)
        node.tick(10)
        node.receive(envelope(2, 1, 1, .voteResponse(granted: false)))
        node.receive(envelope(3, 1, 1, .voteResponse(granted: false)))
        #expect(node.role == .follower && node.term == t(1))

        var other = makeNode(1)
        other.tick(10)
        other.receive(envelope(2, 1, 1, .append(prevIndex: i(0), prevTerm: t(0), entries: [], commit: i(0))))
        #expect(other.role == .follower && other.leader == n(2))
    }

    /// §5.2: "each server will vote for at most one candidate in a given term, on a
    /// first-come-first-served basis"; repeating the grant to the same candidate is fine.
    @Test func votesAtMostOncePerTerm() {
        var node = makeNode(1)
        node.receive(envelope(2, 1, 1, .vote(lastIndex: i(0), lastTerm: t(0), leadershipTransfer: false)))
        node.receive(envelope(3, 1, 1, .vote(lastIndex: i(0), lastTerm: t(0), leadershipTransfer: false)))
        node.receive(envelope(2, 1, 1, .vote(lastIndex: i(0), lastTerm: t(0), leadershipTransfer: false)))
        let ready = node.flush()
        #expect(ready.hardState?.vote == n(2))
        #expect(
            ready.messages == [
                envelope(1, 2, 1, .voteResponse(granted: true)),
                envelope(1, 3, 1, .voteResponse(granted: false)),
                envelope(1, 2, 1, .voteResponse(granted: true)),
            ])
    }

    /// The vote survives a restart: persisted with the hard state before the grant is sent.
    @Test func voteSurvivesRestart() {
        var node = makeNode(1)
        node.receive(envelope(2, 1, 1, .vote(lastIndex: i(0), lastTerm: t(0), leadershipTransfer: false)))
        let hs = node.flush().hardState!
        var restarted = makeNode(1, persisted: PersistedRaftState(hardState: hs))
        restarted.receive(envelope(3, 1, 1, .vote(lastIndex: i(5), lastTerm: t(1), leadershipTransfer: false)))
        #expect(restarted.sent() == [envelope(1, 3, 1, .voteResponse(granted: false))])
    }

    /// §5.4.1: a voter denies its vote to a candidate whose log is less up to date than its own
    /// (compare last terms, then last indices).
    @Test(arguments: [
        (lastIndex: Int64(3), lastTerm: UInt64(2), granted: true),  // same log
        (lastIndex: 4, lastTerm: 2, granted: true),  // longer, same term
        (lastIndex: 1, lastTerm: 3, granted: true),  // shorter but later term
        (lastIndex: 2, lastTerm: 2, granted: false),  // shorter, same term
        (lastIndex: 9, lastTerm: 1, granted: false),  // longer but earlier term
    ])
    func votesOnlyForUpToDateLogs(lastIndex: Int64, lastTerm: UInt64, granted: Bool) {
        var node = makeNode(
            1, persisted: PersistedRaftState(hardState: HardState(term: t(2)), entries: log(terms: [1, 2, 2])))
        node.receive(envelope(2, 1, 3, .vote(lastIndex: i(lastIndex), lastTerm: t(lastTerm), leadershipTransfer: false)))
        let reply = node.sent()
        #expect(reply.count == 1)
        #expect(reply.first?.message == .voteResponse(granted: granted))
        #expect(node.term == t(3))
    }

    /// Thesis §9.6: a pre-candidate asks for pre-votes at term + 1 without changing its own term
    /// or vote; receivers grant without changing theirs either.
    @Test func preVoteChangesNoTerms() {
        var node = makeNode(1, preVote: true)
        node.tick(10)
        #expect(node.role == .preCandidate)
        #expect(node.term == t(0))
        let ready = node.flush()
        #expect(ready.hardState == nil)
        #expect(ready.messages.map(\.term) == [t(1), t(1)])
        #expect(ready.messages.first?.message == .preVote(lastIndex: i(0), lastTerm: t(0)))

        var voter = makeNode(2, preVote: true)
        voter.receive(ready.messages[0])
        #expect(voter.term == t(0))
        let reply = voter.flush()
        #expect(reply.hardState == nil)
        #expect(reply.messages == [envelope(2, 1, 1, .preVoteResponse(granted: true))])

        node.receive(reply.messages[0])
        #expect(node.role == .candidate)
        #expect(node.term == t(1))
    }

    /// etcd: a granted pre-vote (carrying the future term) doesn't move the pre-candidate's term;
    /// a rejection from a higher term makes it a follower at that term.
    @Test func preVoteResponsesFromHigherTerms() {
        var node = makeNode(1, members: [1, 2, 3, 4, 5], preVote: true)
        node.tick(10)
        node.receive(envelope(2, 1, 1, .preVoteResponse(granted: true)))
        #expect(node.role == .preCandidate && node.term == t(0))
        node.receive(envelope(3, 1, 7, .preVoteResponse(granted: false)))
        #expect(node.role == .follower && node.term == t(7))
    }

    /// Thesis §9.6: a member partitioned away keeps failing pre-votes, so its term stays put and,
    /// once back, it does not depose the leader.
    @Test func partitionedMemberRejoinsWithoutDisruption() {
        var net = TestNetwork(size: 3, preVote: true, checkQuorum: true)
        net.campaign(1)
        #expect(net[1].role == .leader)
        let term = net[1].term
        net.isolate(3)
        for _ in 0..<100 { net.tick(3) }
        #expect(net[3].term == term)
        net.heal()
        net.tickAll(30)
        #expect(net[1].role == .leader && net[1].term == term)
        #expect(net[3].leader == n(1))
    }

    /// Without pre-vote, the same rejoining member forces a new election (why pre-vote exists).
    @Test func withoutPreVoteRejoiningMemberDisrupts() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        let term = net[1].term
        net.isolate(3)
        for _ in 0..<30 { net.tick(3) }
        #expect(net[3].term > term)
        net.heal()
        net.tick(3, 20)
        #expect(net[1].term > term)
    }

    /// Thesis §6.2: with check-quorum, a leader that hasn't heard from a quorum during an election
    /// timeout steps down.
    @Test func leaderStepsDownWhenQuorumLost() {
        var net = TestNetwork(size: 3, checkQuorum: true)
        net.campaign(1)
        net.tickAll(15)
        #expect(net[1].role == .leader)
        net.isolate(1)
        net.tick(1, 20)
        #expect(net[1].role == .follower)
        #expect(net[1].leader == nil)
    }

    /// Thesis §4.2.3 (leader lease, etcd `inLease`): with check-quorum, a member that heard from
    /// its leader within the election timeout ignores vote requests, even at higher terms —
    /// unless they come from a leadership transfer.
    @Test func followersWithLiveLeaderIgnoreVotesUnlessTransfer() {
        var net = TestNetwork(size: 3, checkQuorum: true)
        net.campaign(1)
        let term = net[1].term
        var follower = net[2]
        follower.receive(envelope(3, 2, term.rawValue + 1, .vote(lastIndex: i(9), lastTerm: t(9), leadershipTransfer: false)))
        #expect(follower.term == term)
        #expect(follower.sent().isEmpty)
        follower.receive(envelope(3, 2, term.rawValue + 1, .vote(lastIndex: i(9), lastTerm: t(9), leadershipTransfer: true)))
        #expect(follower.term == t(term.rawValue + 1))
        #expect(follower.sent() == [envelope(2, 3, term.rawValue + 1, .voteResponse(granted: true))])
    }

    /// A single-member ensemble elects itself and commits on its own durable writes.
    @Test func singleMemberElectsItselfAndCommits() {
        var node = makeNode(1, members: [1], preVote: true)
        node.tick(10)
        #expect(node.role == .leader)
        #expect(node.flush().entries.count == 1)
        #expect(node.commitIndex == i(1))
        #expect(node.propose(payload("a")) == .accepted(i(2), t(1)))
        #expect(node.commitIndex == i(1))
        node.flush()
        #expect(node.commitIndex == i(2))
        #expect(node.flush().committed.map(\.index) == [i(2)])
    }
}

/// A follower told that its link to the leader broke (the driver's `reportUnreachable`, on a
/// TCP connection that closed) looks for a new leader within a few ticks, as ZooKeeper's
/// followers do, instead of a whole election timeout; pre-vote and the lease keep a live leader.
@Suite struct LeaderLinkLossTests {
    @Test func followersThatLoseTheLeaderElectANewOneWithinAFewTicks() {
        var net = TestNetwork(size: 3, preVote: true, checkQuorum: true)
        net.campaign(1)
        #expect(net[1].role == .leader)
        let term = net[1].term
        net.isolate(1)  // the leader's process is gone
        net[2].reportUnreachable(n(1))
        net[3].reportUnreachable(n(1))
        #expect(net[2].leader == nil && net[3].leader == nil)
        var ticks = 0
        while net[2].role != .leader, net[3].role != .leader, ticks < 10 {
            net.tick(2)
            net.tick(3)
            ticks += 1
        }
        // An election timeout is 10 ticks at least (20 with the random part): this takes 3 or so.
        #expect(ticks <= 4, "no new leader after \(ticks) ticks")
        #expect(net[2].term > term || net[3].term > term)
    }

    @Test func aFollowerThatLostOnlyItsOwnLinkDoesNotDisruptALiveLeader() {
        var net = TestNetwork(size: 3, preVote: true, checkQuorum: true)
        net.campaign(1)
        let term = net[1].term
        net.cut.insert([1, 3])
        net.cut.insert([3, 1])
        net[3].reportUnreachable(n(1))
        for _ in 0..<4 {
            net.tick(1)  // heartbeats keep member 2's lease on the leader
            net.tick(3)
        }
        #expect(net[1].role == .leader && net[1].term == term)
        #expect(net[2].leader == n(1) && net[2].term == term)
        #expect(net[3].term == term, "a pre-vote bumped no term")
    }

    /// Without pre-vote an early campaign would raise the term over a live leader: the shortcut
    /// is off, and the follower keeps its leader until the election timeout says otherwise.
    @Test func withoutPreVoteTheLinkReportChangesNothing() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        net[2].reportUnreachable(n(1))
        #expect(net[2].leader == n(1))
    }
}
