import KeeperCore
import KeeperReplica
import NIOCore
package import ZooKeeperWire

/// A request a simulated client is waiting on.
struct OutstandingRequest: Sendable {
    var xid: Int32
    var sentAt: Int64
    var isClose: Bool
    /// Answered while an earlier request is still unanswered: the connection holds the reply
    /// back (`ClientConnection` writes replies in request order).
    var heldReply: AppliedTxn?
}

/// One simulated ZooKeeper client: a session (once created), the member it is connected to,
/// its xid counter and the requests in flight. It behaves like the Java client: a new
/// connection asks for a session or revalidates the one it has (with the last zxid it saw); a
/// lost connection leaves its requests with unknown outcome; a reply for anything but the oldest
/// request in flight is a protocol error.
package struct SimulatedClient: Sendable, CustomStringConvertible {
    let id: Int
    var session: SessionID?
    /// The member and connection id while connected.
    var member: Int32?
    var connection: Int?
    /// True once the session is bound on `connection` (handshake answered).
    var established = false
    var nextXid: Int32 = 1
    var outstanding: [OutstandingRequest] = []
    var lastZxidSeen: Zxid = .zero
    /// Do not connect before this step.
    var retryAt: Int64 = 0
    /// The member this client prefers (scenarios steer sessions).
    var preferred: Int32?
    var sessionsCreated = 0
    var movesRequested = 0
    var answered = 0
    /// The versions this client last saw, by path (to send plausible versioned writes).
    var versions: [String: Int32] = [:]

    package var description: String {
        let where_ = member.map { "on \($0)#\(connection ?? 0)\(established ? "" : " (handshake)")" } ?? "disconnected"
        return "client \(id) session \(session.map(String.init(describing:)) ?? "-") \(where_) next xid \(nextXid) "
            + "outstanding \(outstanding.map(\.xid)) seen \(lastZxidSeen)"
    }
}

/// What happened to client requests over a run.
package struct KeeperClientStatistics: Sendable, CustomStringConvertible {
    package var submitted = 0
    package var answered = 0
    package var failedOk = 0
    /// Requests whose connection was closed under them (outcome unknown to the client).
    package var lostWithConnection = 0
    /// Connections a client gave up on because a request went unanswered too long.
    package var clientTimeouts = 0
    package var sessionsCreated = 0
    package var sessionsClosed = 0
    package var sessionsExpiredOnClient = 0
    package var moves = 0

    package var description: String {
        "submitted \(submitted), answered \(answered) (\(failedOk) with an error), lost \(lostWithConnection), "
            + "client timeouts \(clientTimeouts), sessions created \(sessionsCreated) closed \(sessionsClosed) "
            + "expired \(sessionsExpiredOnClient), moves \(moves)"
    }
}

extension KeeperEnsemble {
    // MARK: - Scenario controls

    /// Adds `count` clients; each connects at the next client step (to `member`, or anywhere).
    package mutating func addClients(_ count: Int, preferring member: Int32? = nil) {
        for _ in 0..<count {
            clients.append(SimulatedClient(id: clients.count, preferred: member))
        }
    }

    package var clientCount: Int { clients.count }

    /// The member client `client` is connected to (with its session established).
    package func clientMember(_ client: Int) -> Int32? {
        clients[client].established ? clients[client].member : nil
    }

    package func clientSession(_ client: Int) -> SessionID? { clients[client].session }

    /// Moves client `client`'s session to `member`: it drops its connection (its requests in
    /// flight become unknown) and reconnects there with the same session.
    package mutating func moveClient(_ client: Int, to member: Int32) {
        clients[client].preferred = member
        guard clients[client].member != member else { return }
        disconnect(client, reason: "moves to \(member)")
        statistics.moves += 1
    }

    /// Ephemeral paths the reference tree holds for client `client`'s session.
    package func ephemerals(ofClient client: Int) -> [String] {
        guard let session = clients[client].session else { return [] }
        return (checker.reference.ephemerals[session] ?? []).sorted()
    }

    /// Whether every client has nothing in flight (requests and handshakes).
    package var clientsIdle: Bool {
        clients.allSatisfy { $0.outstanding.isEmpty && ($0.connection == nil || $0.established) }
    }

    // MARK: - Client steps

    mutating func stepClients() {
        for c in clients.indices {
            guard violation == nil else { return }
            stepClient(c)
        }
    }

