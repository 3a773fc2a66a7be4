package import NIOCore

/// One member of a Raft ensemble as a pure state machine (etcd's `raft` + `RawNode`).
///
/// Inputs are `tick(using:)`, `receive(_:)`, `propose(_:)`, `readIndex(requestID:)`,
/// `transferLeadership(to:)` and the driver's reports; outputs accumulate until the driver takes
/// them with `takeReady()`, executes them in the order `Ready` documents, and calls `advance()`.
/// No clocks, no I/O, no logging: the driver logs from the exposed state.
///
/// Implements Raft (Ongaro & Ousterhout 2014) with the extensions of Ongaro's thesis that etcd
/// implements: pre-vote (§9.6), check-quorum and the leader lease (§6.2, §4.2.3), ReadIndex
/// (§6.4), leadership transfer (§3.10), and etcd's flow control (probe/replicate/snapshot).
package struct RaftNode: Sendable {
    /// Role, leader and term: what `Ready.softState` reports when it changes.
    struct SoftState: Equatable, Sendable {
        var role: Role
        var leader: NodeID?
        var term: Term
    }

    /// What an outstanding `Ready` handed out, to be confirmed by `advance()`.
    struct OutstandingReady: Sendable {
        var lastEntry: (index: LogIndex, term: Term)?
        var snapshot: SnapshotMetadata?
        var applyThrough: LogIndex
    }

    package let configuration: RaftConfiguration
    /// Voters, sorted.
    let members: [NodeID]
    /// Voters other than this one, sorted: every broadcast walks this array, so message order is
    /// deterministic.
    let peers: [NodeID]

    package internal(set) var role: Role = .follower
    package internal(set) var leader: NodeID?
    package internal(set) var term: Term
    /// The vote cast in `term`.
    package internal(set) var vote: NodeID?
    var log: RaftLog
    /// Follower side: the last index an append of `term`'s leader was found to match here. A
    /// heartbeat's commit index is applied only this far: an honest leader never sends more
    /// (it caps the commit at what this member acknowledged in the term), and a frame that
    /// claims a leader it did not come from (a forged or corrupted one on an unauthenticated
    /// link) cannot make this member commit entries the real leader may overwrite. In memory
    /// only: after a restart the member asks its leader to confirm its log (`logLost`).
    var leaderMatch: (term: Term, index: LogIndex) = (.zero, .zero)

    /// Ticks since the last valid message from a leader (followers, candidates) or since the last
    /// check-quorum round (leaders).
    package internal(set) var electionElapsed = 0
    var heartbeatElapsed = 0
    package internal(set) var randomizedElectionTimeout: Int
    /// Set whenever the timeout must be drawn again; drawn at the next tick, the only input that
    /// carries a random number generator (nothing observes the timeout before then).
    var needsNewElectionTimeout = true
    /// A follower whose link to its leader broke: campaign at a random one of the next few ticks.
    var campaignSoon = false

    /// Votes (or pre-votes) received in the current campaign.
    var votes: [NodeID: Bool] = [:]
    /// Leader: one per peer, parallel to `peers`.
    var progresses: [Progress] = []
    /// Leader: the member leadership is being handed to.
    package internal(set) var leadTransferee: NodeID?
    var readOnly = ReadOnlyQueue()
    /// Leader: ReadIndex requests waiting for an entry of the current term to commit (§6.4 step 1).
    var readsAwaitingCommit: [(origin: NodeID, requestID: UInt64)] = []
    /// Follower: requests forwarded to the leader, not answered yet.
    var forwardedReads: [UInt64] = []
    /// Leader: proposals were appended and not yet broadcast (sent together at `takeReady`).
    var needsBroadcastAppend = false
    /// Leader: ReadIndex requests were queued and their heartbeat round not yet sent.
    var needsReadHeartbeat = false

    var messages: [Envelope] = []
    var readStates: [(requestID: UInt64, index: LogIndex)] = []
    var droppedReads: [UInt64] = []
    var lastHardState: HardState
    var lastSoftState: SoftState
    /// `Ready`s handed out and not yet advanced, oldest first.
    var outstanding: [OutstandingReady] = []

    package init(configuration: RaftConfiguration, persisted: PersistedRaftState) {
        precondition(
            configuration.members.contains(configuration.id),
            "member \(configuration.id) not among the voters \(configuration.members)")
        precondition(configuration.electionTicks > configuration.heartbeatTicks && configuration.heartbeatTicks > 0)
        self.configuration = configuration
        self.members = Array(Set(configuration.members)).sorted()
        self.peers = members.filter { $0 != configuration.id }
        self.term = persisted.hardState.term
        self.vote = persisted.hardState.vote
        self.log = RaftLog(
            snapshot: persisted.snapshot,
            entries: persisted.entries,
            committed: persisted.hardState.commit,
            applied: persisted.applied)
        self.randomizedElectionTimeout = configuration.electionTicks
        self.lastHardState = persisted.hardState
        self.lastSoftState = SoftState(role: .follower, leader: nil, term: persisted.hardState.term)
    }

    // MARK: - State

    package var id: NodeID { configuration.id }
    package var commitIndex: LogIndex { log.committed }
    package var lastIndex: LogIndex { log.lastIndex }
    package var lastTerm: Term { log.lastTerm }
    /// The first entry still held in memory.
    package var firstIndex: LogIndex { log.firstIndex }
    package var appliedIndex: LogIndex { log.applied }
    /// The last index known durable.
    package var stableIndex: LogIndex { log.stableIndex }
    /// The snapshot the log starts after.
    package var snapshot: SnapshotMetadata { SnapshotMetadata(index: log.snapshotIndex, term: log.snapshotTerm) }
    package var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    var quorum: Int { members.count / 2 + 1 }

    package func entries(from index: LogIndex, maxCount: Int) -> [LogEntry] {
        log.entries(from: index, maxCount: maxCount)
    }

    package func term(at index: LogIndex) -> Term? {
        log.term(at: index)
    }

    /// Leader only (empty otherwise): each follower's match and next index, sorted by peer.
    package var progress: [(peer: NodeID, match: LogIndex, next: LogIndex)] {
        guard role == .leader else { return [] }
        return zip(peers, progresses).map { (peer: $0, match: $1.match, next: $1.next) }
    }

    /// Leader only: a follower's replication state, for diagnostics.
    package func replicationState(of peer: NodeID) -> (state: String, paused: Bool, inflight: Int)? {
        guard role == .leader, let k = peers.firstIndex(of: peer) else { return nil }
        let p = progresses[k]
        let name: String
        switch p.state {
        case .probe: name = "probe"
        case .replicate: name = "replicate"
        case .snapshot: name = "snapshot"
        }
        return (name, p.paused, p.inflights.count)
    }

    // MARK: - Inputs

    /// One logical clock tick (etcd `Tick`). Followers and candidates campaign after a randomized
    /// election timeout in `[electionTicks, 2 * electionTicks)` (§5.2); leaders send heartbeats
    /// and run check-quorum.
    package mutating func tick<R: RandomNumberGenerator>(using random: inout R) {
        if needsNewElectionTimeout {
            needsNewElectionTimeout = false
            randomizedElectionTimeout =
                configuration.electionTicks + Int.random(in: 0..<configuration.electionTicks, using: &random)
        }
        if role == .leader {
            campaignSoon = false  // a report from before this member led is stale
            tickLeader()
        } else {
            if campaignSoon {
                campaignSoon = false
                // Still without a leader (none was heard again since): at a random one of the next
                // three ticks, so two members that lost the leader together seldom split the vote.
                if leader == nil {
                    electionElapsed = max(electionElapsed, randomizedElectionTimeout - Int.random(in: 1...3, using: &random))
                }
            }
            electionElapsed += 1
            if electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                startElection(transfer: false)
            }
        }
    }

    /// Proposes an entry (§5.3). Only a leader accepts; it replicates at the next `takeReady`.
    package mutating func propose(_ payload: ByteBuffer) -> ProposeResult {
        guard role == .leader else { return .notLeader(leader: leader) }
        // etcd drops proposals during a transfer: the new leader would not keep them.
        guard leadTransferee == nil else { return .notLeader(leader: nil) }
        let entry = LogEntry(index: log.lastIndex.next, term: term, payload: payload)
        log.append([entry])
        needsBroadcastAppend = true
        return .accepted(entry.index, entry.term)
    }

    /// Asks for a read index (thesis §6.4): answered in `Ready.readStates` once this node's
    /// leader confirmed it still leads. `requestID` must be nonzero and unique on this node.
    @discardableResult
    package mutating func readIndex(requestID: UInt64) -> ReadIndexResult {
        precondition(requestID != 0, "ReadIndex request ids must be nonzero")
        if role == .leader {
            handleReadRequest(origin: id, requestID: requestID)
            return .pending
        }
        guard let leader, role == .follower else { return .noLeader }
        forwardedReads.append(requestID)
        send(to: leader, .readIndex(requestID: requestID))
        return .pending
    }

    /// Leader only (ignored elsewhere): hands leadership to `target` (thesis §3.10) — brings it up
    /// to date, then tells it to campaign at once. Proposals are refused meanwhile; the transfer
    /// is abandoned after an election timeout.
    package mutating func transferLeadership(to target: NodeID) {
        guard role == .leader, let k = peers.firstIndex(of: target) else { return }
        if let current = leadTransferee {
            if current == target { return }
            leadTransferee = nil
        }
        electionElapsed = 0
        leadTransferee = target
        if progresses[k].match == log.lastIndex {
            send(to: target, .timeoutNow)
        } else {
            sendAppend(k, sendIfEmpty: true)
        }
    }

    /// The transport could not reach `peer`: stop streaming to it optimistically (etcd).
    package mutating func reportUnreachable(_ peer: NodeID) {
        if role == .follower, peer == leader, configuration.preVote, configuration.checkQuorum {
            // The link to the leader broke (its process died, or the network between us did):
            // stop counting it as heard from, so this member grants pre-votes, and campaign within
            // a few ticks instead of a whole election timeout (ZooKeeper's followers look for a
            // new leader as soon as its connection drops). Safe with pre-vote and the lease: a
            // member that still hears the leader refuses the pre-vote, so a live leader stays.
            leader = nil
            campaignSoon = true
            return
        }
        guard role == .leader, let k = peers.firstIndex(of: peer) else { return }
        if progresses[k].state == .replicate { progresses[k].becomeProbe() }
    }

    /// The driver finished (or failed) streaming the snapshot to `peer`. Either way the peer is
    /// probed again after its next heartbeat response.
    package mutating func reportSnapshot(_ peer: NodeID, succeeded: Bool) {
        guard role == .leader, let k = peers.firstIndex(of: peer), progresses[k].state == .snapshot else { return }
        if !succeeded { progresses[k].pendingSnapshot = .zero }
        progresses[k].becomeProbe()
        progresses[k].paused = true
    }

    /// The application holds a snapshot at `index` (at most the applied index): drop the entries
    /// it covers. Peers that need them from now on are sent `.snapshot` with this index.
    package mutating func compact(through index: LogIndex) {
        log.compact(through: index)
    }

    // MARK: - Ready

    package func hasReady() -> Bool {
        !messages.isEmpty || needsBroadcastAppend || needsReadHeartbeat
            || log.inProgressOffset <= log.lastIndex || log.pendingSnapshot != nil
            || hardState != lastHardState || log.committed > log.applying
            || !readStates.isEmpty || !droppedReads.isEmpty || currentSoftState != lastSoftState
    }

    /// `Ready`s handed out and not yet advanced.
    package var outstandingReadies: Int { outstanding.count }

    /// Hands out everything pending. Several `Ready`s may be outstanding (etcd's asynchronous
    /// storage writes) as long as the driver executes them in order: each one's writes after the
    /// previous one's, each one's messages only once its own writes (and so all earlier ones) are
    /// durable, and one `advance()` per `Ready`, oldest first.
    package mutating func takeReady() -> Ready {
        flushBroadcasts()
        var ready = Ready()
        ready.entries = log.entriesToPersist
        log.acceptInProgress()
        ready.snapshot = log.pendingSnapshot
        log.pendingSnapshot = nil
        let hardState = self.hardState
        if hardState != lastHardState {
            ready.hardState = hardState
            lastHardState = hardState
        }
        let soft = currentSoftState
        if soft != lastSoftState {
            ready.softState = (soft.role, soft.leader, soft.term)
            lastSoftState = soft
        }
        ready.committed = log.entries(from: log.applying.next, through: log.committed)
        let applyThrough = log.committed
        log.applying = applyThrough
        ready.messages = messages
        messages = []
        ready.readStates = readStates
        readStates = []
        ready.droppedReads = droppedReads
        droppedReads = []
        outstanding.append(OutstandingReady(
            lastEntry: ready.entries.last.map { ($0.index, $0.term) },
            snapshot: ready.snapshot,
            applyThrough: applyThrough))
        return ready
    }

    /// The oldest outstanding `Ready` is durable, sent and applied.
    package mutating func advance() {
        guard !outstanding.isEmpty else { return }
        let done = outstanding.removeFirst()
        if let last = done.lastEntry {
            log.stable(through: last.index, term: last.term)
        }
        if let snapshot = done.snapshot {
            log.applied = max(log.applied, snapshot.index)
        }
        log.applied = max(log.applied, done.applyThrough)
        if role == .leader {
            // The leader's own log now counts towards the quorum (§5.4.2 with durable self-match).
            commitAndBroadcastIfPossible()
        }
    }

    var currentSoftState: SoftState { SoftState(role: role, leader: leader, term: term) }

    private mutating func flushBroadcasts() {
        guard role == .leader else {
            needsBroadcastAppend = false
            needsReadHeartbeat = false
            return
        }
        if needsBroadcastAppend {
            needsBroadcastAppend = false
            // Probing peers get one append; replicating ones as many as their window allows.
            for k in peers.indices {
                while sendAppend(k, sendIfEmpty: false) {}
            }
        }
        if needsReadHeartbeat {
            needsReadHeartbeat = false
            broadcastHeartbeat()
        }
    }

    // MARK: - Sending

    mutating func send(to peer: NodeID, _ message: Message, term: Term? = nil) {
        messages.append(Envelope(from: id, to: peer, term: term ?? self.term, message: message))
    }

    /// Sends `peers[k]` the entries it lacks (etcd `maybeSendAppend`), or a snapshot if they were
    /// compacted away. Returns whether anything was sent.
    @discardableResult
    mutating func sendAppend(_ k: Int, sendIfEmpty: Bool) -> Bool {
        var p = progresses[k]
        defer { progresses[k] = p }
        if p.isPaused { return false }
        let prevIndex = p.next.previous
        guard let prevTerm = log.term(at: prevIndex) else {
            // The entries it needs are gone: send the snapshot (§7). Only to live peers: the
            // driver streams it, which is expensive.
            guard p.recentActive else { return false }
            p.becomeSnapshot(log.snapshotIndex)
            send(to: peers[k], .snapshot(snapshot))
            return true
        }
        var batch: [LogEntry] = []
        if p.state != .replicate || p.inflights.count < p.maxInflight {
            batch = log.entries(
                from: p.next, maxCount: configuration.maxEntriesPerAppend, maxBytes: configuration.maxAppendBytes)
        }
        if batch.isEmpty && !sendIfEmpty { return false }
        send(to: peers[k], .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: batch, commit: log.committed))
        p.sentEntries(last: batch.last?.index)
        return true
    }

    mutating func broadcastAppend() {
        for k in peers.indices { sendAppend(k, sendIfEmpty: true) }
    }

    /// Heartbeats carry the commit index, capped at what each follower is known to hold (etcd),
    /// and the newest pending ReadIndex context.
    mutating func broadcastHeartbeat() {
        let context = readOnly.lastContext ?? 0
        for (k, peer) in peers.enumerated() {
            let commit = min(progresses[k].match, log.committed)
            send(to: peer, .heartbeat(commit: commit, context: context))
        }
    }
}
