import Consensus
import KeeperReplica
import Logging
import NIOCore
import NIOPosix
import ZooKeeperWire

/// Member-to-member TCP links, one outbound connection per peer (reconnected with backoff) plus
/// whatever peers open to us. Frames are `PeerMessage`s; the first frame names the sender.
///
/// Loop-bound: everything runs on the replica's event loop, and inbound messages are handed to
/// `onMessage` synchronously there.
///
/// Hostile input (issue 11): frames are bounded (`Limits.maxFrameBytes`); a link must name a
/// configured member within `Limits.handshakeMillis`, from that member's configured address; a
/// link silent for `Limits.idleMillis` is closed (outbound links send a `hello` keep-alive when
/// idle); a frame that does not decode or that `onMessage` rejects closes the link, with one log
/// line.
final class PeerTransport {
    struct Limits {
        var maxFrameBytes = PeerMessage.maxFrameLength
        var handshakeMillis: Int64 = 5000
        var idleMillis: Int64 = 15_000
    }

    private let eventLoop: any EventLoop
    private let me: Int32
    private let peers: [Int32: (host: String, port: Int)]
    /// The IP address each peer's configured host resolves to, resolved once at start.
    private let peerAddresses: [Int32: String]
    let limits: Limits
    private let logger: Logger
    private var outbound: [Int32: any Channel] = [:]
    private var connecting: Set<Int32> = []
    private var backoff: [Int32: Int64] = [:]
    private var listener: (any Channel)?
    private var stopped = false
    /// Throws to reject a frame: the link it came on is closed.
    var onMessage: (Int32, PeerMessage) throws(MalformedConsensusInput) -> Void = { _, _ in }
    var onUnreachable: (Int32) -> Void = { _ in }

    init(
        eventLoop: any EventLoop, me: Int32, peers: [Int32: (host: String, port: Int)], limits: Limits = Limits(),
        logger: Logger
    ) {
        self.eventLoop = eventLoop
        self.me = me
        self.peers = peers
        self.limits = limits
        self.logger = logger
        var addresses: [Int32: String] = [:]
        for (member, address) in peers {
            // Unresolvable now: compared as written (an IP literal still matches).
            let resolved = try? SocketAddress.makeAddressResolvingHost(address.host, port: 0)
            addresses[member] = resolved?.ipAddress.map(Self.normalize) ?? address.host
        }
        self.peerAddresses = addresses
    }

    /// `::ffff:a.b.c.d` (an IPv4 peer on a dual-stack socket) compares as `a.b.c.d`.
    static func normalize(_ ip: String) -> String {
        ip.hasPrefix("::ffff:") && ip.contains(".") ? String(ip.dropFirst(7)) : ip
    }

    /// Why a link naming `member` from `remote` is refused, or nil when it may proceed.
    fileprivate func refusal(member: Int32, remote: SocketAddress?) -> String? {
        guard let expected = peerAddresses[member] else { return "member \(member) is not a configured peer" }
        let actual = remote?.ipAddress.map(Self.normalize)
        guard actual == expected else {
            return "member \(member) must connect from \(expected), not \(actual ?? "an unknown address")"
        }
        return nil
    }

