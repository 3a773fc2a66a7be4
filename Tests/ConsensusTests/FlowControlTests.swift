import Consensus
import Testing

/// Replication flow control (etcd `tracker.Progress`: probe, replicate, in-flight window).
@Suite struct FlowControlTests {
    private func appends(_ messages: [Envelope], to peer: Int) -> [Envelope] {
        messages.filter { if case .append = $0.message { $0.to == n(peer) } else { false } }
    }

    /// In probe state the leader has one append outstanding per follower until it hears back.
    @Test func probeSendsOneAppendAtATime() {
        var leader = makeNode(1)
        leader.tick(10)
        leader.flush()
        leader.receive(envelope(2, 1, 1, .voteResponse(granted: true)))
        #expect(appends(leader.sent(), to: 3).count == 1)
        for k in 0..<3 {
            _ = leader.propose(payload("p\(k)"))
            #expect(appends(leader.sent(), to: 3).isEmpty)
        }
        // A heartbeat response lets the next probe out.
        leader.receive(envelope(3, 1, 1, .heartbeatResponse(context: 0)))
        #expect(appends(leader.sent(), to: 3).count == 1)
    }

    /// In replicate state appends stream optimistically, at most `maxInflightAppends` unacknowledged;
    /// an acknowledgement frees room.
    @Test func replicateStateLimitsInflightAppends() {
        var leader = makeNode(1) { $0.maxInflightAppends = 2 }
        let noop = leader.becomeLeaderForTesting()
        #expect(leader.progress.map(\.match) == [noop, noop])
        var sent: [Envelope] = []
        for k in 0..<5 {
            _ = leader.propose(payload("p\(k)"))
            sent += appends(leader.sent(), to: 2)
        }
        #expect(sent.count == 2)
        leader.receive(envelope(2, 1, 1, .appendResponse(success: true, index: noop + 1, rejectHint: i(0))))
        let more = appends(leader.sent(), to: 2)
        #expect(more.count == 1)
        if case .append(let prev, _, let entries, _) = more.first?.message {
            #expect(prev == noop + 2)
            #expect(entries.map(\.index) == [noop + 3, noop + 4, noop + 5])
        }
    }

    /// Appends carry at most `maxEntriesPerAppend` entries.
    @Test func appendsAreBatchedUpToTheLimit() {
        var leader = makeNode(1) { $0.maxEntriesPerAppend = 3 }
        leader.becomeLeaderForTesting()
        for k in 0..<7 { _ = leader.propose(payload("p\(k)")) }
        let batches = appends(leader.sent(), to: 2).map {
            if case .append(_, _, let entries, _) = $0.message { entries.count } else { 0 }
        }
        #expect(batches == [3, 3, 1])
    }

    /// A rejection in replicate state falls back to probing from the match index (etcd).
    @Test func rejectionFallsBackToProbe() {
        var leader = makeNode(1)
        let noop = leader.becomeLeaderForTesting()
        _ = leader.propose(payload("a"))
        _ = leader.propose(payload("b"))
        leader.flush()
        leader.receive(envelope(2, 1, 1, .appendResponse(success: false, index: noop + 1, rejectHint: noop)))
        let retry = appends(leader.sent(), to: 2)
        #expect(retry.count == 1)
        if case .append(let prev, _, let entries, _) = retry.first?.message {
            #expect(prev == noop)
            #expect(entries.map(\.index) == [noop + 1, noop + 2])
        }
        // Stale rejections (at or below the match index) are ignored.
        leader.receive(envelope(3, 1, 1, .appendResponse(success: false, index: noop, rejectHint: i(0))))
        #expect(appends(leader.sent(), to: 3).isEmpty)
    }

    /// `reportUnreachable` stops optimistic streaming to the peer.
    @Test func unreachablePeerIsProbed() {
        var leader = makeNode(1)
        leader.becomeLeaderForTesting()
        leader.reportUnreachable(n(2))
        _ = leader.propose(payload("a"))
        #expect(appends(leader.sent(), to: 2).count == 1)
        _ = leader.propose(payload("b"))
        #expect(appends(leader.sent(), to: 2).isEmpty)
    }
}
