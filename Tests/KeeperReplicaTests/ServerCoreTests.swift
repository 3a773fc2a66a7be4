import Consensus
import ZNodeTree
import KeeperReplica
import NIOCore
import Testing
import ZooKeeperWire

/// A random number generator that always draws the same value (session passwords, jitter).
struct FixedRandom: RandomNumberGenerator {
    mutating func next() -> UInt64 { 0x0123_4567_89ab_cdef }
}

/// What a client connection saw, in order.
enum Seen: Equatable {
    case connected(SessionID)
    case refused
    case reply(xid: Int32, ZKErrorCode, ZKResponse?)
    case event(EventType, String)
    case closed(ClientCloseReason)
}

/// A one-member keeper run on the pure core: every write is made durable at once, and each
/// connection's output is collected as its client would see it.
struct TestServer {
    var core: ServerCore
    var millis: Int64 = 1_000
    var seen: [WatcherID: [Seen]] = [:]
    var random = FixedRandom()
    /// The checkpoints handed to storage, in order.
    var checkpoints: [ReplicaCheckpoint] = []
    /// Checkpoints stay in flight until `completeCheckpoint()` (as a slow tree file would).
    var holdCheckpoints = false
    /// Each log compaction handed to storage, with the newest durable checkpoint's mark then.
    var compactions: [(through: LogIndex, durableCheckpoint: LogIndex)] = []
    /// The mark of the newest checkpoint storage has made durable.
    var durableCheckpoint: LogIndex = .zero

    init(superDigest: String? = nil, watchLimits: WatchLimits = .unlimited, compactEvery: Int64 = 10_000) throws {
        let node = try ReplicaNode(
            configuration: ReplicaConfiguration(member: 1, members: [1], compactEvery: compactEvery), tree: DataTree(),
            appliedIndex: .zero,
            appliedTerm: .zero, hardState: HardState(), entries: [], sessionTickMillis: 200, monotonicMillis: 1_000)
        core = ServerCore(
            configuration: ServerCoreConfiguration(
                member: 1, sessionTimeouts: 4_000...40_000, watchLimits: watchLimits, superDigest: superDigest),
            node: node, pipeline: ReplicaPipeline(loadedHardState: HardState(), monotonicMillis: 1_000), firstRequestID: 1)
        for _ in 0..<30 where core.node.leader == nil { tick() }
    }

    var time: ServerTime { ServerTime(monotonicMillis: millis, wallMillis: 1_700_000_000_000 + millis) }

    mutating func tick() {
        millis += 100
        core.tick(at: time, random: &random)
        settle([])
    }

    /// Performs `actions`, then processes (persisting at once) until the core is quiet.
    mutating func settle(_ actions: [ServerAction]) {
        var pending = actions
        for _ in 0..<100 {
            pending += core.process(at: time)
            if pending.isEmpty { return }
            let batch = pending
            pending = []
            for action in batch {
                switch action {
                case .connectResponse(let id, let response):
                    seen[id, default: []].append(response.sessionID == .none ? .refused : .connected(response.sessionID))
                case .reply(let id, let header, let response, _):
                    seen[id, default: []].append(.reply(xid: header.xid.rawValue, header.err, response))
                case .notify(let id, let event, _):
                    seen[id, default: []].append(.event(event.type, event.path))
                case .close(let id, let reason, _):
                    seen[id, default: []].append(.closed(reason))
                    core.connectionClosed(id)
                case .persist(let ticket, let write):
                    if let through = write.compactThrough { compactions.append((through, durableCheckpoint)) }
                    pending += core.persisted(ticket: ticket)
                case .checkpoint(let checkpoint):
                    checkpoints.append(checkpoint)
                    if !holdCheckpoints {
                        core.checkpointed()
                        durableCheckpoint = checkpoint.applied.index
                    }
                case .send, .streamSnapshot, .notice:
                    break
                }
            }
        }
        Issue.record("the core did not settle")
    }

    /// The checkpoint in flight is durable; processes what follows.
    mutating func completeCheckpoint() {
        core.checkpointed()
        if let last = checkpoints.last { durableCheckpoint = last.applied.index }
        settle([])
    }

