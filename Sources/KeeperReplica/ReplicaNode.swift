package import Consensus
package import ZNodeTree
import NIOCore
package import ZooKeeperWire

/// How a member replicates: who it is, who the voters are, and how often things happen.
package struct ReplicaConfiguration: Sendable {
    /// This member's id (`myid`, the N of `server.N`).
    package var member: Int32
    /// Every voting member, this one included.
    package var members: [Int32]
    /// Consensus ticks until an election starts (randomized up to twice this).
    package var electionTicks: Int
    /// Consensus ticks between heartbeats.
    package var heartbeatTicks: Int
    /// Take a tree snapshot and compact the in-memory log after this many applied entries.
    package var compactEvery: Int64
    /// Limits for consensus flow control.
    package var maxEntriesPerAppend: Int
    /// An append carries at most this many payload bytes (one larger entry still goes alone).
    package var maxAppendBytes: Int
    /// The largest tree image accepted from a leader; a stream announcing more closes the link.
    /// At most `DataTree.maxSnapshotBytes` (4 GiB): the image is assembled in one `ByteBuffer`,
    /// which traps past that, and no leader writes a larger one.
    package var maxSnapshotBytes: Int64
    /// The leader campaigns in a new term rather than stamp a zxid whose counter (low 32 bits)
    /// reaches this value. ZooKeeper forces an election at counter 0xffffffff (`Leader.propose`,
    /// `XidRolloverException`); tests lower it (to at least 2) to reach the rollover quickly.
    package var zxidCounterLimit: UInt32

    package init(
        member: Int32, members: [Int32], electionTicks: Int = 10, heartbeatTicks: Int = 1,
        compactEvery: Int64 = 10_000, maxEntriesPerAppend: Int = 512, maxAppendBytes: Int = 1 << 20,
        maxSnapshotBytes: Int64 = Int64(DataTree.maxSnapshotBytes), zxidCounterLimit: UInt32 = .max
    ) {
        self.member = member
        self.members = members.sorted()
        self.electionTicks = electionTicks
        self.heartbeatTicks = heartbeatTicks
        self.compactEvery = compactEvery
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.maxAppendBytes = maxAppendBytes
        self.maxSnapshotBytes = min(maxSnapshotBytes, Int64(DataTree.maxSnapshotBytes))
        self.zxidCounterLimit = zxidCounterLimit
    }
}

/// A transaction applied on this member, with what it did.
package struct AppliedTxn: Sendable {
    package var index: LogIndex
    package var txn: Txn
    package var result: TxnResult
}

/// What the driver must do next, in this order (etcd's `Ready`): persist `hardState`, `entries`,
/// `installSnapshot` and the dirty tree rows; then send `messages`; then call `persisted()`.
/// Clients may be answered from `applied` and `completedReads` at once (their entries are durable
/// on a majority). Several outputs may be in flight: `ReplicaPipeline` keeps them in order.
package struct ReplicaOutput: Sendable {
    package var hardState: HardState?
    package var entries: [LogEntry] = []
    /// A snapshot received from the leader and now installed as the tree: the driver rewrites
    /// the whole materialized tree.
    package var installedSnapshot: SnapshotMetadata?
    package var messages: [(to: Int32, message: PeerMessage)] = []
    package var applied: [AppliedTxn] = []
    /// ReadIndex requests (sync) that may now be answered.
    package var completedReads: [UInt64] = []
    /// ReadIndex requests that cannot be answered (no leader, or leadership changed under them).
    package var failedReads: [UInt64] = []
    /// Role or leader changed.
    package var roleChange: (role: Role, leader: Int32?, term: UInt64)?
    /// Sessions the leader found expired (a closeSession is proposed for each).
    package var expiredSessions: [SessionID] = []

    package var isEmpty: Bool {
        hardState == nil && entries.isEmpty && installedSnapshot == nil && messages.isEmpty && applied.isEmpty
            && completedReads.isEmpty && failedReads.isEmpty && roleChange == nil && expiredSessions.isEmpty
    }
}

/// What became of a submitted write.
package enum SubmitOutcome: Equatable, Sendable {
    /// Proposed here (this member leads).
    case proposed
    /// Sent to the leader.
    case forwarded
    /// No leader to take it (none known, or leadership is moving). Nothing was queued: the
    /// driver closes the client's connection, as ZooKeeper does without a leader, so a later
    /// write of the session can never overtake this one.
    case rejected
}

