import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import ZNodeTree
import ServerSupport
import ZooKeeperWire

/// The admin HTTP endpoint's routes: `GET /metrics` (Prometheus text format) and
/// `GET /commands/<word>` (the four-letter words, as text). Runs on the replica's event loop (in
/// `AdminHTTPHandler`), so it reads live state directly.
struct KeeperAdminRoutes {
    let driver: ReplicaDriver
    let fourLetterWords: FourLetterWords
    let metrics: KeeperMetrics

    func route(_ head: HTTPRequestHead) -> AdminResponse {
        let path = AdminHTTPHandler.path(of: head)
        if path == "/metrics" {
            metrics.update(from: driver)
            return .prometheus(metrics.registry.emitToString())
        }
        if path.hasPrefix("/commands/") {
            let word = String(path.dropFirst("/commands/".count))
            let aliases = ["monitor": "mntr", "server_stats": "srvr", "stats": "stat", "configuration": "conf",
                           "connections": "cons", "environment": "envi", "watch_summary": "wchs", "watches": "wchc",
                           "watches_by_path": "wchp", "is_read_only": "isro"]
            let name = aliases[word] ?? word
            guard FourLetterWords.known.contains(name) else { return .text(.notFound, "unknown command \(word)\n") }
            return .text(.ok, fourLetterWords.respond(to: name, driver: driver))
        }
        if path == "/" || path == "/commands" {
            return .text(.ok, FourLetterWords.known.sorted().map { "/commands/\($0)\n" }.joined() + "/metrics\n")
        }
        return .text(.notFound, "not found: \(path)\n")
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
