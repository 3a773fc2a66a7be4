package import Broker
package import KafkaZooKeeper
package import SegmentLog

/// The last events of a broker-replication run, kept as values and formatted only on failure.
package struct BrokerReplicationTrace: Sendable {
    package enum Record: Sendable {
        case fault(String)
        case znode(PartitionState, version: Int32, writer: String)
        case conflict(writer: String, expected: Int32, actual: Int32)
        case leading(BrokerID, LeaderEpoch, isr: [BrokerID], logEnd: LogOffset, highWatermark: LogOffset)
        case following(BrokerID, leader: BrokerID, epoch: Int32)
        case stopped(BrokerID, epoch: Int32)
        case truncated(BrokerID, from: LogOffset, to: LogOffset, completed: Bool)
        case highWatermark(BrokerID, LogOffset)
        case isrProposed(BrokerID, PartitionReplication.PendingChange)
        case isrResult(BrokerID, String)
        case appended(BrokerID, from: LogOffset, count: Int, epoch: LeaderEpoch)
        case replicated(BrokerID, from: LogOffset, count: Int, leaderHighWatermark: LogOffset)
        case acknowledged(BrokerID, from: LogOffset, count: Int)
        case refused(BrokerID, String)
        case read(BrokerID, from: LogOffset, count: Int)
    }

    private var ring: TraceRing<Record>

    init(capacity: Int) { ring = TraceRing(capacity: capacity) }

    mutating func append(_ time: Int64, _ record: Record) { ring.append(time, record) }

    func formatted() -> String {
        ring.ordered.map { "  [\($0.time) ms] \(Self.describe($0.record))" }.joined(separator: "\n")
    }

    private static func describe(_ record: Record) -> String {
        switch record {
        case .fault(let text): return "FAULT \(text)"
        case .znode(let state, let version, let writer):
            return "znode v\(version) by \(writer): leader \(state.leader) epoch \(state.leaderEpoch) isr \(state.isr)"
        case .conflict(let writer, let expected, let actual):
            return "znode write by \(writer) refused: expected v\(expected), is v\(actual)"
        case .leading(let b, let epoch, let isr, let end, let hw):
            return "b\(b) leads epoch \(epoch), isr \(isr), log end \(end), hw \(hw)"
        case .following(let b, let leader, let epoch): return "b\(b) follows b\(leader) in epoch \(epoch)"
        case .stopped(let b, let epoch): return "b\(b) neither leads nor follows (znode epoch \(epoch))"
        case .truncated(let b, let from, let to, let completed):
            return "b\(b) truncates \(from) -> \(to)\(completed ? "" : " (asks again)")"
        case .highWatermark(let b, let hw): return "b\(b) hw \(hw)"
        case .isrProposed(let b, let change): return "b\(b) proposes \(change)"
        case .isrResult(let b, let text): return "b\(b) ISR change \(text)"
        case .appended(let b, let from, let count, let epoch): return "b\(b) appends \(count) at \(from) in epoch \(epoch)"
        case .replicated(let b, let from, let count, let hw): return "b\(b) replicates \(count) at \(from), leader hw \(hw)"
        case .acknowledged(let b, let from, let count): return "b\(b) acknowledges \(count) at \(from)"
        case .refused(let b, let text): return "b\(b) refuses \(text)"
        case .read(let b, let from, let count): return "b\(b) serves a consumer \(count) at \(from)"
        }
    }
}
