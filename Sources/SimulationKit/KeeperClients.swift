import Consensus
import ZNodeTree
import KeeperReplica
import NIOCore
import TestSupport
package import ZooKeeperWire

/// A request a simulated client is waiting on (pings included: replies come in request order).
struct OutstandingRequest: Sendable {
    enum Kind: Sendable {
        case write
        case close
        case ping
        case sync
        /// A read that sets a data watch on `path` (`exists`: also on a missing node); `floor`: it
        /// follows a sync sent when the ensemble had committed through this index, so it must
        /// see at least that.
        case read(path: String, exists: Bool, floor: LogIndex?)
    }

    var xid: Int32
    var sentAt: Int64
    var kind: Kind

    var isClose: Bool { if case .close = kind { true } else { false } }
    var isPing: Bool { if case .ping = kind { true } else { false } }
}

/// One simulated ZooKeeper client: a session (once created), the member it is connected to,
/// its xid counter and the requests in flight. It behaves like the Java client: a new
/// connection sends a ConnectRequest for a new session or for the one it has (with its password
/// and the last zxid it saw); it pings while connected; a lost connection leaves its requests
/// with unknown outcome; a reply for anything but the oldest request in flight is a protocol
/// error (the server broke FIFO order).
package struct SimulatedClient: Sendable, CustomStringConvertible {
    let id: Int
    var session: SessionID?
    /// The member and connection id while connected.
    var member: Int32?
    var connection: Int?
    /// The member's id for the connection (`ServerCore.connectionOpened`).
    var serverConnection: WatcherID?
    var password: [UInt8] = []
    /// Data watches this connection holds: path -> the zxid the member stood at when it set it.
    var watches: [String: Zxid] = [:]
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
    /// The newest zxid a read of this session was answered at (with its xid): a later write of
    /// the session must commit after it, or that read saw a write sent after it.
    var newestRead: (zxid: Zxid, xid: Int32)?

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
    package var reads = 0
    package var syncs = 0
    package var watchesFired = 0

    package var description: String {
        "submitted \(submitted), answered \(answered) (\(failedOk) with an error), lost \(lostWithConnection), "
            + "client timeouts \(clientTimeouts), sessions created \(sessionsCreated) closed \(sessionsClosed) "
            + "expired \(sessionsExpiredOnClient), moves \(moves), reads \(reads) (after sync \(syncs)), "
            + "watches fired \(watchesFired)"
    }
}

