import KafkaZooKeeper
import SegmentLog
import Testing

@testable import Broker

/// The leader's replication rules (`PartitionReplication`) and the follower's truncation rule
/// (`FollowerTruncation`), input by input (issue 9).
@Suite struct PartitionReplicationTests {
    static func leader(
        replicas: [BrokerID] = [1, 2, 3], isr: [BrokerID] = [1, 2, 3], logEnd: LogOffset = 10, hw: LogOffset = 10,
        minISR: Int = 2, lag: Int64 = 30_000, now: Int64 = 1_000
    ) -> PartitionReplication {
        PartitionReplication(
            leader: 1, leaderEpoch: 5, replicas: replicas, isr: isr, logEndOffset: logEnd, highWatermark: hw,
            minInsyncReplicas: minISR, replicaLagTimeMaxMs: lag, nowMs: now)
    }

    // MARK: - High watermark

    @Test func highWatermarkIsTheSmallestLogEndOffsetInTheISRAndNeverMovesBack() {
        var p = Self.leader()
        #expect(p.leaderAppended(logEndOffset: 20).highWatermark == nil, "followers have not fetched in this epoch")
        #expect(p.followerFetched(2, fetchOffset: 15, nowMs: 1_100).highWatermark == nil, "follower 3 unknown")
        #expect(p.followerFetched(3, fetchOffset: 12, nowMs: 1_100).highWatermark == 12)
        #expect(p.followerFetched(3, fetchOffset: 18, nowMs: 1_200).highWatermark == 15)
        #expect(p.followerFetched(2, fetchOffset: 20, nowMs: 1_300).highWatermark == 18)
        // A follower that fetches from an older offset (it truncated) cannot pull the mark back.
        #expect(p.followerFetched(3, fetchOffset: 11, nowMs: 1_400).highWatermark == nil)
        #expect(p.highWatermark == 18)
    }

    /// A replica added to the list within the leader epoch (a reassignment) is followed and may join.
    @Test func aReplicaAssignedWithinTheEpochCanJoinTheISR() {
        var p = Self.leader(replicas: [1, 2], isr: [1, 2])
        #expect(p.followerFetched(3, fetchOffset: 10, nowMs: 1_100) == .none, "not a replica yet")
        p.replicasAssigned([2, 3, 1])
        #expect(p.followerFetched(2, fetchOffset: 10, nowMs: 1_100).proposeISR == nil)
        #expect(p.followerFetched(3, fetchOffset: 10, nowMs: 1_100).proposeISR == .expand(to: [1, 2, 3]))
    }

    @Test func highWatermarkStaysWhileTheISRIsBelowMinInsyncReplicas() {
        var p = Self.leader(isr: [1], minISR: 2)
        #expect(p.isUnderMinISR)
        #expect(p.leaderAppended(logEndOffset: 20).highWatermark == nil)
        #expect(p.highWatermark == 10)
        // Follower 2 reaches the high watermark and the leader's epoch start: it is proposed.
        let update = p.followerFetched(2, fetchOffset: 10, nowMs: 1_100)
        #expect(update.proposeISR == .expand(to: [1, 2]))
        #expect(update.highWatermark == nil, "the committed ISR is still below min.insync.replicas")
        #expect(p.isrChangeCommitted().highWatermark == nil, "follower 2 is at 10")
        #expect(p.followerFetched(2, fetchOffset: 20, nowMs: 1_200).highWatermark == 20)
    }

    @Test func aPendingExpansionAlreadyHoldsTheHighWatermark() {
        var p = Self.leader(isr: [1, 2], minISR: 1)
        _ = p.followerFetched(2, fetchOffset: 10, nowMs: 1_050)
        #expect(p.followerFetched(3, fetchOffset: 10, nowMs: 1_100).proposeISR == .expand(to: [1, 2, 3]))
        _ = p.leaderAppended(logEndOffset: 30)
        #expect(p.followerFetched(2, fetchOffset: 30, nowMs: 1_200).highWatermark == nil, "3 counts while pending")
        #expect(p.followerFetched(3, fetchOffset: 25, nowMs: 1_300).highWatermark == 25)
        #expect(p.isrChangeCommitted() == .none)
        #expect(p.isr == [1, 2, 3])
    }

