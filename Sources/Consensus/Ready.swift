/// The role of a member (Raft §5.1, plus pre-vote's pre-candidate).
package enum Role: Hashable, Sendable, CustomStringConvertible {
    case follower, preCandidate, candidate, leader

    package var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// The outcome of `RaftNode.propose`.
package enum ProposeResult: Hashable, Sendable {
    /// Appended at this index and term; it commits later, or is lost if leadership changes.
    case accepted(LogIndex, Term)
    /// Not the leader (or a leadership transfer is under way: then `leader` is `nil`). Forward to
    /// `leader` if known, else retry later.
    case notLeader(leader: NodeID?)
}

/// The outcome of `RaftNode.readIndex`.
package enum ReadIndexResult: Hashable, Sendable {
    /// The request is under way; its answer comes in `Ready.readStates` or `Ready.droppedReads`.
    case pending
    /// No leader is known: retry later. The request is not remembered.
    case noLeader
}

/// Everything a `RaftNode` asks its driver to do, in order (etcd's `Ready`): persist
/// `snapshot`, then `entries`, then `hardState`; only then send `messages`; then apply
/// `committed`; then call `advance()`.
package struct Ready: Sendable {
    /// Persist when non-nil.
    package var hardState: HardState?
    /// Append. If `entries[0].index` is at or below the last persisted index, first drop the
    /// persisted entries from that index on (conflict truncation, Raft §5.3).
    package var entries: [LogEntry]
    /// Follower: a received snapshot to install (the driver already holds its data). Persist it
    /// first: the log is reset to it, and `entries` (if any) follow it.
    package var snapshot: SnapshotMetadata?
    /// Send only after `hardState`, `entries` and `snapshot` are durable.
    package var messages: [Envelope]
    /// Apply in order. Never includes entries covered by `snapshot`.
    package var committed: [LogEntry]
    /// ReadIndex confirmations: a read for `requestID` is linearizable once applied >= `index`.
    package var readStates: [(requestID: UInt64, index: LogIndex)]
    /// ReadIndex requests this node gave up on (leadership or term changed while they were
    /// pending): the driver retries them. A forwarded request whose message is lost is not
    /// reported: drivers also time reads out.
    package var droppedReads: [UInt64]
    /// Set when role, leader or term changed since the last `Ready`.
    package var softState: (role: Role, leader: NodeID?, term: Term)?

    package init(
        hardState: HardState? = nil,
        entries: [LogEntry] = [],
        snapshot: SnapshotMetadata? = nil,
        messages: [Envelope] = [],
        committed: [LogEntry] = [],
        readStates: [(requestID: UInt64, index: LogIndex)] = [],
        droppedReads: [UInt64] = [],
        softState: (role: Role, leader: NodeID?, term: Term)? = nil
    ) {
        self.hardState = hardState
        self.entries = entries
        self.snapshot = snapshot
        self.messages = messages
        self.committed = committed
        self.readStates = readStates
        self.droppedReads = droppedReads
        self.softState = softState
    }

    package var isEmpty: Bool {
        hardState == nil && entries.isEmpty && snapshot == nil && messages.isEmpty && committed.isEmpty
            && readStates.isEmpty && droppedReads.isEmpty && softState == nil
    }
}
