package import Consensus
package import ZNodeTree
package import ZooKeeperWire

/// What one output needs written to a member's log before its messages may go out: entries and
/// hard state, or a snapshot install (which replaces the tree rows, sessions and log).
/// Storage-neutral: the server turns it into SQLite rows, the simulator into its fake disk.
package struct ReplicaWrite: Sendable {
    /// New log rows; rows at and after the first one's index are replaced (conflict truncation).
    package var entries: [LogEntry] = []
    package var hardState: HardState?
    /// Tree rows (nil node: deleted), without children. Only a snapshot install carries them in
    /// the pipeline (everything else goes in a `ReplicaCheckpoint`).
    package var nodes: [(path: String, node: ZNode?)] = []
    package var sessions: [(id: SessionID, record: SessionRecord?)] = []
    /// A snapshot install: every tree row, session and log row is replaced by this write's.
    package var replaceTree = false
    /// How far the tree rows in this write (and all earlier ones) reflect the log.
    package var applied: AppliedMark?
    /// Log rows at or below this index may be dropped: a durable checkpoint (or this write's own
    /// tree rows) reflects them. The log file has one writer, the commit path: a checkpoint that
    /// compacted it from its own thread took the file's write lock beside the group commit, and
    /// each waited for the other in SQLite's busy handler (sleeps of 1 ms and up).
    package var compactThrough: LogIndex?

    package init() {}

    /// Whether the write has tree rows or a mark for the tree file (a snapshot install's), not
    /// only log rows and hard state.
    package var touchesTree: Bool {
        replaceTree || !nodes.isEmpty || !sessions.isEmpty || applied != nil
    }

    package var isEmpty: Bool {
        entries.isEmpty && hardState == nil && !touchesTree && compactThrough == nil
    }
}

/// The tree rows that changed since the previous checkpoint, as of one log mark: written beside
/// the log, not in front of it, so a group commit is the log append alone. A restart loads the
/// newest durable checkpoint and replays the log after its mark. Once it is durable, the next
/// log write drops the rows it covers (`ReplicaWrite.compactThrough`).
package struct ReplicaCheckpoint: Sendable {
    package var nodes: [(path: String, node: ZNode?)] = []
    package var sessions: [(id: SessionID, record: SessionRecord?)] = []
    /// How far these rows (and every earlier checkpoint's) reflect the log.
    package var applied: AppliedMark
    /// How many znodes the tree holds at this mark: a restart sizes its tables from it.
    package var nodeCount: Int?

    package init(applied: AppliedMark, nodeCount: Int? = nil) {
        self.applied = applied
        self.nodeCount = nodeCount
    }
}

