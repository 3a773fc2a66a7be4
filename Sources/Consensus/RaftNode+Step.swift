import NIOCore

extension RaftNode {
    // MARK: - Receiving

    /// Handles one message from a peer (etcd `Step`).
    package mutating func receive(_ envelope: Envelope) {
        guard envelope.to == id, envelope.from != id, peers.contains(envelope.from) else { return }
        let from = envelope.from
        let message = envelope.message

        if envelope.term > term {
            if case .preVote = message, ignoresVoteRequests(transfer: false) { return }
            if case .vote(_, _, let transfer) = message, ignoresVoteRequests(transfer: transfer) { return }
            switch message {
            case .preVote:
                // Pre-votes never change the receiver's term (thesis §9.6).
                break
            case .preVoteResponse(granted: true):
                // A granted pre-vote carries the term we would campaign in; we move to it only
                // when we campaign. A rejection carries the rejecter's term: adopt it below.
                break
            case .append, .heartbeat, .snapshot:
                becomeFollower(term: envelope.term, leader: from)
            default:
                becomeFollower(term: envelope.term, leader: nil)
            }
        } else if envelope.term < term {
            switch message {
            case .append, .heartbeat:
                // A stale leader (e.g. one that was partitioned away) would never learn of the new
                // term otherwise: with pre-vote and check-quorum nobody disrupts it with a vote
                // request at a higher term (etcd).
                if configuration.checkQuorum || configuration.preVote {
                    send(to: from, .appendResponse(success: false, index: .zero, rejectHint: .zero))
                }
            case .preVote:
                send(to: from, .preVoteResponse(granted: false))
            default:
                break
            }
            return
        }

        switch message {
        case .preVote(let lastIndex, let lastTerm):
            handleVoteRequest(from: from, term: envelope.term, lastIndex: lastIndex, lastTerm: lastTerm, pre: true)
        case .vote(let lastIndex, let lastTerm, _):
            handleVoteRequest(from: from, term: envelope.term, lastIndex: lastIndex, lastTerm: lastTerm, pre: false)
        default:
            switch role {
            case .leader: stepLeader(from: from, message)
            case .candidate, .preCandidate: stepCandidate(from: from, term: envelope.term, message)
            case .follower: stepFollower(from: from, message)
            }
        }
    }

    /// The leader lease (thesis §4.2.3): with check-quorum, a member that heard from a leader
    /// within the (minimum) election timeout ignores vote requests, unless a transfer asked for
    /// them. A leader itself counts as having heard from one.
    private func ignoresVoteRequests(transfer: Bool) -> Bool {
        !transfer && configuration.checkQuorum && leader != nil && electionElapsed < configuration.electionTicks
    }

