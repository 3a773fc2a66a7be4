/// A peer message or persisted state that no correct member produces (STYLE.md §5 kind 2): the
/// driver closes the link (or refuses to start) and logs it; consensus state is never touched.
package struct MalformedConsensusInput: Error, Hashable, Sendable, CustomStringConvertible {
    /// The offending field, as `message.field` (`append.entries[3].index`, `hardState.vote`).
    package var field: String
    package var detail: String

    package init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }

    package var description: String { "\(field): \(detail)" }
}

extension Term {
    /// The largest term a member accepts from a peer or a file. Keeper's zxid epoch is the term's
    /// low 32 bits and a zxid is a signed 64-bit number (ZooKeeper `ZxidUtils`), so a term past
    /// `Int32.max` would make zxids negative or non-monotonic.
    package static let max = Term(UInt64(Int32.max))
}

extension LogIndex {
    /// The largest log index a member accepts from a peer or a file: far beyond any real log, and
    /// low enough that index arithmetic (`index + count`, `index.next`) cannot overflow.
    package static let max = LogIndex(Int64(1) << 62)
}

private func checkTerm(_ term: Term, _ field: String, atMost bound: Term = .max) throws(MalformedConsensusInput) {
    guard term <= bound else {
        throw MalformedConsensusInput(field: field, detail: "term \(term.rawValue) above \(bound.rawValue)")
    }
}

private func checkIndex(_ index: LogIndex, _ field: String) throws(MalformedConsensusInput) {
    guard index >= .zero, index <= .max else {
        throw MalformedConsensusInput(field: field, detail: "index \(index.rawValue) outside 0...\(LogIndex.max.rawValue)")
    }
}

/// Entries that follow the entry at `index` with `term` one by one, their terms never going back
/// and never past `bound`, and few enough that the last index stays in range. `field` names them
/// in errors (`append.entries[3].index`).
private func checkEntries(
    _ entries: [LogEntry], after index: LogIndex, term: Term, atMost bound: Term, _ field: String
) throws(MalformedConsensusInput) {
    guard Int64(entries.count) <= LogIndex.max - index else {
        throw MalformedConsensusInput(field: field, detail: "\(entries.count) entries after \(index)")
    }
    var previousTerm = term
    for (k, entry) in entries.enumerated() {
        let expected = index + Int64(k + 1)
        guard entry.index == expected else {
            throw MalformedConsensusInput(
                field: "\(field)[\(k)].index",
                detail: "\(entry.index.rawValue), expected \(expected.rawValue) (not contiguous)")
        }
        guard entry.term >= previousTerm, entry.term <= bound else {
            throw MalformedConsensusInput(
                field: "\(field)[\(k)].term",
                detail: "\(entry.term.rawValue) outside \(previousTerm.rawValue)...\(bound.rawValue)")
        }
        previousTerm = entry.term
    }
}

extension Envelope {
    /// Checks everything about the message that needs no member state: terms and indexes in
    /// range, a candidate's last term not past its campaign term, and append entries contiguous
    /// after `prevIndex` with terms that never decrease and never pass the leader's term (Raft
    /// §5.3 Log Matching). `RaftNode.validate(_:)` adds the checks that need this member's state.
    package func validateShape() throws(MalformedConsensusInput) {
        try checkTerm(term, "envelope.term")
        switch message {
        case .preVote(let lastIndex, let lastTerm), .vote(let lastIndex, let lastTerm, _):
            try checkIndex(lastIndex, "vote.lastIndex")
            try checkTerm(lastTerm, "vote.lastTerm", atMost: term)
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            try checkIndex(prevIndex, "append.prevIndex")
            try checkTerm(prevTerm, "append.prevTerm", atMost: term)
            try checkIndex(commit, "append.commit")
            if prevIndex == .zero && prevTerm != .zero {
                throw MalformedConsensusInput(field: "append.prevTerm", detail: "term \(prevTerm.rawValue) at index 0")
            }
            try checkEntries(entries, after: prevIndex, term: prevTerm, atMost: term, "append.entries")
        case .appendResponse(_, let index, let hint):
            try checkIndex(index, "appendResponse.index")
            try checkIndex(hint, "appendResponse.rejectHint")
        case .heartbeat(let commit, _):
            try checkIndex(commit, "heartbeat.commit")
        case .snapshot(let metadata):
            try checkIndex(metadata.index, "snapshot.index")
            try checkTerm(metadata.term, "snapshot.term", atMost: term)
        case .readIndexResponse(_, let index):
            try checkIndex(index, "readIndexResponse.index")
        case .logLost(let lastIndex):
            try checkIndex(lastIndex, "logLost.lastIndex")
        case .preVoteResponse, .voteResponse, .heartbeatResponse, .timeoutNow, .readIndex:
            break
        }
    }
}

