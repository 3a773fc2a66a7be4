package import KafkaZooKeeper
package import SegmentLog

/// The leader's replication state of one partition (the leader half of Kafka's `Partition.scala`):
/// every follower's log end offset and last caught-up time, the ISR, the high watermark, and the
/// ISR changes to propose. Pure: time is an input, nothing is written; the partition driver writes
/// a proposed ISR change to the partition's state znode (version-checked) and reports the outcome.
///
/// The rules (reference/kafka.md; `Partition.updateFollowerFetchState`, `maybeExpandIsr`,
/// `maybeShrinkIsr`, `maybeIncrementLeaderHW`, `checkEnoughReplicasReachOffset`):
/// - A follower's fetch at offset `o` says its log ends at `o`. It was caught up at the time of this
///   fetch if `o` reached the leader's end then, and at the time of its previous fetch if `o` reached
///   the leader's end as of that one.
/// - The high watermark is the smallest log end offset among the leader and the followers in the
///   *maximal* ISR (the committed ISR plus a pending expansion: while an expansion is being written
///   the new member already counts, while a shrink is being written the leaving member still does).
///   It never moves back, and it advances only while the committed ISR has at least
///   `min.insync.replicas` members (Kafka 3.7, KAFKA-15583).
/// - A follower outside the ISR joins once its log end offset reaches the high watermark and the
///   start of the leader's epoch.
/// - A follower in the ISR that has not been caught up for `replica.lag.time.max.ms` leaves it.
/// - One ISR change is in flight at a time; the leader itself never leaves the ISR.
package struct PartitionReplication: Hashable, Sendable {
    /// What the leader knows of one follower.
    package struct Follower: Hashable, Sendable {
        /// Its log end offset, nil until its first fetch in this leader epoch (Kafka's UnknownOffset).
        package var logEndOffset: LogOffset?
        package var lastCaughtUpTimeMs: Int64
        /// The leader's log end offset, and the time, of the follower's previous fetch.
        package var lastFetchLeaderLogEndOffset: LogOffset?
        package var lastFetchTimeMs: Int64
    }

    /// An ISR change the driver is writing.
    package enum PendingChange: Hashable, Sendable {
        case expand(to: [BrokerID])
        case shrink(to: [BrokerID], removed: [BrokerID])

        package var isr: [BrokerID] {
            switch self {
            case .expand(let isr), .shrink(let isr, _): isr
            }
        }
    }

    /// What the driver should do after an input.
    package struct Update: Hashable, Sendable {
        /// The high watermark moved to this offset (checkpoint it, answer parked produces).
        package var highWatermark: LogOffset?
        /// Write this ISR to the partition state znode and report `isrChangeCommitted` or `isrChangeFailed`.
        package var proposeISR: PendingChange?

        package static let none = Update()
    }

    /// How a parked `acks=all` produce whose last record is at `requiredOffset - 1` stands.
    package enum AcksAllOutcome: Hashable, Sendable {
        /// The high watermark has not reached it yet.
        case waiting
        /// Every in-sync replica has it, and the ISR is large enough.
        case acknowledged
        /// The high watermark covers it but the ISR shrank below `min.insync.replicas` meanwhile.
        case notEnoughReplicasAfterAppend
    }

    package let leader: BrokerID
    package let leaderEpoch: LeaderEpoch
    /// The leader's log end offset when it took over this epoch (a joining follower must reach it).
    package let epochStartOffset: LogOffset
    package let minInsyncReplicas: Int
    package let replicaLagTimeMaxMs: Int64
    /// The committed ISR, as in the partition state znode; the leader first.
    package private(set) var isr: [BrokerID]
    package private(set) var pending: PendingChange?
    package private(set) var highWatermark: LogOffset
    package private(set) var leaderLogEndOffset: LogOffset
    package private(set) var followers: [BrokerID: Follower]

    /// The leader's state as it takes over `leaderEpoch`. Followers in the ISR count as caught up now,
    /// so that none leaves the ISR before it had `replica.lag.time.max.ms` to fetch (Kafka resets
    /// `lastCaughtUpTimeMs` the same way in `makeLeader`); their log end offsets are unknown until they
    /// fetch, which holds the high watermark where it was.
    package init(
        leader: BrokerID, leaderEpoch: LeaderEpoch, replicas: [BrokerID], isr: [BrokerID],
        logEndOffset: LogOffset, highWatermark: LogOffset, minInsyncReplicas: Int, replicaLagTimeMaxMs: Int64,
        nowMs: Int64
    ) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.epochStartOffset = logEndOffset
        self.minInsyncReplicas = max(minInsyncReplicas, 1)
        self.replicaLagTimeMaxMs = replicaLagTimeMaxMs
        self.isr = [leader] + isr.filter { $0 != leader && replicas.contains($0) }
        self.highWatermark = min(highWatermark, logEndOffset)
        self.leaderLogEndOffset = logEndOffset
        var followers: [BrokerID: Follower] = [:]
        for replica in replicas where replica != leader {
            followers[replica] = Follower(
                logEndOffset: nil, lastCaughtUpTimeMs: isr.contains(replica) ? nowMs : 0,
                lastFetchLeaderLogEndOffset: nil, lastFetchTimeMs: 0)
        }
        self.followers = followers
    }

    /// The ISR the high watermark waits for: the committed one plus a pending expansion's new member.
    package var maximalISR: [BrokerID] {
        guard case .expand(let expanded) = pending else { return isr }
        return expanded
    }

    /// Whether the committed ISR is smaller than `min.insync.replicas` (an acks=all produce is refused
    /// before its append with NOT_ENOUGH_REPLICAS).
    package var isUnderMinISR: Bool { isr.count < minInsyncReplicas }

    /// The leader appended: its log now ends at `logEndOffset`.
    package mutating func leaderAppended(logEndOffset: LogOffset) -> Update {
        leaderLogEndOffset = max(leaderLogEndOffset, logEndOffset)
        return Update(highWatermark: maybeAdvanceHighWatermark(), proposeISR: nil)
    }

    /// `replica` fetched at `fetchOffset` at `nowMs`. Fetches from a broker that is not a follower of
    /// this partition, or at an offset past the leader's end, change nothing (the fetch is answered
    /// with an error by the caller).
    package mutating func followerFetched(_ replica: BrokerID, fetchOffset: LogOffset, nowMs: Int64) -> Update {
        guard var follower = followers[replica], fetchOffset <= leaderLogEndOffset, fetchOffset.rawValue >= 0 else {
            return .none
        }
        if fetchOffset >= leaderLogEndOffset {
            follower.lastCaughtUpTimeMs = max(follower.lastCaughtUpTimeMs, nowMs)
        } else if let previous = follower.lastFetchLeaderLogEndOffset, fetchOffset >= previous {
            follower.lastCaughtUpTimeMs = max(follower.lastCaughtUpTimeMs, follower.lastFetchTimeMs)
        }
        follower.lastFetchLeaderLogEndOffset = leaderLogEndOffset
        follower.lastFetchTimeMs = nowMs
        follower.logEndOffset = fetchOffset
        followers[replica] = follower
        var update = Update(highWatermark: maybeAdvanceHighWatermark(), proposeISR: nil)
        if pending == nil, !isr.contains(replica), fetchOffset >= highWatermark, fetchOffset >= epochStartOffset {
            let change = PendingChange.expand(to: isr + [replica])
            pending = change
            update.proposeISR = change
            // The new member counts for the high watermark from now on; it is at or past it already.
        }
        return update
    }

    /// The partition's replica list now also names `replicas` within this leader epoch (a reassignment's
    /// new replicas, seen in the topic znode before or without a new leader epoch; Kafka's
    /// `Partition.updateAssignmentAndIsr`): those not known yet become followers that have not fetched.
    /// Replicas that left the list are kept until the next leader epoch: they may still be in the ISR.
    package mutating func replicasAssigned(_ replicas: [BrokerID]) {
        for replica in replicas where replica != leader && followers[replica] == nil {
            followers[replica] = Follower(
                logEndOffset: nil, lastCaughtUpTimeMs: 0, lastFetchLeaderLogEndOffset: nil, lastFetchTimeMs: 0)
        }
    }

    /// Time passed: followers in the ISR not caught up for `replica.lag.time.max.ms` are proposed for
    /// removal (`Partition.maybeShrinkIsr`, run every half lag time by Kafka's ReplicaManager).
    package mutating func checkLag(nowMs: Int64) -> Update {
        guard pending == nil else { return .none }
        let lagging = isr.filter { replica in
            guard replica != leader, let follower = followers[replica] else { return false }
            return nowMs - follower.lastCaughtUpTimeMs > replicaLagTimeMaxMs
        }
        guard !lagging.isEmpty else { return .none }
        let change = PendingChange.shrink(to: isr.filter { !lagging.contains($0) }, removed: lagging)
        pending = change
        return Update(highWatermark: nil, proposeISR: change)
    }

    /// The pending ISR change is in the partition state znode.
    package mutating func isrChangeCommitted() -> Update {
        guard let change = pending else { return .none }
        isr = change.isr
        pending = nil
        // A shrink can let the high watermark advance (the slow follower no longer holds it back), and
        // either change can bring the ISR back to min.insync.replicas.
        return Update(highWatermark: maybeAdvanceHighWatermark(), proposeISR: nil)
    }

    /// The write was refused (the znode's version moved: the controller or a newer leader changed the
    /// state). The driver re-reads the state; a leader whose epoch moved on steps down. Until then the
    /// committed ISR stands and a new change may be proposed.
    package mutating func isrChangeFailed() {
        pending = nil
    }

    /// How a parked `acks=all` produce that needs the high watermark at `requiredOffset` stands
    /// (`Partition.checkEnoughReplicasReachOffset`).
    package func acksAllOutcome(requiredOffset: LogOffset) -> AcksAllOutcome {
        guard highWatermark >= requiredOffset else { return .waiting }
        return isUnderMinISR ? .notEnoughReplicasAfterAppend : .acknowledged
    }

    /// Moves the high watermark to the smallest log end offset in the maximal ISR, never back, and only
    /// while the committed ISR is at least `min.insync.replicas`; returns it when it moved.
    private mutating func maybeAdvanceHighWatermark() -> LogOffset? {
        guard !isUnderMinISR else { return nil }
        var candidate = leaderLogEndOffset
        for replica in maximalISR where replica != leader {
            // A follower in the ISR that has not fetched in this epoch holds the mark where it is.
            guard let end = followers[replica]?.logEndOffset else { return nil }
            candidate = min(candidate, end)
        }
        guard candidate > highWatermark else { return nil }
        highWatermark = candidate
        return candidate
    }
}
