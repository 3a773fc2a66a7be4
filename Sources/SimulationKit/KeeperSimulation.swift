package import Consensus
import ZNodeTree
package import KeeperReplica
import NIOCore
package import TestSupport
import ZooKeeperWire

/// Knobs of a simulated keeper ensemble.
package struct KeeperSimulationOptions: Sendable {
    package var electionTicks = 10
    /// Take a tree snapshot and compact the in-memory log after this many applied entries: small,
    /// so lagging and wiped members catch up through snapshot streams.
    package var compactEvery: Int64 = 40
    package var maxEntriesPerAppend = 16
    /// `ReplicaConfiguration.zxidCounterLimit`: lowered to make leaders reach the rollover.
    package var zxidCounterLimit: UInt32 = .max
    /// Snapshot streams are cut into chunks this big (production: 1 MiB), so every stream has
    /// several.
    package var snapshotChunkBytes = 512
    /// Steps between submitting a batch and it being durable (the fsync).
    package var persistDelay: ClosedRange<Int64> = 1...4
    package var slowPersistPerMille = 80
    package var slowPersistDelay: ClosedRange<Int64> = 10...60
    /// Negotiated session timeout (ms) and the leader's expiry bucket (ms).
    package var sessionTimeoutMillis: Int32 = 3_000
    package var sessionTickMillis: Int64 = 200
    /// A client gives up on a connection whose oldest request is unanswered this long (a
    /// ZooKeeper client's read timeout, two thirds of the session timeout: pings queue behind it).
    package var clientRequestTimeoutMillis: Int64 = 2_000
    /// Requests a client keeps in flight at most.
    package var clientPipeline = 3
    /// Per mille per client step: submit a request / move to another member / close the session.
    package var requestPerMille = 400
    /// Per mille of requests that are reads setting a data watch, and of those, reads after a sync.
    package var readPerMille = 200
    package var syncPerMille = 250
    package var movePerMille = 0
    package var closePerMille = 8
    /// Whether random loss (`network.dropPerMille`) also hits keeper messages (forwards, touches,
    /// snapshot streams) and not only consensus envelopes. A real link that goes down loses
    /// whatever was in flight, forwards included.
    package var dropKeeperMessages = true
    /// Whether a break of client FIFO order in the committed sequence fails the run. When false it
    /// is collected in `knownIssues` and the run goes on (see `KeeperKnownIssueTests`: Paddock
    /// applies writes of a closed connection after later ones, and loses forwards on link blips).
    package var sessionOrderViolationsAreFatal = true
    /// Whether a request still hung after healing because its forward to the leader was lost
    /// (with no leader change to close its connection) fails the liveness check. When false it
    /// is collected in `knownIssues` and the client gives up on it, as a real client would.
    package var lostForwardHangsAreFatal = true
    /// Outputs a member writes at once (`ReplicaPipeline.maxInFlight`; the server uses 4).
    package var writesInFlight = 4
    /// `ReplicaPipeline.treeFlushIntervalMillis`: 0, tree rows ride along with every durable
    /// write; else they are written at most this often, the log covering the gap at restart.
    package var treeFlushIntervalMillis: Int64 = 0
    /// Events kept for a failure report.
    package var traceCapacity = 40

    package init() {}
}

