import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServerSupport

/// The broker's admin HTTP endpoint on `admin.port` (Paddock's own key): `GET /metrics` in the
/// Prometheus text format (`BrokerMetrics`), served by ServerSupport's `AdminHTTPHandler` as the keeper's is: one response
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
                        try pipeline.addHandler(AdminHTTPHandler(route: server.adminRoute))
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

extension BrokerServer {
    /// The admin endpoint's one route: `GET /metrics`.
    func adminRoute(_ head: HTTPRequestHead) -> AdminResponse {
        let path = AdminHTTPHandler.path(of: head)
        guard path == "/metrics" else { return .text(.notFound, "not found: \(path)\n") }
        guard head.method == .GET else { return .text(.methodNotAllowed, "only GET\n") }
        return .prometheus(metrics.render(snapshot: metadata.current, brokerID: configuration.brokerID))
    }
}
