package import KafkaZooKeeper
/// The broker's gauges, computed at scrape time from the metadata cache (no hot-path cost). Names
/// and meanings follow Kafka's MBeans as the Prometheus JMX exporter's `kafka-2_0_0.yml` rules
/// name them (`kafka.controller:type=KafkaController,name=ActiveControllerCount` becomes
/// `kafka_controller_kafkacontroller_activecontrollercount`, and so on). Pure: a function of one
/// `MetadataCache.Snapshot` and this broker's id.
package struct BrokerGauges: Hashable, Sendable {
    /// 1 while the ensemble's `/controller` names this broker, else 0 (`ActiveControllerCount`).
    package var activeControllerCount: Int
    /// On the active controller only (0 elsewhere, as in Kafka): partitions with a state whose leader
    /// is none or not a live broker (`OfflinePartitionsCount`).
    package var offlinePartitionsCount: Int
    /// Partitions whose replica list names this broker (`ReplicaManager.PartitionCount`).
    package var partitionCount: Int
    /// Partitions this broker leads (`ReplicaManager.LeaderCount`).
    package var leaderCount: Int
    /// Partitions this broker leads whose ISR is smaller than their replica list
    /// (`ReplicaManager.UnderReplicatedPartitions`), from the ISR in the partition state znodes.
    package var underReplicatedPartitions: Int

    package init(snapshot: MetadataCache.Snapshot, brokerID: BrokerID) {
        let isController = snapshot.controller == brokerID
        var offline = 0
        var hosted = 0
        var led = 0
        var underReplicated = 0
        for topic in snapshot.topics.values {
            for partition in topic.partitions.values {
                if partition.replicas.contains(brokerID) { hosted += 1 }
                if partition.leader == brokerID {
                    led += 1
                    if partition.isr.count < partition.replicas.count { underReplicated += 1 }
                }
                // Kafka counts neither partitions still being created (no state yet) nor topics queued for deletion.
                if isController, partition.partitionEpoch >= 0, !topic.markedForDeletion {
                    if let leader = partition.leader, snapshot.brokers[leader] != nil { continue }
                    offline += 1
                }
            }
        }
        activeControllerCount = isController ? 1 : 0
        offlinePartitionsCount = offline
        partitionCount = hosted
        leaderCount = led
        underReplicatedPartitions = underReplicated
    }
}
