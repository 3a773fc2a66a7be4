import Consensus
import Crypto
package import Foundation
package import ZNodeTree
package import KeeperReplica
import KeeperStorage
package import Logging
package import NIOCore
import NIOPosix
import ServerSupport
package import ZooKeeperWire

/// The I/O driver of one member's `ServerCore` (consensus + tree + sessions + the server's client
/// rules): it feeds the core client requests, peer messages, ticks and storage completions, and
/// performs the actions the core returns — writes to client connections, peer sends, SQLite
/// commits, log lines — in one `switch` (`run`). Every protocol decision is the core's, so the
/// keeper simulation, which drives the same core, checks the rules this server runs.
///
/// Client connections and peer links live on the same event loop and call in synchronously, so
/// a read is a function call against the tree rather than a hop between threads; SQLite runs on
/// its own thread (`StorageDriver`). Inputs arriving in one loop turn are coalesced into one
/// `process`, which is what makes group commit: one SQLite transaction and one fsync for every
/// write that arrived while the previous one was being made durable.
package final class ReplicaDriver: @unchecked Sendable {
    // @unchecked: every stored property is only read or written on `eventLoop` (asserted in
    // debug builds); the class crosses threads only to schedule work back onto that loop.
    package let eventLoop: any EventLoop
    package let config: KeeperConfiguration
    private var logger: Logger
    private let storage: any DurableWriter
    private var transport: PeerTransport?
    private let snapshotPool: NIOThreadPool

    /// The server rules: every decision about clients, sessions and consensus is made there.
    package private(set) var core: ServerCore
    private var random = SystemRandomNumberGenerator()

    package private(set) var connections: [WatcherID: ClientConnection] = [:]
    private var processScheduled = false

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
        eventLoop: any EventLoop, config: KeeperConfiguration, storage: any DurableWriter, loaded: consuming LoadedState,
        logger: Logger
    ) throws {
        self.eventLoop = eventLoop
        self.config = config
        self.storage = storage
        self.logger = logger
        self.snapshotPool = NIOThreadPool(numberOfThreads: 1)
        snapshotPool.start()
        let loadedMetadata: Logger.Metadata = [
            "zk.zxid": "\(loaded.tree.lastZxid)", "znodes": "\(loaded.tree.nodeCount)",
            "sessions": "\(loaded.tree.sessions.count)", "log_tail": "\(loaded.tail.count)",
            "consensus.epoch": "\(loaded.hardState.term.rawValue)",
        ]
        let loadedHardState = loaded.hardState
        let tail = loaded.tail
        // Taken over, not copied: a copy of a million-node tree cost a fifth of a restart, and
        // the first write after start copied it again while the caller's still held it.
        var state = consume loaded
        state.tree.setConfigData(Self.dynamicConfig(config))
        let members = config.servers.filter { $0.role == "participant" }.map { Int32($0.id) }
        let replicaConfig = ReplicaConfiguration(
            member: Int32(config.myid), members: members, electionTicks: config.electionTicks,
            heartbeatTicks: 1, maxAppendBytes: config.peerMaxAppendBytes)
        let node: ReplicaNode
        do {
            node = try ReplicaNode(
                configuration: replicaConfig, loaded: state, sessionTickMillis: Int64(config.tickTime),
                monotonicMillis: Self.monotonicMillis())
        } catch {
            let column = Self.storageColumn(of: error.field, entries: tail)
            // The applied mark is the tree file's; the hard state and log rows the log file's.
            let file = column.hasPrefix("applied") ? storage.path : storage.logPath
            throw KeeperStorageError.badRecord(path: file, detail: "\(column) (\(error.field)): \(error.detail)")
        }
        let pipeline = ReplicaPipeline(
            loadedHardState: loadedHardState, monotonicMillis: Self.monotonicMillis(), maxInFlight: config.writesInFlight,
            treeFlushIntervalMillis: Int64(config.treeFlushMillis))
        let limits = config.clientLimits
        self.core = ServerCore(
            configuration: ServerCoreConfiguration(
                member: Int32(config.myid),
                sessionTimeouts: Int32(clamping: config.effectiveMinSessionTimeout)...Int32(clamping: config.effectiveMaxSessionTimeout),
                watchLimits: config.watchLimits, superDigest: config.superDigest, maxAuthIds: limits.maxAuthIds,
                maxAuthBytes: limits.maxAuthBytes),
            node: node, pipeline: pipeline, firstRequestID: UInt64.random(in: 1...(UInt64.max >> 1)))
        logger.info("keeper state loaded", metadata: loadedMetadata)
    }

    private func assertOnLoop() { eventLoop.assertInEventLoop() }

    // MARK: - Time

    static func monotonicMillis() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
    private var now: ServerTime { ServerTime(monotonicMillis: Self.monotonicMillis(), wallMillis: Self.wallMillis()) }

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
            try core.peerMessageReceived(message, from: member, at: now)
            scheduleProcess()
        }
        transport.onUnreachable = { [unowned self] member in
            run(core.peerUnreachable(member))
        }
        self.transport = transport
        let tick = Int64(config.raftTickMillis)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(tick), delay: .milliseconds(tick)) { [weak self] _ in
            guard let self else { return }
            core.tick(at: now, random: &random)
            scheduleProcess()
        }
        let interval = Int64(config.containerCheckIntervalMs)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(interval), delay: .milliseconds(interval)) {
            [weak self] _ in
            guard let self else { return }
            core.cleanContainers(at: now, limit: config.containerMaxPerMinute)
            scheduleProcess()
        }
        guard let me = config.me, !peers.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        return transport.start(host: me.host, port: me.quorumPort)
    }

    /// Closes every client connection and peer link (clients fail over; sessions are not
    /// expired).
    package func shutdown() {
        assertOnLoop()
        run(core.shutdown())
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
            run(core.process(at: now))
        }
    }

    /// Performs the core's actions, in order.
    private func run(_ actions: [ServerAction]) {
        for action in actions {
            switch action {
            case .connectResponse(let id, let response):
                connections[id]?.sendConnectResponse(response)
            case .reply(let id, let header, let response, let latency):
                connections[id]?.sendReply(header: header, response: response, latencyMillis: latency)
            case .notify(let id, let event, let zxid):
                connections[id]?.sendNotification(event, zxid: zxid)
            case .close(let id, let reason, let afterFlush):
                guard let connection = connections[id] else { continue }
                logClose(reason, connection: connection)
                if afterFlush { connection.closeAfterFlush() } else { connection.close() }
            case .send(let member, let message):
                transport?.send(message, to: member)
            case .streamSnapshot(let member, let image, let metadata, let envelope):
                streamSnapshot(to: member, image: image, metadata: metadata, envelope: envelope)
            case .persist(let ticket, let write):
                persist(ticket: ticket, write)
            case .checkpoint(let checkpoint):
                writeCheckpoint(checkpoint)
            case .notice(let notice):
                log(notice)
            }
        }
    }

    private func persist(ticket: UInt64, _ write: ReplicaWrite) {
        storage.commit(write, on: eventLoop).whenComplete { [self] result in
            switch result {
            case .success:
                run(core.persisted(ticket: ticket))
                scheduleProcess()
            case .failure(let error):
                stopServing("storage commit failed; this member stops serving", error)
            }
        }
    }

    private func writeCheckpoint(_ checkpoint: ReplicaCheckpoint) {
        storage.checkpoint(checkpoint, on: eventLoop).whenComplete { [self] result in
            switch result {
            case .success:
                core.checkpointed()
                scheduleProcess()
            case .failure(let error):
                // Its rows left the tree's dirty set: without them no later checkpoint is whole.
                stopServing("tree checkpoint failed; this member stops serving", error)
            }
        }
    }

    /// A storage write failed: once, log it, close every client connection and the peer links.
    private func stopServing(_ message: Logger.Message, _ error: any Error) {
        guard !core.storageFailed else { return }
        logger.critical(message, metadata: ["error": "\(error)"])
        run(core.storageWriteFailed())
        transport?.stop()
    }

    /// Serializes the tree image off the loop and streams it to a lagging peer, then the
    /// consensus message.
    private func streamSnapshot(to member: Int32, image: DataTree, metadata: SnapshotMetadata, envelope: Envelope) {
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
            if case .failure(let error) = result {
                logger.info("snapshot send failed", metadata: ["peer.id": "\(member)", "error": "\(error)"])
            }
            core.snapshotSent(to: member, succeeded: (try? result.get()) != nil)
            scheduleProcess()
        }
    }

    // MARK: - Logging

    private func log(_ notice: ServerNotice) {
        switch notice {
        case .roleChanged(let role, let leader, let term):
            logger.info(
                "consensus role changed",
                metadata: [
                    "role": "\(role)", "leader": "\(leader.map(String.init) ?? "none")", "consensus.epoch": "\(term)",
                ])
        case .leaderLost(let count):
            logger.info("leader lost, closing client connections", metadata: ["connections": "\(count)"])
        case .requestsLost(let count):
            logger.info(
                "closing client connections with requests in flight",
                metadata: ["reason": "link to the leader down", "connections": "\(count)"])
        case .snapshotInstalled(let index, let zxid):
            logger.info("installed snapshot from leader", metadata: ["log_index": "\(index.rawValue)", "zk.zxid": "\(zxid)"])
        case .sessionCreated(let id, let timeout):
            logger.debug("session created", metadata: ["zk.session_id": "\(id)", "timeout_ms": "\(timeout)"])
        case .sessionMovedHere(let id):
            logger.debug("session moved here", metadata: ["zk.session_id": "\(id)"])
        case .sessionReconnected(let id):
            logger.debug("session reconnected", metadata: ["zk.session_id": "\(id)"])
        case .sessionClosed(let id):
            logger.debug("session closed", metadata: ["zk.session_id": "\(id)"])
        case .sessionExpired(let id):
            logger.info("session expired", metadata: ["zk.session_id": "\(id)"])
        case .malformedRequest(let xid):
            logger.debug("malformed request", metadata: ["zk.xid": "\(xid.rawValue)"])
        }
    }

    /// One line per connection the core closes for a reason of its own (not for the group closes
    /// of a leader change, which have their notice).
    private func logClose(_ reason: ClientCloseReason, connection: ClientConnection) {
        let log = connection.logger
        switch reason {
        case .notServing: log.debug("refusing client: no leader")
        case .clientAhead(let clientZxid, let zxid):
            log.info(
                "refusing client that has seen a newer zxid",
                metadata: ["client_zxid": "\(clientZxid)", "zk.zxid": "\(zxid)"])
        case .sessionInvalid(let id): log.debug("session reconnect refused", metadata: ["zk.session_id": "\(id)"])
        case .noLeader: log.debug("no current leader for a write, closing its connection")
        case .leaderChanged, .leaderLinkDown, .sessionClosed, .storageFailed, .shutdown: break
        case .snapshotInstalled: log.debug("closing client connection: this member installed a snapshot")
        case .syncFailed: log.debug("closing client connection: sync found no leader")
        case .sessionTakenOver(let id):
            log.debug("session moved to another connection", metadata: ["zk.session_id": "\(id)"])
        case .sessionMoved(let id):
            log.debug("closing client connection: session moved to another member", metadata: ["zk.session_id": "\(id)"])
        case .sessionExpired(let id):
            log.debug("closing client connection: session expired or closing", metadata: ["zk.session_id": "\(id)"])
        case .unknownOpCode(let op): log.info("closing client connection: unknown op code", metadata: ["zk.op": "\(op)"])
        case .malformedRequestHeader: log.info("closing client connection: malformed request header")
        case .malformedConnect: log.info("closing client connection: malformed connect request")
        case .requestBeforeSession: log.info("closing client connection: request before session established")
        case .authFailed(let scheme): log.info("authentication failed", metadata: ["scheme": "\(scheme)"])
        case .authOverLimits(let ids, let bytes):
            log.info(
                "closing client connection: auth ids over paddock.maxAuthIds / paddock.maxAuthBytes",
                metadata: ["ids": "\(ids)", "bytes": "\(bytes)"])
        case .watchesOverLimits(let watches, let pathBytes, let requestPathBytes):
            log.info(
                "closing client connection: watches over paddock.maxWatchesPerConnection / paddock.maxWatchBytesPerConnection",
                metadata: [
                    "watches": "\(watches)", "watch_path_bytes": "\(pathBytes)", "path_bytes": "\(requestPathBytes)",
                    "max_watches": "\(config.maxWatchesPerConnection)",
                    "max_watch_path_bytes": "\(config.maxWatchBytesPerConnection)",
                ])
        case .sessionless:
            log.info(
                "closing client connection: no session after zookeeper.nio.sessionlessCnxnTimeout",
                metadata: ["timeout_ms": "\(config.clientLimits.sessionlessTimeoutMillis)"])
        }
    }

    // MARK: - From client connections

    package func register(_ connection: ClientConnection) -> WatcherID {
        assertOnLoop()
        let id = core.connectionOpened(remoteHost: connection.remoteHost)
        connections[id] = connection
        return id
    }

    package func connectionClosed(_ id: WatcherID) {
        assertOnLoop()
        connections[id] = nil
        core.connectionClosed(id)
    }

    package func connectionCount(fromHost host: String) -> Int {
        connections.values.reduce(0) { $0 + ($1.remoteHost == host ? 1 : 0) }
    }

    package func expectsConnect(_ id: WatcherID) -> Bool { core.expectsConnect(id) }

    package func connectReceived(_ id: WatcherID, _ request: ConnectRequest) {
        assertOnLoop()
        run(core.connectReceived(id, request, at: now, random: &random))
        scheduleProcess()
    }

    package func malformedConnect(_ id: WatcherID) { run(core.malformedConnect(id)) }

    package func requestReceived(_ id: WatcherID, xid: Xid, _ request: ZKRequest) {
        assertOnLoop()
        run(core.requestReceived(id, xid: xid, request, at: now))
        if request.isWrite || request.opCode == .sync { scheduleProcess() }
    }

    package func unknownOpCode(_ id: WatcherID, xid: Xid, opCode: Int32) {
        run(core.unknownOpCode(id, xid: xid, opCode: opCode, at: now))
    }

    package func malformedRequest(_ id: WatcherID, xid: Xid?) {
        run(core.malformedRequest(id, xid: xid, at: now))
    }

    package func writabilityChanged(_ id: WatcherID, writable: Bool) {
        run(core.writabilityChanged(id, writable: writable, at: now))
    }

    package func sessionlessTimeout(_ id: WatcherID) { run(core.sessionlessTimeout(id)) }

    /// The connection closes itself (a reply over `paddock.maxReplyBytes`).
    package func connectionRefused(_ id: WatcherID) { core.connectionRefused(id) }

    package func sessionRemaining(_ session: SessionID) -> Int64? {
        core.node.sessionRemaining(session, monotonicMillis: Self.monotonicMillis())
    }

    // MARK: - Introspection (four-letter words, metrics)

    package var tree: DataTree { core.node.tree }
    package var watches: WatchRegistry { core.watches }
    package var lastZxid: Zxid { core.lastZxid }
    package var isStorageFailed: Bool { core.storageFailed }
    package var isServing: Bool { core.isServing }
    package var sessionCount: Int { core.node.tree.sessions.count }
    package var storagePath: String { storage.path }
    package var storageLogPath: String { storage.logPath }
    package var outstandingRequests: Int { core.outstandingRequests }
    package var followerProgress: [(member: Int32, match: Int64, lag: Int64)] { core.node.followerProgress }

    /// "leader", "follower", or nil while there is no leader (not serving).
    package var mode: String? {
        switch core.node.role {
        case .leader: "leader"
        case .follower where core.node.leader != nil: "follower"
        default: nil
        }
    }
}
