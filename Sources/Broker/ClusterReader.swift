import KafkaZooKeeper
package import KeeperClient
import ZooKeeperWire
import SegmentLog

/// Reads a `ClusterSnapshot` from the ensemble, leaving watches so that any change to what it read
/// fires an event: children of `/brokers/ids`, `/brokers/topics` and `/admin/delete_topics`, the data
/// of `/admin/preferred_replica_election`, `/admin/reassign_partitions` and every topic and partition
/// state node (an exists watch on missing nodes), and `/controller`.
///
/// A full read per change is O(partitions) requests, where Kafka's controller reads incrementally;
/// fine for the cluster sizes Paddock targets, and it makes every decision start from a consistent view.
package struct ClusterReader {
    package let client: ZooKeeperClient

    package init(client: ZooKeeperClient) {
        self.client = client
    }

    /// - Parameter topicConfigs: also read each topic's config overrides (`uncleanLeaderElection`),
    ///   which only the controller's elections use: one more read per topic.
    package func read(watch: Bool, topicConfigs: Bool = false) async throws -> ClusterSnapshot {
        var snapshot = ClusterSnapshot()
        // /controller first: a change there while we read the rest is seen on the next read.
        if case let (data, _)? = try await client.dataIfExists(ZkPaths.controller, watch: watch) {
            snapshot.controller = decode(&snapshot) { () throws(ZkDataError) in try ControllerPayload.decode(data) }
        }
        if case let (data, stat)? = try await client.dataIfExists(ZkPaths.controllerEpoch) {
            snapshot.controllerEpoch = decode(&snapshot) { () throws(ZkDataError) in
                .init(epoch: try ControllerEpochPayload.decode(data), version: stat.version)
            }
        }
        snapshot.featureNodeExists = try await client.exists(ZkPaths.feature) != nil
        for name in try await client.childrenIfExists(ZkPaths.brokerIDs, watch: watch) {
            guard let raw = Int32(name), raw >= 0 else { continue }
            let id = BrokerID(raw)
            guard case let (data, stat)? = try await client.dataIfExists(ZkPaths.broker(id)) else { continue }
            snapshot.brokers[id] = decode(&snapshot) { () throws(ZkDataError) in
                .init(registration: try BrokerRegistration.decode(id: id, data), epoch: stat.czxid)
            }
        }
        snapshot.pendingDeletions = Set(try await client.childrenIfExists(ZkPaths.deleteTopics, watch: watch))
        if case let (data, _)? = try await client.dataIfExists(ZkPaths.preferredReplicaElection, watch: watch) {
            snapshot.preferredReplicaElection =
                decode(&snapshot) { () throws(ZkDataError) in try PreferredReplicaElectionPayload.decode(data) } ?? []
        }
        if case let (data, stat)? = try await client.dataIfExists(ZkPaths.reassignPartitions, watch: watch) {
            let targets = decode(&snapshot) { () throws(ZkDataError) in try PartitionReassignmentPayload.decode(data) }
            snapshot.partitionReassignment = .init(targets: targets ?? [:], version: stat.version)
        }
        // Not watched: every ISR change also changes a watched state znode.
        snapshot.isrChangeNotifications = try await client.childrenIfExists(ZkPaths.isrChangeNotification).sorted()
        for name in try await client.childrenIfExists(ZkPaths.topics, watch: watch) {
            guard case let (data, stat)? = try await client.dataIfExists(ZkPaths.topic(name), watch: watch) else { continue }
            guard let assignment = decode(&snapshot, { () throws(ZkDataError) in try TopicAssignment.decode(topic: name, data) })
            else { continue }
            snapshot.topics[name] = .init(assignment: assignment, version: stat.version)
            // For the controller's elections; a change applies from the next read.
            if topicConfigs, case let (config, _)? = try await client.dataIfExists(ZkPaths.topicConfig(name)),
                let overrides = decode(&snapshot, { () throws(ZkDataError) in
                    try EntityConfigPayload.decode(path: ZkPaths.topicConfig(name), config)
                }),
                let unclean = overrides["unclean.leader.election.enable"].flatMap({ Bool($0.lowercased()) })
            {
                snapshot.uncleanLeaderElection[name] = unclean
            }
            for id in assignment.partitionIDs {
                let partition = TopicPartition(name, id)
                guard case let (data, stat)? = try await client.dataIfExists(ZkPaths.partitionState(partition), watch: watch)
                else { continue }
                snapshot.partitionStates[partition] = decode(&snapshot) { () throws(ZkDataError) in
                    .init(state: try PartitionState.decode(partition, data), version: stat.version)
                }
            }
        }
        return snapshot
    }

    /// A malformed znode is skipped and reported in `snapshot.problems`, so one bad node written by
    /// some other tool does not stop the broker.
    private func decode<T>(_ snapshot: inout ClusterSnapshot, _ body: () throws(ZkDataError) -> T) -> T? {
        do {
            return try body()
        } catch {
            snapshot.problems.append(error.description)
            return nil
        }
    }
}