    /// Starts listening for peers on `host:port`.
    func listen(host: String, port: Int) -> EventLoopFuture<Void> {
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ZKFrameDecoder(maxFrameLength: limits.maxFrameBytes)))
                    try channel.pipeline.syncOperations.addHandler(InboundPeerHandler(transport: self))
                }
            }
            .bind(host: host, port: port)
            .map { [self] channel in listener = channel }
    }

    func stop() {
        stopped = true
        listener?.close(promise: nil)
        for channel in outbound.values { channel.close(promise: nil) }
        outbound = [:]
    }

    /// Sends `message` to `member`; dropped (and reported unreachable) when the link is down.
    func send(_ message: PeerMessage, to member: Int32) {
        guard let channel = outbound[member] else {
            connect(member)
            onUnreachable(member)
            return
        }
        var buffer = channel.allocator.buffer(capacity: 64)
        message.writeFrame(to: &buffer)
        channel.write(buffer, promise: nil)
        scheduleFlush(member)
    }

    /// Sends several frames and reports when they have all been written (snapshot streams).
    func sendAll(_ messages: [PeerMessage], to member: Int32) -> EventLoopFuture<Void> {
        guard let channel = outbound[member] else {
            connect(member)
            return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        var last: EventLoopFuture<Void> = eventLoop.makeSucceededVoidFuture()
        for message in messages {
            var buffer = channel.allocator.buffer(capacity: 64)
            message.writeFrame(to: &buffer)
            last = channel.writeAndFlush(buffer)
        }
        return last
    }

    private var flushPending: Set<Int32> = []

    private func scheduleFlush(_ member: Int32) {
        guard flushPending.insert(member).inserted else { return }
        eventLoop.execute { [self] in
            flushPending.remove(member)
            outbound[member]?.flush()
        }
    }

    /// Opens the outbound link to every peer, and keeps idle ones alive.
    func connectAll() {
        for member in peers.keys.sorted() { connect(member) }
        let interval = max(1, limits.idleMillis / 3)
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(interval), delay: .milliseconds(interval)) { task in
            let transport = loopBound.value
            guard !transport.stopped else {
                task.cancel()
                return
            }
            for member in transport.outbound.keys.sorted() { transport.send(.hello(member: transport.me), to: member) }
        }
    }

    private func connect(_ member: Int32) {
        guard !stopped, outbound[member] == nil, !connecting.contains(member), let address = peers[member] else { return }
        connecting.insert(member)
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Peers only answer on their own outbound links; inbound bytes here are ignored
                    // but a closed link is noticed.
                    try channel.pipeline.syncOperations.addHandler(OutboundPeerHandler(transport: self, member: member))
                }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { [self] result in
                connecting.remove(member)
                switch result {
                case .success(let channel):
                    guard !stopped else {
                        channel.close(promise: nil)
                        return
                    }
                    outbound[member] = channel
                    backoff[member] = nil
                    var hello = channel.allocator.buffer(capacity: 16)
                    PeerMessage.hello(member: me).writeFrame(to: &hello)
                    channel.writeAndFlush(hello, promise: nil)
                    logger.info("peer link up", metadata: ["peer.id": "\(member)"])
                case .failure:
                    let delay = min((backoff[member] ?? 50) * 2, 2000)
                    backoff[member] = delay
                    eventLoop.scheduleTask(in: .milliseconds(delay)) { [self] in connect(member) }
                }
            }
    }

    fileprivate func outboundClosed(_ member: Int32, _ channel: any Channel) {
        guard outbound[member] === channel else { return }
        outbound[member] = nil
        logger.info("peer link down", metadata: ["peer.id": "\(member)"])
        onUnreachable(member)
        eventLoop.scheduleTask(in: .milliseconds(100)) { [self] in connect(member) }
    }

    fileprivate func received(_ message: PeerMessage, from member: Int32) throws(MalformedConsensusInput) {
        try onMessage(member, message)
    }

    fileprivate func badPeerInput(_ error: any Error, member: Int32?, remote: SocketAddress?) {
        logger.warning(
            "closing peer link after bad input",
            metadata: [
                "error": "\(error)", "peer.id": "\(member.map(String.init) ?? "none")",
                "remote": "\(remote.map { "\($0)" } ?? "unknown")",
            ])
    }
}

/// Reads frames from a peer's outbound link into the transport. The first frame must be a
/// `hello` naming a configured member, from its configured address, within the handshake
/// timeout; later `hello`s (keep-alives) must name the same member.
private final class InboundPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let transport: PeerTransport
    private var member: Int32?
    private var closed = false
    /// Frames seen since the idle timer last fired.
    private var heard = false
    private var timer: RepeatedTask?
    private var handshakeTimer: Scheduled<Void>?

    init(transport: PeerTransport) { self.transport = transport }

    func channelActive(context: ChannelHandlerContext) {
        let limits = transport.limits
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: .milliseconds(limits.handshakeMillis)) {
            let (handler, context) = loopBound.value
            if handler.member == nil { handler.fail(context, PeerLinkError.handshakeTimeout) }
        }
        timer = context.eventLoop.scheduleRepeatedTask(
            initialDelay: .milliseconds(limits.idleMillis), delay: .milliseconds(limits.idleMillis)
        ) { _ in
            let (handler, context) = loopBound.value
            if !handler.heard { handler.fail(context, PeerLinkError.idle) }
            handler.heard = false
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        timer?.cancel()
        handshakeTimer?.cancel()
        context.fireChannelInactive()
    }

    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        guard !closed else { return }
        closed = true
        timer?.cancel()
        handshakeTimer?.cancel()
        transport.badPeerInput(error, member: member, remote: context.remoteAddress)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        heard = true
        let frame = unwrapInboundIn(data)
        do {
            let message = try PeerMessage(frame: frame)
            if case .hello(let id) = message {
                if let member {
                    if id != member { fail(context, PeerLinkError.helloChanged(from: member, to: id)) }
                    return
                }
                if let refusal = transport.refusal(member: id, remote: context.remoteAddress) {
                    fail(context, PeerLinkError.refused(refusal))
                    return
                }
                member = id
                handshakeTimer?.cancel()
                return
            }
            guard let member else {
                fail(context, PeerLinkError.noHello)
                return
            }
            try transport.received(message, from: member)
        } catch {
            fail(context, error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, error)
    }
}

private final class OutboundPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let transport: PeerTransport
    private let member: Int32

    init(transport: PeerTransport, member: Int32) {
        self.transport = transport
        self.member = member
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        transport.outboundClosed(member, context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

enum PeerLinkError: Error {
    case noHello
    case handshakeTimeout
    case idle
    case helloChanged(from: Int32, to: Int32)
    case refused(String)
}

@available(*, unavailable)
extension PeerTransport: Sendable {}
