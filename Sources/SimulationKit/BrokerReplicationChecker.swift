import Broker
package import KafkaZooKeeper
package import SegmentLog

/// The safety properties of Kafka replication (acks=all, clean elections only), checked by
/// `BrokerReplicationSimulation` after every event. The first violation is kept.
///
/// - (a) Every record acknowledged to an acks=all producer is, unchanged and at its offset, in the
///   log of the partition's leader (as the state znode names it) whenever there is one.
/// - (b) At most one broker serves as leader in any leader epoch.
/// - (c) A record a consumer read (below the leader's high watermark) is, unchanged and at its
///   offset, in the log of every later leader.
/// - (d) The ISR in the state znode never names a broker whose log lacks an acknowledged (or read)
///   record, or holds another one at its offset.
///
/// Acknowledged and read records form one map of committed offsets. Each broker's log has a
/// `verified` prefix known to agree with it; a truncation or a newly committed offset lowers it, and
/// checks only extend it, so the check after each event costs little.
package struct BrokerReplicationChecker: Sendable {
    /// What is known about one committed offset.
    package struct Committed: Hashable, Sendable {
        package var record: SimulatedRecord
        /// The leader epoch in which it was first acknowledged or read.
        package var epoch: LeaderEpoch
        package var acknowledged: Bool
    }

    /// Committed records by offset (nil: nothing committed is known there yet).
    package private(set) var committed: [Committed?] = []
    /// Per broker: every committed offset below it agrees with its log, which reaches it.
    private var verified: [BrokerID: Int] = [:]
    /// (b): the broker that served each leader epoch.
    private var leaders: [LeaderEpoch: BrokerID] = [:]
    package private(set) var violation: String?
    package private(set) var acknowledgedCount = 0
    package private(set) var readCount = 0

    package init() {}

    /// Records a violation (the first one wins).
    package mutating func fail(_ message: @autoclosure () -> String) {
        if violation == nil { violation = message() }
    }

    /// The end of the committed offsets known so far.
    package var committedEnd: LogOffset { LogOffset(Int64(committed.count)) }

    // MARK: - Observations

    /// `broker` started serving as leader in `epoch` (b).
    package mutating func observeServing(_ broker: BrokerID, epoch: LeaderEpoch) {
        if let other = leaders[epoch], other != broker {
            fail("(b) brokers \(other) and \(broker) both served as leader in epoch \(epoch)")
        }
        leaders[epoch] = broker
    }

    /// The leader in `epoch` acknowledged (`acknowledged`) or served to a consumer (`!acknowledged`)
    /// `records` from `offset`.
    package mutating func observeCommitted(
        _ records: [SimulatedRecord], from offset: LogOffset, epoch: LeaderEpoch, acknowledged: Bool, by broker: BrokerID
    ) {
        let kind = acknowledged ? "acknowledged" : "read by a consumer"
        for (k, record) in records.enumerated() {
            let i = Int(offset.rawValue) + k
            if acknowledged { acknowledgedCount += 1 } else { readCount += 1 }
            if i < committed.count, let known = committed[i] {
                if known.record != record {
                    fail(
                        "\(acknowledged ? "(a)" : "(c)") offset \(i) \(kind) as \(record) by \(broker) in epoch \(epoch), "
                            + "but it was \(known.acknowledged ? "acknowledged" : "read") as \(known.record) in epoch \(known.epoch)")
                }
                if acknowledged && !known.acknowledged { committed[i]!.acknowledged = true }
                continue
            }
            while committed.count <= i { committed.append(nil) }
            committed[i] = Committed(record: record, epoch: epoch, acknowledged: acknowledged)
            for (id, end) in verified where end > i { verified[id] = i }
        }
    }

    /// `broker`'s log was truncated to end at `offset`.
    package mutating func observeTruncated(_ broker: BrokerID, to offset: LogOffset) {
        if let end = verified[broker], end > Int(offset.rawValue) { verified[broker] = Int(offset.rawValue) }
    }

    // MARK: - Checks

    /// (a), (c), (d): the leader and every ISR member of `state` hold every committed record.
    package mutating func check(state: PartitionState?, logs: (BrokerID) -> SimulatedPartitionLog?) {
        guard let state else { return }
        if state.leader != .noLeader, let log = logs(state.leader) {
            checkHolds(state.leader, log, role: "leader in epoch \(state.leaderEpoch)", property: "(a)/(c)")
        }
        for member in state.isr where member != state.leader {
            guard let log = logs(member) else { continue }
            checkHolds(member, log, role: "in ISR \(state.isr) of epoch \(state.leaderEpoch)", property: "(d)")
        }
    }

    private mutating func checkHolds(_ broker: BrokerID, _ log: SimulatedPartitionLog, role: String, property: String) {
        var end = verified[broker] ?? 0
        defer { verified[broker] = end }
        while end < committed.count {
            guard let own = log.record(at: LogOffset(Int64(end))) else {
                let message =
                    "\(property) broker \(broker), \(role), has log end \(log.logEndOffset) but offset \(end) was "
                    + describe(end)
                fail(message)
                return
            }
            if let known = committed[end], known.record != own {
                let message = "\(property) broker \(broker), \(role), has \(own) at offset \(end), which was " + describe(end)
                fail(message)
                return
            }
            end += 1
        }
    }

    private func describe(_ offset: Int) -> String {
        guard let known = committed[offset] else { return "committed (a later offset was acknowledged or read)" }
        return "\(known.acknowledged ? "acknowledged" : "read") as \(known.record) in epoch \(known.epoch)"
    }

    /// The leader-epoch cache of `broker` agrees with its log: every entry below the log end starts
    /// at a record of its epoch after a record of an older one, and record epochs never go back.
    package mutating func checkEpochs(_ broker: BrokerID, _ log: SimulatedPartitionLog) {
        for entry in log.epochs.entries where entry.startOffset < log.logEndOffset {
            let at = log.record(at: entry.startOffset)!
            let before = entry.startOffset.rawValue > 0 ? log.record(at: LogOffset(entry.startOffset.rawValue - 1)) : nil
            if at.epoch != entry.epoch || (before.map { $0.epoch >= entry.epoch } ?? false) {
                fail(
                    "broker \(broker): epoch cache \(log.epochs.entries.map { "\($0.epoch)@\($0.startOffset)" }) "
                        + "disagrees with its log at offset \(entry.startOffset)")
                return
            }
        }
    }
}