    private mutating func stepClient(_ c: Int) {
        guard let member = clients[c].member, let connection = clients[c].connection else {
            if now >= clients[c].retryAt { connect(c) }
            return
        }
        let k = index(member)
        guard clients[c].established else { return }
        if clientTimeoutsEnabled, let oldest = clients[c].outstanding.first,
            (now - oldest.sentAt) * Self.millisPerStep >= options.clientRequestTimeoutMillis
        {
            statistics.clientTimeouts += 1
            disconnect(c, reason: "timed out waiting for xid \(oldest.xid)")
            return
        }
        // A ping: the connection renews its session, or learns it is gone.
        guard let session = clients[c].session, members[k].node!.isSessionLive(session) else {
            sessionExpiredOnClient(c, k, connection, reason: "ping: session not live on \(member)")
            return
        }
        members[k].node!.sessionActive(session, monotonicMillis: monotonicMillis)
        guard workloadEnabled else { return }
        if random.chance(perMille: options.movePerMille) {
            let others = ids.filter { $0 != member && isUp($0) }
            if let target = others.randomElement(using: &random) {
                clients[c].movesRequested += 1
                moveClient(c, to: target)
                return
            }
        }
        guard clients[c].outstanding.count < options.clientPipeline,
            clients[c].outstanding.last?.isClose != true,
            random.chance(perMille: options.requestPerMille)
        else { return }
        if random.chance(perMille: options.closePerMille) {
            submitRequest(c, .closeSession)
        } else {
            submitRequest(c, randomRequest(c))
        }
    }

    /// Opens a connection: a new session, or the existing one revalidated (`ReplicaDriver.handshake`).
    private mutating func connect(_ c: Int) {
        let up = ids.filter { isUp($0) }
        guard !up.isEmpty else { return }
        var member = up.randomElement(using: &random)!
        if let preferred = clients[c].preferred, isUp(preferred) { member = preferred }
        let k = index(member)
        clients[c].retryAt = now + Self.stepsPerTick * 3
        let node = members[k].node!
        guard node.leader != nil else { return }  // not serving: the connection is refused
        guard clients[c].lastZxidSeen <= node.tree.lastZxid else { return }  // behind what the client saw
        let connection = nextConnection
        nextConnection += 1
        members[k].connections[connection] = Connection(client: c, session: nil)
        clients[c].member = member
        clients[c].connection = connection
        clients[c].established = false
        if let session = clients[c].session {
            guard node.tree.sessions[session] != nil, node.isSessionLive(session) else {
                // ConnectResponse with an invalid session: the session is gone.
                trace.append(now, .note("client \(c) session \(session) refused on \(member)"))
                members[k].connections[connection] = nil
                clients[c].member = nil
                clients[c].connection = nil
                sessionGone(c, expired: true)
                clients[c].retryAt = now
                return
            }
            if node.tree.sessions[session]?.owner != member || (!node.isLeader && members.count > 1) {
                // `ReplicaDriver.handshake`: the session moves here through the log (on a
                // follower also when it stays: revalidated with the leader), and the client
                // hears it is connected only once the move applied.
                let request = members[k].nextRequest
                members[k].nextRequest += 1
                let move = Txn(
                    zxid: .zero, time: 0, session: session, op: .moveSession,
                    origin: TxnOrigin(member: member, request: request))
                members[k].pendingHandshakes[request] = connection
                members[k].connections[connection]?.session = session
                if !members[k].leaderIsCurrent || members[k].node!.submit(move, wallMillis: wallMillis) == .rejected {
                    members[k].pendingHandshakes[request] = nil
                    closeConnection(k, connection, sessionGone: false)
                    return
                }
                trace.append(now, .note("client \(c) moves \(session) to \(member)#\(connection)"))
                afterInput(k)
                return
            }
            bind(k, session, to: connection)
            members[k].node!.sessionActive(session, monotonicMillis: monotonicMillis)
            clients[c].established = true
            trace.append(now, .note("client \(c) reconnects \(session) on \(member)#\(connection)"))
            afterInput(k)
            return
        }
        var id = (Int64(member) << 56) | nextSession
        nextSession += 1
        while node.tree.sessions[SessionID(id)] != nil { id += 1 }
        let session = SessionID(id)
        let request = members[k].nextRequest
        members[k].nextRequest += 1
        members[k].pendingHandshakes[request] = connection
        members[k].connections[connection]?.session = session
        let password = (0..<16).map { UInt8(truncatingIfNeeded: id >> (($0 % 8) * 8)) }
        let txn = Txn(
            zxid: .zero, time: 0, session: session,
            op: .createSession(timeout: options.sessionTimeoutMillis, password: password),
            origin: TxnOrigin(member: member, request: request))
        trace.append(now, .note("client \(c) asks \(member)#\(connection) for session \(session)"))
        if !members[k].leaderIsCurrent || members[k].node!.submit(txn, wallMillis: wallMillis) == .rejected {
            members[k].pendingHandshakes[request] = nil
            closeConnection(k, connection, sessionGone: false)
            return
        }
        afterInput(k)
    }

