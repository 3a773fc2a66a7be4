/// A leader's ReadIndex requests awaiting a heartbeat quorum (thesis §6.4; etcd `readOnly`).
///
/// Each request records the commit index when it arrived and gets a leader-local context number
/// carried by the heartbeats. A quorum of acknowledgements for one context confirms every request
/// queued before it as well: those heartbeats were sent after all of them arrived.
struct ReadOnlyQueue: Sendable {
    struct Request: Sendable {
        var context: UInt64
        var index: LogIndex
        /// The member that asked (the leader itself for local requests).
        var origin: NodeID
        var requestID: UInt64
        var acks: [NodeID]
    }

    private(set) var requests: [Request] = []
    /// Context numbers are never reused by one `RaftNode`, so a late acknowledgement of an old
    /// round can't confirm a new one.
    private var nextContext: UInt64 = 1

    var lastContext: UInt64? { requests.last?.context }
    var isEmpty: Bool { requests.isEmpty }

    mutating func add(index: LogIndex, origin: NodeID, requestID: UInt64, leader: NodeID) -> UInt64 {
        let context = nextContext
        nextContext += 1
        requests.append(Request(context: context, index: index, origin: origin, requestID: requestID, acks: [leader]))
        return context
    }

    /// Records `from`'s acknowledgement of `context`; returns the requests it confirms, in order.
    mutating func acknowledge(context: UInt64, from: NodeID, quorum: Int) -> [Request] {
        guard let position = requests.firstIndex(where: { $0.context == context }) else { return [] }
        if !requests[position].acks.contains(from) { requests[position].acks.append(from) }
        guard requests[position].acks.count >= quorum else { return [] }
        let confirmed = Array(requests[...position])
        requests.removeFirst(position + 1)
        return confirmed
    }

    /// Forgets every request (leadership lost); returns them.
    mutating func removeAll() -> [Request] {
        defer { requests = [] }
        return requests
    }
}
