package import Consensus

/// Raft's safety properties (Raft §5.2, §5.4, Figure 3), checked by the simulator after every
/// event. The first violation is kept; `RaftSimulation` stops there and reports it with its seed.
package struct InvariantChecker: Sendable {
    /// What is known about one committed log position.
    struct CommittedEntry: Sendable {
        var term: Term
        /// The proposal id, or nil for a no-op.
        var payload: UInt64?
        /// The lowest term of a member that saw it committed: every leader of a later term must
        /// hold it (Leader Completeness, §5.4).
        var knownCommittedAt: Term
    }

    /// Committed entries by index (position 0 unused).
    private var committed: [CommittedEntry?] = [nil]
    /// Application digest after applying each index (position 0 = empty state).
    private var digests: [UInt64?] = [AppState().digest]
    /// Election Safety (§5.2): the leader of each term.
    private var leaders: [Term: NodeID] = [:]
    /// Votes granted: (voter, term) -> candidate.
    private var grants: [VoteKey: NodeID] = [:]
    /// Per member: the commit index already checked against `committed`, and the last seen commit.
    private var checkedCommit: [NodeID: LogIndex] = [:]
    private var lastApplied: [NodeID: LogIndex] = [:]

    package private(set) var violation: String?
    /// The highest index known committed anywhere.
    package var highestCommitted: LogIndex { LogIndex(Int64(committed.count - 1)) }

    private struct VoteKey: Hashable, Sendable {
        var voter: NodeID
        var term: Term
    }

    package init() {}

    /// Records a violation (the first one wins).
    package mutating func fail(_ message: @autoclosure () -> String) {
        if violation == nil { violation = message() }
    }

    /// The committed entry at `index`, if known.
    package func committedEntry(at index: LogIndex) -> (term: Term, payload: UInt64?)? {
        let i = Int(index.rawValue)
        guard i > 0, i < committed.count, let entry = committed[i] else { return nil }
        return (entry.term, entry.payload)
    }

    /// Records (or compares) a committed entry observed by a member at `observerTerm`.
    private mutating func recordCommitted(_ entry: LogEntry, observer: NodeID, observerTerm: Term) {
        let i = Int(entry.index.rawValue)
        let payload = ProposalPayload.id(of: entry.payload)
        if i < committed.count, let known = committed[i] {
            if known.term != entry.term || known.payload != payload {
                fail(
                    "State Machine Safety: \(observer) has committed \(entry.index) as \(entry.term)/\(payload.map(String.init) ?? "no-op"), "
                        + "but it was committed as \(known.term)/\(known.payload.map(String.init) ?? "no-op")")
            } else if observerTerm < known.knownCommittedAt {
                committed[i]!.knownCommittedAt = observerTerm
            }
            return
        }
        while committed.count <= i { committed.append(nil) }
        committed[i] = CommittedEntry(term: entry.term, payload: payload, knownCommittedAt: observerTerm)
    }

    // MARK: - Observations

    /// A message left `envelope.from`: a granted vote binds the voter for that term.
    package mutating func observeSent(_ envelope: Envelope) {
        guard case .voteResponse(granted: true) = envelope.message else { return }
        let key = VoteKey(voter: envelope.from, term: envelope.term)
        if let previous = grants[key], previous != envelope.to {
            fail("\(envelope.from) voted for \(previous) and \(envelope.to) in \(envelope.term)")
        }
        grants[key] = envelope.to
    }

    /// A hard state reached `node`'s disk (replacing `old`).
    package mutating func observePersisted(_ node: NodeID, old: HardState, new: HardState) {
        if new.term < old.term { fail("\(node) persisted term \(new.term) after \(old.term)") }
        if new.term == old.term, let oldVote = old.vote, new.vote != oldVote {
            fail("\(node) changed its vote in \(new.term) from \(oldVote) to \(new.vote.map(String.init(describing:)) ?? "none")")
        }
        if new.commit < old.commit { fail("\(node) persisted commit \(new.commit) after \(old.commit)") }
    }

    /// `node` applied `entry`, leaving the application in `state`.
    package mutating func observeApplied(_ node: NodeID, _ entry: LogEntry, term: Term, state: AppState) {
        let previous = lastApplied[node] ?? .zero
        if entry.index != previous.next {
            fail("\(node) applied \(entry.index) after \(previous): applied indices must be consecutive")
        }
        lastApplied[node] = entry.index
        recordCommitted(entry, observer: node, observerTerm: term)
        recordDigest(node, state)
    }

    /// `node` installed a snapshot, replacing its application state.
    package mutating func observeSnapshotInstalled(_ node: NodeID, _ data: AppSnapshot) {
        let previous = lastApplied[node] ?? .zero
        if data.metadata.index <= previous {
            fail("\(node) installed snapshot \(data.metadata.index) at applied \(previous): applied must increase")
        }
        lastApplied[node] = data.metadata.index
        recordDigest(node, data.state)
        if let known = committedEntry(at: data.metadata.index), known.term != data.metadata.term {
            fail("\(node) installed snapshot \(data.metadata.index)/\(data.metadata.term), committed as \(known.term)")
        }
    }

    private mutating func recordDigest(_ node: NodeID, _ state: AppState) {
        let i = Int(state.appliedIndex.rawValue)
        while digests.count <= i { digests.append(nil) }
        if let known = digests[i] {
            if known != state.digest {
                fail("\(node) applied a different sequence through \(state.appliedIndex) than another member")
            }
        } else {
            digests[i] = state.digest
        }
    }

    /// `node` restarted from disk: its volatile commit index may be lower now.
    package mutating func observeRestart(_ node: NodeID, _ raft: RaftNode) {
        checkedCommit[node] = min(checkedCommit[node] ?? .zero, raft.commitIndex)
    }

    // MARK: - Checks

    /// Cheap checks of one live member, after every event that touched it.
    package mutating func check(_ raft: RaftNode) {
        let node = raft.id
        if raft.role == .leader {
            if let other = leaders[raft.term], other != node {
                fail("Election Safety: \(other) and \(node) both led \(raft.term)")
            }
            if leaders[raft.term] == nil {
                leaders[raft.term] = node
                checkLeaderCompleteness(raft)
            }
        }
        // (Right after a snapshot arrives, applied stays below it until the driver installs it.)
        if !(raft.firstIndex.previous <= raft.commitIndex && raft.appliedIndex <= raft.commitIndex
            && raft.commitIndex <= raft.lastIndex)
        {
            fail(
                "\(node): snapshot \(raft.firstIndex.previous), applied \(raft.appliedIndex), commit \(raft.commitIndex), last \(raft.lastIndex) out of order"
            )
        }
        let checked = checkedCommit[node] ?? .zero
        if raft.commitIndex > checked {
            var i = max(checked.next, raft.firstIndex)
            while i <= raft.commitIndex {
                recordCommitted(raft.entries(from: i, maxCount: 1)[0], observer: node, observerTerm: raft.term)
                i = i.next
            }
            checkedCommit[node] = raft.commitIndex
        } else if raft.commitIndex < checked {
            fail("\(node) commit index went back from \(checked) to \(raft.commitIndex)")
        }
    }

    /// Every entry a member holds at or below its commit index is the committed one (Log
    /// Matching + State Machine Safety), re-checked in full.
    package mutating func checkCommittedPrefix(_ raft: RaftNode) {
        for entry in raft.entries(from: raft.firstIndex, maxCount: Int(raft.commitIndex - raft.firstIndex) + 1) {
            recordCommitted(entry, observer: raft.id, observerTerm: raft.term)
        }
    }

    /// Leader Completeness (§5.4): a leader of term T holds every entry seen committed before T.
    package mutating func checkLeaderCompleteness(_ raft: RaftNode) {
        guard raft.role == .leader else { return }
        for i in max(1, Int(raft.firstIndex.rawValue))..<committed.count {
            guard let known = committed[i], known.knownCommittedAt < raft.term else { continue }
            let index = LogIndex(Int64(i))
            guard let term = raft.term(at: index) else {
                fail("Leader Completeness: \(raft.id) leads \(raft.term) without committed entry \(index)")
                return
            }
            let payload = raft.entries(from: index, maxCount: 1).first.flatMap { ProposalPayload.id(of: $0.payload) }
            if term != known.term || payload != known.payload {
                fail("Leader Completeness: \(raft.id) leads \(raft.term) with \(index) as \(term), committed as \(known.term)")
                return
            }
        }
    }
}
