package import NIOCore

/// One entry of the replicated log (Raft §5.3).
package struct LogEntry: Hashable, Sendable {
    package var index: LogIndex
    package var term: Term
    /// The application's bytes. Empty for the no-op a new leader appends (Raft §8).
    package var payload: ByteBuffer

    package init(index: LogIndex, term: Term, payload: ByteBuffer) {
        self.index = index
        self.term = term
        self.payload = payload
    }
}

/// The state a member must persist before it answers anyone (Raft Figure 2 "persistent state"):
/// the current term, the vote cast in it, and the highest index known committed.
package struct HardState: Hashable, Sendable {
    package var term: Term
    package var vote: NodeID?
    package var commit: LogIndex

    package init(term: Term = .zero, vote: NodeID? = nil, commit: LogIndex = .zero) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// Identifies an application snapshot: it contains the effect of every entry up to and including
/// `index`, whose term is `term` (Raft §7). The bytes are the application's business.
package struct SnapshotMetadata: Hashable, Sendable {
    package var index: LogIndex
    package var term: Term

    package init(index: LogIndex, term: Term) {
        self.index = index
        self.term = term
    }
}

/// Everything a member reads back from disk at start-up to rebuild its `RaftNode`.
package struct PersistedRaftState: Sendable {
    package var hardState: HardState
    /// The latest snapshot the log was compacted to, if any.
    package var snapshot: SnapshotMetadata?
    /// The log entries after the snapshot (or from index 1), contiguous.
    package var entries: [LogEntry]
    /// The index the application's durable state already reflects (for Keeper: the applied index
    /// stored with the tree). `nil` means the snapshot index (or zero): every committed entry after
    /// it is handed out again in `Ready.committed`. Must lie between the snapshot index and the
    /// commit index.
    package var applied: LogIndex?

    package init(
        hardState: HardState = HardState(),
        snapshot: SnapshotMetadata? = nil,
        entries: [LogEntry] = [],
        applied: LogIndex? = nil
    ) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
        self.applied = applied
    }

    /// A member that has never run.
    package static let empty = PersistedRaftState()
}