    /// The moveSession txn applied on the member holding the reconnect: the client is connected.
    mutating func sessionMoved(connection: Int, session: SessionID) {
        guard let c = clients.firstIndex(where: { $0.connection == connection }) else { return }
        clients[c].established = true
        trace.append(now, .note("client \(c) reconnected \(session) on \(clients[c].member!)#\(connection)"))
    }

    /// The createSession txn applied on the member holding the handshake.
    mutating func sessionEstablished(connection: Int, session: SessionID, zxid: Zxid) {
        guard let c = clients.firstIndex(where: { $0.connection == connection }) else { return }
        clients[c].session = session
        clients[c].established = true
        clients[c].sessionsCreated += 1
        clients[c].nextXid = 1
        clients[c].versions = [:]
        clients[c].lastZxidSeen = max(clients[c].lastZxidSeen, zxid)
        statistics.sessionsCreated += 1
        trace.append(now, .note("client \(c) has session \(session) on \(clients[c].member!)#\(connection)"))
    }

    /// A client request (`ReplicaDriver.submitWrite` behind `ClientConnection`'s touch check).
    mutating func submitRequest(_ c: Int, _ request: ZKRequest) {
        guard let member = clients[c].member, let connection = clients[c].connection,
            let session = clients[c].session
        else { return }
        let k = index(member)
        let xid = clients[c].nextXid
        clients[c].nextXid += 1
        guard members[k].node!.isSessionLive(session) else {
            if case .closeSession = request {
                sessionGone(c, expired: false)
                disconnect(c, reason: "closing a session that is not live")
            } else {
                sessionExpiredOnClient(c, k, connection, reason: "xid \(xid): SESSIONEXPIRED from \(member)")
            }
            return
        }
        members[k].node!.sessionActive(session, monotonicMillis: monotonicMillis)
        let op: TxnOp
        if case .closeSession = request {
            members[k].node!.sessionClosing(session)
            op = .closeSession
        } else {
            op = .request(request)
        }
        let requestID = members[k].nextRequest
        members[k].nextRequest += 1
        members[k].pendingWrites[requestID] = (connection, xid)
        clients[c].outstanding.append(OutstandingRequest(xid: xid, sentAt: now, isClose: op == .closeSession))
        statistics.submitted += 1
        checker.observeSubmitted(session: session, xid: xid, connection: connection)
        let txn = Txn(
            zxid: .zero, time: 0, session: session, xid: Xid(xid), op: op,
            origin: TxnOrigin(member: member, request: requestID))
        trace.append(now, .note("client \(c) sends xid \(xid) on \(member)#\(connection): \(KeeperChecker.describe(txn))"))
        // `ReplicaDriver.submit`: no current leader → the connection is closed, nothing queued.
        if !members[k].leaderIsCurrent || members[k].node!.submit(txn, wallMillis: wallMillis) == .rejected {
            members[k].pendingWrites[requestID] = nil
            closeConnection(k, connection, sessionGone: false)
            return
        }
        afterInput(k)
    }

    /// A reply reaches the client on `connection` (the member wrote it after applying).
    mutating func replyToClient(_ k: Int, connection: Int, xid: Int32, applied: AppliedTxn) {
        guard let info = members[k].connections[connection] else { return }
        let c = info.client
        guard clients[c].connection == connection else { return }
        guard let position = clients[c].outstanding.firstIndex(where: { $0.xid == xid }),
            clients[c].outstanding[position].heldReply == nil
        else {
            checker.fail("client \(c) got a reply for xid \(xid), which it is not waiting for (answered twice?)")
            return
        }
        clients[c].outstanding[position].heldReply = applied
        while let head = clients[c].outstanding.first, let reply = head.heldReply {
            clients[c].outstanding.removeFirst()
            acceptReply(c, xid: head.xid, reply)
        }
    }

    private mutating func acceptReply(_ c: Int, xid: Int32, _ applied: AppliedTxn) {
        let result = applied.result
        statistics.answered += 1
        clients[c].answered += 1
        if result.err != .ok { statistics.failedOk += 1 }
        clients[c].lastZxidSeen = max(clients[c].lastZxidSeen, applied.txn.zxid)
        checker.observeReply(
            session: applied.txn.session, xid: xid, index: applied.index, zxid: applied.txn.zxid, err: result.err,
            response: result.err == .ok ? result.response : nil)
        learnVersions(c, applied.txn, result)
    }

    /// The member closed the client's connection: leader lost, session closed, crash, or a newer
    /// connection took the session over.
    mutating func connectionClosedByServer(client c: Int, connection: Int, sessionGone gone: Bool) {
        guard clients[c].connection == connection else { return }
        trace.append(now, .note("client \(c) connection #\(connection) closed by \(clients[c].member!)\(gone ? " (session closed)" : "")"))
        dropConnection(c)
        if gone { sessionGone(c, expired: false) }
    }

