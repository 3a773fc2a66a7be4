import Consensus
import Testing

/// The driver contract (`Ready`/`advance`, etcd `RawNode`), restarts, and determinism.
@Suite struct ReadyTests {
    /// `Ready`s may be taken while earlier ones are outstanding; each hands out only what is new,
    /// and `advance()` confirms them oldest first.
    @Test func readiesPipeline() {
        var node = makeNode(1)
        node.tick(10)
        let first = node.takeReady()
        #expect(first.hardState?.term == t(1))
        node.receive(envelope(2, 1, 1, .voteResponse(granted: true)))
        #expect(node.hasReady())
        let second = node.takeReady()
        #expect(second.softState?.role == .leader)
        #expect(second.entries.map(\.index) == [i(1)])  // the new leader's no-op
        _ = node.propose(payload("a"))
        let third = node.takeReady()
        #expect(third.entries.map(\.index) == [i(2)])
        #expect(node.outstandingReadies == 3)
        node.advance()
        node.advance()
        node.advance()
        #expect(node.outstandingReadies == 0)
        #expect(node.flush().entries.isEmpty)
    }

    /// A leader's own write in flight does not hold up a commit the followers' acknowledgements
    /// already make (a quorum of 2 out of 3 without the leader's copy).
    @Test func followersCommitWhileLeaderWrites() {
        var node = makeNode(1)
        let noop = node.becomeLeaderForTesting()
        _ = node.flush()
        _ = node.propose(payload("a"))
        let writing = node.takeReady()
        let index = writing.entries[0].index
        #expect(index == noop.next)
        for peer in [2, 3] {
            node.receive(envelope(peer, 1, node.term.rawValue, .appendResponse(success: true, index: index, rejectHint: i(0))))
        }
        #expect(node.commitIndex == index)
        let next = node.takeReady()
        #expect(next.committed.map(\.index).contains(index))
    }

    /// Entries are handed out once; after `advance()` they are stable and not repeated.
    @Test func entriesAreHandedOutOnce() {
        var node = makeNode(1)
        node.becomeLeaderForTesting()
        _ = node.propose(payload("a"))
        #expect(node.flush().entries.count == 1)
        #expect(node.flush().entries.isEmpty)
        #expect(!node.hasReady())
    }

    /// If the log is truncated while a `Ready` is outstanding, the rewritten entries come again
    /// from the conflict point, so the driver truncates its durable copy.
    @Test func truncationUnderOutstandingReadyIsRepeated() {
        var node = makeNode(2)
        node.receive(envelope(1, 2, 1, .append(prevIndex: i(0), prevTerm: t(0), entries: log(terms: [1, 1, 1]), commit: i(0))))
        let first = node.takeReady()
        #expect(first.entries.map(\.index) == [i(1), i(2), i(3)])
        node.receive(envelope(3, 2, 2, .append(prevIndex: i(1), prevTerm: t(1), entries: [entry(2, 2, "y")], commit: i(0))))
        node.advance()
        let second = node.flush()
        #expect(second.entries.first?.index ?? i(99) <= i(2))
        #expect(second.entries.last == entry(2, 2, "y"))
    }

    /// Taken before the first is advanced, the next `Ready` still starts at the conflict point.
    @Test func truncationWhileReadyOutstandingStartsAtConflict() {
        var node = makeNode(2)
        node.receive(envelope(1, 2, 1, .append(prevIndex: i(0), prevTerm: t(0), entries: log(terms: [1, 1, 1]), commit: i(0))))
        _ = node.takeReady()
        node.receive(envelope(3, 2, 2, .append(prevIndex: i(1), prevTerm: t(1), entries: [entry(2, 2, "y")], commit: i(0))))
        let second = node.takeReady()
        #expect(second.entries == [entry(2, 2, "y")])
        node.advance()
        node.advance()
        #expect(node.flush().entries.isEmpty)
    }

    /// A restart with the application's applied index resumes applying after it; without one,
    /// after the snapshot.
    @Test func restartResumesAfterAppliedIndex() {
        let state = PersistedRaftState(
            hardState: HardState(term: t(2), vote: n(1), commit: i(4)),
            snapshot: SnapshotMetadata(index: i(1), term: t(1)),
            entries: [entry(2, 1), entry(3, 2), entry(4, 2), entry(5, 2)],
            applied: i(3))
        var node = makeNode(1, persisted: state)
        #expect(node.term == t(2) && node.commitIndex == i(4) && node.appliedIndex == i(3))
        #expect(node.firstIndex == i(2) && node.lastIndex == i(5))
        let ready = node.flush()
        #expect(ready.committed.map(\.index) == [i(4)])
        #expect(ready.hardState == nil)
        #expect(ready.entries.isEmpty)

        var fromSnapshot = makeNode(1, persisted: PersistedRaftState(hardState: state.hardState, snapshot: state.snapshot, entries: state.entries))
        #expect(fromSnapshot.flush().committed.map(\.index) == [i(2), i(3), i(4)])
    }

    /// Role, leader and term changes are reported once each.
    @Test func softStateReportedOnChange() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        var follower = net[2]
        #expect(follower.flush().softState == nil)
        follower.receive(envelope(3, 2, 7, .heartbeat(commit: i(0), context: 0)))
        let soft = follower.flush().softState
        #expect(soft?.role == .follower && soft?.leader == n(3) && soft?.term == t(7))
        follower.receive(envelope(3, 2, 7, .heartbeat(commit: i(0), context: 0)))
        #expect(follower.flush().softState == nil)
    }

    /// Two members fed the same inputs produce the same outputs (no hash-order leaks).
    @Test func outputsAreDeterministic() {
        func run() -> [[Envelope]] {
            var net = TestNetwork(size: 5, preVote: true, checkQuorum: true)
            net.campaign(2)
            for k in 0..<10 { _ = net[2].propose(payload("p\(k)")) }
            net.settle()
            net.tickAll(3)
            return [net.delivered]
        }
        #expect(run() == run())
    }

    /// `progress` is the leader's view of each follower, sorted by member.
    @Test func progressIsSortedAndLeaderOnly() {
        var net = TestNetwork(size: 5)
        net.campaign(4)
        net.tickAll(1)
        #expect(net[4].progress.map(\.peer) == [n(1), n(2), n(3), n(5)])
        #expect(net[4].progress.allSatisfy { $0.match == net[4].lastIndex && $0.next == net[4].lastIndex.next })
        #expect(net[1].progress.isEmpty)
    }
}
