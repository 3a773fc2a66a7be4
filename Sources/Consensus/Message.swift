/// The messages members exchange (Raft §5, §6.4, §9.6 pre-vote, §3.10 leadership transfer in
/// Ongaro's thesis; etcd's `raftpb.MessageType`). The term travels in the `Envelope`.
package enum Message: Hashable, Sendable {
    /// Pre-vote request (thesis §9.6). `Envelope.term` is the term the sender would campaign in;
    /// neither sending nor receiving one changes anybody's term.
    case preVote(lastIndex: LogIndex, lastTerm: Term)
    case preVoteResponse(granted: Bool)
    /// RequestVote (§5.2). `leadershipTransfer` bypasses the receivers' leader lease.
    case vote(lastIndex: LogIndex, lastTerm: Term, leadershipTransfer: Bool)
    case voteResponse(granted: Bool)
    /// AppendEntries (§5.3). `commit` is the leader's commit index.
    case append(prevIndex: LogIndex, prevTerm: Term, entries: [LogEntry], commit: LogIndex)
    /// `index` is the match index on success, the rejected `prevIndex` otherwise; `rejectHint` is
    /// the follower's guess of the last index where the logs may agree (etcd's fast backoff).
    case appendResponse(success: Bool, index: LogIndex, rejectHint: LogIndex)
    /// Empty AppendEntries. `commit` never exceeds what the follower is known to hold; `context`
    /// identifies the ReadIndex round it confirms (0 = none).
    case heartbeat(commit: LogIndex, context: UInt64)
    case heartbeatResponse(context: UInt64)
    /// InstallSnapshot (§7). The data travels out of band; the receiving driver calls `receive`
    /// only once it holds all of it.
    case snapshot(SnapshotMetadata)
    /// Leadership transfer (thesis §3.10): campaign at once, skipping pre-vote and the lease.
    case timeoutNow
    /// A follower forwards a ReadIndex request (thesis §6.4) to its leader.
    case readIndex(requestID: UInt64)
    case readIndexResponse(requestID: UInt64, index: LogIndex)
    /// Follower → leader: the leader's heartbeat named a commit index (capped at what this
    /// follower acknowledged) beyond what this follower can vouch for: it lost entries it had
    /// acknowledged (its storage was wiped), or it restarted and no longer knows which of its
    /// entries this leader confirmed. `lastIndex` is where its confirmed log ends; the leader
    /// probes from there. Not part of Raft, which assumes storage is never lost.
    case logLost(lastIndex: LogIndex)
}

/// A message with its routing and the sender's term.
package struct Envelope: Hashable, Sendable, CustomStringConvertible {
    package var from: NodeID
    package var to: NodeID
    package var term: Term
    package var message: Message

    package init(from: NodeID, to: NodeID, term: Term, message: Message) {
        self.from = from
        self.to = to
        self.term = term
        self.message = message
    }

    package var description: String {
        let body: String
        switch message {
        case .preVote(let i, let t): body = "preVote(last: \(i)/\(t))"
        case .preVoteResponse(let g): body = "preVoteResponse(\(g ? "granted" : "rejected"))"
        case .vote(let i, let t, let transfer):
            body = "vote(last: \(i)/\(t)\(transfer ? ", transfer" : ""))"
        case .voteResponse(let g): body = "voteResponse(\(g ? "granted" : "rejected"))"
        case .append(let pi, let pt, let entries, let commit):
            let range = entries.isEmpty ? "none" : "\(entries[0].index)...\(entries[entries.count - 1].index)"
            body = "append(prev: \(pi)/\(pt), entries: \(range), commit: \(commit))"
        case .appendResponse(let ok, let index, let hint):
            body = ok ? "appendResponse(ok, \(index))" : "appendResponse(reject \(index), hint: \(hint))"
        case .heartbeat(let commit, let context): body = "heartbeat(commit: \(commit), ctx: \(context))"
        case .heartbeatResponse(let context): body = "heartbeatResponse(ctx: \(context))"
        case .snapshot(let meta): body = "snapshot(\(meta.index)/\(meta.term))"
        case .timeoutNow: body = "timeoutNow"
        case .readIndex(let id): body = "readIndex(\(id))"
        case .readIndexResponse(let id, let index): body = "readIndexResponse(\(id), \(index))"
        case .logLost(let last): body = "logLost(last: \(last))"
        }
        return "\(from)->\(to) \(term) \(body)"
    }
}