/// One member's replicated state machine: consensus + tree + sessions. Pure: every input comes in
/// through a method (with the time), every effect goes out through `takeOutput()`.
///
/// Writes from clients of any member become `Txn`s; the leader stamps zxid
/// `(term << 32) | counter` and its wall-clock time and proposes them; every member applies
/// committed entries in log order, and the member named in a txn's origin answers its client.
/// The leader owns session expiry: members report client activity every tick, and a new leader
/// gives every session a fresh timeout before expiring any.
package struct ReplicaNode: Sendable {
    package let configuration: ReplicaConfiguration
    package private(set) var raft: RaftNode
    package private(set) var tree: DataTree
    /// Where the in-memory consensus log was last compacted: entries at or below it are only in
    /// the tree (a lagging peer gets the current tree image instead).
    package private(set) var snapshotIndex: LogIndex
    package private(set) var appliedIndex: LogIndex
    private var expiry: SessionExpiryTracker
    private var counter: UInt32 = 0
    private var counterTerm: Term = .zero
    /// Writes that arrived while this leader's zxid counter was exhausted, in order: proposed
    /// first if it wins the next term, dropped if another member does (their origins close the
    /// clients' connections on the leader change). Dropping them instead would let a later
    /// forwarded write of the same client commit ahead of them.
    private var deferred: [(txn: Txn, wallMillis: Int64)] = []
    private var touched: Set<SessionID> = []
    private var messages: [(to: Int32, message: PeerMessage)] = []
    private var expired: [SessionID] = []
    private var pendingReads: [(id: UInt64, index: LogIndex?)] = []
    private var failedReads: [UInt64] = []
    private var nextReadID: UInt64 = 1
    /// Outputs taken and not yet `persisted()`, oldest first: whether each held a consensus `Ready`.
    private var outstandingOutputs: [Bool] = []
    private var lastRole: Role?
    private var lastLeader: NodeID?
    /// A snapshot being received from the leader: its image once all chunks are in.
    private var incoming: (index: Int64, term: UInt64, total: Int64, bytes: ByteBuffer)?
    private var incomingTree: (metadata: SnapshotMetadata, tree: DataTree)?

    /// Refuses state no correct member persists (`PersistedRaftState.validate(members:)`, and
    /// every log entry's payload a `Txn` or empty): it would trap later, at start or at apply.
    ///
    /// - Parameters:
    ///   - tree: the tree as loaded from storage (as of `appliedIndex`/`appliedTerm`).
    ///   - hardState, entries: the consensus state and the log entries after `appliedIndex`.
    package init(
        configuration: ReplicaConfiguration, tree: DataTree, appliedIndex: LogIndex, appliedTerm: Term,
        hardState: HardState, entries: [LogEntry], sessionTickMillis: Int64, monotonicMillis: Int64
    ) throws(MalformedConsensusInput) {
        self.configuration = configuration
        var raftConfig = RaftConfiguration(
            id: NodeID(Int(configuration.member)), members: configuration.members.map { NodeID(Int($0)) })
        raftConfig.electionTicks = configuration.electionTicks
        raftConfig.heartbeatTicks = configuration.heartbeatTicks
        raftConfig.maxEntriesPerAppend = configuration.maxEntriesPerAppend
        raftConfig.maxAppendBytes = configuration.maxAppendBytes
        guard appliedIndex >= .zero else {
            throw MalformedConsensusInput(field: "applied.index", detail: "negative: \(appliedIndex.rawValue)")
        }
        let snapshot = appliedIndex > .zero ? SnapshotMetadata(index: appliedIndex, term: appliedTerm) : nil
        var hard = hardState
        if hard.commit < appliedIndex { hard.commit = appliedIndex }
        let persisted = PersistedRaftState(hardState: hard, snapshot: snapshot, entries: entries)
        try persisted.validate(members: raftConfig.members)
        for (k, entry) in entries.enumerated() {
            try Self.checkPayload(entry.payload, field: "entries[\(k)].payload")
        }
        self.raft = RaftNode(configuration: raftConfig, persisted: persisted)
        self.tree = tree
        self.snapshotIndex = appliedIndex
        self.appliedIndex = appliedIndex
        self.expiry = SessionExpiryTracker(tickMillis: sessionTickMillis)
    }

    // MARK: - Queries

    package var role: Role { raft.role }
    package var isLeader: Bool { raft.role == .leader }
    package var leader: Int32? { raft.leader.map { Int32($0.rawValue) } }
    package var term: UInt64 { raft.term.rawValue }

    package func sessionRemaining(_ id: SessionID, monotonicMillis: Int64) -> Int64? {
        expiry.remaining(id, now: monotonicMillis)
    }

    /// Followers and their replication lag, for `mntr`/`srvr` on the leader.
    package var followerProgress: [(member: Int32, match: Int64, lag: Int64)] {
        guard isLeader else { return [] }
        let last = raft.lastIndex.rawValue
        return raft.progress.filter { $0.peer != raft.id }.map {
            (Int32($0.peer.rawValue), $0.match.rawValue, last - $0.match.rawValue)
        }
    }

    // MARK: - Inputs

    /// A client write (or session create/close) received by this member. `txn.origin` names
    /// this member; zxid and time are stamped by the leader.
    package mutating func submit(_ txn: Txn, wallMillis: Int64) -> SubmitOutcome {
        if isLeader {
            return propose(txn, wallMillis: wallMillis) ? .proposed : .rejected
        }
        guard let leader else { return .rejected }
        messages.append((leader, .forward(txn, term: raft.term)))
        return .forwarded
    }

    /// Client activity for a session connected here (requests and pings).
    package mutating func sessionActive(_ id: SessionID, monotonicMillis: Int64) {
        if isLeader {
            expiry.touch(id, now: monotonicMillis)
        } else {
            touched.insert(id)
        }
    }

    /// Whether the leader considers the session live (always true on followers, which don't know).
    package func isSessionLive(_ id: SessionID) -> Bool {
        guard tree.sessions[id] != nil else { return false }
        return !isLeader || expiry.isLive(id)
    }

    /// Withdraws forwards not yet handed out for the given requests of this member (their client
    /// connections were closed because an earlier request may have been lost on the way to the
    /// leader: a later one must not reach it).
    package mutating func cancelForwards(requests: Set<UInt64>) {
        messages.removeAll { entry in
            guard case .forward(let txn, _) = entry.message, let origin = txn.origin else { return false }
            return origin.member == configuration.member && requests.contains(origin.request)
        }
    }

    /// Marks a session as closing (its client asked): it will not also be expired.
    package mutating func sessionClosing(_ id: SessionID) {
        if isLeader { expiry.markClosing(id) }
    }

    /// Asks for a linearizable read point (sync): answered through `completedReads`.
    package mutating func readIndex() -> UInt64 {
        let id = (UInt64(UInt32(bitPattern: configuration.member)) << 48) | nextReadID
        nextReadID += 1
        switch raft.readIndex(requestID: id) {
        case .pending: pendingReads.append((id, nil))
        case .noLeader: failedReads.append(id)
        }
        return id
    }

    /// A frame from `member`'s link. A frame no correct member sends throws before anything
    /// changes: the driver closes that link and logs the error (issue 11: no peer input traps).
    package mutating func receive(
        _ message: PeerMessage, from member: Int32, wallMillis: Int64, monotonicMillis: Int64
    ) throws(MalformedConsensusInput) {
        switch message {
        case .hello:
            break
        case .raft(let envelope):
            try raft.validate(envelope, sender: NodeID(Int(member)))
            if case .append(_, _, let entries, _) = envelope.message {
                // Checked now: a committed entry that failed to decode at apply could be neither
                // applied nor skipped.
                // A leader stamps each txn with its term as the zxid epoch and a counter that grows
                // within the term, so an entry whose zxid says otherwise is forged or corrupt.
                var previous: Zxid?
                for (k, entry) in entries.enumerated() {
                    let field = "append.entries[\(k)].payload"
                    guard let zxid = try Self.checkPayload(entry.payload, field: field) else { continue }
                    guard zxid.epoch == UInt32(truncatingIfNeeded: entry.term.rawValue), zxid.counter > 0 else {
                        throw MalformedConsensusInput(
                            field: field, detail: "zxid \(zxid) in an entry of term \(entry.term.rawValue)")
                    }
                    if let previous, zxid <= previous {
                        throw MalformedConsensusInput(field: field, detail: "zxid \(zxid) after \(previous)")
                    }
                    previous = zxid
                }
            }
            if case .snapshot(let metadata) = envelope.message {
                // The data came first on the same connection; without it the message is useless.
                guard let incomingTree, incomingTree.metadata == metadata else { return }
            }
            raft.receive(envelope)
        case .forward(let txn, let term):
            guard txn.origin?.member == member else {
                throw MalformedConsensusInput(
                    field: "forward.origin", detail: "\(txn.origin.map { "\($0.member)" } ?? "none") on the link of \(member)")
            }
            guard term <= .max else {
                throw MalformedConsensusInput(field: "forward.term", detail: "term \(term.rawValue) above \(Term.max.rawValue)")
            }
            // Only the leadership the origin addressed takes it. A write sent to this member in
            // an earlier term was meant for that term's leadership; if this member lost it and
            // won again (a zxid rollover campaign, or check-quorum then re-election), an earlier
            // write of the same client may have been dropped in between, so proposing this one
            // would commit it after a lost predecessor (a FIFO break, seeds 2600007, 2600012).
            if isLeader && term == raft.term {
                _ = propose(txn, wallMillis: wallMillis)
            }
            // Otherwise dropped: the origin member closes its clients' connections when its
            // leader or term changes, or when a message to its leader is lost, so the client
            // retries rather than waiting forever (and no later write of it overtakes this one).
        case .touch(let ids):
            if isLeader { for id in ids { expiry.touch(id, now: monotonicMillis) } }
        case .snapshotChunk(let index, let term, let total, let offset, let bytes):
            try receiveChunk(index: index, term: term, total: total, offset: offset, bytes: bytes)
        }
    }

    /// The payload of a log entry: empty (a new leader's no-op) or exactly one `Txn`.
    /// The zxid of the txn `payload` holds, nil for an empty payload (a new leader's no-op); throws
    /// when it does not decode.
    @discardableResult
    private static func checkPayload(_ payload: ByteBuffer, field: String) throws(MalformedConsensusInput) -> Zxid? {
        guard payload.readableBytes > 0 else { return nil }
        var copy = payload
        do {
            return try Txn(from: &copy).zxid
        } catch {
            throw MalformedConsensusInput(field: field, detail: "does not decode: \(error)")
        }
    }

    /// One piece of a tree image. Chunks arrive in order on one link, each stream starting at
    /// offset 0; a chunk that does not continue the stream, overruns the announced size, or
    /// completes an image that does not decode is malformed. Nothing is reserved from the
    /// announced size: the buffer grows with the bytes actually received.
    private mutating func receiveChunk(
        index: Int64, term: UInt64, total: Int64, offset: Int64, bytes: ByteBuffer
    ) throws(MalformedConsensusInput) {
        guard index >= 0, index <= LogIndex.max.rawValue, Term(term) <= .max else {
            throw MalformedConsensusInput(field: "chunk.index", detail: "snapshot \(index)/\(term) out of range")
        }
        guard total > 0, total <= configuration.maxSnapshotBytes else {
            throw MalformedConsensusInput(
                field: "chunk.total", detail: "\(total) outside 1...\(configuration.maxSnapshotBytes)")
        }
        let length = Int64(bytes.readableBytes)
        guard offset >= 0, offset <= total, length <= total - offset, length > 0 else {
            throw MalformedConsensusInput(
                field: "chunk.offset", detail: "\(offset)+\(length) does not fit the announced \(total) bytes")
        }
        if offset == 0 {
            incoming = (index, term, total, ByteBuffer())
        }
        guard var current = incoming, current.index == index, current.term == term, current.total == total,
            Int64(current.bytes.readableBytes) == offset
        else {
            incoming = nil
            throw MalformedConsensusInput(
                field: "chunk.offset", detail: "\(offset) for snapshot \(index)/\(term) does not continue the stream")
        }
        incoming = nil
        var chunk = bytes
        current.bytes.writeBuffer(&chunk)
        if Int64(current.bytes.readableBytes) < current.total {
            incoming = current
            return
        }
        var image = current.bytes
        let received: DataTree
        do {
            received = try DataTree(snapshot: &image, config: tree.config)
        } catch {
            throw MalformedConsensusInput(field: "chunk.bytes", detail: "snapshot \(index) does not decode: \(error)")
        }
        incomingTree = (SnapshotMetadata(index: LogIndex(index), term: Term(term)), received)
    }

    /// Time passes: consensus ticks, forwards waiting for a leader go out, the leader expires
    /// sessions, followers report client activity.
    package mutating func tick<R: RandomNumberGenerator>(wallMillis: Int64, monotonicMillis: Int64, random: inout R) {
        raft.tick(using: &random)
        noteRoleChange(monotonicMillis: monotonicMillis)
        if isLeader {
            for id in expiry.expired(now: monotonicMillis) {
                expired.append(id)
                // Not taken only while leadership moves; the next leader expires it afresh.
                _ = propose(Txn(zxid: .zero, time: 0, session: id, op: .closeSession), wallMillis: wallMillis)
            }
        } else if let leader {
            if !touched.isEmpty {
                messages.append((leader, .touch(touched.sorted())))
                touched = []
            }
        }
    }

    /// Leader only: removes empty containers and expired TTL nodes (`ContainerManager`).
    package mutating func cleanContainers(wallMillis: Int64, limit: Int) {
        guard isLeader else { return }
        for path in tree.cleanupCandidates(now: wallMillis).prefix(limit) {
            _ = propose(Txn(zxid: .zero, time: 0, session: .none, op: .deleteContainer(path: path)), wallMillis: wallMillis)
        }
    }

    /// Asks the leader role to move to `member` (graceful shutdown of a leader).
    package mutating func transferLeadership(to member: Int32) {
        raft.transferLeadership(to: NodeID(Int(member)))
    }

    /// Stamps and proposes `txn`; false when consensus did not take it (leadership moving, or the
    /// zxid counter is exhausted: then this leader campaigns in a new term, whose zxids start at
    /// counter 1 again, as ZooKeeper forces an election before its counter rolls over).
    private mutating func propose(_ txn: Txn, wallMillis: Int64) -> Bool {
        if counterTerm != raft.term {
            counterTerm = raft.term
            counter = 0
        }
        if !deferred.isEmpty && isLeader && counter == 0 { proposeDeferred() }
        guard UInt64(counter) + 1 < UInt64(configuration.zxidCounterLimit) else {
            deferred.append((txn, wallMillis))
            raft.campaignInNextTerm()
            return true
        }
        counter += 1
        var stamped = txn
        stamped.zxid = Zxid(epoch: UInt32(truncatingIfNeeded: raft.term.rawValue), counter: counter)
        stamped.time = wallMillis
        var payload = ByteBuffer()
        stamped.write(to: &payload)
        switch raft.propose(payload) {
        case .accepted: return true
        case .notLeader: return false
        }
    }

    private mutating func proposeDeferred() {
        let waiting = deferred
        deferred = []
        for (txn, wallMillis) in waiting { _ = propose(txn, wallMillis: wallMillis) }
    }

    private mutating func noteRoleChange(monotonicMillis: Int64) {
        guard raft.role != lastRole || raft.leader != lastLeader else { return }
        if let leader = raft.leader, leader != raft.id { deferred = [] }
        let becameLeader = raft.role == .leader && lastRole != .leader
        lastRole = raft.role
        lastLeader = raft.leader
        if becameLeader {
            // A new leader gives every session a fresh timeout before expiring any.
            expiry = SessionExpiryTracker(tickMillis: expiry.tickMillis)
            for id in tree.sessions.keys.sorted() {
                expiry.track(id, timeoutMillis: Int64(tree.sessions[id]!.timeout), now: monotonicMillis)
            }
            for id in touched { expiry.touch(id, now: monotonicMillis) }
            touched = []
            if !deferred.isEmpty {
                if counterTerm != raft.term {
                    counterTerm = raft.term
                    counter = 0
                }
                proposeDeferred()
            }
        }
    }

    // MARK: - Output

    package var hasOutput: Bool {
        raft.hasReady() || !messages.isEmpty || !expired.isEmpty || !failedReads.isEmpty
    }

    /// Everything to do now; call `persisted()` once it is durable and sent (one call per output,
    /// oldest first).
    package mutating func takeOutput(monotonicMillis: Int64) -> ReplicaOutput {
        var output = ReplicaOutput()
        output.messages = messages
        messages = []
        output.expiredSessions = expired
        expired = []
        output.failedReads = failedReads
        failedReads = []
        guard raft.hasReady() else {
            outstandingOutputs.append(false)
            return output
        }
        outstandingOutputs.append(true)
        let ready = raft.takeReady()
        output.hardState = ready.hardState
        output.entries = ready.entries
        if let soft = ready.softState {
            output.roleChange = (soft.role, soft.leader.map { Int32($0.rawValue) }, soft.term.rawValue)
        }
        if let metadata = ready.snapshot, let incomingTree, incomingTree.metadata == metadata {
            tree = incomingTree.tree
            snapshotIndex = metadata.index
            appliedIndex = metadata.index
            self.incomingTree = nil
            output.installedSnapshot = metadata
        }
        // A `.snapshot` envelope tells the driver to stream the tree image before sending it.
        for envelope in ready.messages { output.messages.append((Int32(envelope.to.rawValue), .raft(envelope))) }
        for entry in ready.committed where entry.index > appliedIndex {
            appliedIndex = entry.index
            guard entry.payload.readableBytes > 0 else { continue }  // a new leader's no-op
            var payload = entry.payload
            let txn: Txn
            do {
                txn = try Txn(from: &payload)
            } catch {
                // Every entry was checked on the way in (our own encoder, `receive`, or `init`).
                preconditionFailure("committed entry \(entry.index.rawValue) does not decode: \(error)")
            }
            let result = tree.apply(txn)
            switch txn.op {
            case .createSession(let timeout, _) where isLeader:
                expiry.track(txn.session, timeoutMillis: Int64(timeout), now: monotonicMillis)
            case .closeSession:
                expiry.remove(txn.session)
            default:
                break
            }
            output.applied.append(AppliedTxn(index: entry.index, txn: txn, result: result))
        }
        for id in ready.droppedReads {
            if let i = pendingReads.firstIndex(where: { $0.id == id }) {
                pendingReads.remove(at: i)
                output.failedReads.append(id)
            }
        }
        for state in ready.readStates {
            if let i = pendingReads.firstIndex(where: { $0.id == state.requestID }) { pendingReads[i].index = state.index }
        }
        var stillPending: [(id: UInt64, index: LogIndex?)] = []
        for read in pendingReads {
            if let index = read.index, index <= appliedIndex { output.completedReads.append(read.id) } else {
                stillPending.append(read)
            }
        }
        pendingReads = stillPending
        noteRoleChange(monotonicMillis: monotonicMillis)
        output.messages += messages
        messages = []
        return output
    }

    /// The oldest output in flight is durable and sent.
    package mutating func persisted() {
        guard !outstandingOutputs.isEmpty, outstandingOutputs.removeFirst() else { return }
        raft.advance()
        // Compact the in-memory log, keeping half an interval of entries so a peer that is only
        // a little behind catches up from the log rather than with a whole tree image.
        if appliedIndex.rawValue - snapshotIndex.rawValue >= configuration.compactEvery {
            // Consensus counts as applied only what persisted() confirmed (outputs still in flight
            // may have applied more).
            let through = min(LogIndex(appliedIndex.rawValue - configuration.compactEvery / 2), raft.appliedIndex)
            if through > snapshotIndex {
                raft.compact(through: through)
                snapshotIndex = through
            }
        }
    }

    /// A peer could not be reached (its connection failed).
    package mutating func peerUnreachable(_ member: Int32) {
        raft.reportUnreachable(NodeID(Int(member)))
    }

    /// A snapshot stream to `member` finished (or failed).
    package mutating func snapshotSent(to member: Int32, succeeded: Bool) {
        raft.reportSnapshot(NodeID(Int(member)), succeeded: succeeded)
    }

    /// The tree image a lagging peer is sent (the current tree), and where it stands.
    package var snapshotImage: (tree: DataTree, metadata: SnapshotMetadata)? {
        guard let term = raft.term(at: appliedIndex) else { return nil }
        return (tree, SnapshotMetadata(index: appliedIndex, term: term))
    }

    /// The term of the entry at `index` (for persisting the applied term with the tree rows).
    package func term(at index: LogIndex) -> Term? {
        raft.term(at: index)
    }

    /// Hands the dirty tree rows to the caller (storage) and clears them.
    package mutating func takeDirtyRows() -> (paths: Set<String>, sessions: Set<SessionID>) {
        tree.takeDirty()
    }
}