extension KeeperSimulation {
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
        clients.allSatisfy { c in c.outstanding.allSatisfy(\.isPing) && (c.connection == nil || c.established) }
    }

    // MARK: - Client steps

    mutating func stepClients() {
        for c in clients.indices {
            guard violation == nil else { return }
            stepClient(c)
        }
    }

    private mutating func stepClient(_ c: Int) {
        guard let member = clients[c].member, let id = clients[c].serverConnection else {
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
        // A ping renews the session (or its answer says the session is gone).
        if !clients[c].outstanding.contains(where: \.isPing) {
            clients[c].outstanding.append(OutstandingRequest(xid: -2, sentAt: now, kind: .ping))
            perform(k, members[k].core!.requestReceived(id, xid: Xid(-2), .ping, at: time))
            guard clients[c].established else { return }
        }
        guard workloadEnabled else { return }
        if random.chance(perMille: options.movePerMille) {
            let others = ids.filter { $0 != member && isUp($0) }
            if let target = others.randomElement(using: &random) {
                clients[c].movesRequested += 1
                moveClient(c, to: target)
                return
            }
        }
        guard clients[c].outstanding.filter({ !$0.isPing }).count < options.clientPipeline,
            clients[c].outstanding.last?.isClose != true,
            random.chance(perMille: options.requestPerMille)
        else { return }
        if random.chance(perMille: options.closePerMille) {
            submitRequest(c, .closeSession)
        } else if random.chance(perMille: options.readPerMille) {
            let key = Int.random(in: 0..<5, using: &random)
            let path = Bool.random(using: &random) ? "/k\(key)" : "/e\(key)"
            let exists = Bool.random(using: &random)
            var floor: LogIndex?
            if random.chance(perMille: options.syncPerMille) {
                // sync, then a read that must see everything committed before the sync was sent.
                floor = members.compactMap { $0.node?.raft.commitIndex }.max()
                submitRequest(c, .sync(path: path))
            }
            submitRequest(
                c, exists ? .exists(PathWatchRequest(path: path, watch: true)) : .getData(PathWatchRequest(path: path, watch: true)),
                kind: .read(path: path, exists: exists, floor: floor))
        } else {
            submitRequest(c, randomRequest(c))
        }
    }

    /// Opens a connection and sends a ConnectRequest: for a new session, or for the one the
    /// client holds (the member decides whether to revalidate or move it).
    private mutating func connect(_ c: Int) {
        let up = ids.filter { isUp($0) }
        guard !up.isEmpty else { return }
        var member = up.randomElement(using: &random)!
        if let preferred = clients[c].preferred, isUp(preferred) { member = preferred }
        let k = index(member)
        clients[c].retryAt = now + Self.stepsPerTick * 3
        let id = members[k].core!.connectionOpened(remoteHost: "10.0.0.\(c)")
        let number = nextConnection
        nextConnection += 1
        members[k].connections[id] = Connection(client: c, number: number)
        clients[c].member = member
        clients[c].connection = number
        clients[c].serverConnection = id
        clients[c].established = false
        let request = ConnectRequest(
            lastZxidSeen: clients[c].lastZxidSeen, timeout: options.sessionTimeoutMillis,
            sessionID: clients[c].session ?? .none,
            password: clients[c].session == nil ? [UInt8](repeating: 0, count: 16) : clients[c].password)
        trace.append(
            now,
            .note("client \(c) connects to \(member)#\(number) \(clients[c].session.map { "with \($0)" } ?? "for a new session")"))
        var rng = random
        let actions = members[k].core!.connectReceived(id, request, at: time, random: &rng)
        random = rng
        perform(k, actions)
        afterInput(k)
    }

    /// The member answered the handshake on `connection`.
    mutating func connectAnswered(_ k: Int, _ connection: Connection, _ response: ConnectResponse) {
        let c = connection.client
        guard clients[c].connection == connection.number else { return }
        let member = members[k].id
        guard response.sessionID != .none else {
            // An invalid session: it expired, or it is not what the member holds.
            trace.append(now, .note("client \(c) session \(clients[c].session.map(String.init(describing:)) ?? "-") refused on \(member)"))
            sessionGone(c, expired: true)
            clients[c].retryAt = now
            return
        }
        clients[c].established = true
        if clients[c].session == response.sessionID {
            trace.append(now, .note("client \(c) reconnected \(response.sessionID) on \(member)#\(connection.number)"))
            return
        }
        if let old = clients[c].session {
            checker.fail("client \(c) asked for session \(old) on \(member) and got \(response.sessionID)")
        }
        clients[c].session = response.sessionID
        clients[c].password = response.password
        clients[c].sessionsCreated += 1
        clients[c].nextXid = 1
        clients[c].versions = [:]
        statistics.sessionsCreated += 1
        trace.append(now, .note("client \(c) has session \(response.sessionID) on \(member)#\(connection.number)"))
    }

    /// A client request, sent on the client's connection.
    mutating func submitRequest(_ c: Int, _ request: ZKRequest, kind given: OutstandingRequest.Kind? = nil) {
        guard let member = clients[c].member, let id = clients[c].serverConnection, let number = clients[c].connection,
            let session = clients[c].session
        else { return }
        let k = index(member)
        let xid = clients[c].nextXid
        clients[c].nextXid += 1
        let kind: OutstandingRequest.Kind
        switch request {
        case .closeSession: kind = .close
        case .sync: kind = .sync
        default: kind = given ?? .write
        }
        clients[c].outstanding.append(OutstandingRequest(xid: xid, sentAt: now, kind: kind))
        if case .write = kind {
            statistics.submitted += 1
            checker.observeSubmitted(session: session, xid: xid, connection: number)
        } else if case .close = kind {
            statistics.submitted += 1
            checker.observeSubmitted(session: session, xid: xid, connection: number)
        }
        trace.append(now, .note("client \(c) sends xid \(xid) on \(member)#\(number): \(KeeperChecker.describe(request))"))
        perform(k, members[k].core!.requestReceived(id, xid: Xid(xid), request, at: time))
        afterInput(k)
    }

    /// A reply reaches the client on `connection`: it must answer the oldest request in flight.
    mutating func replyArrived(_ k: Int, _ connection: Connection, _ header: ReplyHeader, _ response: ZKResponse?) {
        let c = connection.client
        guard clients[c].connection == connection.number else { return }
        guard let oldest = clients[c].outstanding.first, oldest.xid == header.xid.rawValue else {
            checker.fail(
                "client \(c) got a reply for xid \(header.xid.rawValue) on \(members[k].id)#\(connection.number) while "
                    + "waiting for \(clients[c].outstanding.map(\.xid)) (replies out of request order, or answered twice)")
            return
        }
        clients[c].outstanding.removeFirst()
        clients[c].lastZxidSeen = max(clients[c].lastZxidSeen, header.zxid)
        guard let session = clients[c].session else { return }
        switch oldest.kind {
        case .write, .close:
            break
        case .ping, .sync, .read:
            if header.err == .sessionExpired {
                trace.append(now, .note("client \(c): xid \(oldest.xid) says \(session) expired on \(members[k].id)"))
                statistics.sessionsExpiredOnClient += 1
                sessionGone(c, expired: true)
                return
            }
            if case .read(let path, let exists, let floor) = oldest.kind {
                readAnswered(c, k, connection, header, path: path, exists: exists, floor: floor)
            }
            return
        }
        // A committed request carries its txn's zxid; SESSIONEXPIRED for a session that is no
        // longer live is answered without one.
        let committed = checker.committedTxn(zxid: header.zxid)
        if header.err == .sessionExpired, committed?.session != session || committed?.xid.rawValue != oldest.xid {
            trace.append(now, .note("client \(c) xid \(oldest.xid): SESSIONEXPIRED from \(members[k].id)"))
            statistics.sessionsExpiredOnClient += 1
            sessionGone(c, expired: true)
            return
        }
        statistics.answered += 1
        clients[c].answered += 1
        if header.err != .ok { statistics.failedOk += 1 }
        if let txn = committed, txn.session == session, txn.xid.rawValue == oldest.xid,
            let read = clients[c].newestRead, read.zxid >= header.zxid
        {
            // Replies come in request order, so every read answered so far was sent before this
            // write: none may see it (ZooKeeper runs a session's reads before its next write).
            checker.fail(
                "client \(c): read xid \(read.xid) was answered at zxid \(read.zxid), which includes its session's "
                    + "later write xid \(oldest.xid) (zxid \(header.zxid))")
            return
        }
        checker.observeReply(session: session, xid: oldest.xid, zxid: header.zxid, err: header.err, response: response)
        if let txn = committed { learnVersions(c, txn, err: header.err, response: response) }
    }

    /// A read came back: it sees what a sync before it promised, and it set its watch.
    private mutating func readAnswered(
        _ c: Int, _ k: Int, _ connection: Connection, _ header: ReplyHeader, path: String, exists: Bool, floor: LogIndex?
    ) {
        statistics.reads += 1
        if header.err == .ok || header.err == .noNode {
            if header.zxid > clients[c].newestRead?.zxid ?? .zero { clients[c].newestRead = (header.zxid, header.xid.rawValue) }
        }
        if let floor {
            statistics.syncs += 1
            let required = checker.zxid(through: floor)
            if header.zxid < required {
                checker.fail(
                    "client \(c): a read after sync on \(members[k].id)#\(connection.number) stood at zxid \(header.zxid), "
                        + "before \(required), committed (index \(floor)) when the sync was sent")
            }
        }
        guard header.err == .ok || (exists && header.err == .noNode) else { return }
        if clients[c].watches[path] == nil { clients[c].watches[path] = header.zxid }
    }

    /// A watch event on `connection`: the client holds a watch on its path, and it is the first
    /// change after the watch was set, delivered before anything newer.
    mutating func eventArrived(_ k: Int, _ connection: Connection, _ event: WatcherEvent, zxid: Zxid) {
        let c = connection.client
        guard clients[c].connection == connection.number else { return }
        guard let since = clients[c].watches.removeValue(forKey: event.path) else {
            checker.fail(
                "client \(c) got \(event.type) \(event.path) at zxid \(zxid) on \(members[k].id)#\(connection.number) "
                    + "without holding a watch there (a watch fired twice?)")
            return
        }
        guard let expected = checker.firstDataEvent(on: event.path, after: since), expected.zxid == zxid,
            expected.type == event.type
        else {
            checker.fail(
                "client \(c) got \(event.type) \(event.path) at zxid \(zxid) for a watch set at \(since); the first "
                    + "change after it is \(checker.firstDataEvent(on: event.path, after: since).map { "\($0.type) at \($0.zxid)" } ?? "none")")
            return
        }
        if zxid <= clients[c].lastZxidSeen {
            checker.fail("client \(c) got \(event.type) \(event.path) at zxid \(zxid) after a reply at \(clients[c].lastZxidSeen)")
        }
        statistics.watchesFired += 1
    }

    /// Every watch whose change its member has applied has fired (called between events).
    mutating func checkWatchesFired() {
        for c in clients.indices where clients[c].established {
            guard let member = clients[c].member, let node = members[index(member)].node else { continue }
            for (path, since) in clients[c].watches.sorted(by: { $0.key < $1.key }) {
                if let due = checker.firstDataEvent(on: path, after: since), due.index <= node.appliedIndex {
                    checker.fail(
                        "client \(c)'s watch on \(path) (set at \(since)) did not fire: \(member) applied its \(due.type) "
                            + "at \(due.zxid) (index \(due.index))")
                    return
                }
            }
        }
    }

    /// The member closed the client's connection (`reason`; nil: the member crashed).
    mutating func connectionClosedByServer(client c: Int, connection: Int, reason: ClientCloseReason?) {
        guard clients[c].connection == connection else { return }
        trace.append(
            now, .note("client \(c) connection #\(connection) closed by \(clients[c].member!): \(reason.map { "\($0)" } ?? "crash")"))
        dropConnection(c)
        if case .sessionClosed? = reason { sessionGone(c, expired: false) }
    }

    /// The client closes its own connection (timeout, move).
    private mutating func disconnect(_ c: Int, reason: String) {
        guard let member = clients[c].member, let id = clients[c].serverConnection else { return }
        trace.append(now, .note("client \(c) drops #\(clients[c].connection ?? 0) on \(member): \(reason)"))
        let k = index(member)
        if members[k].connections.removeValue(forKey: id) != nil { members[k].core?.connectionClosed(id) }
        dropConnection(c)
    }

    private mutating func dropConnection(_ c: Int) {
        statistics.lostWithConnection += clients[c].outstanding.filter { !$0.isPing }.count
        clients[c].outstanding = []
        // (A handshake in flight is forgotten: its session may still be created, and expires.)
        clients[c].member = nil
        clients[c].connection = nil
        clients[c].serverConnection = nil
        clients[c].established = false
        clients[c].watches = [:]  // (a real client sets them again with setWatches)
        clients[c].retryAt = now + Self.stepsPerTick
    }

    private mutating func sessionGone(_ c: Int, expired: Bool) {
        if !expired { statistics.sessionsClosed += 1 }
        clients[c].session = nil
        clients[c].password = []
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

    private mutating func learnVersions(_ c: Int, _ txn: Txn, err: ZKErrorCode, response: ZKResponse?) {
        guard case .request(let request) = txn.op else { return }
        switch (request, response) {
        case (.setData(let r), .stat(let stat)?): clients[c].versions[r.path] = stat.version
        case (.create(let r), _), (.create2(let r), _): clients[c].versions[r.path] = 0
        default: break
        }
    }
}