    /// RequestVote / pre-vote receiver (§5.2, §5.4.1).
    private mutating func handleVoteRequest(
        from: NodeID, term requestTerm: Term, lastIndex: LogIndex, lastTerm: Term, pre: Bool
    ) {
        // One vote per term; a pre-vote for a future term is not a vote.
        let canVote = vote == from || (vote == nil && leader == nil) || (pre && requestTerm > term)
        if canVote && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm) {
            // A grant carries the requested term so the candidate can tell it from stale ones.
            if pre {
                send(to: from, .preVoteResponse(granted: true), term: requestTerm)
            } else {
                electionElapsed = 0
                vote = from
                send(to: from, .voteResponse(granted: true), term: requestTerm)
            }
        } else {
            send(to: from, pre ? .preVoteResponse(granted: false) : .voteResponse(granted: false))
        }
    }

    private mutating func stepLeader(from: NodeID, _ message: Message) {
        guard let k = peers.firstIndex(of: from) else { return }
        switch message {
        case .appendResponse(let success, let index, let hint):
            progresses[k].recentActive = true
            if success {
                // A follower holds a prefix of this leader's log: an acknowledgement past its end
                // did not come from an honest member of this term (a forged or corrupted frame).
                guard index <= log.lastIndex else { break }
                handleAppendSuccess(k, index: index)
            } else if progresses[k].maybeDecrease(rejected: index, hint: leaderSideHint(rejected: index, hint: hint)) {
                // Log matching failed at `index` (§5.3): back off to the hint and probe.
                if progresses[k].state == .replicate { progresses[k].becomeProbe() }
                sendAppend(k, sendIfEmpty: true)
            }
        case .logLost(let lastIndex):
            // See `Progress.restart`. A duplicate arriving after the follower caught up again
            // only costs one more probe.
            progresses[k].recentActive = true
            if lastIndex < progresses[k].match {
                progresses[k].restart(from: lastIndex)
                sendAppend(k, sendIfEmpty: true)
            }
        case .heartbeatResponse(let context):
            progresses[k].recentActive = true
            progresses[k].paused = false
            if progresses[k].match < log.lastIndex || progresses[k].state == .probe {
                sendAppend(k, sendIfEmpty: true)
            }
            if context != 0 {
                for request in readOnly.acknowledge(context: context, from: from, quorum: quorum) {
                    answerRead(origin: request.origin, requestID: request.requestID, index: request.index)
                }
            }
        case .readIndex(let requestID):
            handleReadRequest(origin: from, requestID: requestID)
        default:
            break
        }
    }

    /// Refines a follower's rejection hint with our own log (etcd's leader-side
    /// `findConflictByTerm`). The follower's entry at `hint` has a term no larger than the term we
    /// sent at `rejected` — strictly smaller when `hint == rejected`, since it mismatched — so no
    /// index where our term exceeds that bound can match. `appendResponse` carries no hint term;
    /// this bound recovers most of its benefit: one round trip per term run on either side.
    private func leaderSideHint(rejected: LogIndex, hint: LogIndex) -> LogIndex {
        guard hint <= rejected, let sentTerm = log.term(at: rejected) else { return hint }
        if hint == rejected {
            guard sentTerm > .zero else { return hint }
            return log.findConflictByTerm(index: hint, term: Term(sentTerm.rawValue - 1))
        }
        return log.findConflictByTerm(index: hint, term: sentTerm)
    }

    private mutating func handleAppendSuccess(_ k: Int, index: LogIndex) {
        let wasPaused = progresses[k].isPaused
        guard progresses[k].maybeUpdate(index) else { return }
        switch progresses[k].state {
        case .probe:
            progresses[k].becomeReplicate()
        case .snapshot where progresses[k].match >= log.snapshotIndex:
            progresses[k].becomeProbe()
            progresses[k].becomeReplicate()
        case .replicate:
            progresses[k].freeInflights(through: index)
        case .snapshot:
            break
        }
        if !commitAndBroadcastIfPossible() && wasPaused {
            sendAppend(k, sendIfEmpty: true)
        }
        while sendAppend(k, sendIfEmpty: false) {}
        if peers[k] == leadTransferee && progresses[k].match == log.lastIndex {
            send(to: peers[k], .timeoutNow)
        }
    }

    private mutating func stepCandidate(from: NodeID, term messageTerm: Term, _ message: Message) {
        switch message {
        case .append, .heartbeat, .snapshot:
            // A leader exists for our term (§5.2): it won; follow it.
            becomeFollower(term: messageTerm, leader: from)
            stepFollower(from: from, message)
        case .preVoteResponse(let granted) where role == .preCandidate:
            tallyVote(from: from, granted: granted)
        case .voteResponse(let granted) where role == .candidate:
            tallyVote(from: from, granted: granted)
        default:
            break
        }
    }

    private mutating func tallyVote(from: NodeID, granted: Bool) {
        if votes[from] == nil { votes[from] = granted }
        let grants = votes.values.filter { $0 }.count
        let rejections = votes.count - grants
        if grants >= quorum {
            if role == .preCandidate {
                campaign(transfer: false)
            } else {
                becomeLeader()
            }
        } else if rejections > members.count - quorum {
            becomeFollower(term: term, leader: nil)
        }
    }

    private mutating func stepFollower(from: NodeID, _ message: Message) {
        switch message {
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            electionElapsed = 0
            leader = from
            handleAppend(from: from, prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit)
        case .heartbeat(let commit, let context):
            electionElapsed = 0
            leader = from
            // Only what this term's leader is known to share with us (`leaderMatch`).
            let confirmed = min(max(leaderMatch.term == term ? leaderMatch.index : .zero, log.committed), log.lastIndex)
            log.commit(to: min(commit, confirmed))
            send(to: from, .heartbeatResponse(context: context))
            if commit > confirmed {
                // The leader caps `commit` at what we acknowledged, so we hold less than that
                // (wiped storage), or we cannot vouch for it (a restart forgot which entries this
                // leader confirmed). Say where our confirmed log ends: the leader probes from there,
                // and its appends confirm (or replace) the rest.
                send(to: from, .logLost(lastIndex: confirmed))
            }
        case .snapshot(let metadata):
            electionElapsed = 0
            leader = from
            handleSnapshot(from: from, metadata)
        case .timeoutNow:
            // Leadership transfer (thesis §3.10): campaign now, skipping pre-vote and the lease.
            startElection(transfer: true)
        case .readIndexResponse(let requestID, let index):
            if let position = forwardedReads.firstIndex(of: requestID) {
                forwardedReads.remove(at: position)
                readStates.append((requestID, index))
            }
        default:
            break
        }
    }

    /// AppendEntries receiver (§5.3), with etcd's rejection hint.
    private mutating func handleAppend(
        from: NodeID, prevIndex: LogIndex, prevTerm: Term, entries: [LogEntry], commit: LogIndex
    ) {
        if prevIndex < log.committed {
            // Everything through our commit index matches the leader's log (§5.4.3): say so.
            confirmLeaderMatch(through: log.committed)
            send(to: from, .appendResponse(success: true, index: log.committed, rejectHint: .zero))
            return
        }
        if let last = log.maybeAppend(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, leaderCommit: commit) {
            confirmLeaderMatch(through: last)
            send(to: from, .appendResponse(success: true, index: last, rejectHint: .zero))
        } else {
            let hint = log.findConflictByTerm(index: min(prevIndex, log.lastIndex), term: prevTerm)
            send(to: from, .appendResponse(success: false, index: prevIndex, rejectHint: hint))
        }
    }

    /// This term's leader's log and ours agree through `index`.
    private mutating func confirmLeaderMatch(through index: LogIndex) {
        leaderMatch = (term, leaderMatch.term == term ? max(leaderMatch.index, index) : index)
    }

    /// InstallSnapshot receiver (§7). Snapshots at or below our commit index are stale; one whose
    /// last entry we already hold only moves the commit index.
    private mutating func handleSnapshot(from: NodeID, _ metadata: SnapshotMetadata) {
        if metadata.index <= log.committed {
            confirmLeaderMatch(through: log.committed)
            send(to: from, .appendResponse(success: true, index: log.committed, rejectHint: .zero))
        } else if log.matchTerm(metadata.index, metadata.term) {
            log.commit(to: metadata.index)
            confirmLeaderMatch(through: metadata.index)
            send(to: from, .appendResponse(success: true, index: log.committed, rejectHint: .zero))
        } else {
            log.restore(metadata)
            confirmLeaderMatch(through: log.lastIndex)
            send(to: from, .appendResponse(success: true, index: log.lastIndex, rejectHint: .zero))
        }
    }

    // MARK: - Elections

    /// Election timeout elapsed, or `timeoutNow` arrived.
    mutating func startElection(transfer: Bool) {
        guard role != .leader else { return }
        campaign(transfer: transfer, pre: configuration.preVote && !transfer)
    }

    private mutating func campaign(transfer: Bool, pre: Bool = false) {
        let requestTerm: Term
        if pre {
            becomePreCandidate()
            requestTerm = term.next
        } else {
            becomeCandidate()
            requestTerm = term
        }
        votes[id] = true
        if quorum == 1 {
            if pre { campaign(transfer: transfer) } else { becomeLeader() }
            return
        }
        for peer in peers {
            let message: Message =
                pre
                ? .preVote(lastIndex: log.lastIndex, lastTerm: log.lastTerm)
                : .vote(lastIndex: log.lastIndex, lastTerm: log.lastTerm, leadershipTransfer: transfer)
            send(to: peer, message, term: requestTerm)
        }
    }

    /// Common to every role change (etcd `reset`).
    private mutating func reset(term newTerm: Term) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        leader = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        needsNewElectionTimeout = true
        votes = [:]
        leadTransferee = nil
        progresses = []
        needsBroadcastAppend = false
        needsReadHeartbeat = false
        // Reads in flight are lost with the role or term: the driver retries them.
        droppedReads.append(contentsOf: forwardedReads)
        forwardedReads = []
        for request in readOnly.removeAll() where request.origin == id {
            droppedReads.append(request.requestID)
        }
        for request in readsAwaitingCommit where request.origin == id {
            droppedReads.append(request.requestID)
        }
        readsAwaitingCommit = []
    }

    mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID?) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    private mutating func becomePreCandidate() {
        // Neither term nor vote change (thesis §9.6).
        reset(term: term)
        role = .preCandidate
    }

    private mutating func becomeCandidate() {
        reset(term: term.next)
        vote = id
        role = .candidate
    }

    private mutating func becomeLeader() {
        reset(term: term)
        role = .leader
        leader = id
        progresses = peers.map { _ in Progress(next: log.lastIndex.next, maxInflight: configuration.maxInflightAppends) }
        // A new leader appends an empty entry (§8): committing it commits everything before it
        // (§5.4.2) and lets ReadIndex proceed (§6.4).
        log.append([LogEntry(index: log.lastIndex.next, term: term, payload: .init())])
        broadcastAppend()
    }

    // MARK: - Leader

    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= configuration.electionTicks {
            electionElapsed = 0
            if configuration.checkQuorum {
                // Check-quorum (thesis §6.2): step down without recent contact with a quorum, so
                // clients stuck with a partitioned leader move on.
                let active = 1 + progresses.filter(\.recentActive).count
                if active < quorum {
                    becomeFollower(term: term, leader: nil)
                    return
                }
                for k in progresses.indices { progresses[k].recentActive = false }
            }
            // A transfer that didn't finish within an election timeout is abandoned (thesis §3.10).
            leadTransferee = nil
        }
        if heartbeatElapsed >= configuration.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    /// Commits the highest index a quorum holds durably, if it is from the current term
    /// (§5.4.2: never by counting replicas of an older term's entry); then tells the followers.
    @discardableResult
    mutating func commitAndBroadcastIfPossible() -> Bool {
        var matches = progresses.map(\.match)
        matches.append(min(log.stableIndex, log.lastIndex))
        matches.sort(by: >)
        let candidate = matches[quorum - 1]
        guard candidate > log.committed, log.term(at: candidate) == term else { return false }
        log.commit(to: candidate)
        releaseReadsAwaitingCommit()
        broadcastAppend()
        return true
    }

    /// ReadIndex on the leader (thesis §6.4).
    mutating func handleReadRequest(origin: NodeID, requestID: UInt64) {
        guard log.term(at: log.committed) == term else {
            // Step 1: until an entry of this term commits, our commit index may lag the ensemble's.
            readsAwaitingCommit.append((origin, requestID))
            return
        }
        if quorum == 1 {
            answerRead(origin: origin, requestID: requestID, index: log.committed)
            return
        }
        // Steps 2-3: record the commit index, confirm leadership with a heartbeat round.
        _ = readOnly.add(index: log.committed, origin: origin, requestID: requestID, leader: id)
        needsReadHeartbeat = true
    }

    private mutating func releaseReadsAwaitingCommit() {
        guard !readsAwaitingCommit.isEmpty else { return }
        let waiting = readsAwaitingCommit
        readsAwaitingCommit = []
        for request in waiting { handleReadRequest(origin: request.origin, requestID: request.requestID) }
    }

    private mutating func answerRead(origin: NodeID, requestID: UInt64, index: LogIndex) {
        if origin == id {
            readStates.append((requestID, index))
        } else {
            send(to: origin, .readIndexResponse(requestID: requestID, index: index))
        }
    }
}

extension RaftNode {
    /// Leader only (ignored elsewhere): steps down and campaigns at once in the next term,
    /// skipping pre-vote and the followers' lease as a leadership transfer does (thesis §3.10).
    /// Its log is the most up to date, so it normally wins again; entries of the old term commit
    /// with the new term's no-op (§5.4.2). Keeper calls this before a term's zxid counter would
    /// roll over (ZooKeeper forces an election then: `Leader.propose`).
    package mutating func campaignInNextTerm() {
        guard role == .leader else { return }
        becomeFollower(term: term, leader: nil)
        startElection(transfer: true)
    }
}