/// The driver contract between a `ReplicaNode` and its storage, shared by `ReplicaDriver` and
/// the simulator so both run the same rules: which output must be written, what goes into the
/// write, when its messages may leave, and in which order outputs are confirmed.
///
/// Several outputs may be in flight (etcd's asynchronous storage writes). Storage executes writes
/// in the order they were taken; an output's messages leave once its write and every earlier one
/// are durable, except a leader's, which replicates while it writes (Raft §10.2.1) once its term
/// and vote are durable. Committed entries are applied (and clients answered) when an output is
/// taken: they are durable on a majority already, and a leader that counts a quorum of followers
/// commits without waiting for its own disk.
package struct ReplicaPipeline: Sendable {
    /// One output taken from the node, and what the driver does with it now.
    package struct Step: Sendable {
        package var output: ReplicaOutput
        /// Submit to storage, then call `completed(ticket:)`; `nil`: nothing to write.
        package var write: ReplicaWrite?
        package var ticket: UInt64
        /// Messages to send right away (the leader's, or once nothing earlier is in flight).
        package var sendNow: [(to: Int32, message: PeerMessage)]
        /// Tree rows to write beside the log, then call `checkpointed()`; at most one is in
        /// flight, and nothing waits for it.
        package var checkpoint: ReplicaCheckpoint?
    }

    private struct InFlight: Sendable {
        var ticket: UInt64
        var messages: [(to: Int32, message: PeerMessage)]
        var done: Bool
        var termVote: (term: Term, vote: NodeID?)?
    }

    /// Outputs written at once at most (one being written, the rest queued behind it).
    package var maxInFlight: Int
    /// The least time between two checkpoints (0: the next as soon as the previous is durable).
    /// The log covers the rows not yet checkpointed at a restart.
    package var treeFlushIntervalMillis: Int64
    /// A checkpoint is being written.
    private var checkpointInFlight = false
    /// The mark of the newest checkpoint handed out.
    private var checkpointIndex: LogIndex = .zero
    /// How far the log may be compacted once the checkpoint in flight is durable; once the newest
    /// durable one is; and how far a write handed to storage compacts it already.
    private var compactableInFlight: LogIndex = .zero
    private var compactable: LogIndex = .zero
    private var compacted: LogIndex = .zero
    private var inFlight: [InFlight] = []
    private var nextTicket: UInt64 = 1
    /// The term and vote storage holds, and the newest one handed to it.
    private var durableTermVote: (term: Term, vote: NodeID?)
    private var submittedTermVote: (term: Term, vote: NodeID?)
    private var lastTreeFlushMillis: Int64

    package init(
        loadedHardState: HardState, monotonicMillis: Int64, maxInFlight: Int = 4, treeFlushIntervalMillis: Int64 = 0
    ) {
        self.maxInFlight = max(1, maxInFlight)
        self.treeFlushIntervalMillis = max(0, treeFlushIntervalMillis)
        self.durableTermVote = (loadedHardState.term, loadedHardState.vote)
        self.submittedTermVote = durableTermVote
        self.lastTreeFlushMillis = monotonicMillis
    }

    /// Takes the node's next output if it has one and the pipeline has room.
    package mutating func take(from node: inout ReplicaNode, monotonicMillis now: Int64) -> Step? {
        guard inFlight.count < maxInFlight, node.hasOutput else { return nil }
        let output = node.takeOutput(monotonicMillis: now)
        let ticket = nextTicket
        nextTicket += 1
        var write = ReplicaWrite()
        var durable = !output.entries.isEmpty || output.installedSnapshot != nil
        write.entries = output.entries
        if let hard = output.hardState {
            // Term and vote must be durable before any message that depends on them goes out;
            // the commit index alone need not be (it is learned again from the leader).
            if (hard.term, hard.vote) != submittedTermVote { durable = true }
            write.hardState = hard
        }
        if let metadata = output.installedSnapshot {
            _ = node.takeDirtyRows()
            write.replaceTree = true
            write.nodes = node.tree.nodes.keys.sorted().map { ($0, node.tree.row($0)) }
            write.sessions = node.tree.sessions.keys.sorted().map { ($0, node.tree.sessions[$0]) }
            write.applied = AppliedMark(index: metadata.index, term: metadata.term, zxid: node.tree.lastZxid)
            // A checkpoint still in flight holds an older mark: storage keeps the newer rows.
            checkpointIndex = max(checkpointIndex, metadata.index)
        }
        let checkpoint = output.installedSnapshot == nil ? checkpointIfDue(from: &node, monotonicMillis: now) : nil
        let termVote = write.hardState.map { ($0.term, $0.vote) }
        if durable, let termVote { submittedTermVote = termVote }
        // A leader replicates while it writes, as long as no term or vote of its is still on the
        // way to disk (it counts its own copy only once `persisted()` confirms it).
        let leaderSendsFirst =
            node.isLeader && output.installedSnapshot == nil && submittedTermVote == durableTermVote
        let queued = leaderSendsFirst ? [] : output.messages
        let sendFirst = leaderSendsFirst ? output.messages : []
        if write.isEmpty || (!durable && write.nodes.isEmpty && write.sessions.isEmpty) {
            // Nothing to write: it completes once everything before it has.
            inFlight.append(InFlight(ticket: ticket, messages: queued, done: true, termVote: nil))
            return Step(
                output: output, write: nil, ticket: ticket, sendNow: drainCompleted(node: &node) + sendFirst,
                checkpoint: checkpoint)
        }
        if output.installedSnapshot == nil, compactable > compacted {
            // Storage runs writes in order, so this one drops rows only a durable checkpoint covers.
            write.compactThrough = compactable
            compacted = compactable
        }
        inFlight.append(InFlight(ticket: ticket, messages: queued, done: false, termVote: durable ? termVote : nil))
        return Step(output: output, write: write, ticket: ticket, sendNow: sendFirst, checkpoint: checkpoint)
    }

    /// The checkpoint handed out last is durable. (One that fails stops the member: its rows
    /// were taken from the tree's dirty set.)
    package mutating func checkpointed() {
        checkpointInFlight = false
        compactable = max(compactable, compactableInFlight)
    }

    /// The rows changed since the last checkpoint, when one is due and none is in flight: with an
    /// output (`take`), or between outputs when the member has nothing new to write.
    package mutating func checkpointIfDue(from node: inout ReplicaNode, monotonicMillis now: Int64) -> ReplicaCheckpoint? {
        guard !checkpointInFlight, now - lastTreeFlushMillis >= treeFlushIntervalMillis,
            node.appliedIndex > checkpointIndex, let term = node.term(at: node.appliedIndex)
        else { return nil }
        let dirty = node.takeDirtyRows()
        lastTreeFlushMillis = now
        checkpointInFlight = true
        checkpointIndex = node.appliedIndex
        // The in-memory log keeps entries behind its snapshot index for followers that lag a
        // little; the file keeps the same.
        compactableInFlight = min(node.snapshotIndex, node.appliedIndex)
        var checkpoint = ReplicaCheckpoint(
            applied: AppliedMark(index: node.appliedIndex, term: term, zxid: node.tree.lastZxid),
            nodeCount: node.tree.nodeCount)
        checkpoint.nodes = dirty.paths.sorted().map { ($0, node.tree.row($0)) }
        checkpoint.sessions = dirty.sessions.sorted().map { ($0, node.tree.sessions[$0]) }
        return checkpoint
    }

    /// Storage finished the write of `ticket`. Returns the messages that may go out now, in order
    /// (`persisted()` has been called for every output they belong to).
    package mutating func completed(ticket: UInt64, node: inout ReplicaNode) -> [(to: Int32, message: PeerMessage)] {
        guard let position = inFlight.firstIndex(where: { $0.ticket == ticket }) else { return [] }
        inFlight[position].done = true
        if let termVote = inFlight[position].termVote { durableTermVote = termVote }
        return drainCompleted(node: &node)
    }

    private mutating func drainCompleted(node: inout ReplicaNode) -> [(to: Int32, message: PeerMessage)] {
        var messages: [(to: Int32, message: PeerMessage)] = []
        while let first = inFlight.first, first.done {
            inFlight.removeFirst()
            messages += first.messages
            node.persisted()
        }
        return messages
    }

}
