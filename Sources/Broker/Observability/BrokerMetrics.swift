package import KafkaZooKeeper
import Prometheus
import Synchronization

/// The broker's Prometheus metrics, served at `GET /metrics` on `admin.port`.
///
/// Names are the ones the Prometheus JMX exporter's example Kafka config
/// (`prometheus/jmx_exporter` `example_configs/kafka-2_0_0.yml`, `lowercaseOutputName: true`) gives
/// Kafka's MBeans, so dashboards built for Kafka find them:
/// - `kafka.server:type=BrokerTopicMetrics,name={MessagesIn,BytesIn,BytesOut}PerSec[,topic=t]` →
///   `kafka_server_brokertopicmetrics_{messagesin,bytesin,bytesout}_total`, with a `topic` label per
///   topic and without it for the all-topics aggregate;
/// - `kafka.network:type=RequestMetrics,name=RequestsPerSec,request=R,version=V` →
///   `kafka_network_requestmetrics_requests_total{request,version}`;
/// - `kafka.network:type=RequestMetrics,name=TotalTimeMs,request=R` → the exporter's
///   `kafka_network_requestmetrics_totaltimems_count{request}`; here a histogram of the same name, so
///   `_bucket` and `_sum` come with it instead of the exporter's percentile gauges;
/// - the `BrokerGauges`, computed from the metadata cache at scrape time;
/// - `kafka.log:type=LogCleaner,name={max-clean-time-secs,cleaner-recopy-percent}` and
///   `kafka.log:type=LogCleanerManager,name=max-dirty-percent` → `kafka_log_logcleaner_max_clean_time_secs`,
///   `kafka_log_logcleaner_cleaner_recopy_percent`, `kafka_log_logcleanermanager_max_dirty_percent`.
///
/// Only real values: counters are counted on the request path, gauges read from actual state.
package final class BrokerMetrics: Sendable {
    /// Traffic of one topic (or of all of them).
    package struct Traffic: Hashable, Sendable {
        package var messagesIn: Int64 = 0
        package var bytesIn: Int64 = 0
        package var bytesOut: Int64 = 0
    }

    private struct TrafficState {
        var all = Traffic()
        var topics: [String: Traffic] = [:]
    }

    private struct RequestKey: Hashable {
        var request: String
        var version: Int16
    }

    private struct RequestState {
        var counts: [RequestKey: Counter] = [:]
        var totalTime: [String: ValueHistogram] = [:]
    }

    /// Milliseconds; Kafka's `TotalTimeMs` is in milliseconds too.
    static let totalTimeBuckets: [Double] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

    let registry = PrometheusCollectorRegistry()
    private let traffic = Mutex(TrafficState())
    private let requests = Mutex(RequestState())
    private let activeControllerCount: Gauge
    private let offlinePartitionsCount: Gauge
    private let partitionCount: Gauge
    private let leaderCount: Gauge
    private let underReplicatedPartitions: Gauge
    private let isrShrinks: Counter
    private let isrExpands: Counter
    /// `acks=all` produce requests parked until the ISR has their records
    /// (`DelayedOperationPurgatory.PurgatorySize{delayedOperation=Produce}`).
    private let parkedProduces: Gauge
    private let parkedProduceCount = Mutex<Int64>(0)
    /// Text the group coordinator adds to each scrape (set once the data plane runs).
    private let groupReport = Mutex<(@Sendable () -> String)?>(nil)
    /// The log cleaner's gauges (`LogCleaner`, `LogCleanerManager`).
    private let maxCleanTimeSecs: Gauge
    private let cleanerRecopyPercent: Gauge
    private let maxDirtyPercent: Gauge

    package init() {
        let registry = self.registry
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help))
        }
        activeControllerCount = gauge(
            "kafka_controller_kafkacontroller_activecontrollercount", "1 if this broker is the active controller")
        offlinePartitionsCount = gauge(
            "kafka_controller_kafkacontroller_offlinepartitionscount",
            "Partitions without a live leader (reported by the active controller)")
        partitionCount = gauge("kafka_server_replicamanager_partitioncount", "Partitions assigned to this broker")
        leaderCount = gauge("kafka_server_replicamanager_leadercount", "Partitions this broker leads")
        underReplicatedPartitions = gauge(
            "kafka_server_replicamanager_underreplicatedpartitions",
            "Partitions this broker leads whose ISR is smaller than their replica list")
        parkedProduces = registry.makeGauge(
            descriptor: .init(
                metricName: "kafka_server_delayedoperationpurgatory_purgatorysize", unitName: "",
                helpText: "acks=all produce requests waiting for the ISR"),
            labels: [("delayedOperation", "Produce")])
        // The exporter's names for the `IsrShrinksPerSec` / `IsrExpandsPerSec` meters' counts.
        isrShrinks = registry.makeCounter(
            descriptor: .init(
                metricName: "kafka_server_replicamanager_isrshrinks", unitName: "total",
                helpText: "ISR shrinks written by this broker as leader"))
        isrExpands = registry.makeCounter(
            descriptor: .init(
                metricName: "kafka_server_replicamanager_isrexpands", unitName: "total",
                helpText: "ISR expansions written by this broker as leader"))
        maxCleanTimeSecs = gauge(
            "kafka_log_logcleaner_max_clean_time_secs", "Seconds the last cleaning of the slowest cleaner thread took")
        cleanerRecopyPercent = gauge(
            "kafka_log_logcleaner_cleaner_recopy_percent",
            "Bytes written as a percentage of bytes read by the cleaner threads' last cleanings")
        maxDirtyPercent = gauge(
            "kafka_log_logcleanermanager_max_dirty_percent",
            "Dirty ratio, in percent, of the dirtiest compacted log at the cleaner's last look")
    }

    /// The cleaner threads' last cleanings: the longest took `maxCleanSeconds`; together they wrote
    /// `recopyPercent` of what they read (Kafka's integer percent).
    package func logCleanerStats(maxCleanSeconds: Double, recopyPercent: Int) {
        maxCleanTimeSecs.set(maxCleanSeconds)
        cleanerRecopyPercent.set(Int64(recopyPercent))
    }

    /// The dirtiest compacted log's dirty ratio at the cleaner's last look, as Kafka's integer percent.
    package func logCleanerMaxDirtyPercent(_ percent: Int) {
        maxDirtyPercent.set(Int64(percent))
    }

    /// An `acks=all` produce was parked (`delta` 1) or answered (-1).
    package func parkedProduce(_ delta: Int64) {
        let value = parkedProduceCount.withLock { count in
            count += delta
            return count
        }
        parkedProduces.set(value)
    }

    /// A leader wrote a smaller ISR.
    package func isrShrank() { isrShrinks.increment() }

    /// A leader wrote a larger ISR.
    package func isrExpanded() { isrExpands.increment() }

    // MARK: - Recording (request path)

    /// Records appended to `topic` by a Produce: `messages` records in `bytes` bytes of batches.
    package func appended(messages: Int, bytes: Int, to topic: String) {
        traffic.withLock { state in
            state.all.messagesIn &+= Int64(messages)
            state.all.bytesIn &+= Int64(bytes)
            state.topics[topic, default: Traffic()].messagesIn &+= Int64(messages)
            state.topics[topic, default: Traffic()].bytesIn &+= Int64(bytes)
        }
    }

    /// Record bytes of `topic` sent in a Fetch response.
    package func fetched(bytes: Int, from topic: String) {
        guard bytes > 0 else { return }
        traffic.withLock { state in
            state.all.bytesOut &+= Int64(bytes)
            state.topics[topic, default: Traffic()].bytesOut &+= Int64(bytes)
        }
    }

    /// One request handled: `names` are Kafka's `RequestMetrics` names for it (the API name, and for
    /// Fetch also `FetchConsumer` or `FetchFollower`, as `RequestChannel.updateRequestMetrics` does).
    package func requestCompleted(names: [String], version: Int16, milliseconds: Double) {
        let handles = requests.withLock { state in
            names.map { name in
                let key = RequestKey(request: name, version: version)
                let counter =
                    state.counts[key]
                    ?? registry.makeCounter(
                        descriptor: .init(
                            metricName: "kafka_network_requestmetrics_requests", unitName: "total",
                            helpText: "Requests handled, by API and version"),
                        labels: [("request", name), ("version", "\(version)")])
                state.counts[key] = counter
                let histogram =
                    state.totalTime[name]
                    ?? registry.makeValueHistogram(
                        descriptor: .init(
                            metricName: "kafka_network_requestmetrics_totaltimems", unitName: "",
                            helpText: "Time from a request being decoded to its response being ready, in ms"),
                        labels: [("request", name)], buckets: Self.totalTimeBuckets)
                state.totalTime[name] = histogram
                return (counter, histogram)
            }
        }
        for (counter, histogram) in handles {
            counter.increment()
            histogram.record(milliseconds)
        }
    }

    // MARK: - Scrape

    /// The traffic counted so far: all topics, and each topic.
    package var trafficTotals: (all: Traffic, topics: [String: Traffic]) {
        traffic.withLock { ($0.all, $0.topics) }
    }

    /// The Prometheus text exposition: the gauges computed from `snapshot`, then every counter.
    package func render(snapshot: MetadataCache.Snapshot, brokerID: BrokerID) -> String {
        let gauges = BrokerGauges(snapshot: snapshot, brokerID: brokerID)
        activeControllerCount.set(Int64(gauges.activeControllerCount))
        offlinePartitionsCount.set(Int64(gauges.offlinePartitionsCount))
        partitionCount.set(Int64(gauges.partitionCount))
        leaderCount.set(Int64(gauges.leaderCount))
        underReplicatedPartitions.set(Int64(gauges.underReplicatedPartitions))
        let groups = groupReport.withLock { $0 }?() ?? ""
        return registry.emitToString() + Self.renderTraffic(trafficTotals) + groups
    }

    /// Has every scrape end with `report`'s text (the group coordinator's families).
    package func reportGroups(_ report: @escaping @Sendable () -> String) {
        groupReport.withLock { $0 = report }
    }

    /// The BrokerTopicMetrics families, written here rather than through the registry: the exporter
    /// emits the all-topics series without labels next to the per-topic ones under the same name, and
    /// `PrometheusCollectorRegistry` refuses to mix unlabeled and labeled series in one family.
    static func renderTraffic(_ totals: (all: Traffic, topics: [String: Traffic])) -> String {
        let families: [(String, String, KeyPath<Traffic, Int64>)] = [
            ("messagesin", "Records appended by Produce requests", \.messagesIn),
            ("bytesin", "Record batch bytes appended by Produce requests", \.bytesIn),
            ("bytesout", "Record batch bytes sent in Fetch responses", \.bytesOut),
        ]
        let topics = totals.topics.keys.sorted()
        var text = ""
        for (metric, help, value) in families {
            let name = "kafka_server_brokertopicmetrics_\(metric)_total"
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            text += "\(name) \(totals.all[keyPath: value])\n"
            for topic in topics {
                text += "\(name){topic=\"\(escapeLabelValue(topic))\"} \(totals.topics[topic]?[keyPath: value] ?? 0)\n"
            }
        }
        return text
    }

    /// Label value escaping of the text format (backslash, double quote, line feed).
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
