import Consensus
import Crypto
package import Foundation
package import KeeperCore
import KeeperReplica
package import KeeperStorage
package import Logging
package import NIOCore
import NIOPosix
import ServerSupport
package import ZooKeeperWire

/// Drives one member's `ReplicaNode` (consensus + tree + sessions): feeds it client requests,
/// peer messages and ticks, persists what it says to persist, sends its messages, and answers
/// clients from what it applied (etcd's `for { select }` loop, on one event loop).
///
/// Client connections and peer links live on the same event loop and call in synchronously, so
/// a read is a function call against the tree rather than a hop between threads; SQLite runs on
/// its own thread (`StorageDriver`). Inputs arriving in one loop turn are coalesced into one
/// consensus `Ready`, which is what makes group commit: one SQLite transaction and one fsync
/// for every write that arrived while the previous one was being made durable.
package final class ReplicaDriver: @unchecked Sendable {
    // @unchecked: every stored property is only read or written on `eventLoop` (asserted in
    // debug builds); the class crosses threads only to schedule work back onto that loop.
    package let eventLoop: any EventLoop
    package let config: KeeperConfiguration
    private var logger: Logger
    private let storage: StorageDriver
    private var transport: PeerTransport?
    private let snapshotPool: NIOThreadPool

    private var node: ReplicaNode
    package private(set) var watches = WatchRegistry()
    private var random = SystemRandomNumberGenerator()

    package private(set) var connections: [WatcherID: ClientConnection] = [:]
    private var sessionOwners: [SessionID: WatcherID] = [:]
    private var nextConnectionID: UInt64 = 1
    private var lastSessionID: Int64 = 0
    private var nextRequest: UInt64 = 1
    private var pendingWrites: [UInt64: (connection: WatcherID, xid: Xid, startNanos: UInt64)] = [:]
    private var pendingHandshakes: [UInt64: (connection: WatcherID, readOnly: Bool?)] = [:]
    /// Reconnects waiting for their session to move to this member.
    private var pendingMoves: [UInt64: (connection: WatcherID, readOnly: Bool?)] = [:]
    private var pendingSyncs: [UInt64: (connection: WatcherID, xid: Xid, path: String)] = [:]

    /// Which outputs are being written, and when their messages may leave.
    private var pipeline: ReplicaPipeline
    private var processScheduled = false
    private var storageFailed = false
    /// The leader (and its term) this member's client connections were last valid under.
    private var knownLeader: (member: Int32, term: UInt64)?
    private var snapshotsInFlight: Set<Int32> = []

    package var stats = ServerStats()
    package let startedAt = Date()

    /// Where in the database file (Schemas/keeper.sql) a consensus field was loaded from, so that a
    /// start-up refusal names what an operator can look at: `hs_vote`, `log row 17 term`.
    static func storageColumn(of field: String, entries: [LogEntry]) -> String {
        let columns = [
            "hardState.term": "hs_term", "hardState.vote": "hs_vote", "hardState.commit": "hs_commit",
            "snapshot.index": "applied_index", "snapshot.term": "applied_term", "applied": "applied_index",
            "entries": "log",
        ]
        if let column = columns[field] { return column }
        // entries[k].index / entries[k].term
        guard field.hasPrefix("entries["), let close = field.firstIndex(of: "]"),
            let k = Int(field[field.index(field.startIndex, offsetBy: 8)..<close]), entries.indices.contains(k)
        else { return field }
        let member = field[field.index(after: close)...].drop(while: { $0 == "." })
        return "log row \(entries[k].index.rawValue) \(member)"
    }

    /// Throws `KeeperStorageError.badRecord` naming the database file and field when the loaded
    /// state is one no correct member writes (negative terms, commit past the log, a vote for a
    /// non-member, ...): refusing to start beats trapping later.
    package init(
        eventLoop: any EventLoop, config: KeeperConfiguration, storage: StorageDriver, loaded: LoadedState,
        logger: Logger
    ) throws {
        self.eventLoop = eventLoop
        self.config = config
        self.storage = storage
        self.logger = logger
        self.snapshotPool = NIOThreadPool(numberOfThreads: 1)
        snapshotPool.start()
        var tree = loaded.tree
        tree.setConfigData(Self.dynamicConfig(config))
        let members = config.servers.filter { $0.role == "participant" }.map { Int32($0.id) }
        let replicaConfig = ReplicaConfiguration(
            member: Int32(config.myid), members: members, electionTicks: config.electionTicks,
            heartbeatTicks: 1, maxAppendBytes: config.peerMaxAppendBytes)
        let path = storage.path
        func term(_ value: Int64, _ field: String) throws -> Term {
            guard let raw = UInt64(exactly: value) else {
                throw KeeperStorageError.badRecord(path: path, detail: "\(field): negative term \(value)")
            }
            return Term(raw)
        }
        guard let vote = Int(exactly: loaded.hardState.vote), vote >= 0 else {
            throw KeeperStorageError.badRecord(path: path, detail: "hs_vote: \(loaded.hardState.vote)")
        }
        let hard = HardState(
            term: try term(loaded.hardState.term, "hs_term"), vote: vote == 0 ? nil : NodeID(vote),
            commit: LogIndex(loaded.hardState.commit))
        var entries: [LogEntry] = []
        for row in loaded.tail {
            entries.append(
                LogEntry(index: LogIndex(row.index), term: try term(row.term, "log row \(row.index) term"), payload: row.payload))
        }
        do {
            self.node = try ReplicaNode(
                configuration: replicaConfig, tree: tree, appliedIndex: LogIndex(loaded.applied.index),
                appliedTerm: try term(loaded.applied.term, "applied_term"), hardState: hard, entries: entries,
                sessionTickMillis: Int64(config.tickTime), monotonicMillis: Self.monotonicMillis())
        } catch let error as MalformedConsensusInput {
            let column = Self.storageColumn(of: error.field, entries: entries)
            throw KeeperStorageError.badRecord(path: path, detail: "\(column) (\(error.field)): \(error.detail)")
        }
        self.pipeline = ReplicaPipeline(
            loadedHardState: hard, monotonicMillis: Self.monotonicMillis(), maxInFlight: config.writesInFlight)
        logger.info(
            "keeper state loaded",
            metadata: [
                "zk.zxid": "\(loaded.tree.lastZxid)", "znodes": "\(loaded.tree.nodeCount)",
                "sessions": "\(loaded.tree.sessions.count)", "log_tail": "\(loaded.tail.count)",
                "consensus.epoch": "\(loaded.hardState.term)",
            ])
    }

    private func assertOnLoop() { eventLoop.assertInEventLoop() }

    // MARK: - Time

    static func monotonicMillis() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The `/zookeeper/config` payload: the membership in ZooKeeper's dynamic-config format.
    static func dynamicConfig(_ config: KeeperConfiguration) -> [UInt8] {
        var text = ""
        for s in config.servers {
            let client = s.clientPort.map { ";\(s.clientHost ?? "0.0.0.0"):\($0)" } ?? ""
            text += "server.\(s.id)=\(s.host):\(s.quorumPort):\(s.electionPort):\(s.role)\(client)\n"
        }
        text += "version=0"
        return Array(text.utf8)
    }

    // MARK: - Start and stop

    /// Starts the peer transport and the timers. Call once, on the loop.
    package func start() -> EventLoopFuture<Void> {
        assertOnLoop()
        var peers: [Int32: (host: String, port: Int)] = [:]
        for server in config.servers where server.id != config.myid {
            peers[Int32(server.id)] = (server.host, server.quorumPort)
        }
        let transport = PeerTransport(
            eventLoop: eventLoop, me: Int32(config.myid), peers: peers,
            limits: PeerTransport.Limits(
                maxFrameBytes: config.peerMaxFrameBytes, handshakeMillis: Int64(config.peerConnectTimeoutMillis),
                idleMillis: Int64(config.syncLimit) * Int64(config.tickTime)),
            logger: logger)
        transport.onMessage = { [unowned self] member, message throws(MalformedConsensusInput) in
            try node.receive(message, from: member, wallMillis: Self.wallMillis(), monotonicMillis: Self.monotonicMillis())
            scheduleProcess()
        }
        transport.onUnreachable = { [unowned self] member in
            node.peerUnreachable(member)
            if member == node.leader { closeConnectionsWithPendingRequests(reason: "link to the leader down") }
        }
        self.transport = transport
        let tick = Int64(config.raftTickMillis)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(tick), delay: .milliseconds(tick)) { [weak self] _ in
            self?.tick()
        }
        let interval = Int64(config.containerCheckIntervalMs)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(interval), delay: .milliseconds(interval)) {
            [weak self] _ in
            guard let self else { return }
            node.cleanContainers(wallMillis: Self.wallMillis(), limit: config.containerMaxPerMinute)
            scheduleProcess()
        }
        guard let me = config.me, !peers.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        return transport.start(host: me.host, port: me.quorumPort)
    }

    private func tick() {
        node.tick(wallMillis: Self.wallMillis(), monotonicMillis: Self.monotonicMillis(), random: &random)
        scheduleProcess()
    }

    /// Closes every client connection and peer link (clients fail over; sessions are not
    /// expired).
    package func shutdown() {
        assertOnLoop()
        for connection in connections.values { connection.close() }
        transport?.stop()
    }

    package func shutdownThreads() async {
        try? await snapshotPool.shutdownGracefully()  // only snapshot serialization runs there
    }

    // MARK: - The loop

    /// Coalesces everything that happened in this loop turn into one `process()`.
    private func scheduleProcess() {
        guard !processScheduled else { return }
        processScheduled = true
        eventLoop.execute { [self] in
            processScheduled = false
            process()
        }
    }

    private func process() {
        guard !storageFailed else { return }
        let now = Self.monotonicMillis()
        while let step = pipeline.take(from: &node, monotonicMillis: now) {
            let output = step.output
            // A new leader invalidates requests forwarded to the old one: drop the connections
            // now, before anything else, so no later request of theirs can overtake a lost one.
            if let change = output.roleChange { roleChanged(change) }
            // Committed entries are durable on a majority already: answer their clients now
            // rather than after this output's own write (which holds newer entries).
            deliverResults(output)
            send(step.sendNow)
            guard let write = step.write else { continue }
            if let metadata = output.installedSnapshot {
                logger.info(
                    "installed snapshot from leader",
                    metadata: ["log_index": "\(metadata.index.rawValue)", "zk.zxid": "\(node.tree.lastZxid)"])
            }
            storage.commit(Self.persistBatch(write), on: eventLoop).whenComplete { [self] result in
                switch result {
                case .success:
                    send(pipeline.completed(ticket: step.ticket, node: &node))
                    scheduleProcess()
                case .failure(let error):
                    guard !storageFailed else { return }
                    storageFailed = true
                    logger.critical("storage commit failed; this member stops serving", metadata: ["error": "\(error)"])
                    shutdown()
                }
            }
        }
    }

    /// The SQLite rows of a replica write.
    private static func persistBatch(_ write: ReplicaWrite) -> PersistBatch {
        var batch = PersistBatch()
        batch.entries = write.entries.map {
            StoredEntry(index: $0.index.rawValue, term: Int64($0.term.rawValue), payload: $0.payload)
        }
        batch.hardState = write.hardState.map {
            StoredHardState(term: Int64($0.term.rawValue), vote: Int64($0.vote?.rawValue ?? 0), commit: $0.commit.rawValue)
        }
        batch.nodes = write.nodes
        batch.sessions = write.sessions
        batch.replaceTree = write.replaceTree
        batch.applied = write.applied.map {
            AppliedMark(index: $0.index.rawValue, term: Int64($0.term.rawValue), zxid: $0.zxid)
        }
        batch.compactThrough = write.compactThrough?.rawValue
        return batch
    }

    private func send(_ messages: [(to: Int32, message: PeerMessage)]) {
        for (member, message) in messages {
            if case .raft(let envelope) = message, case .snapshot(let metadata) = envelope.message {
                streamSnapshot(to: member, metadata: metadata, envelope: envelope)
            } else {
                transport?.send(message, to: member)
            }
        }
    }

    /// Watches and replies for what the output applied, and the syncs it can answer.
    private func deliverResults(_ output: ReplicaOutput) {
        for applied in output.applied { deliver(applied) }
        for id in output.completedReads {
            guard let sync = pendingSyncs.removeValue(forKey: id) else { continue }
            connections[sync.connection]?.writeCompleted(
                xid: sync.xid, header: ReplyHeader(xid: sync.xid, zxid: node.tree.lastZxid, err: .ok),
                response: .sync(path: sync.path))
        }
        for id in output.failedReads {
            // No leader to confirm the read point: the client retries on another connection.
            guard let sync = pendingSyncs.removeValue(forKey: id) else { continue }
            connections[sync.connection]?.close()
        }
        for id in output.expiredSessions {
            logger.info("session expired", metadata: ["zk.session_id": "\(id)"])
        }
    }

    private func roleChanged(_ change: (role: Role, leader: Int32?, term: UInt64)) {
        logger.info(
            "consensus role changed",
            metadata: [
                "role": "\(change.role)", "leader": "\(change.leader.map(String.init) ?? "none")",
                "consensus.epoch": "\(change.term)",
            ])
        let previous = knownLeader
        knownLeader = change.leader.map { ($0, change.term) }
        if let previous, previous.member != change.leader || previous.term != change.term {
            // Writes in flight may have been lost with the old leader (or the old term): drop
            // client connections, as ZooKeeper does when a member loses its leader, so clients
            // retry elsewhere instead of waiting for answers that will never come, and no later
            // write of a session commits ahead of a lost earlier one.
            logger.info("leader lost, closing client connections", metadata: ["connections": "\(connections.count)"])
            for connection in connections.values { connection.close() }
            var requests = Set(pendingWrites.keys)
            requests.formUnion(pendingHandshakes.keys)
            requests.formUnion(pendingMoves.keys)
            node.cancelForwards(requests: requests)
            pendingWrites = [:]
            pendingHandshakes = [:]
            pendingMoves = [:]
            pendingSyncs = [:]
        }
    }

    /// Closes the connections whose requests may have been lost on the way to the leader.
    private func closeConnectionsWithPendingRequests(reason: String) {
        var affected = Set(pendingWrites.values.map(\.connection))
        affected.formUnion(pendingHandshakes.values.map(\.connection))
        affected.formUnion(pendingMoves.values.map(\.connection))
        affected.formUnion(pendingSyncs.values.map(\.connection))
        guard !affected.isEmpty else { return }
        var requests = Set(pendingWrites.filter { affected.contains($0.value.connection) }.keys)
        requests.formUnion(pendingHandshakes.filter { affected.contains($0.value.connection) }.keys)
        requests.formUnion(pendingMoves.filter { affected.contains($0.value.connection) }.keys)
        node.cancelForwards(requests: requests)
        logger.info("closing client connections with requests in flight", metadata: ["reason": "\(reason)", "connections": "\(affected.count)"])
        for id in affected.sorted() { connections[id]?.close() }
        pendingWrites = pendingWrites.filter { !affected.contains($0.value.connection) }
        pendingHandshakes = pendingHandshakes.filter { !affected.contains($0.value.connection) }
        pendingMoves = pendingMoves.filter { !affected.contains($0.value.connection) }
        pendingSyncs = pendingSyncs.filter { !affected.contains($0.value.connection) }
    }

    /// Whether requests may be sent on now: the leader consensus reports is the one this
    /// member's connections were last valid under.
    private var leaderIsCurrent: Bool {
        guard let leader = node.leader, let known = knownLeader else { return false }
        return leader == known.member && node.term == known.term
    }

    /// Streams the current tree image to a lagging peer, then the consensus message. The image
    /// is newer than the compaction point consensus asked for; the message is rewritten to name
    /// the index and term the image really stands at (the peer answers with that index).
    private func streamSnapshot(to member: Int32, metadata requested: SnapshotMetadata, envelope original: Envelope) {
        guard !snapshotsInFlight.contains(member), let (image, metadata) = node.snapshotImage,
            metadata.index >= requested.index
        else {
            node.snapshotSent(to: member, succeeded: false)
            return
        }
        snapshotsInFlight.insert(member)
        let envelope = Envelope(from: original.from, to: original.to, term: original.term, message: .snapshot(metadata))
        logger.info(
            "sending snapshot to peer", metadata: ["peer.id": "\(member)", "log_index": "\(metadata.index.rawValue)"])
        snapshotPool.runIfActive(eventLoop: eventLoop) { () -> ByteBuffer in
            var buffer = ByteBuffer()
            // A tree too large for one image fails this send ("snapshot send failed" below).
            try image.writeSnapshot(to: &buffer)
            return buffer
        }.flatMap { [self] (bytes: ByteBuffer) -> EventLoopFuture<Void> in
            let messages = PeerMessage.snapshotStream(
                image: bytes, metadata: metadata, envelope: envelope, chunkSize: 1 << 20)
            return transport?.sendAll(messages, to: member) ?? eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }.whenComplete { [self] result in
            snapshotsInFlight.remove(member)
            if case .failure(let error) = result {
                logger.info("snapshot send failed", metadata: ["peer.id": "\(member)", "error": "\(error)"])
            }
            node.snapshotSent(to: member, succeeded: (try? result.get()) != nil)
            scheduleProcess()
        }
    }

    /// Watches, then the reply of the member holding the client (ZooKeeper's order: a client
    /// sees the watch event before the data that caused it).
    private func deliver(_ applied: AppliedTxn) {
        let txn = applied.txn
        for event in applied.result.events {
            for (watcher, message) in watches.trigger(event) {
                connections[watcher]?.sendNotification(message, zxid: txn.zxid)
            }
        }
        if case .closeSession = txn.op, let owner = sessionOwners.removeValue(forKey: txn.session),
            let connection = connections[owner]
        {
            if let origin = txn.origin, origin.member == Int32(config.myid),
                let pending = pendingWrites.removeValue(forKey: origin.request), pending.connection == owner
            {
                connection.writeCompleted(
                    xid: pending.xid, header: ReplyHeader(xid: pending.xid, zxid: txn.zxid, err: .ok), response: nil)
            }
            connection.closeAfterFlush()
            logger.debug("session closed", metadata: ["zk.session_id": "\(txn.session)"])
            return
        }
        guard let origin = txn.origin, origin.member == Int32(config.myid) else { return }
        if case .moveSession = txn.op {
            guard let move = pendingMoves.removeValue(forKey: origin.request),
                let connection = connections[move.connection]
            else { return }
            // The move fails when the session expired (or closed) meanwhile: say so, as
            // ZooKeeper does, rather than leaving the handshake unanswered.
            guard applied.result.err == .ok, let record = node.tree.sessions[txn.session] else {
                connection.sendConnectResponse(.invalidSession(readOnly: move.readOnly))
                connection.close()
                return
            }
            bind(txn.session, to: connection)
            node.sessionActive(txn.session, monotonicMillis: Self.monotonicMillis())
            logger.debug("session moved here", metadata: ["zk.session_id": "\(txn.session)"])
            connection.sendConnectResponse(
                ConnectResponse(
                    timeout: record.timeout, sessionID: txn.session, password: record.password,
                    readOnly: move.readOnly.map { _ in false }))
            connection.handshakeAnswered()
            return
        }
        if case .createSession(let timeout, let password) = txn.op {
            guard let handshake = pendingHandshakes.removeValue(forKey: origin.request),
                let connection = connections[handshake.connection]
            else { return }
            logger.debug("session created", metadata: ["zk.session_id": "\(txn.session)", "timeout_ms": "\(timeout)"])
            bind(txn.session, to: connection)
            connection.sendConnectResponse(
                ConnectResponse(
                    timeout: timeout, sessionID: txn.session, password: password,
                    readOnly: handshake.readOnly.map { _ in false }))
            connection.handshakeAnswered()
            return
        }
        guard let pending = pendingWrites.removeValue(forKey: origin.request) else { return }
        if applied.result.err == .sessionMoved {
            // ZooKeeper closes a connection whose session moved to another member.
            connections[pending.connection]?.close()
            return
        }
        stats.latency.record(Int64((DispatchTime.now().uptimeNanoseconds - pending.startNanos) / 1_000_000))
        connections[pending.connection]?.writeCompleted(
            xid: pending.xid, header: ReplyHeader(xid: pending.xid, zxid: txn.zxid, err: applied.result.err),
            response: applied.result.response)
    }

    // MARK: - Connections

    package func register(_ connection: ClientConnection) -> WatcherID {
        assertOnLoop()
        let id = WatcherID(rawValue: nextConnectionID)
        nextConnectionID += 1
        connections[id] = connection
        return id
    }

    package func connectionClosed(_ id: WatcherID) {
        assertOnLoop()
        guard let connection = connections.removeValue(forKey: id) else { return }
        watches.removeAll(id)
        if let session = connection.sessionID, sessionOwners[session] == id { sessionOwners[session] = nil }
    }

    package func connectionCount(fromHost host: String) -> Int {
        connections.values.reduce(0) { $0 + ($1.remoteHost == host ? 1 : 0) }
    }

    /// Whether this member can serve clients: it knows a leader.
    package var isServing: Bool { node.leader != nil && !storageFailed }

    /// A client's ConnectRequest: a new session is proposed; an existing one is revalidated.
    package func handshake(_ connection: ClientConnection, _ request: ConnectRequest) {
        assertOnLoop()
        guard isServing else {
            logger.debug("refusing client: no leader")
            connection.close()
            return
        }
        if request.lastZxidSeen > node.tree.lastZxid {
            logger.info(
                "refusing client that has seen a newer zxid",
                metadata: ["client_zxid": "\(request.lastZxidSeen)", "zk.zxid": "\(node.tree.lastZxid)"])
            connection.close()
            return
        }
        let timeout = config.negotiateTimeout(request.timeout)
        if request.sessionID == .none {
            let id = newSessionID()
            var password = [UInt8](repeating: 0, count: 16)
            for i in password.indices { password[i] = random.next() }
            connection.sessionPending(id)
            let requestID = takeRequestID()
            pendingHandshakes[requestID] = (connection.id, request.readOnly)
            submit(
                Txn(zxid: .zero, time: 0, session: id, op: .createSession(timeout: timeout, password: password)),
                requestID, from: connection)
            return
        }
        let id = request.sessionID
        guard let record = node.tree.sessions[id], node.isSessionLive(id),
            request.password.count == record.password.count,
            zip(request.password, record.password).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            logger.debug("session reconnect refused", metadata: ["zk.session_id": "\(id)"])
            connection.sendConnectResponse(.invalidSession(readOnly: request.readOnly))
            connection.close()
            return
        }
        // A follower's copy of the sessions may lag the leader's, which owns expiry: as
        // ZooKeeper's followers revalidate a reconnecting session with the leader, the
        // reconnect goes through the log (a session that expired meanwhile fails to move).
        let mustRevalidate = !node.isLeader && node.configuration.members.count > 1
        if record.owner != Int32(config.myid) || mustRevalidate {
            // The session's requests come through this member from now on; its previous
            // member's requests still in flight will fail with SESSIONMOVED. The client hears
            // it is connected only once the move applied (as ZooKeeper revalidates with the
            // leader first), so a late move from an abandoned member can never come after it.
            let requestID = takeRequestID()
            pendingMoves[requestID] = (connection.id, request.readOnly)
            connection.sessionPending(id)
            submit(Txn(zxid: .zero, time: 0, session: id, op: .moveSession), requestID, from: connection)
            return
        }
        bind(id, to: connection)
        node.sessionActive(id, monotonicMillis: Self.monotonicMillis())
        logger.debug("session reconnected", metadata: ["zk.session_id": "\(id)"])
        connection.sendConnectResponse(
            ConnectResponse(
                timeout: record.timeout, sessionID: id, password: record.password,
                readOnly: request.readOnly.map { _ in false }))
    }

    private func bind(_ session: SessionID, to connection: ClientConnection) {
        if let previous = sessionOwners[session], previous != connection.id, let old = connections[previous] {
            logger.debug("session moved to another connection", metadata: ["zk.session_id": "\(session)"])
            old.close()
        }
        sessionOwners[session] = connection.id
        connection.sessionEstablished(session)
    }

    private func newSessionID() -> SessionID {
        // (serverId << 56) | ((millis << 24) >>> 8), then incremented (`SessionTrackerImpl`).
        let base = (Int64(config.myid) << 56) | Int64(bitPattern: UInt64(bitPattern: Self.wallMillis() << 24) >> 8)
        var candidate = max(base, lastSessionID + 1)
        while node.tree.sessions[SessionID(candidate)] != nil { candidate += 1 }
        lastSessionID = candidate
        return SessionID(candidate)
    }

    private func takeRequestID() -> UInt64 {
        defer { nextRequest += 1 }
        return nextRequest
    }

    /// Submits `txn` for `connection`; when there is no current leader to take it, closes the
    /// connection instead (nothing is queued, so nothing can be reordered).
    private func submit(_ txn: Txn, _ requestID: UInt64, from connection: ClientConnection) {
        var txn = txn
        txn.origin = TxnOrigin(member: Int32(config.myid), request: requestID)
        if !leaderIsCurrent || node.submit(txn, wallMillis: Self.wallMillis()) == .rejected {
            logger.debug("no current leader for a write, closing its connection")
            pendingWrites[requestID] = nil
            pendingHandshakes[requestID] = nil
            pendingMoves[requestID] = nil
            connection.close()
            return
        }
        scheduleProcess()
    }

    /// Any traffic from a session renews it; false when the session is gone or closing.
    package func touch(_ session: SessionID) -> Bool {
        guard node.isSessionLive(session) else { return false }
        node.sessionActive(session, monotonicMillis: Self.monotonicMillis())
        return true
    }

    package func sessionRemaining(_ session: SessionID) -> Int64? {
        node.sessionRemaining(session, monotonicMillis: Self.monotonicMillis())
    }

    // MARK: - Writes and syncs

    /// Submits a client write; the connection hears back through `writeCompleted`.
    package func submitWrite(_ request: ZKRequest, xid: Xid, from connection: ClientConnection) {
        assertOnLoop()
        guard let session = connection.sessionID else { return }
        guard !storageFailed else {
            connection.writeCompleted(
                xid: xid, header: ReplyHeader(xid: xid, zxid: node.tree.lastZxid, err: .systemError), response: nil)
            return
        }
        let op: TxnOp
        if case .closeSession = request {
            node.sessionClosing(session)
            op = .closeSession
        } else {
            op = .request(request)
        }
        let requestID = takeRequestID()
        pendingWrites[requestID] = (connection.id, xid, DispatchTime.now().uptimeNanoseconds)
        submit(Txn(zxid: .zero, time: 0, session: session, xid: xid, auth: connection.auth, op: op), requestID, from: connection)
    }

    /// sync: answered once this member has applied everything the leader had committed when
    /// it confirmed its leadership (Raft's ReadIndex), so sync + read is linearizable.
    package func submitSync(path: String, xid: Xid, from connection: ClientConnection) {
        assertOnLoop()
        let id = node.readIndex()
        pendingSyncs[id] = (connection.id, xid, path)
        scheduleProcess()
    }

    // MARK: - Reads

    /// Answers a read-side request now (the connection calls it once every earlier write of the
    /// session has been applied). Registers watches. nil when registering them would pass the
    /// connection's watch limits: the connection has been closed and nothing is to be sent.
    package func executeRead(_ request: ZKRequest, xid: Xid, from connection: ClientConnection) -> (ReplyHeader, ZKResponse?)? {
        assertOnLoop()
        let session = connection.sessionID ?? .none
        let zxid = node.tree.lastZxid
        func reply(_ err: ZKErrorCode, _ response: ZKResponse?) -> (ReplyHeader, ZKResponse?) {
            (ReplyHeader(xid: xid, zxid: zxid, err: err), err == .ok ? response : nil)
        }
        switch request {
        case .ping:
            return reply(.ok, nil)
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r):
            let (err, response) = node.tree.read(request, session: session, auth: connection.auth)
            if r.watch {
                switch (request, err) {
                case (.exists, .ok), (.exists, .noNode), (.getData, .ok):
                    guard addWatch(r.path, .data, for: connection) else { return nil }
                case (.getChildren, .ok), (.getChildren2, .ok):
                    guard addWatch(r.path, .child, for: connection) else { return nil }
                default: break
                }
            }
            return reply(err, response)
        case .multiRead(let ops) where ops.isEmpty:
            return reply(.marshallingError, nil)
        case .getACL, .getAllChildrenNumber, .getEphemerals, .multiRead:
            let (err, response) = node.tree.read(request, session: session, auth: connection.auth)
            return reply(err, response)
        case .addWatch(let r):
            guard let mode = AddWatchMode(rawValue: r.mode) else { return reply(.badArguments, nil) }
            guard PathValidation.validate(r.path) == nil else { return reply(.badArguments, nil) }
            guard addWatch(r.path, mode == .persistent ? .persistent : .persistentRecursive, for: connection) else {
                return nil
            }
            return reply(.ok, .errorBody(.ok))
        case .checkWatches(let r), .removeWatches(let r):
            // ZooKeeper 3.8 accepts only Children, Data and Any here (others: MARSHALLINGERROR).
            guard let type = WatcherType(rawValue: r.type), type.rawValue <= WatcherType.any.rawValue else {
                return reply(.marshallingError, nil)
            }
            let found: Bool
            if case .removeWatches = request {
                found = watches.remove(connection.id, path: r.path, type: type)
            } else {
                found = watches.has(connection.id, path: r.path, type: type)
            }
            return reply(found ? .ok : .noWatcher, .empty)
        case .setWatches(let r), .setWatches2(let r):
            guard setWatches(r, for: connection) else { return nil }
            return reply(.ok, nil)
        case .whoAmI:
            // The digest provider reports the user name, not the hash (`getUserName`).
            return reply(
                .ok,
                .whoAmI(
                    connection.auth.map { id in
                        let user = id.scheme == "digest" ? String(id.id.prefix { $0 != ":" }) : id.id
                        return ClientInfo(authScheme: id.scheme, user: user)
                    }))
        case .reconfig:
            return reply(.reconfigDisabled, nil)
        case .sasl:
            return reply(.unimplemented, nil)
        default:
            return reply(.badArguments, nil)
        }
    }

    /// Registers a watch for `connection`, or, when that would pass `paddock.maxWatchesPerConnection`
    /// or `paddock.maxWatchBytesPerConnection`, closes the connection without a reply and returns
    /// false (why closing: `KeeperConfiguration.maxWatchesPerConnection`).
    private func addWatch(_ path: String, _ kind: WatchKinds, for connection: ClientConnection) -> Bool {
        if watches.add(connection.id, path: path, kind: kind, limits: config.watchLimits) { return true }
        connection.abort(
            "closing client connection: watches over paddock.maxWatchesPerConnection / paddock.maxWatchBytesPerConnection",
            metadata: [
                "watches": "\(watches.watchCount(of: connection.id))",
                "watch_path_bytes": "\(watches.pathBytes(of: connection.id))",
                "path_bytes": "\(path.utf8.count)", "max_watches": "\(config.maxWatchesPerConnection)",
                "max_watch_path_bytes": "\(config.maxWatchBytesPerConnection)",
            ])
        return false
    }

    /// Re-registers a reconnecting client's watches, firing at once what changed since
    /// `relativeZxid` (`DataTree.setWatches`). False when they pass the connection's watch limits:
    /// the connection has been closed, and no event is sent.
    private func setWatches(_ r: SetWatchesRequest, for connection: ClientConnection) -> Bool {
        let relative = r.relativeZxid.rawValue
        let tree = node.tree
        var fire: [WatcherEvent] = []
        for path in r.dataWatches {
            if let node = tree.node(path) {
                if node.mzxid > relative { fire.append(WatcherEvent(type: .nodeDataChanged, path: path)) } else {
                    guard addWatch(path, .data, for: connection) else { return false }
                }
            } else {
                fire.append(WatcherEvent(type: .nodeDeleted, path: path))
            }
        }
        for path in r.existWatches {
            if tree.node(path) != nil { fire.append(WatcherEvent(type: .nodeCreated, path: path)) } else {
                guard addWatch(path, .data, for: connection) else { return false }
            }
        }
        for path in r.childWatches {
            if let node = tree.node(path) {
                if node.pzxid > relative { fire.append(WatcherEvent(type: .nodeChildrenChanged, path: path)) } else {
                    guard addWatch(path, .child, for: connection) else { return false }
                }
            } else {
                fire.append(WatcherEvent(type: .nodeDeleted, path: path))
            }
        }
        for path in r.persistentWatches {
            guard addWatch(path, .persistent, for: connection) else { return false }
        }
        for path in r.persistentRecursiveWatches {
            guard addWatch(path, .persistentRecursive, for: connection) else { return false }
        }
        for event in fire { connection.sendNotification(event, zxid: tree.lastZxid) }
        return true
    }

    // MARK: - Auth

    /// Handles an AuthPacket; returns the ids to add, or nil for AUTHFAILED.
    package func authenticate(_ packet: AuthPacket) -> [ZKId]? {
        switch packet.scheme {
        case "digest":
            guard let credential = String(validating: packet.auth, as: UTF8.self),
                let digest = ACLEvaluator.digest(credential: credential)
            else { return nil }
            var ids = [ZKId(scheme: "digest", id: digest)]
            if let superDigest = config.superDigest, superDigest == digest { ids.insert(ACLEvaluator.superID, at: 0) }
            return ids
        default:
            return nil
        }
    }

    // MARK: - Introspection (four-letter words, metrics)

    package var tree: DataTree { node.tree }
    package var lastZxid: Zxid { node.tree.lastZxid }
    package var isStorageFailed: Bool { storageFailed }
    package var sessionCount: Int { node.tree.sessions.count }
    package var storagePath: String { storage.path }
    package var outstandingRequests: Int {
        pendingWrites.count + pendingHandshakes.count + pendingMoves.count + pendingSyncs.count
    }
    package var followerProgress: [(member: Int32, match: Int64, lag: Int64)] { node.followerProgress }

    /// "leader", "follower", or nil while there is no leader (not serving).
    package var mode: String? {
        switch node.role {
        case .leader: "leader"
        case .follower where node.leader != nil: "follower"
        default: nil
        }
    }
}
