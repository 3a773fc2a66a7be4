import Consensus
import Testing

/// The quorum port is not authenticated: a frame that claims to come from a member (forged, or a
/// corrupted copy of a real one) reaches consensus if it is well formed. Such a frame may cost an
/// election, but must never make a member commit entries the real leader can overwrite, and must
/// never convince a leader that a follower holds entries it does not. (The ensemble suite's
/// test_09 found both with bit-flipped heartbeats: a follower committed its uncommitted tail on a
/// heartbeat "from" another member, the new leader overwrote it, and the follower stalled.)
@Suite struct ForgedFrameTests {
    /// Member 1 follows leader 3 with entries 1...3 of term 1, of which only 1 is committed.
    private func followerWithUncommittedTail() -> RaftNode {
        var node = makeNode(1)
        node.receive(envelope(3, 1, 1, .append(prevIndex: .zero, prevTerm: .zero, entries: log(terms: [1, 1, 1]), commit: i(1))))
        node.flush()
        #expect(node.lastIndex == i(3) && node.commitIndex == i(1))
        return node
    }

    @Test func aHeartbeatFromALeaderThatConfirmedNothingCommitsNothing() {
        var node = followerWithUncommittedTail()
        // "Member 2" at a higher term, with a commit index far past anything committed.
        node.receive(envelope(2, 1, 2049, .heartbeat(commit: i(1 << 40), context: 0)))
        #expect(node.term == t(2049))
        #expect(node.commitIndex == i(1), "a heartbeat committed entries no leader of term 2049 confirmed")
        // It says where its confirmed log ends, so a real leader would probe from there.
        let replies = node.sent().filter { $0.to == n(2) }.map(\.message)
        #expect(replies.contains(.logLost(lastIndex: i(1))))
    }

    @Test func aHeartbeatCommitsWhatTheLeaderOfItsTermConfirmed() {
        var node = followerWithUncommittedTail()
        node.receive(envelope(3, 1, 1, .heartbeat(commit: i(3), context: 0)))
        #expect(node.commitIndex == i(3))
        #expect(!node.sent().contains { if case .logLost = $0.message { true } else { false } })
    }

    @Test func aRestartedFollowerAsksItsLeaderToConfirmItsLog() {
        let before = followerWithUncommittedTail()
        // It restarts from its storage: entries 1...3 of term 1, commit 1; the leader then commits 3.
        var node = makeNode(
            1,
            persisted: PersistedRaftState(
                hardState: before.hardState, snapshot: nil,
                entries: before.entries(from: i(1), maxCount: 10)))
        node.receive(envelope(3, 1, 1, .heartbeat(commit: i(3), context: 0)))
        #expect(node.commitIndex == i(1))
        #expect(node.sent().map(\.message).contains(.logLost(lastIndex: i(1))))
        // The leader's probe from index 1 confirms the rest, and the commit follows.
        node.receive(envelope(3, 1, 1, .append(prevIndex: i(1), prevTerm: t(1), entries: Array(log(terms: [1, 1, 1])[1...]), commit: i(3))))
        #expect(node.commitIndex == i(3))
    }

    @Test func aLeaderIgnoresAnAcknowledgementPastItsLog() {
        var leader = makeNode(1)
        let noop = leader.becomeLeaderForTesting()
        let term = leader.term
        leader.receive(envelope(2, 1, term.rawValue, .appendResponse(success: true, index: i(1 << 30), rejectHint: .zero)))
        let match = leader.progress.first { $0.peer == n(2) }?.match
        #expect(match == noop, "a forged acknowledgement moved member 2's match past the leader's log")
    }

    @Test func aWipedFollowerIsStillStartedOver() {
        // The `logLost` rule it shares with wiped members: nothing held, nothing confirmed.
        var node = makeNode(1)
        node.receive(envelope(3, 1, 1, .heartbeat(commit: i(5), context: 0)))
        #expect(node.commitIndex == .zero)
        #expect(node.sent().map(\.message).contains(.logLost(lastIndex: .zero)))
    }
}