    @Test func aJoiningFollowerMustReachTheLeadersEpochStart() {
        var p = Self.leader(isr: [1, 2], logEnd: 50, hw: 40, minISR: 1)
        // At the high watermark but below the offset this leader's epoch started at: not yet.
        #expect(p.followerFetched(3, fetchOffset: 45, nowMs: 1_100).proposeISR == nil)
        #expect(p.followerFetched(3, fetchOffset: 50, nowMs: 1_200).proposeISR == .expand(to: [1, 2, 3]))
    }

    // MARK: - ISR shrink

    @Test func aFollowerLeavesTheISROnlyAfterTheLagTimeWithoutCatchingUp() {
        var p = Self.leader(lag: 10_000, now: 0)
        _ = p.leaderAppended(logEndOffset: 20)
        _ = p.followerFetched(2, fetchOffset: 20, nowMs: 5_000)
        _ = p.followerFetched(3, fetchOffset: 15, nowMs: 5_000)  // behind, and never caught up since 0
        #expect(p.checkLag(nowMs: 10_000) == .none)
        let shrink = p.checkLag(nowMs: 10_001)
        #expect(shrink.proposeISR == .shrink(to: [1, 2], removed: [3]))
        // Until the write lands, 3 still holds the high watermark.
        #expect(p.highWatermark == 15)
        #expect(p.isrChangeCommitted().highWatermark == 20)
        #expect(p.isr == [1, 2])
    }

    @Test func aFollowerThatReachesThePreviousFetchsEndCountsAsCaughtUpThen() {
        var p = Self.leader(lag: 10_000, now: 0)
        _ = p.leaderAppended(logEndOffset: 20)
        _ = p.followerFetched(2, fetchOffset: 20, nowMs: 0)
        _ = p.followerFetched(3, fetchOffset: 10, nowMs: 8_000)  // leader was at 20 then
        _ = p.leaderAppended(logEndOffset: 30)
        // Under steady load the follower never sees the leader's current end, but it reached the end the
        // leader had at its previous fetch: caught up as of 8,000.
        _ = p.followerFetched(3, fetchOffset: 20, nowMs: 9_000)
        #expect(p.followers[3]?.lastCaughtUpTimeMs == 8_000)
        _ = p.followerFetched(2, fetchOffset: 30, nowMs: 17_000)
        #expect(p.checkLag(nowMs: 17_500) == .none)
        #expect(p.checkLag(nowMs: 18_001).proposeISR == .shrink(to: [1, 2], removed: [3]))
    }

    @Test func aRefusedISRWriteLeavesTheCommittedISRAndAllowsANewProposal() {
        var p = Self.leader(lag: 10_000, now: 0)
        #expect(p.checkLag(nowMs: 10_001).proposeISR == .shrink(to: [1], removed: [2, 3]))
        #expect(p.checkLag(nowMs: 10_002) == .none, "one change in flight at a time")
        p.isrChangeFailed()
        #expect(p.isr == [1, 2, 3])
        #expect(p.checkLag(nowMs: 10_003).proposeISR == .shrink(to: [1], removed: [2, 3]))
    }

    @Test func theLeaderNeverLeavesAndStrangersChangeNothing() {
        var p = Self.leader(replicas: [1, 2], isr: [1, 2], lag: 1, now: 0)
        #expect(p.followerFetched(9, fetchOffset: 10, nowMs: 1) == .none)
        #expect(p.followerFetched(2, fetchOffset: 11, nowMs: 1) == .none, "past the leader's end")
        #expect(p.checkLag(nowMs: 100).proposeISR == .shrink(to: [1], removed: [2]))
    }

    // MARK: - acks=all