    /// A new connection with a new session; returns the connection and its session.
    mutating func connect() -> (WatcherID, SessionID) {
        let id = core.connectionOpened(remoteHost: "127.0.0.1")
        settle(core.connectReceived(id, ConnectRequest(timeout: 10_000), at: time, random: &random))
        guard case .connected(let session)? = seen[id]?.last else {
            Issue.record("no session: \(seen[id] ?? [])")
            return (id, .none)
        }
        return (id, session)
    }

    mutating func send(_ id: WatcherID, _ xid: Int32, _ request: ZKRequest) {
        settle(core.requestReceived(id, xid: Xid(xid), request, at: time))
    }

    /// Sends without letting the core process (the write stays in flight).
    mutating func sendOnly(_ id: WatcherID, _ xid: Int32, _ request: ZKRequest) -> [ServerAction] {
        core.requestReceived(id, xid: Xid(xid), request, at: time)
    }

    mutating func take(_ id: WatcherID) -> [Seen] {
        defer { seen[id] = [] }
        return seen[id] ?? []
    }
}

func create(_ path: String, _ text: String = "x", ephemeral: Bool = false) -> ZKRequest {
    .create(
        CreateRequest(
            path: path, data: ByteBuffer(string: text), acl: ACL.openUnsafe,
            flags: ephemeral ? CreateMode.ephemeral.rawValue : CreateMode.persistent.rawValue))
}

func setData(_ path: String, _ text: String) -> ZKRequest {
    .setData(SetDataRequest(path: path, data: ByteBuffer(string: text), version: -1))
}

func dataOf(_ seen: Seen) -> String? {
    guard case .reply(_, .ok, .getData(let data, _)?) = seen else { return nil }
    return data.map { String(buffer: $0) }
}

/// The keeper's server rules, run without sockets: the behaviours the compatibility suites check
/// through real clients, at the cheapest layer.
@Suite struct ServerCoreTests {
    @Test func repliesLeaveInRequestOrderAndReadsSeeEarlierWrites() throws {
        var server = try TestServer()
        let (c, _) = server.connect()
        _ = server.take(c)
        // A write in flight, then a read of what it writes: the read waits for the write.
        var actions = server.sendOnly(c, 1, create("/a", "one"))
        actions += server.sendOnly(c, 2, .getData(PathWatchRequest(path: "/a")))
        #expect(!actions.contains { if case .reply = $0 { true } else { false } }, "the read overtook the write")
        server.settle(actions)
        let seen = server.take(c)
        #expect(seen.count == 2)
        #expect(seen.first == .reply(xid: 1, .ok, .create(path: "/a")))
        #expect(seen.count == 2 && dataOf(seen[1]) == "one")
    }

    /// Pipelined write, read, write: the read runs before the session's next write is applied,
    /// even when both writes commit in one batch (ZooKeeper's CommitProcessor order).
    @Test func aReadDoesNotSeeItsSessionsLaterWrite() throws {
        var server = try TestServer()
        let (c, _) = server.connect()
        server.send(c, 1, create("/a", "one"))
        _ = server.take(c)
        var actions = server.sendOnly(c, 2, setData("/a", "two"))
        actions += server.sendOnly(c, 3, .getData(PathWatchRequest(path: "/a", watch: true)))
        actions += server.sendOnly(c, 4, setData("/a", "three"))
        actions += server.sendOnly(c, 5, .getData(PathWatchRequest(path: "/a")))
        server.settle(actions)
        let seen = server.take(c)
        #expect(seen.count == 5, "\(seen)")
        guard seen.count == 5 else { return }
        #expect(dataOf(seen[1]) == "two")
        // The watch the first read set fires for the write after it, before that write's reply.
        #expect(seen[2] == .event(.nodeDataChanged, "/a"))
        #expect(dataOf(seen[4]) == "three")
    }

    /// The rows of the last writes reach a checkpoint even when nothing follows them.
    @Test func aQuietMemberCheckpointsWhatItAppliedLast() throws {
        var server = try TestServer()
        let (c, _) = server.connect()
        server.holdCheckpoints = true
        server.send(c, 1, create("/a", "one"))
        // The first checkpoint is still being written while /b applies: no output follows /b.
        server.send(c, 2, create("/b", "two"))
        server.holdCheckpoints = false
        server.completeCheckpoint()
        for _ in 0..<3 { server.tick() }
        let last = try #require(server.checkpoints.last)
        #expect(last.applied.index == server.core.node.appliedIndex)
        #expect(server.checkpoints.flatMap { $0.nodes.map(\.path) }.contains("/b"))
    }

