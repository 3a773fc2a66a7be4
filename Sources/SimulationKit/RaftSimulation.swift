package import Consensus
package import TestSupport

/// Knobs of a simulated ensemble.
package struct SimulationOptions: Sendable {
    package var electionTicks = 10
    package var heartbeatTicks = 1
    package var preVote = true
    package var checkQuorum = true
    /// Small batches and windows so flow control is exercised.
    package var maxEntriesPerAppend = 16
    package var maxInflightAppends = 8
    /// The application takes a snapshot every this many applied entries and compacts the log to
    /// the previous one (0 = never).
    package var snapshotInterval = 24
    /// Steps between taking a `Ready` and it being durable (the fsync).
    package var persistDelay: ClosedRange<Int64> = 1...4
    /// Probability (per mille) of a slow fsync, taking `slowPersistDelay` steps instead: widens
    /// the windows where a crash loses a `Ready` others already acted upon.
    package var slowPersistPerMille = 80
    package var slowPersistDelay: ClosedRange<Int64> = 10...60
    /// A leader whose term and vote are already durable sends its messages as soon as it takes a
    /// `Ready`, writing its own entries in parallel (Raft §10.2.1; Keeper's `ReplicaDriver` does
    /// this). It then counts itself towards commitment only once its write is done.
    package var leaderSendsBeforePersisting = true
    /// `Ready`s a member writes at once (taken before earlier ones are durable; the disk
    /// completes them in order).
    package var readiesInFlight = 4
    /// Extra delay of a snapshot transfer.
    package var snapshotTransferDelay: ClosedRange<Int64> = 10...40

    package init() {}
}

