import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import KeeperCore
import ZooKeeperWire

/// The admin HTTP endpoint: `GET /metrics` (Prometheus text format) and `GET /commands/<word>`
/// (the four-letter words, as text). Runs on the replica's event loop, so it reads live state
/// directly.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let driver: ReplicaDriver
    private let fourLetterWords: FourLetterWords
    private let metrics: KeeperMetrics
    private var uri = ""

    init(driver: ReplicaDriver, fourLetterWords: FourLetterWords, metrics: KeeperMetrics) {
        self.driver = driver
        self.fourLetterWords = fourLetterWords
        self.metrics = metrics
    }

    /// `admin.idleTimeout`: an `IdleStateHandler` ahead of this one reports an idle connection.
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
            uri = head.uri
        case .body:
            break
        case .end:
            let (status, contentType, body) = route(uri)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private func route(_ uri: String) -> (HTTPResponseStatus, String, String) {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        if path == "/metrics" {
            metrics.update(from: driver)
            return (.ok, "text/plain; version=0.0.4", metrics.registry.emitToString())
        }
        if path.hasPrefix("/commands/") {
            let word = String(path.dropFirst("/commands/".count))
            let aliases = ["monitor": "mntr", "server_stats": "srvr", "stats": "stat", "configuration": "conf",
                           "connections": "cons", "environment": "envi", "watch_summary": "wchs", "watches": "wchc",
                           "watches_by_path": "wchp", "is_read_only": "isro"]
            let name = aliases[word] ?? word
            guard FourLetterWords.known.contains(name) else { return (.notFound, "text/plain", "unknown command \(word)\n") }
            return (.ok, "text/plain", fourLetterWords.respond(to: name, driver: driver))
        }
        if path == "/" || path == "/commands" {
            return (.ok, "text/plain", FourLetterWords.known.sorted().map { "/commands/\($0)\n" }.joined() + "/metrics\n")
        }
        return (.notFound, "text/plain", "not found: \(path)\n")
    }
}

/// Prometheus gauges and counters, named as ZooKeeper's Prometheus provider names them where it
/// has a name, so dashboards line up.
final class KeeperMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let znodeCount: Gauge
    private let watchCount: Gauge
    private let ephemeralsCount: Gauge
    private let connections: Gauge
    private let outstanding: Gauge
    private let sessions: Gauge
    private let packetsReceived: Gauge
    private let packetsSent: Gauge
    private let dataSize: Gauge
    private let lastZxid: Gauge

    init() {
        znodeCount = registry.makeGauge(descriptor: .init(metricName: "znode_count", unitName: "", helpText: "Number of znodes"))
        watchCount = registry.makeGauge(descriptor: .init(metricName: "watch_count", unitName: "", helpText: "Watches registered on this member"))
        ephemeralsCount = registry.makeGauge(descriptor: .init(metricName: "ephemerals_count", unitName: "", helpText: "Ephemeral znodes"))
        connections = registry.makeGauge(descriptor: .init(metricName: "num_alive_connections", unitName: "", helpText: "Open client connections"))
        outstanding = registry.makeGauge(descriptor: .init(metricName: "outstanding_requests", unitName: "", helpText: "Writes waiting for commit"))
        sessions = registry.makeGauge(descriptor: .init(metricName: "global_sessions", unitName: "", helpText: "Live sessions"))
        packetsReceived = registry.makeGauge(descriptor: .init(metricName: "packets_received", unitName: "", helpText: "Client packets received"))
        packetsSent = registry.makeGauge(descriptor: .init(metricName: "packets_sent", unitName: "", helpText: "Client packets sent"))
        dataSize = registry.makeGauge(descriptor: .init(metricName: "approximate_data_size", unitName: "", helpText: "Bytes of znode data and paths"))
        lastZxid = registry.makeGauge(descriptor: .init(metricName: "last_zxid", unitName: "", helpText: "Last applied zxid"))
    }

    func update(from d: ReplicaDriver) {
        znodeCount.set(Int64(d.tree.nodeCount))
        watchCount.set(Int64(d.watches.watchCount))
        ephemeralsCount.set(Int64(d.tree.ephemerals.values.reduce(0) { $0 + $1.count }))
        connections.set(Int64(d.connections.count))
        outstanding.set(Int64(d.outstandingRequests))
        sessions.set(Int64(d.sessionCount))
        packetsReceived.set(d.stats.packetsReceived)
        packetsSent.set(d.stats.packetsSent)
        dataSize.set(Int64(d.tree.approximateDataSize))
        lastZxid.set(d.lastZxid.rawValue)
    }
}