    /// The log is compacted by a later log write, and only behind a checkpoint that is durable
    /// (one still being written covers nothing yet).
    @Test func theLogIsCompactedOnlyBehindADurableCheckpoint() throws {
        var server = try TestServer(compactEvery: 4)
        let (c, _) = server.connect()
        for round in 0..<6 {
            server.holdCheckpoints = round % 2 == 0
            for n in 0..<5 { server.send(c, Int32(round * 10 + n + 1), create("/n\(round)-\(n)", "x")) }
            if server.holdCheckpoints { server.completeCheckpoint() }
        }
        #expect(server.compactions.count >= 2)
        for (through, durable) in server.compactions { #expect(through > .zero && through <= durable) }
        #expect(zip(server.compactions, server.compactions.dropFirst()).allSatisfy { $0.through < $1.through })
    }

    @Test func unknownOpCodesAnswerAsZooKeeperDoes() throws {
        var server = try TestServer()
        let (c, _) = server.connect()
        _ = server.take(c)
        server.settle(server.core.unknownOpCode(c, xid: Xid(1), opCode: OpCode.createSession.rawValue, at: server.time))
        server.settle(server.core.unknownOpCode(c, xid: Xid(2), opCode: OpCode.deleteContainer.rawValue, at: server.time))
        server.settle(server.core.unknownOpCode(c, xid: Xid(3), opCode: 9_999, at: server.time))
        #expect(
            server.take(c) == [
                .reply(xid: 1, .marshallingError, nil), .reply(xid: 2, .badArguments, nil),
                .reply(xid: 3, .unimplemented, nil), .closed(.unknownOpCode(9_999)),
            ])
    }

    @Test func aWatchFiresOnceOnTheConnectionThatSetIt() throws {
        var server = try TestServer()
        let (watcher, _) = server.connect()
        let (writer, _) = server.connect()
        server.send(writer, 1, create("/w"))
        server.send(watcher, 1, .getData(PathWatchRequest(path: "/w", watch: true)))
        _ = server.take(watcher)
        server.send(writer, 2, setData("/w", "two"))
        server.send(writer, 3, setData("/w", "three"))
        #expect(server.take(watcher) == [.event(.nodeDataChanged, "/w")])
    }