    @Test func acksAllWaitsForTheHighWatermarkThenChecksTheISR() {
        var p = Self.leader(minISR: 2)
        _ = p.leaderAppended(logEndOffset: 13)
        #expect(p.acksAllOutcome(requiredOffset: 13) == .waiting)
        _ = p.followerFetched(2, fetchOffset: 13, nowMs: 1_100)
        #expect(p.acksAllOutcome(requiredOffset: 13) == .waiting, "3 is in the ISR and has not fetched")
        _ = p.followerFetched(3, fetchOffset: 13, nowMs: 1_100)
        #expect(p.acksAllOutcome(requiredOffset: 13) == .acknowledged)

        // Both followers fall behind and leave the ISR after a produce's offset was covered: that produce
        // reports the shrink, and one appended after the shrink waits (the mark stops under min ISR).
        var q = Self.leader(minISR: 2, lag: 10_000, now: 0)
        _ = q.leaderAppended(logEndOffset: 12)
        _ = q.followerFetched(2, fetchOffset: 12, nowMs: 1)
        _ = q.followerFetched(3, fetchOffset: 12, nowMs: 1)
        _ = q.checkLag(nowMs: 20_000)
        _ = q.isrChangeCommitted()
        #expect(q.isr == [1])
        #expect(q.acksAllOutcome(requiredOffset: 12) == .notEnoughReplicasAfterAppend)
        _ = q.leaderAppended(logEndOffset: 14)
        #expect(q.acksAllOutcome(requiredOffset: 14) == .waiting)
    }

    // MARK: - Truncation (KIP-101, KIP-279)

    static func cache(_ entries: [(Int32, Int64)]) -> LeaderEpochCache {
        var cache = LeaderEpochCache()
        for (epoch, start) in entries { cache.assign(epoch: LeaderEpoch(epoch), startOffset: LogOffset(start)) }
        return cache
    }

    /// KIP-101 scenario 1: the follower restarts with a high watermark behind its log end; truncating
    /// to the high watermark would drop a record the leader has. With epochs nothing is dropped.
    @Test func aRestartedFollowerKeepsWhatTheLeaderHas() {
        let follower = Self.cache([(0, 0)])
        let decision = FollowerTruncation.decide(
            epochs: follower, logEndOffset: 2, highWatermark: 1, answer: .epochEnd(epoch: 0, endOffset: 2))
        #expect(decision == .init(truncateTo: 2, completed: true))
    }

    /// KIP-101 scenario 2: both brokers lose power; the one that comes back first leads in a new epoch
    /// with a different record at offset 1. The other must drop its own record at 1, not keep it.
    @Test func aFollowerDropsWhatItWroteInAnEpochTheLeaderEndedEarlier() {
        let follower = Self.cache([(0, 0)])
        let decision = FollowerTruncation.decide(
            epochs: follower, logEndOffset: 2, highWatermark: 1, answer: .epochEnd(epoch: 0, endOffset: 1))
        #expect(decision == .init(truncateTo: 1, completed: true))
    }

    /// KIP-279: the follower's latest epoch is one the leader never had. The leader answers with an
    /// older epoch; the follower truncates to its own end of that epoch and asks again.
    @Test func divergingEpochsTakeSeveralRounds() {
        // Follower: epoch 1 from 0, epoch 3 from 5 (it led briefly in 3); log ends at 8.
        var follower = Self.cache([(1, 0), (3, 5)])
        // Leader: epoch 1 from 0, epoch 2 from 6, epoch 4 from 9. Asked for epoch 3: its largest ≤ 3 is 2,
        // which ended at 9.
        let first = FollowerTruncation.decide(
            epochs: follower, logEndOffset: 8, highWatermark: 4, answer: .epochEnd(epoch: 2, endOffset: 9))
        // The follower has no epoch 2; its largest below is 1, which ended at 5.
        #expect(first == .init(truncateTo: 5, completed: false))
        follower.truncateFromEnd(5)
        // Asked for epoch 1, the leader says it ended at 6.
        let second = FollowerTruncation.decide(
            epochs: follower, logEndOffset: 5, highWatermark: 4, answer: .epochEnd(epoch: 1, endOffset: 6))
        #expect(second == .init(truncateTo: 5, completed: true))
    }

    @Test func aLeaderWithoutEpochsFallsBackToTheHighWatermark() {
        let decision = FollowerTruncation.decide(
            epochs: Self.cache([(0, 0)]), logEndOffset: 9, highWatermark: 7, answer: .undefined)
        #expect(decision == .init(truncateTo: 7, completed: true))
    }
}