/// A deterministic simulation of a whole replicated keeper (STYLE.md §7.3): per member the
/// production `ServerCore` (consensus, tree, sessions and every server rule for clients), driven
/// as `ReplicaDriver` drives it — inputs in, actions performed in order — over a `FakeNetwork`
/// and a `KeeperDisk` that loses what was not yet durable when the member crashes. Nothing here
/// restates a server rule: the simulated clients speak to the core through the same inputs a
/// client connection feeds it (ConnectRequest, decoded requests, pings, closes). Peer links are
/// FIFO (TCP) and lose messages while cut; snapshot streams deliver their chunks and then the
/// `.snapshot` envelope in order on one link. Simulated clients create sessions, run a random
/// write workload with increasing xids, move between members and close sessions. `KeeperChecker`
/// and the consensus `InvariantChecker` run after every event; the same seed replays the same run.
package struct KeeperSimulation: DiscreteEventSimulation, Sendable {
    package static let stepsPerTick = RaftSimulation.stepsPerTick
    /// A step is 10 ms: a consensus tick is 100 ms.
    package static let millisPerStep: Int64 = 10
    static let wallBase: Int64 = 1_700_000_000_000

    package enum Event: Sendable {
        case tick(Int, incarnation: Int)
        /// `incarnation` is the sender's when it sent: a link that loses the message reports it to
        /// that incarnation only, as a broken TCP connection reports to the process that opened it.
        case deliver(from: Int32, to: Int32, PeerMessage, incarnation: Int)
        case stream(from: Int32, to: Int32, [PeerMessage], position: Int, incarnation: Int)
        case streamDone(Int, incarnation: Int, peer: Int32, succeeded: Bool)
        case persist(Int, incarnation: Int, ticket: UInt64)
        case checkpoint(Int, incarnation: Int)
        case clients
    }

    /// A client connection open on a member: the client behind it and the simulation's
    /// connection number (unique across members, for the checker).
    struct Connection: Sendable {
        var client: Int
        var number: Int
    }

    /// One member: its core when up, its disk, and what its driver holds (connections, writes).
    struct Member: Sendable {
        let id: Int32
        var core: ServerCore?
        var disk = KeeperDisk()
        var incarnation = 0
        /// Writes handed to the disk and not yet durable, in order.
        var writes: [(ticket: UInt64, write: ReplicaWrite)] = []
        /// When the newest write becomes durable (the disk completes writes in order).
        var lastWriteDone: Int64 = 0
        /// The checkpoint being written beside the log (its own file: it completes on its own).
        var checkpoint: ReplicaCheckpoint?
        var connections: [WatcherID: Connection] = [:]

        var node: ReplicaNode? { core?.node }
    }

    package let seed: UInt64
    package let options: KeeperSimulationOptions
    package var random: Xoshiro256StarStar
    package var network = FakeNetwork()
    package internal(set) var checker = KeeperChecker()
    package private(set) var raftChecker = InvariantChecker()
    package var loop = SimulationLoop<Event>()
    var members: [Member]
    var clients: [SimulatedClient] = []
    var trace = TraceLog(capacity: 40)
    /// Per directed link, the time of the last scheduled delivery (links are FIFO).
    private var linkClock: [Int64: Int64] = [:]
    var nextConnection = 1
    /// Whether clients submit new requests and move between members.
    package var workloadEnabled = true
    /// Whether clients give up on requests unanswered for `clientRequestTimeoutMillis` (off while
    /// liveness is checked: then the member must answer or close the connection).
    package var clientTimeoutsEnabled = true

    /// Client requests whose forward to the leader was lost on the way: (session, xid).
    var lostForwards: Set<KeeperChecker.RequestKey> = []
    /// Known Paddock issues met in this run (when the options make them non-fatal).
    package var knownIssues: [String] { checker.orderViolations + hangs }
    var hangs: [String] = []

    package private(set) var snapshotsSent = 0
    package private(set) var snapshotsInstalled = 0
    package private(set) var restarts = 0
    package private(set) var connectionsClosedByLeaderChange = 0
    package var statistics = KeeperClientStatistics()

    package init(seed: UInt64, size: Int, options: KeeperSimulationOptions = KeeperSimulationOptions()) {
        precondition(size >= 1)
        self.seed = seed
        self.options = options
        self.random = Xoshiro256StarStar(seed: seed)
        self.trace = TraceLog(capacity: options.traceCapacity)
        self.checker.orderViolationsAreFatal = options.sessionOrderViolationsAreFatal
        self.members = (1...size).map { Member(id: Int32($0)) }
        for k in members.indices {
            start(k)
        }
        loop.schedule(.clients, at: Self.stepsPerTick)
    }

    private func serverConfiguration(for id: Int32) -> ServerCoreConfiguration {
        ServerCoreConfiguration(member: id, sessionTimeouts: options.sessionTimeoutMillis...options.sessionTimeoutMillis)
    }

    private func configuration(for id: Int32) -> ReplicaConfiguration {
        ReplicaConfiguration(
            member: id, members: members.map(\.id), electionTicks: options.electionTicks, heartbeatTicks: 1,
            compactEvery: options.compactEvery, maxEntriesPerAppend: options.maxEntriesPerAppend,
            zxidCounterLimit: options.zxidCounterLimit)
    }

    // MARK: - Time

    var monotonicMillis: Int64 { 1_000 + now * Self.millisPerStep }
    var wallMillis: Int64 { Self.wallBase + now * Self.millisPerStep }
    var time: ServerTime { ServerTime(monotonicMillis: monotonicMillis, wallMillis: wallMillis) }

    // MARK: - Observing

    package var ids: [Int32] { members.map(\.id) }
    package var ticks: Int64 { now / Self.stepsPerTick }
    package var violation: String? { checker.violation ?? raftChecker.violation }

    package func node(_ id: Int32) -> ReplicaNode? { members[index(id)].node }
    package func isUp(_ id: Int32) -> Bool { members[index(id)].node != nil }
    package func disk(_ id: Int32) -> KeeperDisk { members[index(id)].disk }
    /// The log index a live member's tree reflects.
    package func appliedIndex(of id: Int32) -> Int64? { members[index(id)].node?.appliedIndex.rawValue }

    /// The live leader with the highest term.
    package var leader: Int32? {
        var best: (id: Int32, term: UInt64)?
        for m in members {
            guard let node = m.node, node.isLeader else { continue }
            if best == nil || node.term > best!.term { best = (m.id, node.term) }
        }
        return best?.id
    }

    /// A leader every live member follows at its term.
    package var stableLeader: Int32? {
        guard let leader, let term = node(leader)?.term else { return nil }
        for m in members {
            guard let node = m.node else { continue }
            if node.term != term || node.leader != leader { return nil }
        }
        return leader
    }

    func index(_ id: Int32) -> Int { Int(id) - 1 }

    /// The seed, the violation (if any), the members and the last events, for a failure message.
    package var report: String {
        var text = "seed \(seed) (replay with SIM_SEED=\(seed)) at tick \(ticks), event \(eventCount)"
        if let violation { text += "\nviolation: \(violation)" }
        text += "\ncommitted txns \(checker.committedCount) through \(checker.referenceIndex), zxid \(checker.reference.lastZxid); "
        text += "acknowledged \(checker.acknowledged) (highest index \(checker.highestAcknowledged)); \(statistics)"
        text += "\nmembers:"
        for m in members {
            if let node = m.node {
                text +=
                    "\n  \(m.id) \(node.role) t\(node.term) leader \(node.leader.map(String.init) ?? "-") "
                    + "commit \(node.raft.commitIndex) applied \(node.appliedIndex) last \(node.raft.lastIndex) "
                    + "zxid \(node.tree.lastZxid) sessions \(node.tree.sessions.count) nodes \(node.tree.nodeCount) "
                    + "conns \(m.connections.count)"
            } else {
                text += "\n  \(m.id) down (disk applied \(m.disk.appliedIndex), last \(m.disk.lastIndex))"
            }
        }
        text += "\nclients:"
        for c in clients { text += "\n  \(c)" }
        text += "\nlast events:\n" + trace.formatted()
        return text
    }

    // MARK: - Running

    package mutating func run(ticks: Int) {
        run(steps: Int64(ticks) * Self.stepsPerTick)
    }

    /// Runs tick by tick until `condition` holds; returns whether it did within `maxTicks`.
    package mutating func run(upTo maxTicks: Int, until condition: (KeeperSimulation) -> Bool) -> Bool {
        run(upTo: Int64(maxTicks) * Self.stepsPerTick, every: Self.stepsPerTick, until: condition)
    }

    package mutating func handle(_ event: Event) {
        perform(event)
        if eventCount % 64 == 0 { periodicCheck() }
    }

    private mutating func perform(_ event: Event) {
        switch event {
        case .tick(let k, let incarnation):
            guard members[k].incarnation == incarnation, members[k].node != nil else { return }
            var rng = random
            members[k].core!.tick(at: time, random: &rng)
            random = rng
            trace.append(now, .tick(NodeID(Int(members[k].id))))
            loop.schedule(
                .tick(k, incarnation: incarnation), at: now + Self.stepsPerTick + Int64.random(in: -1...1, using: &random))
            afterInput(k)

        case .deliver(let from, let to, let message, let incarnation):
            let k = index(to)
            guard members[k].node != nil, network.connected(NodeID(Int(from)), NodeID(Int(to))) else {
                noteLostForward(message)
                trace.append(now, .note("drop (\(members[k].node == nil ? "down" : "cut")) \(from)->\(to) \(Self.describe(message))"))
                // The link lost data in flight: its TCP connection breaks, and the sender's transport
                // reports the peer unreachable (`PeerTransport.outboundClosed`), as ReplicaDriver sees it.
                let sender = index(from)
                if members[sender].incarnation == incarnation, members[sender].node != nil {
                    perform(sender, members[sender].core!.peerUnreachable(to))
                }
                return
            }
            trace.append(now, .note("deliver \(from)->\(to) \(Self.describe(message))"))
            receive(k, message, from: from)

        case .stream(let from, let to, let messages, let position, let incarnation):
            let k = index(to)
            let link = (NodeID(Int(from)), NodeID(Int(to)))
            guard members[k].node != nil, network.connected(link.0, link.1),
                !(options.dropKeeperMessages && random.chance(perMille: network.dropPerMille))
            else {
                trace.append(now, .note("snapshot stream \(from)->\(to) broke at \(position)/\(messages.count)"))
                scheduleStreamDone(from: from, incarnation: incarnation, to: to, succeeded: false)
                return
            }
            trace.append(now, .note("stream \(from)->\(to) \(position + 1)/\(messages.count) \(Self.describe(messages[position]))"))
            if position + 1 < messages.count {
                let at = scheduleOnLink(from: from, to: to, delay: 1)
                loop.schedule(
                    .stream(from: from, to: to, messages, position: position + 1, incarnation: incarnation), at: at)
            } else {
                scheduleStreamDone(from: from, incarnation: incarnation, to: to, succeeded: true)
            }
            receive(k, messages[position], from: from)

        case .streamDone(let k, let incarnation, let peer, let succeeded):
            guard members[k].incarnation == incarnation, members[k].node != nil else { return }
            members[k].core!.snapshotSent(to: peer, succeeded: succeeded)
            trace.append(now, .note("\(members[k].id) snapshotSent(to: \(peer), \(succeeded))"))
            afterInput(k)

        case .persist(let k, let incarnation, let ticket):
            guard members[k].incarnation == incarnation, members[k].node != nil,
                let first = members[k].writes.first, first.ticket == ticket
            else {
                return
            }
            members[k].writes.removeFirst()
            members[k].disk.commit(first.write)
            trace.append(now, .note("\(members[k].id) durable: \(Self.describe(first.write))"))
            perform(k, members[k].core!.persisted(ticket: ticket))
            afterInput(k)

        case .checkpoint(let k, let incarnation):
            guard members[k].incarnation == incarnation, members[k].node != nil, let checkpoint = members[k].checkpoint
            else { return }
            members[k].checkpoint = nil
            members[k].disk.checkpoint(checkpoint)
            trace.append(now, .note("\(members[k].id) checkpoint durable at \(checkpoint.applied.index)"))
            members[k].core!.checkpointed()
            afterInput(k)

        case .clients:
            loop.schedule(.clients, at: now + Self.stepsPerTick)
            stepClients()
        }
    }

    private mutating func receive(_ k: Int, _ message: PeerMessage, from: Int32) {
        do {
            try members[k].core!.peerMessageReceived(message, from: from, at: time)
        } catch {
            // Only correct members speak in the simulation: a rejected frame is a bug.
            checker.fail("\(members[k].id) rejected a frame from \(from): \(error)")
            return
        }
        afterInput(k)
    }

    /// After any input: run the driver loop, then check the member.
    mutating func afterInput(_ k: Int) {
        process(k)
        if let node = members[k].node { raftChecker.check(node.raft) }
    }

    private mutating func periodicCheck() {
        for m in members {
            guard let node = m.node else { continue }
            raftChecker.checkCommittedPrefix(node.raft)
            checker.checkTree(m.id, node.tree)
        }
        checkWatchesFired()
    }

    /// Checks every live member in full (the end of a scenario).
    package mutating func finalCheck() {
        periodicCheck()
        for m in members {
            guard let node = m.node else { continue }
            raftChecker.checkLeaderCompleteness(node.raft)
        }
    }

    // MARK: - The driver (ReplicaDriver.process / run)

    /// `ReplicaDriver`'s loop turn: takes the core's outputs while its pipeline has room and
    /// performs the actions.
    mutating func process(_ k: Int) {
        guard members[k].core != nil else { return }
        var outputs: [ReplicaOutput] = []
        let actions = members[k].core!.process(at: time) { outputs.append($0) }
        for output in outputs { observeTaken(k, output) }
        perform(k, actions)
    }

    /// What the core did inside `takeOutput`: its tree changed then.
    private mutating func observeTaken(_ k: Int, _ output: ReplicaOutput) {
        let member = members[k].id
        if let metadata = output.installedSnapshot {
            snapshotsInstalled += 1
            trace.append(now, .note("\(member) installs snapshot \(metadata.index)/\(metadata.term)"))
            checker.observeSnapshotInstalled(member, metadata: metadata, zxid: checker.zxid(through: metadata.index))
        }
        for applied in output.applied {
            checker.observeApplied(member, applied)
        }
        checker.observeAppliedThrough(members[k].node!.appliedIndex)
        if let change = output.roleChange {
            trace.append(
                now, .role(NodeID(Int(member)), change.role, Term(change.term), change.leader.map { NodeID(Int($0)) }))
        }
    }

    /// `ReplicaDriver.run`: performs member `k`'s actions in order. Client output reaches the
    /// simulated client at once; a link that loses one message loses the rest of this batch on it
    /// (the driver notices the broken link once).
    mutating func perform(_ k: Int, _ actions: [ServerAction]) {
        var broken: Set<Int32> = []
        for action in actions {
            guard members[k].core != nil else { return }
            switch action {
            case .connectResponse(let id, let response):
                guard let connection = members[k].connections[id] else { continue }
                connectAnswered(k, connection, response)
            case .reply(let id, let header, let response, _):
                guard let connection = members[k].connections[id] else { continue }
                replyArrived(k, connection, header, response)
            case .notify(let id, let event, let zxid):
                guard let connection = members[k].connections[id] else { continue }
                eventArrived(k, connection, event, zxid: zxid)
            case .close(let id, let reason, _):
                guard let connection = members[k].connections.removeValue(forKey: id) else { continue }
                members[k].core!.connectionClosed(id)
                connectionClosedByServer(client: connection.client, connection: connection.number, reason: reason)
            case .send(let to, let message):
                if broken.contains(to) {
                    trace.append(now, .note("lost \(members[k].id)->\(to) (link broken) \(Self.describe(message))"))
                    noteLostForward(message)
                } else if !transmit(from: k, to: to, message) {
                    broken.insert(to)
                }
            case .streamSnapshot(let to, let image, let metadata, let envelope):
                streamSnapshot(k, to: to, image: image, metadata: metadata, envelope: envelope)
            case .persist(let ticket, let write):
                persist(k, ticket: ticket, write)
            case .checkpoint(let checkpoint):
                if members[k].checkpoint != nil {
                    checker.fail("\(members[k].id) started a checkpoint while one was in flight")
                }
                members[k].checkpoint = checkpoint
                // Its own file and thread: durable after a disk write of its own, in any order
                // with the log's.
                let done = random.diskCompletion(
                    now: now, after: now, fast: options.persistDelay, slow: options.slowPersistDelay,
                    slowPerMille: options.slowPersistPerMille)
                loop.schedule(.checkpoint(k, incarnation: members[k].incarnation), at: done)
                trace.append(
                    now,
                    .note("\(members[k].id) checkpoints \(checkpoint.nodes.count) rows at \(checkpoint.applied.index)"))
            case .notice(let notice):
                observe(k, notice)
            }
        }
    }

    /// Hands a write to the disk, which completes writes in order after a random delay.
    private mutating func persist(_ k: Int, ticket: UInt64, _ write: ReplicaWrite) {
        if (!write.nodes.isEmpty || !write.sessions.isEmpty) && !write.replaceTree {
            checker.fail("\(members[k].id) writes tree rows in front of the log outside a snapshot install")
        }
        if write.replaceTree && write.applied == nil {
            checker.fail("\(members[k].id) writes tree rows without an applied mark (applied \(members[k].node!.appliedIndex))")
        }
        members[k].writes.append((ticket, write))
        let done = random.diskCompletion(
            now: now, after: members[k].lastWriteDone, fast: options.persistDelay, slow: options.slowPersistDelay,
            slowPerMille: options.slowPersistPerMille)
        members[k].lastWriteDone = done
        loop.schedule(.persist(k, incarnation: members[k].incarnation, ticket: ticket), at: done)
        trace.append(now, .note("\(members[k].id) writes \(Self.describe(write))"))
    }

    private mutating func observe(_ k: Int, _ notice: ServerNotice) {
        let member = members[k].id
        switch notice {
        case .leaderLost(let count):
            connectionsClosedByLeaderChange += count
            trace.append(now, .note("\(member) lost its leader: closes \(count) connections"))
        case .requestsLost(let count):
            trace.append(now, .note("\(member) lost a message to its leader: closes \(count) connections"))
        case .sessionExpired(let session):
            trace.append(now, .note("\(member) expires \(session)"))
        case .roleChanged, .snapshotInstalled, .sessionCreated, .sessionMovedHere, .sessionReconnected, .sessionClosed,
            .malformedRequest:
            break  // traced from the outputs, or by the client that hears of it
        }
    }

    private mutating func noteLostForward(_ message: PeerMessage) {
        if case .forward(let txn, _) = message, txn.xid.rawValue > 0 {
            lostForwards.insert(KeeperChecker.RequestKey(session: txn.session, xid: txn.xid.rawValue))
        }
    }

    // MARK: - Sending

    /// The delivery time of a message sent now on `from -> to`: never before the link's previous
    /// one (TCP keeps order).
    private mutating func scheduleOnLink(from: Int32, to: Int32, delay: Int64) -> Int64 {
        let key = Int64(from) << 32 | Int64(to)
        let at = max(now + delay, linkClock[key] ?? 0)
        linkClock[key] = at
        return at
    }

    /// Sends one message; false when it was lost.
    @discardableResult
    private mutating func transmit(from k: Int, to: Int32, _ message: PeerMessage) -> Bool {
        let from = members[k].id
        var isRaft = false
        if case .raft(let envelope) = message {
            raftChecker.observeSent(envelope)
            isRaft = true
        }
        let lost =
            !network.connected(NodeID(Int(from)), NodeID(Int(to)))
            || ((isRaft || options.dropKeeperMessages) && random.chance(perMille: network.dropPerMille))
        if lost {
            // The link is down: the transport drops the message and reports the peer unreachable.
            trace.append(now, .note("lost \(from)->\(to) \(Self.describe(message))"))
            noteLostForward(message)
            perform(k, members[k].core!.peerUnreachable(to))
            return false
        }
        var delay = Int64.random(in: network.minDelay...network.maxDelay, using: &random)
        if random.chance(perMille: network.longDelayPerMille) {
            delay += Int64.random(in: 0...network.longDelay, using: &random)
        }
        let copies = isRaft && random.chance(perMille: network.duplicatePerMille) ? 2 : 1
        for _ in 0..<copies {
            loop.schedule(
                .deliver(from: from, to: to, message, incarnation: members[k].incarnation),
                at: scheduleOnLink(from: from, to: to, delay: delay))
        }
        return true
    }

    /// `ReplicaDriver.streamSnapshot`: the tree image the core chose, in chunks, then the consensus
    /// message naming the index the image stands at, in order on one link.
    private mutating func streamSnapshot(
        _ k: Int, to: Int32, image: DataTree, metadata: SnapshotMetadata, envelope: Envelope
    ) {
        let from = members[k].id
        snapshotsSent += 1
        raftChecker.observeSent(envelope)
        var bytes = ByteBuffer()
        do {
            try image.writeSnapshot(to: &bytes)
        } catch {
            // As `ReplicaDriver`: an image that cannot be written fails the send.
            trace.append(now, .note("\(from) cannot write a snapshot for \(to): \(error)"))
            scheduleStreamDone(from: from, incarnation: members[k].incarnation, to: to, succeeded: false)
            return
        }
        let messages = PeerMessage.snapshotStream(
            image: bytes, metadata: metadata, envelope: envelope, chunkSize: options.snapshotChunkBytes)
        trace.append(now, .note("\(from) streams snapshot \(metadata.index)/\(metadata.term) to \(to) in \(messages.count - 1) chunks"))
        guard network.connected(NodeID(Int(from)), NodeID(Int(to))) else {
            scheduleStreamDone(from: from, incarnation: members[k].incarnation, to: to, succeeded: false)
            return
        }
        let delay = Int64.random(in: network.minDelay...network.maxDelay, using: &random)
        loop.schedule(
            .stream(from: from, to: to, messages, position: 0, incarnation: members[k].incarnation),
            at: scheduleOnLink(from: from, to: to, delay: delay))
    }

    private mutating func scheduleStreamDone(from: Int32, incarnation: Int, to: Int32, succeeded: Bool) {
        loop.schedule(
            .streamDone(index(from), incarnation: incarnation, peer: to, succeeded: succeeded),
            at: now + Int64.random(in: 1...3, using: &random))
    }

    // MARK: - Faults

    /// Starts member `k` from its disk, as `KeeperServer` does at start-up.
    private mutating func start(_ k: Int) {
        let id = members[k].id
        let loaded: LoadedState
        do {
            loaded = try members[k].disk.load(config: TreeConfig())
        } catch {
            checker.fail("\(id) refuses to start from its disk: \(error)")
            return
        }
        // Replaying the tail must not go backwards (DataTree.apply would trap).
        var last = loaded.tree.lastZxid
        for entry in loaded.tail where entry.index <= loaded.hardState.commit {
            var payload = entry.payload
            guard payload.readableBytes > 0, let txn = try? Txn(from: &payload) else { continue }
            if txn.zxid <= last {
                checker.fail(
                    "\(id) would re-apply committed entry \(entry.index) (zxid \(txn.zxid)) onto a tree at zxid \(last) after restart")
                return
            }
            last = txn.zxid
        }
        let node: ReplicaNode
        do {
            node = try ReplicaNode(
                configuration: configuration(for: id), loaded: loaded, sessionTickMillis: options.sessionTickMillis,
                monotonicMillis: monotonicMillis)
        } catch {
            checker.fail("\(id) refuses to start from its disk: \(error)")
            return
        }
        let pipeline = ReplicaPipeline(
            loadedHardState: loaded.hardState, monotonicMillis: monotonicMillis, maxInFlight: options.writesInFlight,
            treeFlushIntervalMillis: options.treeFlushIntervalMillis)
        members[k].core = ServerCore(
            configuration: serverConfiguration(for: id), node: node, pipeline: pipeline,
            firstRequestID: UInt64.random(in: 1...(UInt64.max >> 1), using: &random))
        members[k].writes = []
        checker.observeRestart(id, appliedIndex: loaded.applied.index, zxid: loaded.tree.lastZxid)
        raftChecker.observeRestart(NodeID(Int(id)), members[k].node!.raft)
        let phase = Int64.random(in: 1...Self.stepsPerTick, using: &random)
        loop.schedule(.tick(k, incarnation: members[k].incarnation), at: now + phase)
    }

    /// A hostile or broken peer: hands `message` to member `to` as if it came on `from`'s link.
    /// A malformed frame must be rejected (the driver closes the link) leaving the member's
    /// consensus state exactly as it was; returns the rejection, or nil when the member took it.
    package mutating func injectFrame(_ message: PeerMessage, from: Int32, to: Int32) -> MalformedConsensusInput? {
        let k = index(to)
        guard let before = members[k].node else { return nil }
        trace.append(now, .note("inject into \(to) from \(from): \(Self.describe(message))"))
        do {
            try members[k].core!.peerMessageReceived(message, from: from, at: time)
        } catch {
            let after = members[k].node!
            if after.raft.hardState != before.raft.hardState || after.raft.lastIndex != before.raft.lastIndex
                || after.raft.role != before.raft.role || after.appliedIndex != before.appliedIndex
            {
                checker.fail("\(to) changed state on a rejected frame from \(from): \(error)")
            }
            return error
        }
        afterInput(k)
        return nil
    }

    /// Kills a member: its memory, its client connections and any write not yet durable are lost.
    package mutating func crash(_ id: Int32) {
        let k = index(id)
        guard members[k].node != nil else { return }
        trace.append(now, .note("crash \(id)\(members[k].writes.isEmpty ? "" : " (losing \(members[k].writes.count) writes in flight)")"))
        let connections = members[k].connections
        members[k].connections = [:]
        members[k].core = nil
        members[k].writes = []
        members[k].checkpoint = nil
        members[k].incarnation += 1
        for id in connections.keys.sorted() {
            connectionClosedByServer(client: connections[id]!.client, connection: connections[id]!.number, reason: nil)
        }
    }

    /// Starts a crashed member again from its disk.
    package mutating func restart(_ id: Int32) {
        let k = index(id)
        guard members[k].node == nil, violation == nil else { return }
        restarts += 1
        start(k)
        guard let node = members[k].node else { return }
        trace.append(
            now,
            .note("restart \(id) (t\(node.term), applied \(node.appliedIndex), zxid \(node.tree.lastZxid), last \(node.raft.lastIndex))"))
        checker.checkTree(id, node.tree)
        afterInput(k)
    }

    /// Crashes a member and clears its disk (an operator replacing a dead machine); it restarts
    /// empty and rebuilds from its peers.
    package mutating func wipe(_ id: Int32) {
        crash(id)
        members[index(id)].disk = KeeperDisk()
        trace.append(now, .note("wipe \(id)"))
    }

    package mutating func partition(_ groups: [[Int32]]) {
        network.partition(groups.map { $0.map { NodeID(Int($0)) } })
        trace.append(now, .note("partition \(groups)"))
    }

    package mutating func isolate(_ id: Int32) {
        network.isolate(NodeID(Int(id)))
        trace.append(now, .note("isolate \(id)"))
    }

    package mutating func heal() {
        network.heal()
        trace.append(now, .note("heal"))
    }

    // MARK: - Formatting

    static func describe(_ message: PeerMessage) -> String {
        switch message {
        case .hello(let member): return "hello(\(member))"
        case .raft(let envelope): return envelope.description
        case .forward(let txn, let term): return "forward(\(term) \(KeeperChecker.describe(txn)))"
        case .touch(let ids): return "touch(\(ids.count))"
        case .snapshotChunk(let index, _, let total, let offset, let bytes):
            return "chunk(i\(index), \(offset)+\(bytes.readableBytes)/\(total))"
        }
    }

    static func describe(_ batch: ReplicaWrite) -> String {
        var parts: [String] = []
        if batch.replaceTree { parts.append("tree image") }
        if let first = batch.entries.first { parts.append("entries \(first.index)...\(batch.entries.last!.index)") }
        if let hard = batch.hardState {
            parts.append("hs(t\(hard.term.rawValue), vote \(hard.vote.map(String.init(describing:)) ?? "-"), commit \(hard.commit))")
        }
        if !batch.nodes.isEmpty || !batch.sessions.isEmpty {
            parts.append("rows \(batch.nodes.count)+\(batch.sessions.count)")
        }
        if let applied = batch.applied { parts.append("applied \(applied.index) \(applied.zxid)") }
        return parts.joined(separator: " ")
    }
}