    @Test func setWatchesFiresWhatChangedSinceTheClientsZxid() throws {
        var server = try TestServer()
        let (writer, _) = server.connect()
        server.send(writer, 1, create("/stale"))
        server.send(writer, 2, create("/fresh"))
        let seenZxid = server.core.lastZxid
        server.send(writer, 3, setData("/stale", "changed"))
        let (c, _) = server.connect()
        _ = server.take(c)
        server.send(
            c, -8,
            .setWatches(
                SetWatchesRequest(relativeZxid: seenZxid, dataWatches: ["/stale", "/fresh", "/gone"], existWatches: ["/new"])))
        #expect(
            server.take(c) == [
                .event(.nodeDataChanged, "/stale"), .event(.nodeDeleted, "/gone"), .reply(xid: -8, .ok, nil),
            ])
        // The ones that had not changed are registered: creating /new fires its exists watch.
        server.send(writer, 4, create("/new"))
        #expect(server.take(c) == [.event(.nodeCreated, "/new")])
    }

    @Test func digestAuthAddsIdentitiesAndAWrongSchemeClosesTheConnection() throws {
        let superDigest = ACLEvaluator.digest(credential: "super:secret")!
        var server = try TestServer(superDigest: superDigest)
        let (c, _) = server.connect()
        _ = server.take(c)
        server.send(c, -4, .auth(AuthPacket(scheme: "digest", auth: Array("super:secret".utf8))))
        server.send(c, 1, .whoAmI)
        let seen = server.take(c)
        #expect(seen.first == .reply(xid: -4, .ok, nil))
        guard case .reply(1, .ok, .whoAmI(let ids)?)? = seen.last else {
            Issue.record("no whoAmI reply: \(seen)")
            return
        }
        #expect(ids.map(\.authScheme) == ["ip", "super", "digest"])
        server.send(c, -4, .auth(AuthPacket(scheme: "kerberos", auth: [1])))
        #expect(server.take(c) == [.reply(xid: -4, .authFailed, nil), .closed(.authFailed(scheme: "kerberos"))])
    }

    @Test func aReconnectKeepsTheSessionAndClosesTheOldConnection() throws {
        var server = try TestServer()
        let (old, session) = server.connect()
        server.send(old, 1, create("/e", ephemeral: true))
        let password = server.core.node.tree.sessions[session]?.password ?? []
        let new = server.core.connectionOpened(remoteHost: "127.0.0.1")
        server.settle(
            server.core.connectReceived(
                new, ConnectRequest(lastZxidSeen: server.core.lastZxid, timeout: 10_000, sessionID: session, password: password),
                at: server.time, random: &server.random))
        #expect(server.take(new) == [.connected(session)])
        #expect(server.take(old).last == .closed(.sessionTakenOver(session)))
        // A wrong password, or a client that has seen more than this member holds, is refused.
        let intruder = server.core.connectionOpened(remoteHost: "127.0.0.2")
        server.settle(
            server.core.connectReceived(
                intruder, ConnectRequest(timeout: 10_000, sessionID: session, password: [UInt8](repeating: 7, count: 16)),
                at: server.time, random: &server.random))
        #expect(server.take(intruder) == [.refused, .closed(.sessionInvalid(session))])
        let ahead = server.core.connectionOpened(remoteHost: "127.0.0.3")
        let zxid = server.core.lastZxid
        let future = Zxid(zxid.rawValue + 1)
        server.settle(
            server.core.connectReceived(ahead, ConnectRequest(lastZxidSeen: future, timeout: 10_000), at: server.time, random: &server.random))
        #expect(server.take(ahead) == [.closed(.clientAhead(clientZxid: future, zxid: zxid))])
        // The session and its ephemeral are intact.
        #expect(server.core.node.tree.node("/e") != nil)
    }

    @Test func closeSessionRemovesEphemeralsAndClosesAfterTheReply() throws {
        var server = try TestServer()
        let (c, session) = server.connect()
        server.send(c, 1, create("/e", ephemeral: true))
        _ = server.take(c)
        server.send(c, 2, .closeSession)
        #expect(server.take(c) == [.reply(xid: 2, .ok, .empty), .closed(.sessionClosed(session))])
        #expect(server.core.node.tree.node("/e") == nil)
    }

    @Test func watchesOverTheConnectionLimitCloseItWithoutAReply() throws {
        var server = try TestServer(watchLimits: WatchLimits(maxWatches: 1, maxPathBytes: 1_000))
        let (c, _) = server.connect()
        _ = server.take(c)
        server.send(c, 1, .exists(PathWatchRequest(path: "/a", watch: true)))
        server.send(c, 2, .exists(PathWatchRequest(path: "/b", watch: true)))
        let seen = server.take(c)
        #expect(seen.count == 2)
        #expect(seen.first == .reply(xid: 1, .noNode, nil))
        #expect(seen.last == .closed(.watchesOverLimits(watches: 1, pathBytes: 2, requestPathBytes: 2)))
    }

    @Test func syncIsAnsweredInOrderWithTheSessionsWrites() throws {
        var server = try TestServer()
        let (c, _) = server.connect()
        _ = server.take(c)
        var actions = server.sendOnly(c, 1, create("/s"))
        actions += server.sendOnly(c, 2, .sync(path: "/s"))
        actions += server.sendOnly(c, 3, .exists(PathWatchRequest(path: "/s")))
        server.settle(actions)
        let seen = server.take(c)
        #expect(seen.count == 3)
        #expect(seen.first == .reply(xid: 1, .ok, .create(path: "/s")))
        #expect(seen.dropFirst().first == .reply(xid: 2, .ok, .sync(path: "/s")))
        guard case .reply(3, .ok, .stat?)? = seen.last else {
            Issue.record("exists after sync: \(seen)")
            return
        }
    }
}
