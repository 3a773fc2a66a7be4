import Consensus
import Testing

/// The driver contract (`Ready`/`advance`, etcd `RawNode`), restarts, and determinism.
@Suite struct ReadyTests {
    /// At most one `Ready` is outstanding: nothing more is handed out until `advance()`.
    @Test func oneReadyAtATime() {
        var node = makeNode(1)
        node.tick(10)
        #expect(node.hasReady())
        let ready = node.takeReady()
        #expect(!ready.isEmpty)
        node.receive(envelope(2, 1, 1, .voteResponse(granted: true)))
        #expect(!node.hasReady())
        node.advance()
        #expect(node.hasReady())
        #expect(node.takeReady().softState?.role == .leader)
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
