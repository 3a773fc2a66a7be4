import Consensus
import Testing

/// Log replication and commitment (Raft §5.3, §5.4.2, §8), in the spirit of etcd's
/// `raft_paper_test.go`.
@Suite struct ReplicationTests {
    /// §8: a new leader appends an empty no-op entry of its term and replicates it at once.
    @Test func newLeaderAppendsNoOp() {
        var node = makeNode(1, persisted: PersistedRaftState(hardState: HardState(term: t(1)), entries: log(terms: [1])))
        node.tick(10)
        node.flush()
        node.receive(envelope(2, 1, 2, .voteResponse(granted: true)))
        #expect(node.role == .leader)
        let ready = node.flush()
        #expect(ready.entries == [LogEntry(index: i(2), term: t(2), payload: payload(""))])
        #expect(
            ready.messages.first?.message
                == .append(prevIndex: i(1), prevTerm: t(1), entries: ready.entries, commit: i(0)))
    }

    /// §5.3: the leader replicates a proposal and commits it once a majority (itself counted
    /// only once its own write is durable) stores it; followers learn the commit index from the
    /// next append.
    @Test func leaderCommitsAfterMajorityAcknowledges() {
        var leader = makeNode(1)
        let noop = leader.becomeLeaderForTesting()
        #expect(leader.commitIndex == noop)
        #expect(leader.propose(payload("a")) == .accepted(noop.next, t(1)))
        let ready = leader.takeReady()
        #expect(ready.entries.map(\.index) == [noop.next])
        #expect(ready.messages.count == 2)
        // A follower's acknowledgement alone is not a majority while our write is not durable.
        leader.receive(envelope(2, 1, 1, .appendResponse(success: true, index: noop.next, rejectHint: i(0))))
        #expect(leader.commitIndex == noop)
        leader.advance()
        #expect(leader.commitIndex == noop.next)
        let next = leader.flush()
        #expect(next.committed.map(\.index) == [noop.next])
        #expect(next.messages.contains { $0.message == .append(prevIndex: noop.next, prevTerm: t(1), entries: [], commit: noop.next) })
    }

    /// §5.3: a follower rejects an append whose previous entry it lacks and hints where to resume
    /// (etcd); it accepts a matching one and reports its match index.
    @Test func followerChecksLogMatching() {
        var node = makeNode(2, persisted: PersistedRaftState(hardState: HardState(term: t(2)), entries: log(terms: [1, 2])))
        node.receive(envelope(1, 2, 2, .append(prevIndex: i(5), prevTerm: t(2), entries: [entry(6, 2)], commit: i(0))))
        #expect(node.sent() == [envelope(2, 1, 2, .appendResponse(success: false, index: i(5), rejectHint: i(2)))])
        node.receive(envelope(1, 2, 2, .append(prevIndex: i(2), prevTerm: t(2), entries: [entry(3, 2)], commit: i(1))))
        let ready = node.flush()
        #expect(ready.entries == [entry(3, 2)])
        #expect(ready.messages == [envelope(2, 1, 2, .appendResponse(success: true, index: i(3), rejectHint: i(0)))])
        #expect(node.commitIndex == i(1))
    }

    /// §5.3: "If an existing entry conflicts with a new one (same index but different terms),
    /// delete the existing entry and all that follow it"; the `Ready` re-sends from the conflict
    /// point so the driver truncates its durable log there.
    @Test func followerTruncatesConflictingSuffix() {
        var node = makeNode(2, persisted: PersistedRaftState(hardState: HardState(term: t(2)), entries: log(terms: [1, 2, 2, 2])))
        node.receive(envelope(1, 2, 3, .append(prevIndex: i(2), prevTerm: t(2), entries: [entry(3, 3, "new")], commit: i(0))))
        #expect(node.lastIndex == i(3))
        #expect(node.term(at: i(3)) == t(3))
        let ready = node.flush()
        #expect(ready.entries == [entry(3, 3, "new")])
        // Appending what we already hold changes nothing.
        node.receive(envelope(1, 2, 3, .append(prevIndex: i(1), prevTerm: t(1), entries: log(terms: [1, 2]).suffix(1) + [entry(3, 3, "new")], commit: i(0))))
        #expect(node.flush().entries.isEmpty)
    }

    /// Thesis §5 / etcd: the rejection hint skips every follower entry whose term exceeds the
    /// leader's term at the probed index, so a long divergent tail costs a few round trips.
    @Test func rejectHintSkipsDivergentTermsQuickly() {
        var net = TestNetwork(size: 3)
        // Member 3 wrote 50 entries in term 2 that nobody else has; 1 and 2 have a term-3 log.
        net[1] = makeNode(1, persisted: PersistedRaftState(hardState: HardState(term: t(3)), entries: log(terms: [1] + Array(repeating: 3, count: 5))))
        net[2] = makeNode(2, persisted: PersistedRaftState(hardState: HardState(term: t(3)), entries: log(terms: [1] + Array(repeating: 3, count: 5))))
        net[3] = makeNode(3, persisted: PersistedRaftState(hardState: HardState(term: t(2)), entries: log(terms: [1] + Array(repeating: 2, count: 50))))
        net.campaign(1)
        #expect(net[1].role == .leader)
        let rejections = net.delivered.filter {
            if case .appendResponse(success: false, _, _) = $0.message { $0.from == n(3) } else { false }
        }
        #expect(rejections.count <= 2)
        #expect(net[3].lastIndex == net[1].lastIndex)
        #expect(net[3].term(at: i(2)) == t(3))
        #expect(net[3].commitIndex == net[1].commitIndex)
    }

    /// §5.4.2 (Figure 8): a leader never commits an entry of an earlier term by counting
    /// replicas; it commits once an entry of its own term is on a majority, and that commits the
    /// earlier one too.
    @Test func leaderCommitsOnlyCurrentTermEntriesByCounting() {
        // Our log: index 1 from term 1, index 2 from term 2 (uncommitted); now leader of term 4.
        var leader = makeNode(1, persisted: PersistedRaftState(hardState: HardState(term: t(3)), entries: log(terms: [1, 2])))
        leader.tick(10)
        leader.receive(envelope(2, 1, 4, .voteResponse(granted: true)))
        #expect(leader.role == .leader)
        leader.flush()
        // Follower 2 acknowledges index 2 (the term-2 entry) but not the no-op at 3.
        leader.receive(envelope(2, 1, 4, .appendResponse(success: true, index: i(2), rejectHint: i(0))))
        leader.flush()
        #expect(leader.commitIndex == i(0))
        leader.receive(envelope(2, 1, 4, .appendResponse(success: true, index: i(3), rejectHint: i(0))))
        #expect(leader.commitIndex == i(3))
    }

    /// etcd: heartbeats carry the commit index, capped at what the follower is known to hold.
    @Test func heartbeatsCarryCommitCappedAtMatch() {
        var leader = makeNode(1)
        let noop = leader.becomeLeaderForTesting()
        _ = leader.propose(payload("a"))
        leader.flush()
        leader.receive(envelope(2, 1, 1, .appendResponse(success: true, index: noop.next, rejectHint: i(0))))
        leader.flush()
        #expect(leader.commitIndex == noop.next)
        leader.tick(1)
        let heartbeats = leader.sent().filter { if case .heartbeat = $0.message { true } else { false } }
        #expect(
            heartbeats == [
                envelope(1, 2, 1, .heartbeat(commit: noop.next, context: 0)),
                envelope(1, 3, 1, .heartbeat(commit: noop, context: 0)),
            ])

        // The follower commits what the heartbeat names, as far as this leader's appends
        // confirmed its log (`ForgedFrameTests`): here both entries.
        var follower = makeNode(2)
        follower.receive(envelope(1, 2, 1, .append(prevIndex: .zero, prevTerm: .zero, entries: log(terms: [1, 1]), commit: .zero)))
        follower.flush()
        follower.receive(heartbeats[0])
        #expect(follower.commitIndex == i(2))
        #expect(follower.flush().committed.map(\.index) == [i(1), i(2)])
    }

    /// §5.3 in a running ensemble: proposals reach every member's log and state machine in order.
    @Test func proposalsReplicateToEveryMember() {
        var net = TestNetwork(size: 5)
        net.campaign(3)
        for k in 0..<20 { _ = net[3].propose(payload("p\(k)")) }
        net.settle()
        net.tickAll(2)
        for id in 1...5 {
            #expect(net[id].commitIndex == i(21))
            #expect(net[id].appliedIndex == i(21))
            #expect(net[id].entries(from: i(2), maxCount: 100).map { text($0.payload) } == (0..<20).map { "p\($0)" })
        }
    }

    /// Only the leader accepts proposals; others name the leader they know.
    @Test func followersRefuseProposals() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        #expect(net[2].propose(payload("a")) == .notLeader(leader: n(1)))
        var fresh = makeNode(1)
        #expect(fresh.propose(payload("a")) == .notLeader(leader: nil))
    }
}
