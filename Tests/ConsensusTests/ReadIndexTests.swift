import Consensus
import Testing

/// ReadIndex (thesis §6.4; etcd `read_only.go`, safe mode).
@Suite struct ReadIndexTests {
    private func isHeartbeat(_ e: Envelope, context: UInt64) -> Bool {
        if case .heartbeat(_, let c) = e.message { c == context } else { false }
    }

    /// §6.4 step 1: a new leader answers reads only once an entry of its term has committed
    /// (until then its commit index may lag); steps 2–3: it records its commit index and answers
    /// once a heartbeat round with that context reaches a quorum.
    @Test func leaderConfirmsWithHeartbeatQuorumAfterCommittingInTerm() {
        var leader = makeNode(1)
        leader.tick(10)
        leader.flush()
        leader.receive(envelope(2, 1, 1, .voteResponse(granted: true)))
        leader.flush()
        #expect(leader.readIndex(requestID: 7) == .pending)
        #expect(!leader.sent().contains { isHeartbeat($0, context: 1) })
        leader.receive(envelope(2, 1, 1, .appendResponse(success: true, index: i(1), rejectHint: i(0))))
        #expect(leader.commitIndex == i(1))
        let round = leader.flush()
        #expect(round.readStates.isEmpty)
        let heartbeats = round.messages.filter { isHeartbeat($0, context: 1) }
        #expect(heartbeats.map(\.to) == [n(2), n(3)])
        leader.receive(envelope(3, 1, 1, .heartbeatResponse(context: 1)))
        let answer = leader.flush()
        #expect(answer.readStates.map(\.requestID) == [7])
        #expect(answer.readStates.map(\.index) == [i(1)])
    }

    /// A follower forwards the request to its leader and gets the leader's read index back.
    @Test func followerForwardsReadToLeader() {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        _ = net[1].propose(payload("a"))
        net.settle()
        #expect(net[2].readIndex(requestID: 42) == .pending)
        net.settle()
        #expect(net.delivered.contains { $0.message == .readIndexResponse(requestID: 42, index: i(2)) && $0.to == n(2) })
    }

    /// The answer reaches the follower's driver through `Ready.readStates`.
    @Test func forwardedAnswerAppearsInReadStates() {
        var follower = makeNode(2)
        follower.receive(envelope(1, 2, 1, .heartbeat(commit: i(0), context: 0)))
        follower.flush()
        follower.readIndex(requestID: 5)
        #expect(follower.sent() == [envelope(2, 1, 1, .readIndex(requestID: 5))])
        follower.receive(envelope(1, 2, 1, .readIndexResponse(requestID: 5, index: i(3))))
        let ready = follower.flush()
        #expect(ready.readStates.map(\.requestID) == [5])
        #expect(ready.readStates.map(\.index) == [i(3)])
    }

    /// Without a known leader there is nobody to ask.
    @Test func readWithoutLeaderIsRefused() {
        var node = makeNode(1)
        #expect(node.readIndex(requestID: 1) == .noLeader)
        #expect(!node.hasReady())
    }

    /// Pending reads are given back to the driver when leadership (or the followed leader) is
    /// lost, so it can retry them elsewhere.
    @Test func pendingReadsAreDroppedOnStepDown() {
        var leader = makeNode(1)
        leader.becomeLeaderForTesting()
        leader.readIndex(requestID: 9)
        leader.flush()
        leader.receive(envelope(2, 1, 5, .append(prevIndex: i(0), prevTerm: t(0), entries: [], commit: i(0))))
        #expect(leader.flush().droppedReads == [9])

        var follower = makeNode(2)
        follower.receive(envelope(1, 2, 1, .heartbeat(commit: i(0), context: 0)))
        follower.readIndex(requestID: 3)
        follower.receive(envelope(3, 2, 2, .append(prevIndex: i(0), prevTerm: t(0), entries: [], commit: i(0))))
        #expect(follower.flush().droppedReads == [3])
    }

    /// A quorum acknowledging a later round confirms earlier queued requests too.
    @Test func laterRoundConfirmsEarlierRequests() {
        var leader = makeNode(1, members: [1, 2, 3, 4, 5])
        leader.tick(10)
        leader.flush()
        for peer in 2...3 { leader.receive(envelope(peer, 1, 1, .voteResponse(granted: true))) }
        leader.flush()
        for peer in 2...3 { leader.receive(envelope(peer, 1, 1, .appendResponse(success: true, index: i(1), rejectHint: i(0)))) }
        leader.flush()
        leader.readIndex(requestID: 1)
        leader.flush()
        leader.readIndex(requestID: 2)
        leader.flush()
        leader.receive(envelope(4, 1, 1, .heartbeatResponse(context: 2)))
        leader.receive(envelope(5, 1, 1, .heartbeatResponse(context: 2)))
        #expect(leader.flush().readStates.map(\.requestID) == [1, 2])
    }
}
