package import Consensus
import DequeModule
package import ZNodeTree
package import ZooKeeperWire

/// A member's server rules, pure: a `ReplicaNode` (consensus + tree + sessions), the storage
/// pipeline in front of it, and everything the server decides for its clients: the connection
/// and session table, handshakes and session moves, request routing to the leader, replies in
/// request order per connection, read execution with watch registration, setWatches, auth and
/// sync. Inputs are methods named for what happened; each returns the actions the driver
/// performs, in order. `ReplicaDriver` (real sockets, SQLite) and the keeper simulation (fake
/// network and disk) both drive this one type, so the seeds check the rules the server runs.
///
/// Inputs that reach consensus only queue work; `process(at:)` takes it (the driver calls it
/// once per loop turn, which is what makes group commit).
package struct ServerCore: Sendable {
    package let configuration: ServerCoreConfiguration
    package private(set) var node: ReplicaNode
    private var pipeline: ReplicaPipeline
    package private(set) var watches = WatchRegistry()
    package private(set) var clients: [WatcherID: ClientState] = [:]
    private var sessionOwners: [SessionID: WatcherID] = [:]
    private var nextConnection: UInt64 = 1
    private var lastSessionID: Int64 = 0
    private var nextRequest: UInt64 = 1
    private var pendingWrites: [UInt64: (connection: WatcherID, xid: Xid, arrival: Int64)] = [:]
    private var pendingHandshakes: [UInt64: (connection: WatcherID, readOnly: Bool?)] = [:]
    /// Reconnects waiting for their session to move to this member.
    private var pendingMoves: [UInt64: (connection: WatcherID, readOnly: Bool?)] = [:]
    private var pendingSyncs: [UInt64: (connection: WatcherID, xid: Xid, path: String)] = [:]
    /// The leader (and its term) this member's client connections were last valid under.
    private var knownLeader: (member: Int32, term: UInt64)?
    private var snapshotsInFlight: Set<Int32> = []
    package private(set) var storageFailed = false
    /// While an output's applied txns are delivered: the connections to drain once all of them
    /// are (see `process`), in the order they were first answered.
    private var drainAfterDelivery: [WatcherID]?

    /// `firstRequestID`: where this incarnation's request ids start. Txns carry their origin
    /// (member, request id) through the log, and one proposed before a restart may commit after
    /// it: a new incarnation must not count from where an earlier one did, or that txn would
    /// answer a new request of the same id. Drivers pass a random value (a 63-bit draw).
    package init(configuration: ServerCoreConfiguration, node: ReplicaNode, pipeline: ReplicaPipeline, firstRequestID: UInt64) {
        self.configuration = configuration
        self.node = node
        self.pipeline = pipeline
        self.nextRequest = firstRequestID
    }

    // MARK: - Introspection

    /// Whether this member serves clients: it knows a leader and its storage works.
    package var isServing: Bool { node.leader != nil && !storageFailed }
    package var lastZxid: Zxid { node.tree.lastZxid }
    package var outstandingRequests: Int {
        pendingWrites.count + pendingHandshakes.count + pendingMoves.count + pendingSyncs.count
    }
    package func client(_ id: WatcherID) -> ClientState? { clients[id] }
    /// Whether the connection's next frame is its ConnectRequest.
    package func expectsConnect(_ id: WatcherID) -> Bool { clients[id]?.phase == .awaitingConnect }

    // MARK: - Connections

    /// A client connected; returns its id (also its watcher id).
    package mutating func connectionOpened(remoteHost: String) -> WatcherID {
        let id = WatcherID(rawValue: nextConnection)
        nextConnection += 1
        clients[id] = ClientState(remoteHost: remoteHost)
        return id
    }

    /// The connection is gone: its watches go, and its session has no connection here.
    package mutating func connectionClosed(_ id: WatcherID) {
        guard let client = clients.removeValue(forKey: id) else { return }
        watches.removeAll(id)
        if let session = client.session, sessionOwners[session] == id { sessionOwners[session] = nil }
    }

    /// The driver is closing the connection on its own account (a reply it cannot send): nothing
    /// more is answered or executed for it.
    package mutating func connectionRefused(_ id: WatcherID) {
        clients[id]?.refused = true
        clients[id]?.phase = .closing
    }

    /// `zookeeper.nio.sessionlessCnxnTimeout` passed since the connection opened.
    package mutating func sessionlessTimeout(_ id: WatcherID) -> [ServerAction] {
        guard let client = clients[id], client.session == nil, client.phase != .closing else { return [] }
        return close(id, .sessionless)
    }

    /// The client started or stopped reading its replies.
    package mutating func writabilityChanged(_ id: WatcherID, writable: Bool, at time: ServerTime) -> [ServerAction] {
        guard clients[id] != nil else { return [] }
        clients[id]!.writable = writable
        var actions: [ServerAction] = []
        if writable { drain(id, at: time, into: &actions) }
        return actions
    }

    /// Closes every connection (shutdown: clients fail over; sessions are not expired).
    package mutating func shutdown() -> [ServerAction] {
        var actions: [ServerAction] = []
        for id in clients.keys.sorted() { actions += close(id, .shutdown) }
        return actions
    }

    private mutating func close(_ id: WatcherID, _ reason: ClientCloseReason, afterFlush: Bool = false) -> [ServerAction] {
        guard clients[id] != nil else { return [] }
        clients[id]!.phase = .closing
        return [.close(id, reason, afterFlush: afterFlush)]
    }

    // MARK: - Handshake

    /// A client's ConnectRequest: a new session is proposed; an existing one is revalidated, and
    /// moved here through the log when another member holds it or this one is a follower.
    package mutating func connectReceived<R: RandomNumberGenerator>(
        _ id: WatcherID, _ request: ConnectRequest, at time: ServerTime, random: inout R
    ) -> [ServerAction] {
        guard let client = clients[id], client.phase == .awaitingConnect else { return [] }
        guard isServing else { return close(id, .notServing) }
        if request.lastZxidSeen > node.tree.lastZxid {
            return close(id, .clientAhead(clientZxid: request.lastZxidSeen, zxid: node.tree.lastZxid))
        }
        let timeout = min(max(request.timeout, configuration.sessionTimeouts.lowerBound), configuration.sessionTimeouts.upperBound)
        if request.sessionID == .none {
            let session = newSessionID(wallMillis: time.wallMillis)
            var password = [UInt8](repeating: 0, count: 16)
            for i in password.indices { password[i] = random.next() }
            sessionPending(id, session)
            let requestID = takeRequestID()
            pendingHandshakes[requestID] = (id, request.readOnly)
            return submit(
                Txn(zxid: .zero, time: 0, session: session, op: .createSession(timeout: timeout, password: password)),
                requestID, from: id, wallMillis: time.wallMillis)
        }
        let session = request.sessionID
        guard let record = node.tree.sessions[session], node.isSessionLive(session),
            request.password.count == record.password.count,
            zip(request.password, record.password).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            return [.connectResponse(id, .invalidSession(readOnly: request.readOnly))] + close(id, .sessionInvalid(session))
        }
        // A follower's copy of the sessions may lag the leader's, which owns expiry: as
        // ZooKeeper's followers revalidate a reconnecting session with the leader, the
        // reconnect goes through the log (a session that expired meanwhile fails to move).
        let mustRevalidate = !node.isLeader && node.configuration.members.count > 1
        if record.owner != configuration.member || mustRevalidate {
            // The session's requests come through this member from now on; its previous
            // member's requests still in flight will fail with SESSIONMOVED. The client hears
            // it is connected only once the move applied (as ZooKeeper revalidates with the
            // leader first), so a late move from an abandoned member can never come after it.
            let requestID = takeRequestID()
            pendingMoves[requestID] = (id, request.readOnly)
            sessionPending(id, session)
            return submit(Txn(zxid: .zero, time: 0, session: session, op: .moveSession), requestID, from: id, wallMillis: time.wallMillis)
        }
        var actions = bind(session, to: id)
        node.sessionActive(session, monotonicMillis: time.monotonicMillis)
        actions.append(.notice(.sessionReconnected(session)))
        actions.append(
            .connectResponse(
                id,
                ConnectResponse(
                    timeout: record.timeout, sessionID: session, password: record.password,
                    readOnly: request.readOnly.map { _ in false })))
        drain(id, at: time, into: &actions)
        return actions
    }

    /// A ConnectRequest that does not decode.
    package mutating func malformedConnect(_ id: WatcherID) -> [ServerAction] { close(id, .malformedConnect) }

    private mutating func sessionPending(_ id: WatcherID, _ session: SessionID) {
        clients[id]?.session = session
        clients[id]?.phase = .sessionPending
    }

    /// The session's requests arrive on `id` from now on; a previous connection holding it here
    /// is closed.
    private mutating func bind(_ session: SessionID, to id: WatcherID) -> [ServerAction] {
        var actions: [ServerAction] = []
        if let previous = sessionOwners[session], previous != id, clients[previous] != nil {
            actions += close(previous, .sessionTakenOver(session))
        }
        sessionOwners[session] = id
        clients[id]?.session = session
        clients[id]?.phase = .active
        return actions
    }

    private mutating func newSessionID(wallMillis: Int64) -> SessionID {
        // (serverId << 56) | ((millis << 24) >>> 8), then incremented (`SessionTrackerImpl`).
        let base = (Int64(configuration.member) << 56) | Int64(bitPattern: UInt64(bitPattern: wallMillis << 24) >> 8)
        var candidate = max(base, lastSessionID &+ 1)
        while node.tree.sessions[SessionID(candidate)] != nil { candidate &+= 1 }
        lastSessionID = candidate
        return SessionID(candidate)
    }

    private mutating func takeRequestID() -> UInt64 {
        defer { nextRequest &+= 1 }
        return nextRequest
    }

    /// Whether requests may be sent on now: the leader consensus reports is the one this
    /// member's connections were last valid under.
    private var leaderIsCurrent: Bool {
        guard let leader = node.leader, let known = knownLeader else { return false }
        return leader == known.member && node.term == known.term
    }

    /// Submits `txn` for connection `id`; when there is no current leader to take it, closes the
    /// connection instead (nothing is queued, so nothing can be reordered).
    private mutating func submit(_ txn: Txn, _ requestID: UInt64, from id: WatcherID, wallMillis: Int64) -> [ServerAction] {
        var txn = txn
        txn.origin = TxnOrigin(member: configuration.member, request: requestID)
        if !leaderIsCurrent || node.submit(txn, wallMillis: wallMillis) == .rejected {
            pendingWrites[requestID] = nil
            pendingHandshakes[requestID] = nil
            pendingMoves[requestID] = nil
            return close(id, .noLeader)
        }
        return []
    }

    // MARK: - Requests

    /// A request of an established (or pending) session, decoded.
    package mutating func requestReceived(_ id: WatcherID, xid: Xid, _ request: ZKRequest, at time: ServerTime) -> [ServerAction] {
        guard let client = clients[id], client.phase != .closing else { return [] }
        guard client.phase == .active || client.phase == .sessionPending, let session = client.session else {
            return close(id, .requestBeforeSession)
        }
        if client.phase == .active {
            // Any traffic renews the session; an expired or closing one ends the connection.
            guard node.isSessionLive(session) else {
                if case .closeSession = request { return [] }
                if client.closeSent { return [] }
                var actions: [ServerAction] = []
                enqueueAnswered(id, xid, ReplyHeader(xid: xid, zxid: node.tree.lastZxid, err: .sessionExpired), nil, at: time, into: &actions)
                return actions + close(id, .sessionExpired(session), afterFlush: true)
            }
            node.sessionActive(session, monotonicMillis: time.monotonicMillis)
        }
        var actions: [ServerAction] = []
        switch request {
        case .auth(let packet):
            // Processed on arrival, outside the ordered queue (ClientCnxn matches xid -4 apart).
            guard let ids = authenticate(packet) else {
                actions.append(.reply(id, ReplyHeader(xid: xid, zxid: .zero, err: .authFailed), nil, latencyMillis: nil))
                return actions + close(id, .authFailed(scheme: packet.scheme), afterFlush: true)
            }
            var merged = client.auth
            for zkID in ids where !merged.contains(zkID) { merged.append(zkID) }
            let bytes = merged.reduce(0) { $0 + $1.scheme.utf8.count + $1.id.utf8.count }
            guard merged.count <= configuration.maxAuthIds, bytes <= configuration.maxAuthBytes else {
                actions.append(.reply(id, ReplyHeader(xid: xid, zxid: .zero, err: .authFailed), nil, latencyMillis: nil))
                return actions + close(id, .authOverLimits(ids: merged.count, bytes: bytes), afterFlush: true)
            }
            clients[id]!.auth = merged
            actions.append(.reply(id, ReplyHeader(xid: xid, zxid: .zero, err: .ok), nil, latencyMillis: nil))
        case _ where request.isWrite:
            if case .closeSession = request { clients[id]!.closeSent = true }
            if client.holdsWrites {
                // Submitted once the reads before it have run, so they cannot see it.
                clients[id]!.slots.append(.heldWrite(xid, request, arrival: time.monotonicMillis))
            } else {
                clients[id]!.slots.append(.write(xid, reply: nil, arrival: time.monotonicMillis))
                actions += submitWrite(request, xid: xid, session: session, from: id, at: time)
            }
        case .sync(let path):
            // Ordered like a write: answered once this member has applied everything the leader
            // had committed when it confirmed its leadership (Raft's ReadIndex), so sync + read
            // is linearizable.
            clients[id]!.slots.append(.write(xid, reply: nil, arrival: time.monotonicMillis))
            pendingSyncs[node.readIndex()] = (id, xid, path)
        default:
            clients[id]!.slots.append(.read(xid, request, arrival: time.monotonicMillis))
            drain(id, at: time, into: &actions)
        }
        return actions
    }

    /// A request whose op code this server does not know. ZooKeeper answers server-internal op
    /// codes with its own errors, and anything else with UNIMPLEMENTED followed by closing.
    package mutating func unknownOpCode(_ id: WatcherID, xid: Xid, opCode: Int32, at time: ServerTime) -> [ServerAction] {
        guard let client = clients[id], client.phase != .closing else { return [] }
        guard client.session != nil else { return close(id, .requestBeforeSession) }
        var actions: [ServerAction] = []
        switch OpCode(rawValue: opCode) {
        case .createSession?:
            enqueueAnswered(id, xid, ReplyHeader(xid: xid, zxid: node.tree.lastZxid, err: .marshallingError), nil, at: time, into: &actions)
        case .deleteContainer?:
            enqueueAnswered(id, xid, ReplyHeader(xid: xid, zxid: node.tree.lastZxid, err: .badArguments), nil, at: time, into: &actions)
        default:
            enqueueAnswered(id, xid, ReplyHeader(xid: xid, zxid: Zxid(-1), err: .unimplemented), nil, at: time, into: &actions)
            actions += close(id, .unknownOpCode(opCode), afterFlush: true)
        }
        return actions
    }

    /// A request whose body does not decode: MARSHALLINGERROR in its place when its xid could be
    /// read, else the connection closes.
    package mutating func malformedRequest(_ id: WatcherID, xid: Xid?, at time: ServerTime) -> [ServerAction] {
        guard let client = clients[id], client.phase != .closing else { return [] }
        guard client.session != nil else { return close(id, .requestBeforeSession) }
        guard let xid else { return close(id, .malformedRequestHeader) }
        var actions: [ServerAction] = [.notice(.malformedRequest(xid: xid))]
        enqueueAnswered(id, xid, ReplyHeader(xid: xid, zxid: node.tree.lastZxid, err: .marshallingError), nil, at: time, into: &actions)
        return actions
    }

    private mutating func enqueueAnswered(
        _ id: WatcherID, _ xid: Xid, _ header: ReplyHeader, _ response: ZKResponse?, at time: ServerTime,
        into actions: inout [ServerAction]
    ) {
        clients[id]?.slots.append(.write(xid, reply: (header, response), arrival: time.monotonicMillis))
        drain(id, at: time, into: &actions)
    }

    private mutating func submitWrite(
        _ request: ZKRequest, xid: Xid, session: SessionID, from id: WatcherID, at time: ServerTime
    ) -> [ServerAction] {
        guard !storageFailed else {
            var actions: [ServerAction] = []
            answer(id, xid: xid, ReplyHeader(xid: xid, zxid: node.tree.lastZxid, err: .systemError), nil, at: time, into: &actions)
            return actions
        }
        let op: TxnOp
        if case .closeSession = request {
            node.sessionClosing(session)
            op = .closeSession
        } else {
            op = .request(request)
        }
        let requestID = takeRequestID()
        pendingWrites[requestID] = (id, xid, time.monotonicMillis)
        return submit(
            Txn(zxid: .zero, time: 0, session: session, xid: xid, auth: clients[id]?.auth ?? [], op: op), requestID,
            from: id, wallMillis: time.wallMillis)
    }

    /// The result of a write or sync the connection submitted. Results may arrive in any order
    /// (a sync can finish before an earlier write); replies still leave in request order.
    private mutating func answer(
        _ id: WatcherID, xid: Xid, _ header: ReplyHeader, _ response: ZKResponse?, at time: ServerTime,
        into actions: inout [ServerAction], drainNow: Bool = false
    ) {
        guard let slots = clients[id]?.slots,
            let index = slots.firstIndex(where: { if case .write(xid, nil, _) = $0 { true } else { false } }),
            case .write(_, _, let arrival) = slots[index]
        else { return }
        clients[id]!.slots[index] = .write(xid, reply: (header, response), arrival: arrival)
        if drainNow { drain(id, at: time, into: &actions) } else { drainSoon(id, at: time, into: &actions) }
    }

    /// Drains now, or once the output being delivered has fired all its watches.
    private mutating func drainSoon(_ id: WatcherID, at time: ServerTime, into actions: inout [ServerAction]) {
        guard var pending = drainAfterDelivery else {
            drain(id, at: time, into: &actions)
            return
        }
        if !pending.contains(id) { pending.append(id) }
        drainAfterDelivery = pending
    }

    /// Answers everything at the head of the connection's queue that can be answered now.
    private mutating func drain(_ id: WatcherID, at time: ServerTime, into actions: inout [ServerAction]) {
        while let client = clients[id], let head = client.slots.first {
            // Nothing is answered before the ConnectResponse of a new session has gone out, nor
            // to a client that broke a limit or does not read (its requests stay queued).
            guard client.phase == .active || client.phase == .closing, !client.refused, client.writable else { return }
            switch head {
            case .write(_, nil, _):
                return
            case .write(_, let reply?, let arrival):
                clients[id]!.slots.removeFirst()
                actions.append(.reply(id, reply.0, reply.1, latencyMillis: time.monotonicMillis - arrival))
            case .read(let xid, let request, let arrival):
                clients[id]!.slots.removeFirst()
                // nil: the request broke a limit and the connection is being closed (no reply).
                guard let (header, response) = executeRead(request, xid: xid, on: id, into: &actions) else { return }
                actions.append(.reply(id, header, response, latencyMillis: time.monotonicMillis - arrival))
            case .heldWrite:
                releaseHeldWrites(id, at: time, into: &actions)
                guard case .heldWrite? = clients[id]?.slots.first else { continue }
                return  // not submitted (no session any more): the connection is closing
            }
        }
    }

    /// Submits the held writes at the head of the queue, up to the next read: every read before
    /// them has run.
    private mutating func releaseHeldWrites(_ id: WatcherID, at time: ServerTime, into actions: inout [ServerAction]) {
        guard let session = clients[id]?.session else { return }
        var index = 0
        while let slots = clients[id]?.slots, index < slots.count {
            switch slots[index] {
            case .read:
                return
            case .write:
                index += 1
            case .heldWrite(let xid, let request, let arrival):
                clients[id]!.slots[index] = .write(xid, reply: nil, arrival: arrival)
                actions += submitWrite(request, xid: xid, session: session, from: id, at: time)
                index += 1
            }
        }
    }

    // MARK: - Reads

    /// Answers a read-side request (executed once every earlier write of the session has been
    /// applied, which gives read-your-writes). Registers watches. nil when registering them
    /// would pass the connection's watch limits: the connection is being closed.
    private mutating func executeRead(
        _ request: ZKRequest, xid: Xid, on id: WatcherID, into actions: inout [ServerAction]
    ) -> (ReplyHeader, ZKResponse?)? {
        let session = clients[id]?.session ?? .none
        let auth = clients[id]?.auth ?? []
        let zxid = node.tree.lastZxid
        func reply(_ err: ZKErrorCode, _ response: ZKResponse?) -> (ReplyHeader, ZKResponse?) {
            (ReplyHeader(xid: xid, zxid: zxid, err: err), err == .ok ? response : nil)
        }
        switch request {
        case .ping:
            return reply(.ok, nil)
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r):
            let (err, response) = node.tree.read(request, session: session, auth: auth)
            if r.watch {
                switch (request, err) {
                case (.exists, .ok), (.exists, .noNode), (.getData, .ok):
                    guard addWatch(r.path, .data, for: id, into: &actions) else { return nil }
                case (.getChildren, .ok), (.getChildren2, .ok):
                    guard addWatch(r.path, .child, for: id, into: &actions) else { return nil }
                default: break
                }
            }
            return reply(err, response)
        case .multiRead(let ops) where ops.isEmpty:
            return reply(.marshallingError, nil)
        case .getACL, .getAllChildrenNumber, .getEphemerals, .multiRead:
            let (err, response) = node.tree.read(request, session: session, auth: auth)
            return reply(err, response)
        case .addWatch(let r):
            guard let mode = AddWatchMode(rawValue: r.mode) else { return reply(.badArguments, nil) }
            guard PathValidation.validate(r.path) == nil else { return reply(.badArguments, nil) }
            guard addWatch(r.path, mode == .persistent ? .persistent : .persistentRecursive, for: id, into: &actions)
            else { return nil }
            return reply(.ok, .errorBody(.ok))
        case .checkWatches(let r), .removeWatches(let r):
            // ZooKeeper 3.8 accepts only Children, Data and Any here (others: MARSHALLINGERROR).
            guard let type = WatcherType(rawValue: r.type), type.rawValue <= WatcherType.any.rawValue else {
                return reply(.marshallingError, nil)
            }
            let found: Bool
            if case .removeWatches = request {
                found = watches.remove(id, path: r.path, type: type)
            } else {
                found = watches.has(id, path: r.path, type: type)
            }
            return reply(found ? .ok : .noWatcher, .empty)
        case .setWatches(let r), .setWatches2(let r):
            guard setWatches(r, for: id, into: &actions) else { return nil }
            return reply(.ok, nil)
        case .whoAmI:
            // The digest provider reports the user name, not the hash (`getUserName`).
            return reply(
                .ok,
                .whoAmI(
                    auth.map { id in
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

    /// Registers a watch for connection `id`, or, when that would pass its watch limits, closes
    /// the connection without a reply and returns false (why closing:
    /// `KeeperConfiguration.maxWatchesPerConnection`).
    private mutating func addWatch(
        _ path: String, _ kind: WatchKinds, for id: WatcherID, into actions: inout [ServerAction]
    ) -> Bool {
        if watches.add(id, path: path, kind: kind, limits: configuration.watchLimits) { return true }
        let reason = ClientCloseReason.watchesOverLimits(
            watches: watches.watchCount(of: id), pathBytes: watches.pathBytes(of: id), requestPathBytes: path.utf8.count)
        clients[id]?.refused = true
        actions += close(id, reason)
        return false
    }

    /// Re-registers a reconnecting client's watches, firing at once what changed since
    /// `relativeZxid` (`DataTree.setWatches`). False when they pass the connection's watch
    /// limits: the connection is being closed, and no event is sent.
    private mutating func setWatches(_ r: SetWatchesRequest, for id: WatcherID, into actions: inout [ServerAction]) -> Bool {
        let relative = r.relativeZxid.rawValue
        let tree = node.tree
        var fire: [WatcherEvent] = []
        for path in r.dataWatches {
            if let node = tree.node(path) {
                if node.mzxid > relative { fire.append(WatcherEvent(type: .nodeDataChanged, path: path)) } else {
                    guard addWatch(path, .data, for: id, into: &actions) else { return false }
                }
            } else {
                fire.append(WatcherEvent(type: .nodeDeleted, path: path))
            }
        }
        for path in r.existWatches {
            if tree.node(path) != nil { fire.append(WatcherEvent(type: .nodeCreated, path: path)) } else {
                guard addWatch(path, .data, for: id, into: &actions) else { return false }
            }
        }
        for path in r.childWatches {
            if let node = tree.node(path) {
                if node.pzxid > relative { fire.append(WatcherEvent(type: .nodeChildrenChanged, path: path)) } else {
                    guard addWatch(path, .child, for: id, into: &actions) else { return false }
                }
            } else {
                fire.append(WatcherEvent(type: .nodeDeleted, path: path))
            }
        }
        for path in r.persistentWatches {
            guard addWatch(path, .persistent, for: id, into: &actions) else { return false }
        }
        for path in r.persistentRecursiveWatches {
            guard addWatch(path, .persistentRecursive, for: id, into: &actions) else { return false }
        }
        for event in fire { actions.append(.notify(id, event, zxid: tree.lastZxid)) }
        return true
    }

    /// An AuthPacket's ids, or nil for AUTHFAILED.
    private func authenticate(_ packet: AuthPacket) -> [ZKId]? {
        switch packet.scheme {
        case "digest":
            guard let credential = String(validating: packet.auth, as: UTF8.self),
                let digest = ACLEvaluator.digest(credential: credential)
            else { return nil }
            var ids = [ZKId(scheme: "digest", id: digest)]
            if let superDigest = configuration.superDigest, superDigest == digest { ids.insert(ACLEvaluator.superID, at: 0) }
            return ids
        default:
            return nil
        }
    }

    // MARK: - Consensus inputs

    /// A peer's message. Throws (leaving the state as it was) when it is malformed: the driver
    /// closes that peer's link.
    package mutating func peerMessageReceived(
        _ message: PeerMessage, from member: Int32, at time: ServerTime
    ) throws(MalformedConsensusInput) {
        try node.receive(message, from: member, wallMillis: time.wallMillis, monotonicMillis: time.monotonicMillis)
    }

    /// The link to `member` dropped (messages on it may be lost).
    package mutating func peerUnreachable(_ member: Int32) -> [ServerAction] {
        let wasLeader = member == node.leader
        node.peerUnreachable(member)  // a follower forgets a leader it lost the link to
        guard wasLeader else { return [] }
        return closeConnectionsWithPendingRequests()
    }

    package mutating func tick<R: RandomNumberGenerator>(at time: ServerTime, random: inout R) {
        node.tick(wallMillis: time.wallMillis, monotonicMillis: time.monotonicMillis, random: &random)
    }

    /// Proposes deletes of empty containers and expired TTL nodes (leader only).
    package mutating func cleanContainers(at time: ServerTime, limit: Int) {
        node.cleanContainers(wallMillis: time.wallMillis, limit: limit)
    }

    /// A snapshot stream to `member` ended.
    package mutating func snapshotSent(to member: Int32, succeeded: Bool) {
        snapshotsInFlight.remove(member)
        node.snapshotSent(to: member, succeeded: succeeded)
    }

    /// Storage finished the write of `ticket`: the messages that waited for it may go.
    package mutating func persisted(ticket: UInt64) -> [ServerAction] {
        var actions: [ServerAction] = []
        send(pipeline.completed(ticket: ticket, node: &node), into: &actions)
        return actions
    }

    /// The checkpoint handed out last is durable.
    package mutating func checkpointed() {
        pipeline.checkpointed()
    }

    /// A storage write failed: this member stops serving (its connections close).
    package mutating func storageWriteFailed() -> [ServerAction] {
        guard !storageFailed else { return [] }
        storageFailed = true
        var actions: [ServerAction] = []
        for id in clients.keys.sorted() { actions += close(id, .storageFailed) }
        return actions
    }

    // MARK: - The loop

    /// Takes the node's outputs while the storage pipeline has room: answers what they applied,
    /// sends what may go now and hands each write to storage.
    /// `observe` sees each consensus output as it is taken (the simulator's checkers use it).
    package mutating func process(at time: ServerTime, observe: (ReplicaOutput) -> Void = { _ in }) -> [ServerAction] {
        var actions: [ServerAction] = []
        guard !storageFailed else { return actions }
        while let step = pipeline.take(from: &node, monotonicMillis: time.monotonicMillis) {
            let output = step.output
            observe(output)
            // A new leader invalidates requests forwarded to the old one: drop the connections
            // now, before anything else, so no later request of theirs can overtake a lost one.
            if let change = output.roleChange { roleChanged(change, into: &actions) }
            if let metadata = output.installedSnapshot {
                actions.append(.notice(.snapshotInstalled(index: metadata.index, zxid: node.tree.lastZxid)))
                for id in clients.filter({ $0.value.phase != .closing }).keys.sorted() {
                    actions += close(id, .snapshotInstalled)
                }
            }
            // Committed entries are durable on a majority already: answer their clients now
            // rather than after this output's own write (which holds newer entries). The tree
            // already holds every txn of the output, so reads queued behind these replies run
            // only once all of its watches have fired: a read must not set a watch that a change
            // it already sees then fires (it would miss the next change).
            drainAfterDelivery = []
            for applied in output.applied { deliver(applied, at: time, into: &actions) }
            for request in output.completedReads {
                guard let sync = pendingSyncs.removeValue(forKey: request) else { continue }
                answer(
                    sync.connection, xid: sync.xid, ReplyHeader(xid: sync.xid, zxid: node.tree.lastZxid, err: .ok),
                    .sync(path: sync.path), at: time, into: &actions)
            }
            for request in output.failedReads {
                // No leader to confirm the read point: the client retries on another connection.
                guard let sync = pendingSyncs.removeValue(forKey: request) else { continue }
                actions += close(sync.connection, .syncFailed)
            }
            let answered = drainAfterDelivery ?? []
            drainAfterDelivery = nil
            for id in answered { drain(id, at: time, into: &actions) }
            for session in output.expiredSessions { actions.append(.notice(.sessionExpired(session))) }
            send(step.sendNow, into: &actions)
            if let write = step.write { actions.append(.persist(ticket: step.ticket, write)) }
            if let checkpoint = step.checkpoint { actions.append(.checkpoint(checkpoint)) }
        }
        // A member that went quiet still checkpoints what it applied last (else a restart after a
        // burst replays it all from the log).
        if let checkpoint = pipeline.checkpointIfDue(from: &node, monotonicMillis: time.monotonicMillis) {
            actions.append(.checkpoint(checkpoint))
        }
        return actions
    }

    private mutating func send(_ messages: [(to: Int32, message: PeerMessage)], into actions: inout [ServerAction]) {
        for (member, message) in messages {
            if case .raft(let envelope) = message, case .snapshot(let requested) = envelope.message {
                streamSnapshot(to: member, requested: requested, envelope: envelope, into: &actions)
            } else {
                actions.append(.send(to: member, message))
            }
        }
    }

    /// The current tree image goes to a lagging peer, then the consensus message. The image is
    /// newer than the compaction point consensus asked for; the message is rewritten to name the
    /// index and term the image really stands at (the peer answers with that index).
    private mutating func streamSnapshot(
        to member: Int32, requested: SnapshotMetadata, envelope original: Envelope, into actions: inout [ServerAction]
    ) {
        guard !snapshotsInFlight.contains(member), let (image, metadata) = node.snapshotImage,
            metadata.index >= requested.index
        else {
            node.snapshotSent(to: member, succeeded: false)
            return
        }
        snapshotsInFlight.insert(member)
        let envelope = Envelope(from: original.from, to: original.to, term: original.term, message: .snapshot(metadata))
        actions.append(.streamSnapshot(to: member, image: image, metadata: metadata, envelope: envelope))
    }

    private mutating func roleChanged(_ change: (role: Role, leader: Int32?, term: UInt64), into actions: inout [ServerAction]) {
        actions.append(.notice(.roleChanged(role: change.role, leader: change.leader, term: change.term)))
        let previous = knownLeader
        knownLeader = change.leader.map { ($0, change.term) }
        guard let previous, previous.member != change.leader || previous.term != change.term else { return }
        // Writes in flight may have been lost with the old leader (or the old term): drop client
        // connections, as ZooKeeper does when a member loses its leader, so clients retry
        // elsewhere instead of waiting for answers that will never come, and no later write of a
        // session commits ahead of a lost earlier one.
        let open = clients.filter { $0.value.phase != .closing }.keys.sorted()
        if !open.isEmpty { actions.append(.notice(.leaderLost(connections: open.count))) }
        for id in open { actions += close(id, .leaderChanged) }
        var requests = Set(pendingWrites.keys)
        requests.formUnion(pendingHandshakes.keys)
        requests.formUnion(pendingMoves.keys)
        node.cancelForwards(requests: requests)
        pendingWrites = [:]
        pendingHandshakes = [:]
        pendingMoves = [:]
        pendingSyncs = [:]
    }

    /// Closes the connections whose requests may have been lost on the way to the leader.
    private mutating func closeConnectionsWithPendingRequests() -> [ServerAction] {
        var affected = Set(pendingWrites.values.map(\.connection))
        affected.formUnion(pendingHandshakes.values.map(\.connection))
        affected.formUnion(pendingMoves.values.map(\.connection))
        affected.formUnion(pendingSyncs.values.map(\.connection))
        guard !affected.isEmpty else { return [] }
        var requests = Set(pendingWrites.filter { affected.contains($0.value.connection) }.keys)
        requests.formUnion(pendingHandshakes.filter { affected.contains($0.value.connection) }.keys)
        requests.formUnion(pendingMoves.filter { affected.contains($0.value.connection) }.keys)
        node.cancelForwards(requests: requests)
        var actions: [ServerAction] = [.notice(.requestsLost(connections: affected.count))]
        for id in affected.sorted() { actions += close(id, .leaderLinkDown) }
        pendingWrites = pendingWrites.filter { !affected.contains($0.value.connection) }
        pendingHandshakes = pendingHandshakes.filter { !affected.contains($0.value.connection) }
        pendingMoves = pendingMoves.filter { !affected.contains($0.value.connection) }
        pendingSyncs = pendingSyncs.filter { !affected.contains($0.value.connection) }
        return actions
    }

    /// Watches, then the reply of the member holding the client (ZooKeeper's order: a client
    /// sees the watch event before the data that caused it).
    private mutating func deliver(_ applied: AppliedTxn, at time: ServerTime, into actions: inout [ServerAction]) {
        let txn = applied.txn
        for event in applied.result.events {
            for (watcher, message) in watches.trigger(event) where clients[watcher] != nil {
                actions.append(.notify(watcher, message, zxid: txn.zxid))
            }
        }
        if case .closeSession = txn.op, let owner = sessionOwners.removeValue(forKey: txn.session), clients[owner] != nil {
            if let origin = txn.origin, origin.member == configuration.member,
                let pending = pendingWrites.removeValue(forKey: origin.request), pending.connection == owner
            {
                // Answered now: the connection closes right after its reply.
                answer(
                    owner, xid: pending.xid, ReplyHeader(xid: pending.xid, zxid: txn.zxid, err: applied.result.err),
                    applied.result.response, at: time, into: &actions, drainNow: true)
            }
            actions.append(.notice(.sessionClosed(txn.session)))
            actions += close(owner, .sessionClosed(txn.session), afterFlush: true)
            return
        }
        guard let origin = txn.origin, origin.member == configuration.member else { return }
        if case .moveSession = txn.op {
            guard let move = pendingMoves.removeValue(forKey: origin.request), clients[move.connection] != nil else { return }
            // The move fails when the session expired (or closed) meanwhile: say so, as
            // ZooKeeper does, rather than leaving the handshake unanswered.
            guard applied.result.err == .ok, let record = node.tree.sessions[txn.session] else {
                actions.append(.connectResponse(move.connection, .invalidSession(readOnly: move.readOnly)))
                actions += close(move.connection, .sessionInvalid(txn.session))
                return
            }
            actions += bind(txn.session, to: move.connection)
            node.sessionActive(txn.session, monotonicMillis: time.monotonicMillis)
            actions.append(.notice(.sessionMovedHere(txn.session)))
            actions.append(
                .connectResponse(
                    move.connection,
                    ConnectResponse(
                        timeout: record.timeout, sessionID: txn.session, password: record.password,
                        readOnly: move.readOnly.map { _ in false })))
            drainSoon(move.connection, at: time, into: &actions)
            return
        }
        if case .createSession(let timeout, let password) = txn.op {
            guard let handshake = pendingHandshakes.removeValue(forKey: origin.request), clients[handshake.connection] != nil
            else { return }
            actions.append(.notice(.sessionCreated(txn.session, timeout: timeout)))
            actions += bind(txn.session, to: handshake.connection)
            actions.append(
                .connectResponse(
                    handshake.connection,
                    ConnectResponse(
                        timeout: timeout, sessionID: txn.session, password: password,
                        readOnly: handshake.readOnly.map { _ in false })))
            drainSoon(handshake.connection, at: time, into: &actions)
            return
        }
        guard let pending = pendingWrites.removeValue(forKey: origin.request) else { return }
        if applied.result.err == .sessionMoved {
            // ZooKeeper closes a connection whose session moved to another member.
            actions += close(pending.connection, .sessionMoved(txn.session))
            return
        }
        answer(
            pending.connection, xid: pending.xid, ReplyHeader(xid: pending.xid, zxid: txn.zxid, err: applied.result.err),
            applied.result.response, at: time, into: &actions)
    }
}