extension RaftNode {
    /// The well-formedness check to run before `receive(_:)` on every envelope from the network
    /// (`sender` is the member the link belongs to): the shape checks of `Envelope.validateShape`,
    /// routing (from `sender`, to this member), and what only this member can judge: a success for
    /// this leader's current term cannot name an index past its log, which only grows while it
    /// leads. Pure and non-mutating: a rejected message changes nothing.
    package func validate(_ envelope: Envelope, sender: NodeID) throws(MalformedConsensusInput) {
        guard envelope.from == sender else {
            throw MalformedConsensusInput(field: "envelope.from", detail: "\(envelope.from) on the link of \(sender)")
        }
        guard peers.contains(sender) else {
            throw MalformedConsensusInput(field: "envelope.from", detail: "\(sender) is not a peer of \(id)")
        }
        guard envelope.to == id else {
            throw MalformedConsensusInput(field: "envelope.to", detail: "\(envelope.to), this member is \(id)")
        }
        try envelope.validateShape()
        if case .appendResponse(true, let index, _) = envelope.message, role == .leader, envelope.term == term,
            index > log.lastIndex
        {
            throw MalformedConsensusInput(
                field: "appendResponse.index", detail: "\(index.rawValue) past the leader's last index \(log.lastIndex.rawValue)")
        }
    }
}

extension PersistedRaftState {
    /// Checks state read back from disk before a `RaftNode` is built from it (whose `RaftLog`
    /// traps on a broken invariant): terms in range and never decreasing along the log, no entry
    /// term past the current term, a vote for a member, entries contiguous after the snapshot,
    /// the commit index within the log, and `snapshot <= applied <= commit`.
    package func validate(members: [NodeID]) throws(MalformedConsensusInput) {
        try checkTerm(hardState.term, "hardState.term")
        if let vote = hardState.vote, !members.contains(vote) {
            throw MalformedConsensusInput(field: "hardState.vote", detail: "\(vote) is not a member \(members)")
        }
        try checkIndex(hardState.commit, "hardState.commit")
        let snapshotIndex = snapshot?.index ?? .zero
        let snapshotTerm = snapshot?.term ?? .zero
        try checkIndex(snapshotIndex, "snapshot.index")
        try checkTerm(snapshotTerm, "snapshot.term", atMost: hardState.term)
        try checkEntries(entries, after: snapshotIndex, term: snapshotTerm, atMost: hardState.term, "entries")
        let last = snapshotIndex + Int64(entries.count)
        guard hardState.commit <= last else {
            throw MalformedConsensusInput(
                field: "hardState.commit", detail: "\(hardState.commit.rawValue) past the last entry \(last.rawValue)")
        }
        if let applied {
            let commit = Swift.max(hardState.commit, snapshotIndex)
            guard applied >= snapshotIndex, applied <= commit else {
                throw MalformedConsensusInput(
                    field: "applied",
                    detail: "\(applied.rawValue) outside snapshot \(snapshotIndex.rawValue) ... commit \(commit.rawValue)")
            }
        }
    }
}