    /// The client closes its own connection (timeout, move).
    private mutating func disconnect(_ c: Int, reason: String) {
        guard let member = clients[c].member, let connection = clients[c].connection else { return }
        trace.append(now, .note("client \(c) drops #\(connection) on \(member): \(reason)"))
        let k = index(member)
        // `ReplicaDriver.connectionClosed`: the session no longer has an owner connection here.
        if let info = members[k].connections.removeValue(forKey: connection), let session = info.session,
            members[k].sessionOwners[session] == connection
        {
            members[k].sessionOwners[session] = nil
        }
        dropConnection(c)
    }

    private mutating func dropConnection(_ c: Int) {
        statistics.lostWithConnection += clients[c].outstanding.count
        clients[c].outstanding = []
        // (A handshake in flight is forgotten: its session may still be created, and expires.)
        clients[c].member = nil
        clients[c].connection = nil
        clients[c].established = false
        clients[c].retryAt = now + Self.stepsPerTick
    }

    private mutating func sessionExpiredOnClient(_ c: Int, _ k: Int, _ connection: Int, reason: String) {
        trace.append(now, .note("client \(c): \(reason)"))
        statistics.sessionsExpiredOnClient += 1
        closeConnection(k, connection, sessionGone: false)
        sessionGone(c, expired: true)
    }

    private mutating func sessionGone(_ c: Int, expired: Bool) {
        if !expired { statistics.sessionsClosed += 1 }
        clients[c].session = nil
        clients[c].outstanding = []
        clients[c].versions = [:]
    }

    // MARK: - Workload

    private mutating func randomRequest(_ c: Int) -> ZKRequest {
        let key = Int.random(in: 0..<5, using: &random)
        let xid = clients[c].nextXid
        var data = ByteBuffer()
        data.writeString("c\(c)x\(xid)")
        let acl = ACL.openUnsafe
        func version(_ path: String) -> Int32 {
            if Int.random(in: 0..<4, using: &random) == 0 { return -1 }
            let known = clients[c].versions[path] ?? 0
            return random.chance(perMille: 700) ? known : known + Int32.random(in: -1...1, using: &random)
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<18:
            return .create(CreateRequest(path: "/k\(key)", data: data, acl: acl, flags: CreateMode.persistent.rawValue))
        case 18..<24:
            return .create2(CreateRequest(path: "/k\(key)/c", data: data, acl: acl, flags: CreateMode.persistent.rawValue))
        case 24..<30:
            return .create(
                CreateRequest(path: "/k\(key)/q-", data: nil, acl: acl, flags: CreateMode.persistentSequential.rawValue))
        case 30..<40:
            return .create(CreateRequest(path: "/e\(key)", data: data, acl: acl, flags: CreateMode.ephemeral.rawValue))
        case 40..<44:
            return .create(
                CreateRequest(path: "/k\(key)/e-", data: data, acl: acl, flags: CreateMode.ephemeralSequential.rawValue))
        case 44..<62:
            let path = Bool.random(using: &random) ? "/k\(key)" : "/e\(key)"
            return .setData(SetDataRequest(path: path, data: data, version: version(path)))
        case 62..<74:
            let path = ["/k\(key)", "/e\(key)", "/k\(key)/c"].randomElement(using: &random)!
            return .delete(DeleteRequest(path: path, version: Bool.random(using: &random) ? -1 : version(path)))
        default:
            // A multi; sometimes one op fails (a stale version or an existing node) and it all
            // rolls back.
            let failing = random.chance(perMille: 350)
            var ops: [ZKRequest] = [
                .create(CreateRequest(path: "/m\(key)", data: data, acl: acl, flags: CreateMode.persistent.rawValue)),
                .setData(SetDataRequest(path: "/k\(key)", data: data, version: failing ? 999 : -1)),
            ]
            if Bool.random(using: &random) {
                ops.append(.delete(DeleteRequest(path: "/m\(key)", version: -1)))
            } else {
                ops.append(.check(CheckVersionRequest(path: "/k\(key)", version: -1)))
            }
            return .multi(ops)
        }
    }

    private mutating func learnVersions(_ c: Int, _ txn: Txn, _ result: TxnResult) {
        guard case .request(let request) = txn.op else { return }
        switch (request, result.response) {
        case (.setData(let r), .stat(let stat)?): clients[c].versions[r.path] = stat.version
        case (.create(let r), _), (.create2(let r), _): clients[c].versions[r.path] = 0
        default: break
        }
    }
}
