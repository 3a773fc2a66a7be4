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
final class PeerTransport {
    private let eventLoop: any EventLoop
    private let me: Int32
    private let peers: [Int32: (host: String, port: Int)]
    private let logger: Logger
    private var outbound: [Int32: any Channel] = [:]
    private var connecting: Set<Int32> = []
    private var backoff: [Int32: Int64] = [:]
    private var listener: (any Channel)?
    private var stopped = false
    var onMessage: (Int32, PeerMessage) -> Void = { _, _ in }
    var onUnreachable: (Int32) -> Void = { _ in }

    init(eventLoop: any EventLoop, me: Int32, peers: [Int32: (host: String, port: Int)], logger: Logger) {
        self.eventLoop = eventLoop
        self.me = me
        self.peers = peers
        self.logger = logger
    }

    /// Starts listening for peers on `host:port`.
    func listen(host: String, port: Int) -> EventLoopFuture<Void> {
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ZKFrameDecoder(maxFrameLength: PeerMessage.maxFrameLength)))
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

    /// Opens the outbound link to every peer.
    func connectAll() {
        for member in peers.keys.sorted() { connect(member) }
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

    fileprivate func received(_ message: PeerMessage, from member: Int32) {
        onMessage(member, message)
    }

    fileprivate func badPeerInput(_ error: any Error) {
        logger.warning("closing peer link after bad input", metadata: ["error": "\(error)"])
    }
}

/// Reads frames from a peer's outbound link into the transport.
private final class InboundPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let transport: PeerTransport
    private var member: Int32?

    init(transport: PeerTransport) { self.transport = transport }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            let message = try PeerMessage(frame: frame)
            if case .hello(let id) = message {
                member = id
                return
            }
            guard let member else {
                transport.badPeerInput(PeerLinkError.noHello)
                context.close(promise: nil)
                return
            }
            transport.received(message, from: member)
        } catch {
            transport.badPeerInput(error)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transport.badPeerInput(error)
        context.close(promise: nil)
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
}

@available(*, unavailable)
extension PeerTransport: Sendable {}
