import Broker
package import KafkaZooKeeper

/// Knobs of a broker-replication simulation. Times are milliseconds of the fake clock, scaled down
/// from Kafka's defaults so that a run of a few simulated seconds sees many lag checks, session
/// expiries and elections.
package struct BrokerReplicationOptions: Sendable {
    /// The partition's replicas, in assignment order (the controller's preference order).
    package var replicas: [BrokerID] = [1, 2, 3]
    package var minInsyncReplicas = 2
    /// `replica.lag.time.max.ms`; the leader checks every half of it, as `PartitionManager` does.
    package var replicaLagTimeMaxMs: Int64 = 200
    /// `replica.fetch.wait.max.ms`: how long a leader parks a follower's fetch that finds nothing.
    package var fetchMaxWaitMs: Int64 = 50
    /// `replica.fetch.backoff.ms`: a follower's pause after a refused request.
    package var fetchBackoffMs: Int64 = 20
    /// A follower (or client) that hears nothing back this long after a request gives up on it
    /// (`replica.socket.timeout.ms`: the connection is dropped and made again).
    package var requestTimeoutMs: Int64 = 150
    /// Records a leader returns to one fetch.
    package var maxRecordsPerFetch = 6
    /// `zookeeper.session.timeout.ms`: a broker that stops heartbeating (killed, stopped, cut off from
    /// the ensemble) loses its session, and its registration, this long after.
    package var sessionTimeoutMs: Int64 = 300
    /// From a registration appearing or vanishing to the controller reading the broker list.
    package var controllerNoticeDelay: ClosedRange<Int64> = 2...40
    /// From the controller reading the partition state to its version-checked write arriving.
    package var controllerWriteDelay: ClosedRange<Int64> = 1...15
    /// From a write to the state znode to a broker's metadata cache reading it (the watch).
    package var metadataDelay: ClosedRange<Int64> = 1...40
    /// One way of a broker's request to the ensemble.
    package var zooKeeperDelay: ClosedRange<Int64> = 1...8
    /// `replica.high.watermark.checkpoint.interval.ms`.
    package var checkpointIntervalMs: Int64 = 100
    /// From a restart being asked for to the process starting (at the earliest once the old session
    /// expired: a broker cannot register while its previous registration stands).
    package var restartDelay: ClosedRange<Int64> = 10...150
    /// The Produce request's `timeout.ms` (the leader answers REQUEST_TIMED_OUT after it).
    package var produceTimeoutMs: Int64 = 300
    package var producers = 2
    /// Records per produce request (one batch).
    package var recordsPerProduce: ClosedRange<Int> = 1...3
    /// Pause of a producer between two requests.
    package var producerPause: ClosedRange<Int64> = 1...25
    package var consumers = 1
    package var consumerPause: ClosedRange<Int64> = 5...30
    package init() {}
}
