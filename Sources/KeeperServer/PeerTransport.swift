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
/// configured member within `Limits.handshakeMillis`, from that member's configured address; an
/// inbound link on which nothing was read for `Limits.idleMillis` is closed
/// (`PeerLinkIdleStateMachine`; every member sends a `hello` keep-alive on each of its outbound
/// links every third of that); a frame that does not decode or that `onMessage` rejects closes
/// the link, with one log line.
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
            .childChannelInitializer { [loopBound = NIOLoopBound(self, eventLoop: eventLoop)] channel in
                channel.eventLoop.makeCompletedFuture {
                    let transport = loopBound.value
                    // Before the decoder: every byte read renews the link, a partial frame too.
                    try channel.pipeline.syncOperations.addHandler(
                        PeerLinkIdleHandler(idleMillis: transport.limits.idleMillis))
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ZKFrameDecoder(maxFrameLength: transport.limits.maxFrameBytes)))
                    try channel.pipeline.syncOperations.addHandler(InboundPeerHandler(transport: transport))
                }
            }
            .bind(host: host, port: port)
            .map { [loopBound = NIOLoopBound(self, eventLoop: eventLoop)] channel in loopBound.value.listener = channel }
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
        eventLoop.execute { [loopBound = NIOLoopBound(self, eventLoop: eventLoop)] in
            let transport = loopBound.value
            transport.flushPending.remove(member)
            transport.outbound[member]?.flush()
        }
    }

    /// Listens on `host:port`, then opens the outbound links (`connectAll`).
    func start(host: String, port: Int) -> EventLoopFuture<Void> {
        listen(host: host, port: port).map { [loopBound = NIOLoopBound(self, eventLoop: eventLoop)] in
            loopBound.value.connectAll()
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
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Peers only answer on their own outbound links; inbound bytes here are ignored
                    // but a closed link is noticed.
                    try channel.pipeline.syncOperations.addHandler(
                        OutboundPeerHandler(transport: loopBound.value, member: member))
                }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { result in
                loopBound.value.connected(member, result)
            }
    }

    private func connected(_ member: Int32, _ result: Result<any Channel, any Error>) {
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
            eventLoop.scheduleTask(in: .milliseconds(delay)) { [loopBound = NIOLoopBound(self, eventLoop: eventLoop)] in
                loopBound.value.connect(member)
            }
        }
    }

    fileprivate func outboundClosed(_ member: Int32, _ channel: any Channel) {
        guard outbound[member] === channel else { return }
        outbound[member] = nil
        logger.info("peer link down", metadata: ["peer.id": "\(member)"])
        onUnreachable(member)
        eventLoop.scheduleTask(in: .milliseconds(100)) { [loopBound = NIOLoopBound(self, eventLoop: eventLoop)] in
            loopBound.value.connect(member)
        }
    }

    /// `member` opened its link to us (it started, or its link came back): open ours to it now
    /// rather than at the end of a reconnect backoff that grew while it was down (up to 2 s; a
    /// restarted follower heard nothing from its leader until then).
    fileprivate func peerLinkedIn(_ member: Int32) {
        guard outbound[member] == nil else { return }
        backoff[member] = nil
        connect(member)
    }

    fileprivate func received(_ message: PeerMessage, from member: Int32) throws(MalformedConsensusInput) {
        try onMessage(member, message)
    }

    /// An inbound link was silent for the idle limit: closed, one log line.
    fileprivate func silentPeerLink(member: Int32?, remote: SocketAddress?, idleMillis: Int64) {
        logger.warning(
            "closing silent peer link",
            metadata: [
                "idle_ms": "\(idleMillis)", "peer.id": "\(member.map(String.init) ?? "none")",
                "remote": "\(remote.map { "\($0)" } ?? "unknown")",
            ])
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

/// Closes an inbound peer link on which nothing was read for `idleMillis`, as judged by
/// `PeerLinkIdleStateMachine`: it sits before the frame decoder so that every byte renews the
/// link, and hands the verdict on as `PeerLinkIdleHandler.Silent` (the handler that knows the
/// member logs and closes).
final class PeerLinkIdleHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The link was silent for the idle limit.
    struct Silent: Equatable {
        var idleMillis: Int64
    }

    private let idleMillis: Int64
    private var state: PeerLinkIdleStateMachine?
    private var timer: RepeatedTask?

    init(idleMillis: Int64) { self.idleMillis = idleMillis }

    private static func millis(_ eventLoop: any EventLoop) -> Int64 {
        Int64(truncatingIfNeeded: eventLoop.now.uptimeNanoseconds / 1_000_000)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard state == nil else { return }
        let machine = PeerLinkIdleStateMachine(idleMillis: idleMillis, now: Self.millis(context.eventLoop))
        state = machine
        let interval = TimeAmount.milliseconds(machine.checkIntervalMillis)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            handler.check(context)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        guard var machine = state else { return }
        let action = machine.check(now: Self.millis(context.eventLoop))
        state = machine
        switch action {
        case .keepOpen:
            break
        case .close:
            stop()
            context.fireUserInboundEventTriggered(Silent(idleMillis: idleMillis))
        }
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        state = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        state?.bytesReceived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }
}

@available(*, unavailable)
extension PeerLinkIdleHandler: Sendable {}

/// Reads frames from a peer's outbound link into the transport. The first frame must be a
/// `hello` naming a configured member, from its configured address, within the handshake
/// timeout; later `hello`s (keep-alives) must name the same member. A silent link
/// (`PeerLinkIdleHandler`) is closed with one log line.
private final class InboundPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let transport: PeerTransport
    private var member: Int32?
    private var closed = false
    private var handshakeTimer: Scheduled<Void>?

    init(transport: PeerTransport) { self.transport = transport }

    func channelActive(context: ChannelHandlerContext) {
        let limits = transport.limits
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: .milliseconds(limits.handshakeMillis)) {
            let (handler, context) = loopBound.value
            if handler.member == nil { handler.fail(context, PeerLinkError.handshakeTimeout) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        handshakeTimer?.cancel()
        context.fireChannelInactive()
    }

    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        guard !closed else { return }
        closed = true
        handshakeTimer?.cancel()
        transport.badPeerInput(error, member: member, remote: context.remoteAddress)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let silent = event as? PeerLinkIdleHandler.Silent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard !closed else { return }
        closed = true
        handshakeTimer?.cancel()
        transport.silentPeerLink(member: member, remote: context.remoteAddress, idleMillis: silent.idleMillis)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
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
                transport.peerLinkedIn(id)
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
    case helloChanged(from: Int32, to: Int32)
    case refused(String)
}

@available(*, unavailable)
extension PeerTransport: Sendable {}
