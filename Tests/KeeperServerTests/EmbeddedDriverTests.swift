import Consensus
import KeeperClient
import KeeperReplica
import Logging
import NIOCore
import NIOEmbedded
import Testing
import ZNodeTree
import ZooKeeperWire

@testable import KeeperServer

/// Durable at once: the member's writes complete on the loop, in order (the in-process stand-in
/// for `StorageDriver`'s SQLite thread).
final class ImmediateWriter: DurableWriter, @unchecked Sendable {
    // @unchecked: used from the one EmbeddedEventLoop thread only.
    private(set) var writes = 0
    let path = "memory"
    let logPath = "memory"

    func commit(_ write: ReplicaWrite, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        writes += 1
        return eventLoop.makeSucceededVoidFuture()
    }

    func checkpoint(_ checkpoint: ReplicaCheckpoint, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        eventLoop.makeSucceededVoidFuture()
    }
}

/// A one-member keeper with the production drivers (`ReplicaDriver`, `ClientConnection` behind
/// the server's frame decoder) on an `EmbeddedEventLoop`, and clients that are KeeperClient's
/// own connection state machine: the wire between them is real bytes, the timing is the test's.
final class EmbeddedKeeper {
    let loop = EmbeddedEventLoop()
    let driver: ReplicaDriver
    let writer = ImmediateWriter()
    let config: KeeperConfiguration

    init(superDigest: String? = nil) throws {
        var config = KeeperConfiguration()
        config.myid = 1
        config.servers = [
            ServerEntry(
                id: 1, host: "127.0.0.1", quorumPort: 1, electionPort: 2, role: "participant", clientHost: "127.0.0.1",
                clientPort: 2181)
        ]
        config.superDigest = superDigest
        self.config = config
        let loaded = LoadedState(
            tree: DataTree(), applied: .zero, hardState: HardState(), tail: [], lastIndex: .zero)
        driver = try ReplicaDriver(
            eventLoop: loop, config: config, storage: writer, loaded: loaded, logger: Logger(label: "embedded-keeper"))
        _ = driver.start()
        for _ in 0..<200 where !driver.core.node.isLeader { tick() }
    }

    deinit {
        driver.shutdown()
        try? loop.syncShutdownGracefully()
    }

    func tick() { loop.advanceTime(by: .milliseconds(Int64(config.raftTickMillis))) }

    /// A server-side connection: the client port's pipeline.
    func acceptConnection() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZKServerFrameDecoder(maxFrameLength: 1 << 20)))
        try channel.pipeline.syncOperations.addHandler(
            ClientConnection(
                driver: driver, remote: try SocketAddress(ipAddress: "127.0.0.1", port: 40_000),
                fourLetterWords: FourLetterWords(whitelist: config.fourLetterWhitelist), logger: Logger(label: "embedded-connection")))
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 2181)).wait()
        return channel
    }
}

/// One KeeperClient connection state machine, wired to `EmbeddedKeeper` connections.
final class EmbeddedClient {
    let keeper: EmbeddedKeeper
    var machine: ClientConnectionStateMachine
    private(set) var channel: EmbeddedChannel?
    private(set) var channels: [EmbeddedChannel] = []
    private var inbound = ByteBuffer()
    private var nextID: UInt64 = 1
    private(set) var results: [RequestID: Result<ZKResponse, ZKErrorCode>] = [:]
    /// Replies in the order the state machine completed them.
    private(set) var completionOrder: [RequestID] = []
    private(set) var watchEvents: [WatchEvent] = []
    private(set) var session: SessionID = .none

    init(_ keeper: EmbeddedKeeper) throws {
        self.keeper = keeper
        machine = ClientConnectionStateMachine(
            configuration: .init(hosts: [HostAndPort(host: "127.0.0.1", port: 2181)], sessionTimeout: .seconds(10)))
        let id = newID()
        try perform(machine.connectRequested(id: id, now: .now()))
        try pump()
        #expect(results[id] != nil, "the handshake completed")
    }

    private func newID() -> RequestID {
        defer { nextID += 1 }
        return RequestID(nextID)
    }

    /// Submits without waiting; `pump()` exchanges the bytes.
    @discardableResult
    func submit(_ request: ZKRequest) throws -> RequestID {
        let id = newID()
        try perform(machine.requestSubmitted(request, id: id, now: .now()))
        return id
    }

    func addAuth(_ packet: AuthPacket) throws -> RequestID {
        let id = newID()
        try perform(machine.authAdded(packet, id: id, now: .now()))
        return id
    }

    /// Submits and runs until the reply arrives.
    func call(_ request: ZKRequest) throws -> Result<ZKResponse, ZKErrorCode>? {
        let id = try submit(request)
        try pump()
        return results[id]
    }

