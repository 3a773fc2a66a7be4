import Consensus
import Testing

/// A member whose storage was wiped (ZooKeeper operators delete a member's dataDir to rebuild
/// it) comes back with an empty log. Raft assumes durable state is never lost, so a leader
/// following etcd's rules treats the member's rejections as stale and never resends what it
/// "already" acknowledged; Paddock's leader starts the member over instead.
@Suite struct WipedFollowerTests {
    private func networkWithWipedFollower(compactThrough: Int64?) -> TestNetwork {
        var net = TestNetwork(size: 3)
        net.campaign(1)
        for k in 0..<10 { _ = net[1].propose(payload("p\(k)")) }
        net.settle()
        #expect(net[3].lastIndex == net[1].lastIndex)
        if let compactThrough { net[1].compact(through: i(compactThrough)) }
        // Member 3 restarts with nothing: a fresh node with the same id.
        net[3] = makeNode(3)
        return net
    }

    @Test func leaderResendsTheLogToAMemberThatLostIt() {
        var net = networkWithWipedFollower(compactThrough: nil)
        for _ in 0..<3 { net.tick(1, 1) }  // heartbeats: 3 learns the leader and rejects
        #expect(net[3].lastIndex == net[1].lastIndex)
        #expect(net[3].commitIndex == net[1].commitIndex)
        #expect(net[3].entries(from: i(2), maxCount: 20).map(\.payload) == net[1].entries(from: i(2), maxCount: 20).map(\.payload))
    }

    @Test func leaderSendsASnapshotWhenTheLostEntriesAreCompacted() {
        var net = networkWithWipedFollower(compactThrough: 8)
        for _ in 0..<3 { net.tick(1, 1) }
        let snapshots = net.delivered.filter {
            if case .snapshot = $0.message { $0.to == n(3) } else { false }
        }
        #expect(snapshots.map(\.message) == [.snapshot(SnapshotMetadata(index: i(8), term: t(1)))])
    }
}
