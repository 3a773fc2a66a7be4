import Crypto
package import Foundation
public import KeeperCore
package import KeeperStorage
package import Logging
public import NIOCore
import ServerSupport
public import ZooKeeperWire

/// Owns the member's replicated state (tree, sessions), its watches and its write pipeline, and
/// executes everything on one event loop: client connections live on the same loop and call in
/// synchronously, so a read is a function call, not a hop (see the closing note in README).
///
/// Writes become `Txn`s with a zxid, are group-committed to SQLite (one transaction and one fsync
/// for everything that arrived while the previous commit ran), then applied in log order; only
/// then do clients get their replies. This single-member pipeline is the place where the
/// consensus log slots in: "durable locally" becomes "committed by a majority".
package final class ReplicaDriver: @unchecked Sendable {
    // @unchecked: every stored property is only read or written on `eventLoop` (asserted in
    // debug builds by `assertOnLoop()`); the class is handed to other threads only to schedule
    // work back onto that loop.
    package let eventLoop: any EventLoop
    package let config: KeeperConfiguration
    private var logger: Logger
    private let storage: StorageDriver

    package private(set) var tree: DataTree
    package private(set) var watches = WatchRegistry()
    private var expiry: SessionExpiryTracker
    package private(set) var epoch: UInt32
    private var counter: UInt32 = 0
    private var lastLogIndex: Int64
    private var appliedIndex: Int64
    private var epochPersisted = false

    /// Entries waiting for the next group commit, with whom to answer.
    private var unpersisted: [(index: Int64, txn: Txn, origin: Origin?)] = []
    private var commitInFlight = false
    private var storageFailed = false

    package private(set) var connections: [WatcherID: ClientConnection] = [:]
    private var sessionOwners: [SessionID: WatcherID] = [:]
    private var nextConnectionID: UInt64 = 1
    private var lastSessionID: Int64 = 0
    package var stats = ServerStats()
    package let startedAt = Date()

    /// Who proposed an entry and waits for its result.
    private enum Origin {
        case client(WatcherID, Xid, startNanos: UInt64)
        case handshake(WatcherID, readOnly: Bool?)
    }

    package init(eventLoop: any EventLoop, config: KeeperConfiguration, storage: StorageDriver, loaded: LoadedState, logger: Logger) {
        self.eventLoop = eventLoop
        self.config = config
        self.storage = storage
        self.logger = logger
        self.tree = loaded.tree
        self.appliedIndex = loaded.appliedIndex
        self.lastLogIndex = loaded.lastIndex
        self.epoch = loaded.epoch &+ 1
        tree.setConfigData(Self.dynamicConfig(config))
        self.expiry = SessionExpiryTracker(tickMillis: Int64(config.tickTime))
        // Replay what was logged but not yet reflected in the tree rows.
        for (index, _, txn) in loaded.tail {
            _ = tree.apply(txn)
            appliedIndex = index
        }
        let now = Self.monotonicMillis()
        // A restarted member gives every surviving session a fresh timeout before expiring any.
        for (id, record) in tree.sessions.sorted(by: { $0.key < $1.key }) {
            expiry.track(id, timeoutMillis: Int64(record.timeout), now: now)
        }
        self.logger[metadataKey: "zk.zxid"] = "\(tree.lastZxid)"
        logger.info(
            "keeper state loaded",
            metadata: [
                "zk.zxid": "\(tree.lastZxid)", "znodes": "\(tree.nodeCount)", "sessions": "\(tree.sessions.count)",
                "replayed": "\(loaded.tail.count)", "consensus.epoch": "\(epoch)",
            ])
    }

    private func assertOnLoop() { eventLoop.assertInEventLoop() }

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

    // MARK: - Time

    static func monotonicMillis() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: - Timers

    /// Starts the expiry and container-cleanup timers. Call once, on the loop.
    package func startTimers() {
        assertOnLoop()
        // Persist the new epoch before anything else is acknowledged in it.
        flushIfIdle(force: true)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(config.tickTime)), delay: .milliseconds(Int64(config.tickTime))) {
            [weak self] _ in self?.expireSessions()
        }
        let interval = Int64(config.containerCheckIntervalMs)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(interval), delay: .milliseconds(interval)) {
            [weak self] _ in self?.cleanContainers()
        }
    }

    private func expireSessions() {
        for id in expiry.expired(now: Self.monotonicMillis()) {
            logger.info("session expired", metadata: ["zk.session_id": "\(id)"])
            propose(Txn(zxid: .zero, time: 0, session: id, op: .closeSession), origin: nil)
        }
    }

    private func cleanContainers() {
        let candidates = tree.cleanupCandidates(now: Self.wallMillis()).prefix(config.containerMaxPerMinute)
        for path in candidates {
            logger.debug("removing empty container or expired ttl node", metadata: ["path_length": "\(path.utf8.count)"])
            propose(Txn(zxid: .zero, time: 0, session: .none, op: .deleteContainer(path: path)), origin: nil)
        }
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

    /// A client's ConnectRequest: a new session is proposed; an existing one is revalidated.
    package func handshake(_ connection: ClientConnection, _ request: ConnectRequest) {
        assertOnLoop()
        if request.lastZxidSeen > tree.lastZxid {
            logger.info(
                "refusing client that has seen a newer zxid",
                metadata: ["client_zxid": "\(request.lastZxidSeen)", "zk.zxid": "\(tree.lastZxid)"])
            connection.close()
            return
        }
        let timeout = config.negotiateTimeout(request.timeout)
        if request.sessionID == .none {
            let id = newSessionID()
            var password = [UInt8](repeating: 0, count: 16)
            var rng = SystemRandomNumberGenerator()
            for i in password.indices { password[i] = rng.next() }
            connection.sessionPending(id)
            propose(
                Txn(zxid: .zero, time: 0, session: id, op: .createSession(timeout: timeout, password: password)),
                origin: .handshake(connection.id, readOnly: request.readOnly))
            return
        }
        let id = request.sessionID
        guard let record = tree.sessions[id], expiry.isLive(id),
            request.password.count == record.password.count,
            zip(request.password, record.password).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            logger.debug("session reconnect refused", metadata: ["zk.session_id": "\(id)"])
            connection.sendConnectResponse(.invalidSession(readOnly: request.readOnly))
            connection.close()
            return
        }
        bind(id, to: connection)
        expiry.touch(id, now: Self.monotonicMillis())
        logger.debug("session reconnected", metadata: ["zk.session_id": "\(id)"])
        connection.sendConnectResponse(
            ConnectResponse(timeout: record.timeout, sessionID: id, password: record.password, readOnly: request.readOnly.map { _ in false }))
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
        while tree.sessions[SessionID(candidate)] != nil { candidate += 1 }
        lastSessionID = candidate
        return SessionID(candidate)
    }

    /// Any traffic from a session renews it.
    package func touch(_ session: SessionID) -> Bool {
        expiry.touch(session, now: Self.monotonicMillis())
    }

    package func sessionRemaining(_ session: SessionID) -> Int64? {
        expiry.remaining(session, now: Self.monotonicMillis())
    }

    // MARK: - Writes

    /// Submits a client write; the connection hears back through `writeCompleted`.
    package func submitWrite(_ request: ZKRequest, xid: Xid, from connection: ClientConnection) {
        assertOnLoop()
        guard let session = connection.sessionID else { return }
        if case .closeSession = request {
            expiry.markClosing(session)
            propose(
                Txn(zxid: .zero, time: 0, session: session, xid: xid, auth: connection.auth, op: .closeSession),
                origin: .client(connection.id, xid, startNanos: DispatchTime.now().uptimeNanoseconds))
            return
        }
        propose(
            Txn(zxid: .zero, time: 0, session: session, xid: xid, auth: connection.auth, op: .request(request)),
            origin: .client(connection.id, xid, startNanos: DispatchTime.now().uptimeNanoseconds))
    }

    /// Stamps zxid and time and queues the entry for the next group commit.
    private func propose(_ txn: Txn, origin: Origin?) {
        guard !storageFailed else {
            if case .client(let connection, let xid, _)? = origin {
                connections[connection]?.writeCompleted(xid: xid, header: ReplyHeader(xid: xid, zxid: tree.lastZxid, err: .systemError), response: nil)
            }
            return
        }
        var stamped = txn
        counter &+= 1
        stamped.zxid = Zxid(epoch: epoch, counter: counter)
        stamped.time = Self.wallMillis()
        lastLogIndex += 1
        unpersisted.append((lastLogIndex, stamped, origin))
        flushIfIdle()
    }

    package var outstandingRequests: Int { unpersisted.count }

    /// Starts a group commit unless one is running; the next one starts when it finishes.
    private func flushIfIdle(force: Bool = false) {
        guard !commitInFlight, !storageFailed, force || !unpersisted.isEmpty else { return }
        let entries = unpersisted
        unpersisted = []
        var batch = PersistBatch()
        batch.entries = entries.map { ($0.index, Int64(epoch), $0.txn) }
        let dirty = tree.takeDirty()
        batch.nodes = dirty.paths.map { ($0, tree.node($0)) }
        batch.sessions = dirty.sessions.map { ($0, tree.sessions[$0]) }
        batch.applied = (appliedIndex, tree.lastZxid)
        batch.compactThrough = appliedIndex
        if !epochPersisted { batch.epoch = epoch }
        commitInFlight = true
        storage.commit(batch, on: eventLoop).whenComplete { result in
            self.commitInFlight = false
            switch result {
            case .success:
                self.epochPersisted = true
                for entry in entries { self.applyCommitted(entry.index, entry.txn, origin: entry.origin) }
                self.flushIfIdle()
            case .failure(let error):
                self.storageFailed = true
                self.logger.critical("storage commit failed; refusing further writes", metadata: ["error": "\(error)"])
                for entry in entries {
                    if case .client(let connection, let xid, _)? = entry.origin {
                        self.connections[connection]?.close()
                        _ = xid
                    }
                }
            }
        }
    }

    private func applyCommitted(_ index: Int64, _ txn: Txn, origin: Origin?) {
        let result = tree.apply(txn)
        appliedIndex = index
        // Watch notifications go out before the reply that caused them (ZooKeeper's order).
        for event in result.events {
            for (watcher, message) in watches.trigger(event) {
                connections[watcher]?.sendNotification(message, zxid: txn.zxid)
            }
        }
        switch txn.op {
        case .createSession(let timeout, let password):
            expiry.track(txn.session, timeoutMillis: Int64(timeout), now: Self.monotonicMillis())
            logger.debug("session created", metadata: ["zk.session_id": "\(txn.session)", "timeout_ms": "\(timeout)"])
            if case .handshake(let id, let readOnly)? = origin, let connection = connections[id] {
                bind(txn.session, to: connection)
                connection.sendConnectResponse(
                    ConnectResponse(timeout: timeout, sessionID: txn.session, password: password, readOnly: readOnly.map { _ in false }))
                connection.handshakeAnswered()
            }
        case .closeSession:
            expiry.remove(txn.session)
            if let owner = sessionOwners.removeValue(forKey: txn.session), let connection = connections[owner] {
                if case .client(let id, let xid, _)? = origin, id == owner {
                    connection.writeCompleted(xid: xid, header: ReplyHeader(xid: xid, zxid: txn.zxid, err: .ok), response: nil)
                }
                connection.closeAfterFlush()
            }
            logger.debug("session closed", metadata: ["zk.session_id": "\(txn.session)"])
        default:
            if case .client(let id, let xid, let start)? = origin {
                stats.latency.record(Int64((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000))
                connections[id]?.writeCompleted(
                    xid: xid, header: ReplyHeader(xid: xid, zxid: txn.zxid, err: result.err), response: result.response)
            }
        }
    }

    // MARK: - Reads

    /// Answers a read-side request now (the connection calls it once every earlier write of the
    /// session has been applied). Registers watches.
    package func executeRead(_ request: ZKRequest, xid: Xid, from connection: ClientConnection) -> (ReplyHeader, ZKResponse?) {
        assertOnLoop()
        let session = connection.sessionID ?? .none
        let zxid = tree.lastZxid
        func reply(_ err: ZKErrorCode, _ response: ZKResponse?) -> (ReplyHeader, ZKResponse?) {
            (ReplyHeader(xid: xid, zxid: zxid, err: err), err == .ok ? response : nil)
        }
        switch request {
        case .ping:
            return reply(.ok, nil)
        case .sync(let path):
            return reply(.ok, .sync(path: path))
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r):
            let (err, response) = tree.read(request, session: session, auth: connection.auth)
            if r.watch {
                switch (request, err) {
                case (.exists, .ok), (.exists, .noNode), (.getData, .ok):
                    watches.add(connection.id, path: r.path, kind: .data)
                case (.getChildren, .ok), (.getChildren2, .ok):
                    watches.add(connection.id, path: r.path, kind: .child)
                default: break
                }
            }
            return reply(err, response)
        case .multiRead(let ops) where ops.isEmpty:
            return reply(.marshallingError, nil)
        case .getACL, .getAllChildrenNumber, .getEphemerals, .multiRead:
            let (err, response) = tree.read(request, session: session, auth: connection.auth)
            return reply(err, response)
        case .addWatch(let r):
            guard let mode = AddWatchMode(rawValue: r.mode) else { return reply(.badArguments, nil) }
            guard PathValidation.validate(r.path) == nil else { return reply(.badArguments, nil) }
            watches.add(connection.id, path: r.path, kind: mode == .persistent ? .persistent : .persistentRecursive)
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
            setWatches(r, for: connection)
            return reply(.ok, nil)
        case .whoAmI:
            // The digest provider reports the user name, not the hash (`getUserName`).
            return reply(.ok, .whoAmI(connection.auth.map { id in
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

    /// Re-registers a reconnecting client's watches, firing at once what changed since
    /// `relativeZxid` (`DataTree.setWatches`).
    private func setWatches(_ r: SetWatchesRequest, for connection: ClientConnection) {
        let relative = r.relativeZxid.rawValue
        let id = connection.id
        var fire: [WatcherEvent] = []
        for path in r.dataWatches {
            if let node = tree.node(path) {
                if node.mzxid > relative { fire.append(WatcherEvent(type: .nodeDataChanged, path: path)) } else {
                    watches.add(id, path: path, kind: .data)
                }
            } else {
                fire.append(WatcherEvent(type: .nodeDeleted, path: path))
            }
        }
        for path in r.existWatches {
            if tree.node(path) != nil { fire.append(WatcherEvent(type: .nodeCreated, path: path)) } else {
                watches.add(id, path: path, kind: .data)
            }
        }
        for path in r.childWatches {
            if let node = tree.node(path) {
                if node.pzxid > relative { fire.append(WatcherEvent(type: .nodeChildrenChanged, path: path)) } else {
                    watches.add(id, path: path, kind: .child)
                }
            } else {
                fire.append(WatcherEvent(type: .nodeDeleted, path: path))
            }
        }
        for path in r.persistentWatches { watches.add(id, path: path, kind: .persistent) }
        for path in r.persistentRecursiveWatches { watches.add(id, path: path, kind: .persistentRecursive) }
        for event in fire { connection.sendNotification(event, zxid: tree.lastZxid) }
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

    // MARK: - Shutdown

    /// Closes every client connection (clients fail over; sessions are not expired).
    package func closeAllConnections() {
        assertOnLoop()
        for connection in connections.values { connection.close() }
    }

    package var isStorageFailed: Bool { storageFailed }
    package var lastZxid: Zxid { tree.lastZxid }
    package var sessionCount: Int { expiry.count }
    package var storagePath: String { storage.path }
    package func ownerConnection(of session: SessionID) -> ClientConnection? {
        sessionOwners[session].flatMap { connections[$0] }
    }
}
