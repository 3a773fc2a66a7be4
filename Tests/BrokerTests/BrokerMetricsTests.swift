import KafkaZooKeeper
import Testing

@testable import Broker

/// `BrokerGauges` from metadata snapshots, and the text `BrokerMetrics` renders.
@Suite struct BrokerMetricsTests {
    /// Brokers 1-3 live, broker 1 controller; topic "t": p0 led by 1 with replicas [1, 2] and the
    /// leader-only ISR brokers have today, p1 led by 1 with replicas [1], p2 led by 2 with replicas
    /// [2, 1], p3 with no leader (offline).
    static func snapshot(controller: BrokerID = 1) -> MetadataCache.Snapshot {
        var cluster = ControllerStateMachineTests.snapshot(
            live: [1, 2, 3], assignment: [0: [1, 2], 1: [1], 2: [2, 1], 3: [3]],
            states: [
                0: PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 5),
                1: PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 5),
                2: PartitionState(leader: 2, leaderEpoch: 0, isr: [2], controllerEpoch: 5),
                3: PartitionState(leader: .noLeader, leaderEpoch: 1, isr: [3], controllerEpoch: 5),
            ])
        cluster.controller = controller
        return MetadataCache.Snapshot(clusterID: "c", cluster: cluster)
    }

    @Test func gaugesCountLedAssignedAndUnderReplicatedPartitions() {
        let gauges = BrokerGauges(snapshot: Self.snapshot(), brokerID: 1)
        #expect(gauges.activeControllerCount == 1)
        #expect(gauges.offlinePartitionsCount == 1)
        #expect(gauges.partitionCount == 3)
        #expect(gauges.leaderCount == 2)
        // p0 has replication factor 2 and an ISR of the leader alone: under-replicated.
        #expect(gauges.underReplicatedPartitions == 1)
    }

    @Test func onlyTheControllerReportsOfflinePartitions() {
        let gauges = BrokerGauges(snapshot: Self.snapshot(), brokerID: 2)
        #expect(gauges.activeControllerCount == 0)
        #expect(gauges.offlinePartitionsCount == 0)
        #expect(gauges.partitionCount == 2)
        #expect(gauges.leaderCount == 1)
        #expect(gauges.underReplicatedPartitions == 1)
    }

    @Test func leaderOnADeadBrokerIsOffline() {
        var cluster = ControllerStateMachineTests.snapshot(
            live: [1], assignment: [0: [2]],
            states: [0: PartitionState(leader: 2, leaderEpoch: 0, isr: [2], controllerEpoch: 5)])
        cluster.controller = 1
        let gauges = BrokerGauges(snapshot: MetadataCache.Snapshot(clusterID: "c", cluster: cluster), brokerID: 1)
        #expect(gauges.offlinePartitionsCount == 1)
        #expect(gauges.partitionCount == 0)
    }

    @Test func renderedTextUsesTheJMXExporterNames() {
        let metrics = BrokerMetrics()
        metrics.appended(messages: 3, bytes: 200, to: "t")
        metrics.appended(messages: 2, bytes: 100, to: "u")
        metrics.fetched(bytes: 150, from: "t")
        metrics.requestCompleted(names: ["Produce"], version: 8, milliseconds: 3)
        metrics.requestCompleted(names: ["FetchConsumer", "Fetch"], version: 11, milliseconds: 600)
        let lines = Set(metrics.render(snapshot: Self.snapshot(), brokerID: 1).split(separator: "\n").map(String.init))
        for expected in [
            "kafka_server_brokertopicmetrics_messagesin_total 5",
            #"kafka_server_brokertopicmetrics_messagesin_total{topic="t"} 3"#,
            #"kafka_server_brokertopicmetrics_messagesin_total{topic="u"} 2"#,
            "kafka_server_brokertopicmetrics_bytesin_total 300",
            #"kafka_server_brokertopicmetrics_bytesin_total{topic="t"} 200"#,
            "kafka_server_brokertopicmetrics_bytesout_total 150",
            #"kafka_server_brokertopicmetrics_bytesout_total{topic="t"} 150"#,
            #"kafka_server_brokertopicmetrics_bytesout_total{topic="u"} 0"#,
            "# TYPE kafka_server_brokertopicmetrics_messagesin_total counter",
            // Gauges are doubles in swift-prometheus; the text format takes either.
            "kafka_controller_kafkacontroller_activecontrollercount 1.0",
            "kafka_controller_kafkacontroller_offlinepartitionscount 1.0",
            "kafka_server_replicamanager_partitioncount 3.0",
            "kafka_server_replicamanager_leadercount 2.0",
            "kafka_server_replicamanager_underreplicatedpartitions 1.0",
            #"kafka_network_requestmetrics_requests_total{request="Produce",version="8"} 1"#,
            #"kafka_network_requestmetrics_requests_total{request="Fetch",version="11"} 1"#,
            #"kafka_network_requestmetrics_requests_total{request="FetchConsumer",version="11"} 1"#,
            #"kafka_network_requestmetrics_totaltimems_count{request="Produce"} 1"#,
            #"kafka_network_requestmetrics_totaltimems_bucket{request="Fetch",le="500.0"} 0"#,
            #"kafka_network_requestmetrics_totaltimems_bucket{request="Fetch",le="1000.0"} 1"#,
        ] {
            let found = lines.contains(expected)
            #expect(found, "missing: \(expected)")
        }
    }

    @Test func labelValuesAreEscaped() {
        #expect(BrokerMetrics.escapeLabelValue(#"a"b\c"#) == #"a\"b\\c"#)
    }
}