    /// Runs the loop and moves bytes both ways until neither side has more to say.
    func pump() throws {
        for _ in 0..<100 {
            keeper.loop.run()
            guard let channel else { return }
            var moved = false
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                moved = true
                var copy = bytes
                inbound.writeBuffer(&copy)
            }
            while let length = inbound.getInteger(at: inbound.readerIndex, as: Int32.self),
                inbound.readableBytes >= 4 + Int(length)
            {
                inbound.moveReaderIndex(forwardBy: 4)
                let frame = inbound.readSlice(length: Int(length))!
                try perform(machine.frameReceived(frame, now: .now()))
            }
            if !channel.isActive {
                // The server closed this connection: the client sees the loss.
                self.channel = nil
                try perform(machine.connectionClosed(now: .now()))
                moved = true
            }
            if !moved { return }
        }
        Issue.record("client and server did not settle")
    }

    /// Drops the TCP connection from the client's side (a network fault).
    func dropConnection() throws {
        guard let channel else { return }
        self.channel = nil
        _ = try? channel.close().wait()
        keeper.loop.run()
        try perform(machine.connectionClosed(now: .now()))
    }

    private func perform(_ actions: [ClientConnectionStateMachine.Action]) throws {
        for action in actions {
            switch action {
            case .connect:
                let channel = try keeper.acceptConnection()
                self.channel = channel
                channels.append(channel)
                inbound.clear()
                try perform(machine.connectionEstablished(now: .now()))
            case .sendConnectRequest(let request):
                var frame = ByteBuffer()
                frame.writeInteger(Int32(0))
                let length = request.write(to: &frame)
                frame.setInteger(Int32(length), at: 0)
                try channel?.writeInbound(frame)
            case .send(let xid, let request):
                var frame = ByteBuffer()
                try ZKRequestFrame.encode(xid: xid, request: request, into: &frame)
                try channel?.writeInbound(frame)
            case .closeChannel:
                if let channel {
                    self.channel = nil
                    _ = try? channel.close().wait()
                }
            case .scheduleTimer:
                break  // the tests drive time; pings are not needed within one test
            case .succeed(let id, let response):
                results[id] = .success(response)
                completionOrder.append(id)
            case .fail(let id, let code):
                results[id] = .failure(code)
                completionOrder.append(id)
            case .deliverWatchEvent(let event):
                watchEvents.append(event)
            case .deliverSessionEvent:
                break
            case .sessionEstablished(let id, _, _):
                session = id
            case .terminate:
                break
            }
        }
    }
}

private func create(_ path: String, _ text: String, ephemeral: Bool = false, acl: [ACL] = ACL.openUnsafe) -> ZKRequest {
    .create(
        CreateRequest(
            path: path, data: ByteBuffer(string: text), acl: acl,
            flags: ephemeral ? CreateMode.ephemeral.rawValue : CreateMode.persistent.rawValue))
}

private func dataText(_ result: Result<ZKResponse, ZKErrorCode>?) -> String? {
    guard case .success(.getData(let data, _))? = result else { return nil }
    return data.map { String(buffer: $0) }
}

/// The server's drivers in process, against the real client's state machine: what the Python
/// compatibility suites check with kazoo and cli_mt, at the cheapest layer that runs the NIO code.
@Suite struct EmbeddedDriverTests {
    @Test func handshakeGivesASessionAndRepliesKeepRequestOrderWithReadYourWrites() throws {
        let keeper = try EmbeddedKeeper()
        #expect(keeper.driver.core.node.isLeader)
        let client = try EmbeddedClient(keeper)
        #expect(client.session != .none)
        // Pipelined: all five are on the wire before any reply is read.
        let ids = [
            try client.submit(create("/fifo", "1")),
            try client.submit(.setData(SetDataRequest(path: "/fifo", data: ByteBuffer(string: "2"), version: -1))),
            try client.submit(.getData(PathWatchRequest(path: "/fifo"))),
            try client.submit(.setData(SetDataRequest(path: "/fifo", data: ByteBuffer(string: "3"), version: 1))),
            try client.submit(.getData(PathWatchRequest(path: "/fifo"))),
        ]
        try client.pump()
        #expect(Array(client.completionOrder.dropFirst()) == ids, "after the handshake's, in request order")
        #expect(dataText(client.results[ids[2]]) == "2")
        #expect(dataText(client.results[ids[4]]) == "3")
        #expect(keeper.writer.writes > 0, "writes went through the durable writer")
    }

