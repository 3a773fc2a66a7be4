import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy the test controls: `cut()` closes every proxied connection and refuses new
/// ones until `heal()`, so a client can be disconnected and kept away from a server that keeps running.
final class TCPProxy: Sendable {
    private let state = Mutex<(blocked: Bool, channels: [any Channel])>((false, []))
    private let listener = Mutex<(any Channel)?>(nil)
    let targetPort: Int

    private init(targetPort: Int) {
        self.targetPort = targetPort
    }

    var port: Int { listener.withLock { $0?.localAddress?.port ?? 0 } }
    var connectString: String { "127.0.0.1:\(port)" }

    static func start(to targetPort: Int) async throws -> TCPProxy {
        let proxy = TCPProxy(targetPort: targetPort)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                proxy.accept(inbound)
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        proxy.listener.withLock { $0 = channel }
        return proxy
    }

    private func accept(_ inbound: any Channel) -> EventLoopFuture<Void> {
        let blocked = state.withLock { state -> Bool in
            if !state.blocked { state.channels.append(inbound) }
            return state.blocked
        }
        if blocked {
            return inbound.close()
        }
        inbound.setOption(.autoRead, value: false).whenComplete { _ in }
        return ClientBootstrap(group: inbound.eventLoop)
            .connect(host: "127.0.0.1", port: targetPort)
            .flatMap { outbound in
                self.state.withLock { $0.channels.append(outbound) }
                do {
                    let (a, b) = GlueHandler.matchedPair()
                    try inbound.pipeline.syncOperations.addHandler(a)
                    try outbound.pipeline.syncOperations.addHandler(b)
                } catch {
                    return inbound.eventLoop.makeFailedFuture(error)
                }
                return inbound.setOption(.autoRead, value: true)
            }
            .flatMapError { _ in inbound.close() }
    }

    /// Closes every proxied connection and refuses new ones.
    func cut() {
        let channels = state.withLock { state -> [any Channel] in
            state.blocked = true
            defer { state.channels = [] }
            return state.channels
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Accepts connections again.
    func heal() {
        state.withLock { $0.blocked = false }
    }

    func stop() {
        cut()
        listener.withLock { $0?.close(promise: nil) }
    }
}

/// Forwards bytes between two channels (swift-nio's `GlueHandler` example).
private final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension GlueHandler: Sendable {}
