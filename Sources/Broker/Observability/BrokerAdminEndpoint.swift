import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The broker's admin HTTP endpoint on `admin.port` (Paddock's own key): `GET /metrics` in the
/// Prometheus text format (`BrokerMetrics`). Shaped like the keeper's `AdminHTTPHandler`: one response
/// per connection, and a connection idle for `idleTimeout` (30 s, the keeper's `admin.idleTimeout`
/// default) is closed.
enum BrokerAdminEndpoint {
    static let idleTimeout = TimeAmount.seconds(30)

    /// Binds `0.0.0.0:port`; on failure logs one warning and returns nil, so the broker keeps serving
    /// Kafka clients without it (the keeper does the same with its admin server).
    static func start(
        port: Int, server: BrokerServer, group: any EventLoopGroup, logger: Logger
    ) async -> (any Channel)? {
        let host = "0.0.0.0"
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                        try pipeline.configureHTTPServerPipeline()
                        try pipeline.addHandler(BrokerAdminHTTPHandler(server: server))
                    }
                }
                .bind(host: host, port: port).get()
            logger.info(
                "admin endpoint started",
                metadata: ["address": "\(channel.localAddress?.description ?? "\(host):\(port)")", "path": "/metrics"])
            return channel
        } catch {
            logger.warning("admin endpoint not started", metadata: ["address": "\(host):\(port)", "error": "\(error)"])
            return nil
        }
    }
}

/// Answers one HTTP request on an admin connection, then closes it.
final class BrokerAdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: BrokerServer
    private var head: HTTPRequestHead?

    init(server: BrokerServer) {
        self.server = server
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            let (status, contentType, body) = route(head)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "Connection", value: "close")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func route(_ head: HTTPRequestHead?) -> (HTTPResponseStatus, String, String) {
        guard let head else { return (.badRequest, "text/plain", "bad request\n") }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path == "/metrics" else { return (.notFound, "text/plain", "not found: \(path)\n") }
        guard head.method == .GET else {
            return (.methodNotAllowed, "text/plain", "only GET\n")
        }
        let text = server.metrics.render(snapshot: server.metadata.current, brokerID: server.configuration.brokerID)
        return (.ok, "text/plain; version=0.0.4", text)
    }
}

@available(*, unavailable)
extension BrokerAdminHTTPHandler: Sendable {}
