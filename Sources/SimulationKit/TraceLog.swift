import Consensus

/// The last events of a simulation, kept cheaply (values, formatted only on failure).
struct TraceLog: Sendable {
    enum Record: Sendable {
        case tick(NodeID)
        case delivered(Envelope)
        case dropped(Envelope, String)
        case persisted(
            NodeID, entries: ClosedRange<LogIndex>?, hardState: HardState?, snapshot: LogIndex?,
            committed: ClosedRange<LogIndex>?, messages: Int)
        case role(NodeID, Role, Term, NodeID?)
        case note(String)
    }

    private var ring: TraceRing<Record>

    init(capacity: Int) { ring = TraceRing(capacity: capacity) }

    mutating func append(_ time: Int64, _ record: Record) { ring.append(time, record) }

    func formatted() -> String {
        ring.ordered.map { "  [\($0.time)] \(Self.describe($0.record))" }.joined(separator: "\n")
    }

    private static func describe(_ record: Record) -> String {
        switch record {
        case .tick(let id): return "tick \(id)"
        case .delivered(let e): return "deliver \(e)"
        case .dropped(let e, let why): return "drop (\(why)) \(e)"
        case .persisted(let id, let entries, let hs, let snap, let committed, let messages):
            var parts = ["persist \(id):"]
            if let snap { parts.append("snapshot \(snap)") }
            if let entries { parts.append("entries \(entries.lowerBound)...\(entries.upperBound)") }
            if let hs {
                parts.append("hs(\(hs.term), vote \(hs.vote.map(String.init(describing:)) ?? "-"), commit \(hs.commit))")
            }
            if let committed { parts.append("apply \(committed.lowerBound)...\(committed.upperBound)") }
            parts.append("send \(messages)")
            return parts.joined(separator: " ")
        case .role(let id, let role, let term, let leader):
            return "\(id) is \(role) in \(term), leader \(leader.map(String.init(describing:)) ?? "-")"
        case .note(let text): return text
        }
    }
}