    @Test func unknownOpCodesGetZooKeepersErrorsThenTheConnectionCloses() throws {
        let keeper = try EmbeddedKeeper()
        let channel = try keeper.acceptConnection()
        var handshake = ByteBuffer()
        handshake.writeInteger(Int32(0))
        let length = ConnectRequest(timeout: 10_000).write(to: &handshake)
        handshake.setInteger(Int32(length), at: 0)
        try channel.writeInbound(handshake)
        keeper.loop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil, "a ConnectResponse")
        func rawRequest(xid: Int32, opCode: Int32) throws {
            var frame = ByteBuffer()
            frame.writeInteger(Int32(8))
            frame.writeInteger(xid)
            frame.writeInteger(opCode)
            try channel.writeInbound(frame)
            keeper.loop.run()
        }
        func replyHeader() throws -> (xid: Int32, err: Int32)? {
            guard var bytes = try channel.readOutbound(as: ByteBuffer.self),
                let (_, xid, _, err) = bytes.readMultipleIntegers(as: (Int32, Int32, Int64, Int32).self)
            else { return nil }
            return (xid, err)
        }
        try rawRequest(xid: 1, opCode: OpCode.deleteContainer.rawValue)
        let first = try replyHeader()
        #expect(first?.xid == 1 && first?.err == ZKErrorCode.badArguments.rawValue)
        try rawRequest(xid: 2, opCode: 9_999)
        let second = try replyHeader()
        #expect(second?.xid == 2 && second?.err == ZKErrorCode.unimplemented.rawValue)
        #expect(!channel.isActive, "an unknown op code closes the connection, as ZooKeeper does")
    }

    @Test func aDroppedConnectionReconnectsWithItsSessionAndSetWatchesFiresWhatItMissed() throws {
        let keeper = try EmbeddedKeeper()
        let watcher = try EmbeddedClient(keeper)
        let writer = try EmbeddedClient(keeper)
        guard case .success? = try writer.call(create("/w", "0")),
            case .success? = try watcher.call(create("/mine", "e", ephemeral: true)),
            case .success? = try watcher.call(.getData(PathWatchRequest(path: "/w", watch: true)))
        else {
            Issue.record("setup failed")
            return
        }
        let session = watcher.session
        try watcher.dropConnection()
        // The change happens while the watcher is away.
        guard case .success? = try writer.call(.setData(SetDataRequest(path: "/w", data: ByteBuffer(string: "1"), version: -1)))
        else {
            Issue.record("setData failed")
            return
        }
        #expect(watcher.watchEvents.isEmpty)
        // The state machine reconnects, re-sends its watches with SetWatches and hears of the change.
        try watcher.pump()
        #expect(watcher.session == session, "the reconnect kept the session")
        #expect(watcher.channels.count == 2)
        #expect(watcher.watchEvents.map(\.path) == ["/w"])
        #expect(watcher.watchEvents.first?.type == .nodeDataChanged)
        #expect(keeper.driver.core.node.tree.node("/mine") != nil, "the session's ephemeral survived the reconnect")
        // Exactly once: a further change fires nothing (the watch was consumed).
        _ = try writer.call(.setData(SetDataRequest(path: "/w", data: ByteBuffer(string: "2"), version: -1)))
        try watcher.pump()
        #expect(watcher.watchEvents.count == 1)
    }

    @Test func aSecondConnectionWithTheSessionTakesItOverAndTheFirstCloses() throws {
        let keeper = try EmbeddedKeeper()
        let first = try EmbeddedClient(keeper)
        _ = try first.call(create("/e", "x", ephemeral: true))
        let oldChannel = try #require(first.channel)
        // Another connection presents the session's id and password (a client moving connections).
        let takeover = try keeper.acceptConnection()
        var handshake = ByteBuffer()
        handshake.writeInteger(Int32(0))
        let length = ConnectRequest(
            lastZxidSeen: first.machine.lastZxid, timeout: 10_000, sessionID: first.session, password: first.machine.password
        ).write(to: &handshake)
        handshake.setInteger(Int32(length), at: 0)
        try takeover.writeInbound(handshake)
        keeper.loop.run()
        var response = try #require(try takeover.readOutbound(as: ByteBuffer.self))
        response.moveReaderIndex(forwardBy: 4)
        let connect = try ConnectResponse(from: &response)
        #expect(connect.sessionID == first.session)
        #expect(!oldChannel.isActive, "the session's old connection is closed")
        #expect(keeper.driver.core.node.tree.node("/e") != nil)
    }

    @Test func digestAuthFromTheClientGrantsAccessAndOthersAreRefused() throws {
        let keeper = try EmbeddedKeeper()
        let owner = try EmbeddedClient(keeper)
        let auth = try owner.addAuth(AuthPacket(scheme: "digest", auth: Array("alice:secret".utf8)))
        try owner.pump()
        guard case .success? = owner.results[auth] else {
            Issue.record("auth failed: \(String(describing: owner.results[auth]))")
            return
        }
        let acl = [ACL(perms: .all, id: ZKId(scheme: "auth", id: ""))]
        guard case .success? = try owner.call(create("/private", "s", acl: acl)) else {
            Issue.record("create failed")
            return
        }
        #expect(dataText(try owner.call(.getData(PathWatchRequest(path: "/private")))) == "s")
        let stranger = try EmbeddedClient(keeper)
        guard case .failure(let code)? = try stranger.call(.getData(PathWatchRequest(path: "/private"))) else {
            Issue.record("a stranger read the node")
            return
        }
        #expect(code == .noAuth)
    }
}
