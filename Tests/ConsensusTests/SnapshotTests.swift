import Consensus
import Testing

/// Log compaction and InstallSnapshot (Raft §7; etcd `StateSnapshot`, `ReportSnapshot`).
@Suite struct SnapshotTests {
    /// A three-member network where member 3 missed entries 2...11 and the leader compacted them.
    private func laggingNetwork() -> TestNetwork {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        net.isolate(3)
        for k in 0..<10 { _ = net[1].propose(payload("p\(k)")) }
        net.settle()
        net[1].compact(through: i(8))
        net.heal()
        return net
    }

    /// Compaction drops entries through the index: they can't be read any more, and the
    /// snapshot's term is remembered.
    @Test func compactionDropsEntries() {
        var net = laggingNetwork()
        #expect(net[1].firstIndex == i(9))
        #expect(net[1].term(at: i(8)) == t(1))
        #expect(net[1].term(at: i(7)) == nil)
        #expect(net[1].entries(from: i(5), maxCount: 10).isEmpty)
        #expect(net[1].entries(from: i(9), maxCount: 10).map(\.index) == [i(9), i(10), i(11)])
        net[1].compact(through: i(4))  // older than the current snapshot: no effect
        #expect(net[1].firstIndex == i(9))
    }

    /// §7: a follower that needs compacted entries is sent the snapshot; the leader sends it
    /// nothing more until the driver reports the transfer, then probes again.
    @Test func leaderSendsSnapshotAndPausesUntilReported() {
        var net = laggingNetwork()
        net.cut = [[1, 3]]  // keep the snapshot from arriving: we inspect the leader
        // The leader still streams optimistically to 3 (replicate state); 3 rejects, the leader
        // falls back to its match index, which is compacted: it needs the snapshot.
        net[3].receive(envelope(1, 3, 1, .heartbeat(commit: i(1), context: 0)))
        net[1].receive(net[3].sent()[0])
        let probe = net[1].sent()
        #expect(probe == [envelope(1, 3, 1, .append(prevIndex: i(11), prevTerm: t(1), entries: [], commit: i(11)))])
        net[3].receive(probe[0])
        let rejection = net[3].sent()
        #expect(rejection == [envelope(3, 1, 1, .appendResponse(success: false, index: i(11), rejectHint: i(1)))])
        net[1].receive(rejection[0])
        let sent = net[1].sent()
        #expect(sent == [envelope(1, 3, 1, .snapshot(SnapshotMetadata(index: i(8), term: t(1))))])
        _ = net[1].propose(payload("more"))
        #expect(!net[1].sent().contains { $0.to == n(3) })
        net[1].reportSnapshot(n(3), succeeded: true)
        net[1].receive(envelope(3, 1, 1, .heartbeatResponse(context: 0)))
        let resumed = net[1].sent()
        #expect(resumed.contains {
            if case .append(let prev, _, _, _) = $0.message { $0.to == n(3) && prev == i(8) } else { false }
        })
    }

    /// §7: the follower installs a newer snapshot: the `Ready` carries it, its log restarts after
    /// it, and committed entries resume after it.
    @Test func followerInstallsSnapshot() {
        var follower = makeNode(3, persisted: PersistedRaftState(hardState: HardState(term: t(1), commit: i(1)), entries: log(terms: [1])))
        follower.receive(envelope(1, 3, 2, .snapshot(SnapshotMetadata(index: i(10), term: t(2)))))
        let ready = follower.flush()
        #expect(ready.snapshot == SnapshotMetadata(index: i(10), term: t(2)))
        #expect(ready.committed.isEmpty)
        #expect(ready.hardState == HardState(term: t(2), vote: nil, commit: i(10)))
        #expect(ready.messages == [envelope(3, 1, 2, .appendResponse(success: true, index: i(10), rejectHint: i(0)))])
        #expect(follower.firstIndex == i(11) && follower.lastIndex == i(10))
        #expect(follower.appliedIndex == i(10))
        follower.receive(envelope(1, 3, 2, .append(prevIndex: i(10), prevTerm: t(2), entries: [entry(11, 2)], commit: i(11))))
        #expect(follower.flush().committed.map(\.index) == [i(11)])
    }

    /// A snapshot at or below the commit index is stale and ignored (etcd `restore`); one whose
    /// last entry we hold with the same term only advances the commit index.
    @Test func followerRejectsStaleSnapshot() {
        var follower = makeNode(3, persisted: PersistedRaftState(hardState: HardState(term: t(1), commit: i(5)), entries: log(terms: [1, 1, 1, 1, 1, 1, 1])))
        follower.receive(envelope(1, 3, 1, .snapshot(SnapshotMetadata(index: i(4), term: t(1)))))
        var ready = follower.flush()
        #expect(ready.snapshot == nil)
        #expect(ready.messages == [envelope(3, 1, 1, .appendResponse(success: true, index: i(5), rejectHint: i(0)))])
        follower.receive(envelope(1, 3, 1, .snapshot(SnapshotMetadata(index: i(7), term: t(1)))))
        ready = follower.flush()
        #expect(ready.snapshot == nil)
        #expect(follower.commitIndex == i(7))
        #expect(follower.lastIndex == i(7))
    }

    /// The whole path in a network: the lagging member installs the snapshot, then catches up.
    @Test func laggingMemberCatchesUpThroughSnapshot() {
        var net = laggingNetwork()
        net.tick(1)
        // The driver streamed the snapshot (delivered by `settle`) and reports success.
        net[1].reportSnapshot(n(3), succeeded: true)
        net.tickAll(3)
        #expect(net[3].firstIndex == i(9))
        #expect(net[3].lastIndex == net[1].lastIndex)
        #expect(net[3].commitIndex == net[1].commitIndex)
        #expect(net[1].progress.map(\.match) == [net[1].lastIndex, net[1].lastIndex])
    }

    /// A failed transfer sends the peer back to probing; the snapshot is sent again later.
    @Test func failedSnapshotIsRetried() {
        var net = laggingNetwork()
        net.cut = [[1, 3]]
        net.tick(1)
        net[1].reportSnapshot(n(3), succeeded: false)
        net.heal()
        net.tick(1)
        let snapshots = net.delivered.filter { if case .snapshot = $0.message { true } else { false } }
        #expect(snapshots.count == 1)
        #expect(net[3].firstIndex == i(9))
    }
}