/// A deterministic simulation of an ensemble of `RaftNode`s (STYLE.md §7.3): one event queue over
/// a fake clock, a `FakeNetwork`, a `FakeDisk` per member, a driver loop per member that mirrors
/// the production one (persist the `Ready`, then send, then apply, then `advance()`), and an
/// `InvariantChecker` run after every event. The same seed replays the same run.
package struct RaftSimulation: DiscreteEventSimulation, Sendable {
    /// Simulation steps per logical tick; message delays are a few steps.
    package static let stepsPerTick: Int64 = 10

    package enum Event: Sendable {
        case tick(Int, incarnation: Int)
        case deliver(Envelope, AppSnapshot?)
        case persist(Int, incarnation: Int)
        case snapshotStatus(Int, incarnation: Int, peer: NodeID, succeeded: Bool)
        case client
    }

    /// One simulated member: the core (when up), its disk, and its driver's state.
    struct Member: Sendable {
        let id: NodeID
        var raft: RaftNode?
        var disk = FakeDisk()
        /// Bumped by every crash, so events scheduled for an earlier life are ignored.
        var incarnation = 0
        /// Taken from the core, not yet durable.
        /// `Ready`s taken and not yet durable, oldest first.
        var readiesInFlight: [Ready] = []
        /// When the newest of them becomes durable.
        var lastPersistDone: Int64 = 0
        /// Snapshot data streamed to this member, waiting for the core to install it.
        var receivedSnapshots: [AppSnapshot] = []
        var lastSoft: (role: Role, leader: NodeID?, term: Term)?
    }

    /// A client write, retried until it is applied somewhere.
    struct PendingProposal: Sendable {
        var id: UInt64
        var lastSubmitted: Int64?
        var retry: Bool
    }

    /// A ReadIndex request and the highest commit index known anywhere when it was issued:
    /// linearizability needs the read index to be at least that.
    struct PendingRead: Sendable {
        var node: NodeID
        var requestID: UInt64
        var minimumIndex: LogIndex
    }

    package let seed: UInt64
    package let options: SimulationOptions
    package var random: Xoshiro256StarStar
    package var network = FakeNetwork()
    package private(set) var checker = InvariantChecker()
    package var loop = SimulationLoop<Event>()
    private var members: [Member]
    private var trace = TraceLog(capacity: 40)

    private var nextProposalID: UInt64 = 1
    private var pendingProposals: [PendingProposal] = []
    /// Proposal id -> the index it was first applied at.
    package private(set) var appliedProposals: [UInt64: LogIndex] = [:]
    private var nextReadID: UInt64 = 1
    private var pendingReads: [PendingRead] = []
    package private(set) var readsConfirmed = 0
    package private(set) var snapshotsInstalled = 0
    package private(set) var snapshotsSent = 0
    package private(set) var messagesDelivered = 0
    /// Retry an unapplied retried proposal after this many ticks.
    package var proposalRetryTicks: Int64 = 30

    package init(seed: UInt64, size: Int, options: SimulationOptions = SimulationOptions()) {
        precondition(size >= 1)
        self.seed = seed
        self.options = options
        self.random = Xoshiro256StarStar(seed: seed)
        let ids = (1...size).map { NodeID($0) }
        self.members = ids.map { Member(id: $0) }
        for k in members.indices {
            members[k].raft = RaftNode(configuration: configuration(for: ids[k]), persisted: .empty)
            let phase = Int64.random(in: 1...Self.stepsPerTick, using: &random)
            loop.schedule(.tick(k, incarnation: 0), at: phase)
        }
        loop.schedule(.client, at: Self.stepsPerTick)
    }

    private func configuration(for id: NodeID) -> RaftConfiguration {
        RaftConfiguration(
            id: id,
            members: members.map(\.id),
            electionTicks: options.electionTicks,
            heartbeatTicks: options.heartbeatTicks,
            preVote: options.preVote,
            checkQuorum: options.checkQuorum,
            maxEntriesPerAppend: options.maxEntriesPerAppend,
            maxInflightAppends: options.maxInflightAppends)
    }

    // MARK: - Observing

    package var ids: [NodeID] { members.map(\.id) }
    package var violation: String? { checker.violation }
    package var ticks: Int64 { now / Self.stepsPerTick }

    package func node(_ id: NodeID) -> RaftNode? { members[index(id)].raft }
    package func isUp(_ id: NodeID) -> Bool { members[index(id)].raft != nil }
    package func disk(_ id: NodeID) -> FakeDisk { members[index(id)].disk }
    package var upMembers: [NodeID] { members.filter { $0.raft != nil }.map(\.id) }

    /// The live leader with the highest term, if any.
    package var leader: NodeID? {
        var best: RaftNode?
        for m in members {
            guard let raft = m.raft, raft.role == .leader else { continue }
            if best == nil || raft.term > best!.term { best = raft }
        }
        return best?.id
    }

    /// A leader every live member follows at its term.
    package var stableLeader: NodeID? {
        guard let leader, let term = node(leader)?.term else { return nil }
        for m in members {
            guard let raft = m.raft else { continue }
            if raft.term != term || raft.leader != leader { return nil }
        }
        return leader
    }

    /// The seed, the violation (if any) and the last events, for a failure message.
    package var report: String {
        var text = "seed \(seed) (replay with SIM_SEED=\(seed)) at tick \(ticks), event \(eventCount)"
        if let violation { text += "\nviolation: \(violation)" }
        text += "\nmembers:"
        for m in members {
            if let r = m.raft {
                text +=
                    "\n  \(m.id) \(r.role) \(r.term) leader \(r.leader.map(String.init(describing:)) ?? "-") "
                    + "first \(r.firstIndex) commit \(r.commitIndex) applied \(r.appliedIndex) last \(r.lastIndex)"
            } else {
                text += "\n  \(m.id) down (disk last \(m.disk.lastIndex), commit \(m.disk.hardState.commit))"
            }
        }
        text += "\nlast events:\n" + trace.formatted()
        return text
    }

    private func index(_ id: NodeID) -> Int { id.rawValue - 1 }

    // MARK: - Running

    /// Runs the simulation for `ticks` logical ticks (or until an invariant fails).
    package mutating func run(ticks: Int) {
        run(steps: Int64(ticks) * Self.stepsPerTick)
    }

    /// Runs tick by tick until `condition` holds; returns whether it did within `maxTicks`.
    package mutating func run(upTo maxTicks: Int, until condition: (RaftSimulation) -> Bool) -> Bool {
        run(upTo: Int64(maxTicks) * Self.stepsPerTick, every: Self.stepsPerTick, until: condition)
    }

    package mutating func handle(_ event: Event) {
        switch event {
        case .tick(let k, let incarnation):
            guard members[k].incarnation == incarnation, members[k].raft != nil else { return }
            members[k].raft!.tick(using: &random)
            trace.append(now, .tick(members[k].id))
            let next = now + Self.stepsPerTick + Int64.random(in: -1...1, using: &random)
            loop.schedule(.tick(k, incarnation: incarnation), at: next)
            afterEvent(k)

        case .deliver(let envelope, let snapshot):
            let k = index(envelope.to)
            guard members[k].raft != nil, network.connected(envelope.from, envelope.to) else {
                trace.append(now, .dropped(envelope, members[k].raft == nil ? "receiver down" : "partitioned"))
                if snapshot != nil { reportSnapshot(from: envelope.from, to: envelope.to, succeeded: false) }
                return
            }
            if let snapshot {
                members[k].receivedSnapshots.append(snapshot)
                if members[k].receivedSnapshots.count > 4 { members[k].receivedSnapshots.removeFirst() }
            }
            messagesDelivered += 1
            trace.append(now, .delivered(envelope))
            members[k].raft!.receive(envelope)
            afterEvent(k)
            if snapshot != nil { reportSnapshot(from: envelope.from, to: envelope.to, succeeded: true) }

        case .persist(let k, let incarnation):
            guard members[k].incarnation == incarnation, members[k].raft != nil else { return }
            processReady(k)

        case .snapshotStatus(let k, let incarnation, let peer, let succeeded):
            guard members[k].incarnation == incarnation, members[k].raft != nil else { return }
            members[k].raft!.reportSnapshot(peer, succeeded: succeeded)
            trace.append(now, .note("\(members[k].id) reportSnapshot(\(peer), \(succeeded))"))
            afterEvent(k)

        case .client:
            loop.schedule(.client, at: now + Self.stepsPerTick)
            submitPending()
        }
    }

    /// The driver loop after any input: take `Ready`s while fewer than `readiesInFlight` are being
    /// persisted, then check.
    private mutating func afterEvent(_ k: Int) {
        pump(k)
        if let raft = members[k].raft { checker.check(raft) }
        if eventCount % 97 == 0 { fullCheck() }
    }

    private mutating func pump(_ k: Int) {
        while members[k].readiesInFlight.count < options.readiesInFlight, let raft = members[k].raft, raft.hasReady() {
            var ready = members[k].raft!.takeReady()
            let disk = members[k].disk.hardState
            // The term and vote this Ready (or one still in flight before it) leaves on disk.
            let newest = ready.hardState ?? members[k].readiesInFlight.compactMap(\.hardState).last ?? disk
            let termAndVoteDurable = newest.term == disk.term && newest.vote == disk.vote
            if options.leaderSendsBeforePersisting && raft.role == .leader && termAndVoteDurable && ready.snapshot == nil
                && !ready.messages.isEmpty
            {
                trace.append(now, .note("\(members[k].id) sends \(ready.messages.count) before persisting"))
                for envelope in ready.messages { send(from: k, envelope) }
                ready.messages = []
            }
            members[k].readiesInFlight.append(ready)
            if let soft = ready.softState {
                trace.append(now, .role(members[k].id, soft.role, soft.term, soft.leader))
            }
            let done = random.diskCompletion(
                now: now, after: members[k].lastPersistDone, fast: options.persistDelay, slow: options.slowPersistDelay,
                slowPerMille: options.slowPersistPerMille)
            members[k].lastPersistDone = done
            loop.schedule(.persist(k, incarnation: members[k].incarnation), at: done)
        }
    }

    /// The driver's handling of one `Ready`, as `ReplicaDriver` does it: persist, send, apply,
    /// advance; then the application may snapshot and compact.
    private mutating func processReady(_ k: Int) {
        guard let ready = members[k].readiesInFlight.first else { return }
        let id = members[k].id
        let old = members[k].disk.hardState
        var snapshotData: AppSnapshot?
        if let meta = ready.snapshot {
            snapshotData = members[k].receivedSnapshots.last { $0.metadata == meta }
        }
        if let problem = members[k].disk.persist(ready, snapshotData: snapshotData) {
            checker.fail("\(id): \(problem)")
            return
        }
        if let hs = ready.hardState { checker.observePersisted(id, old: old, new: hs) }
        if let data = snapshotData {
            snapshotsInstalled += 1
            checker.observeSnapshotInstalled(id, data)
        }
        trace.append(
            now,
            .persisted(
                id, entries: ready.entries.first.map { $0.index...ready.entries.last!.index },
                hardState: ready.hardState, snapshot: ready.snapshot?.index,
                committed: ready.committed.first.map { $0.index...ready.committed.last!.index },
                messages: ready.messages.count))

        for envelope in ready.messages { send(from: k, envelope) }

        let term = members[k].raft!.term
        for entry in ready.committed {
            members[k].disk.app.apply(entry)
            checker.observeApplied(id, entry, term: term, state: members[k].disk.app)
            if let proposal = ProposalPayload.id(of: entry.payload), appliedProposals[proposal] == nil {
                appliedProposals[proposal] = entry.index
            }
        }
        for state in ready.readStates { confirmRead(node: id, requestID: state.requestID, index: state.index) }
        for dropped in ready.droppedReads { pendingReads.removeAll { $0.node == id && $0.requestID == dropped } }

        members[k].raft!.advance()
        members[k].readiesInFlight.removeFirst()
        takeSnapshotIfDue(k)
        afterEvent(k)
    }

    private mutating func takeSnapshotIfDue(_ k: Int) {
        guard options.snapshotInterval > 0, let raft = members[k].raft else { return }
        let applied = members[k].disk.app.appliedIndex
        let last = members[k].disk.appSnapshots.last?.metadata.index ?? .zero
        guard applied - last >= Int64(options.snapshotInterval), let term = raft.term(at: applied) else { return }
        members[k].disk.saveAppSnapshot(
            AppSnapshot(metadata: SnapshotMetadata(index: applied, term: term), state: members[k].disk.app))
        // Keep the previous snapshot's worth of entries for followers that lag a little.
        let snapshots = members[k].disk.appSnapshots
        if snapshots.count >= 2 {
            let target = snapshots[snapshots.count - 2]
            members[k].raft!.compact(through: target.metadata.index)
            members[k].disk.compact(to: target)
        }
    }

    private mutating func send(from k: Int, _ envelope: Envelope) {
        checker.observeSent(envelope)
        guard network.connected(envelope.from, envelope.to) else {
            trace.append(now, .dropped(envelope, "partitioned"))
            if case .snapshot = envelope.message { reportSnapshot(from: envelope.from, to: envelope.to, succeeded: false) }
            return
        }
        if case .snapshot(let meta) = envelope.message {
            guard let data = members[k].disk.appSnapshot(at: meta.index) else {
                // Compacted away while the message waited behind an earlier write (several
                // Readys in flight): the transfer fails and the leader sends its current one.
                guard meta.index < members[k].raft!.snapshot.index else {
                    checker.fail("\(envelope.from) sent snapshot \(meta) it does not hold")
                    return
                }
                trace.append(now, .dropped(envelope, "snapshot compacted away before sending"))
                reportSnapshot(from: envelope.from, to: envelope.to, succeeded: false)
                return
            }
            snapshotsSent += 1
            if random.chance(perMille: network.dropPerMille) {
                trace.append(now, .dropped(envelope, "lost"))
                reportSnapshot(from: envelope.from, to: envelope.to, succeeded: false)
                return
            }
            let delay = Int64.random(in: options.snapshotTransferDelay, using: &random)
            loop.schedule(.deliver(envelope, data), at: now + delay)
            return
        }
        if random.chance(perMille: network.dropPerMille) {
            trace.append(now, .dropped(envelope, "lost"))
            return
        }
        let copies = random.chance(perMille: network.duplicatePerMille) ? 2 : 1
        for _ in 0..<copies {
            var delay = Int64.random(in: network.minDelay...network.maxDelay, using: &random)
            if random.chance(perMille: network.longDelayPerMille) {
                delay += Int64.random(in: 0...network.longDelay, using: &random)
            }
            loop.schedule(.deliver(envelope, nil), at: now + delay)
        }
    }

    /// The sender's driver learns how streaming a snapshot went.
    private mutating func reportSnapshot(from: NodeID, to: NodeID, succeeded: Bool) {
        let k = index(from)
        let delay = Int64.random(in: 1...5, using: &random)
        loop.schedule(
            .snapshotStatus(k, incarnation: members[k].incarnation, peer: to, succeeded: succeeded), at: now + delay)
    }

    private mutating func fullCheck() {
        for m in members {
            guard let raft = m.raft else { continue }
            checker.checkCommittedPrefix(raft)
            checker.checkLeaderCompleteness(raft)
        }
    }

    /// Checks every live member in full (call at the end of a scenario).
    package mutating func finalCheck() {
        fullCheck()
    }

    // MARK: - Faults

    /// Kills `id`: its in-memory state and any `Ready` not yet durable are lost.
    package mutating func crash(_ id: NodeID) {
        let k = index(id)
        guard members[k].raft != nil else { return }
        members[k].raft = nil
        members[k].readiesInFlight = []
        members[k].receivedSnapshots = []
        members[k].incarnation += 1
        pendingReads.removeAll { $0.node == id }
        trace.append(now, .note("crash \(id)"))
    }

    /// Starts `id` again from its disk.
    package mutating func restart(_ id: NodeID) {
        let k = index(id)
        guard members[k].raft == nil else { return }
        let raft = RaftNode(configuration: configuration(for: id), persisted: members[k].disk.load())
        members[k].raft = raft
        checker.observeRestart(id, raft)
        trace.append(now, .note("restart \(id) (term \(raft.term), commit \(raft.commitIndex), last \(raft.lastIndex))"))
        let phase = Int64.random(in: 1...Self.stepsPerTick, using: &random)
        loop.schedule(.tick(k, incarnation: members[k].incarnation), at: now + phase)
        afterEvent(k)
    }

    package mutating func partition(_ groups: [[NodeID]]) {
        network.partition(groups)
        trace.append(now, .note("partition \(groups)"))
    }

    package mutating func isolate(_ id: NodeID) {
        network.isolate(id)
        trace.append(now, .note("isolate \(id)"))
    }

    package mutating func heal() {
        network.heal()
        trace.append(now, .note("heal"))
    }

    // MARK: - Clients

    /// Submits `count` new proposals to the current leader (at the next client step). With
    /// `retry`, each is re-submitted every `proposalRetryTicks` until applied somewhere.
    @discardableResult
    package mutating func submit(count: Int, retry: Bool) -> [UInt64] {
        var ids: [UInt64] = []
        for _ in 0..<count {
            ids.append(nextProposalID)
            pendingProposals.append(PendingProposal(id: nextProposalID, lastSubmitted: nil, retry: retry))
            nextProposalID += 1
        }
        return ids
    }

    private mutating func submitPending() {
        pendingProposals.removeAll { appliedProposals[$0.id] != nil }
        guard let leader else { return }
        let k = index(leader)
        var proposed = false
        for p in pendingProposals.indices {
            let proposal = pendingProposals[p]
            if let last = proposal.lastSubmitted {
                guard proposal.retry, now - last >= proposalRetryTicks * Self.stepsPerTick else { continue }
            }
            if case .accepted = members[k].raft!.propose(ProposalPayload.make(proposal.id)) {
                pendingProposals[p].lastSubmitted = now
                proposed = true
                trace.append(now, .note("propose \(proposal.id) at \(leader)"))
            }
        }
        pendingProposals.removeAll { !$0.retry && $0.lastSubmitted != nil }
        if proposed { afterEvent(k) }
    }

    /// Whether every proposal in `ids` is applied by every live member.
    package func allApplied(_ ids: [UInt64]) -> Bool {
        var highest = LogIndex.zero
        for id in ids {
            guard let index = appliedProposals[id] else { return false }
            highest = max(highest, index)
        }
        return members.allSatisfy { $0.raft == nil || $0.disk.app.appliedIndex >= highest }
    }

    /// Issues a ReadIndex request on `id` (forwarded to the leader if it follows one).
    package mutating func read(on id: NodeID) {
        let k = index(id)
        guard members[k].raft != nil else { return }
        let requestID = nextReadID
        nextReadID += 1
        let minimum = checker.highestCommitted
        if members[k].raft!.readIndex(requestID: requestID) == .pending {
            pendingReads.append(PendingRead(node: id, requestID: requestID, minimumIndex: minimum))
        }
        trace.append(now, .note("readIndex \(requestID) on \(id)"))
        afterEvent(k)
    }

    private mutating func confirmRead(node: NodeID, requestID: UInt64, index: LogIndex) {
        guard let p = pendingReads.firstIndex(where: { $0.node == node && $0.requestID == requestID }) else {
            checker.fail("\(node) confirmed read \(requestID) it never asked for (or twice)")
            return
        }
        let read = pendingReads.remove(at: p)
        readsConfirmed += 1
        if index < read.minimumIndex {
            checker.fail(
                "linearizability: read \(requestID) on \(node) got index \(index), but \(read.minimumIndex) was committed when it was issued"
            )
        }
    }

    /// Asks the leader to hand leadership to `target`.
    package mutating func transferLeadership(to target: NodeID) {
        guard let leader else { return }
        let k = index(leader)
        members[k].raft!.transferLeadership(to: target)
        trace.append(now, .note("transfer \(leader) -> \(target)"))
        afterEvent(k)
    }
}
