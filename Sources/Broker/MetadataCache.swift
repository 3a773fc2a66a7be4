package import KafkaZooKeeper
import Synchronization
package import SegmentLog

/// What this broker knows about the cluster, learned only from the ensemble (no controller RPCs):
/// live brokers and their endpoints, every partition's replicas, leader, leader epoch and ISR, the
/// controller. Updated by `BrokerServer` from watches on `/brokers/ids`, `/brokers/topics`, the
/// partition state nodes and `/controller`; read by the Kafka listener (Metadata responses, "am I the
/// leader" checks) and, later, the partition manager (`updates()`).
package final class MetadataCache: Sendable {
    /// One partition as the ensemble describes it.
    package struct Partition: Hashable, Sendable {
        package var topicPartition: TopicPartition
        /// Assignment order; the first is the preferred leader.
        package var replicas: [BrokerID]
        /// Nil when the partition has no state yet or its state says -1.
        package var leader: BrokerID?
        /// -1 before the partition has a state.
        package var leaderEpoch: Int32
        package var isr: [BrokerID]
        /// The state znode's data version (Kafka's partition epoch), -1 without a state.
        package var partitionEpoch: Int32
        /// The controller epoch in the state znode, -1 without a state.
        package var controllerEpoch: Int32 = -1
        /// After an unclean election, until the new leader has recovered (KIP-704).
        package var recovering = false
    }

    /// One topic.
    package struct Topic: Hashable, Sendable {
        package var name: String
        package var topicID: String?
        /// By partition id.
        package var partitions: [Int32: Partition]
        /// Under `/admin/delete_topics`: clients should no longer see it.
        package var markedForDeletion: Bool
    }

    /// This broker's relation to a partition.
    package enum Leadership: Hashable, Sendable {
        case leader(epoch: Int32)
        case follower(leader: BrokerID?, epoch: Int32)
        /// The partition exists but this broker is not one of its replicas.
        case notReplica
        case unknownTopicOrPartition
    }

    /// An immutable view of the cluster.
    package struct Snapshot: Hashable, Sendable {
        package var clusterID: String?
        package var controller: BrokerID?
        /// Live brokers (registered under `/brokers/ids`).
        package var brokers: [BrokerID: BrokerRegistration]
        package var topics: [String: Topic]

        package init(clusterID: String?, cluster: ClusterSnapshot) {
            self.clusterID = clusterID
            self.controller = cluster.controller
            self.brokers = cluster.brokers.mapValues(\.registration)
            var topics: [String: Topic] = [:]
            for (name, topic) in cluster.topics {
                var partitions: [Int32: Partition] = [:]
                for (id, replicas) in topic.assignment.partitions {
                    let state = cluster.partitionStates[TopicPartition(name, id)]
                    let leader = state.map(\.state.leader).flatMap { $0 == .noLeader ? nil : $0 }
                    partitions[id] = Partition(
                        topicPartition: TopicPartition(name, id), replicas: replicas, leader: leader,
                        leaderEpoch: state?.state.leaderEpoch ?? -1, isr: state?.state.isr ?? [],
                        partitionEpoch: state?.version ?? -1, controllerEpoch: state?.state.controllerEpoch ?? -1,
                        recovering: state?.state.recovering ?? false)
                }
                topics[name] = Topic(
                    name: name, topicID: topic.assignment.topicID, partitions: partitions,
                    markedForDeletion: cluster.pendingDeletions.contains(name))
            }
            self.topics = topics
        }

        package static let empty = Snapshot(clusterID: nil, cluster: ClusterSnapshot())

        package func partition(_ partition: TopicPartition) -> Partition? {
            topics[partition.topic]?.partitions[partition.partition]
        }

        /// Whether `broker` leads `partition`, and with which leader epoch.
        package func leadership(of partition: TopicPartition, for broker: BrokerID) -> Leadership {
            guard let info = self.partition(partition) else { return .unknownTopicOrPartition }
            if info.leader == broker { return .leader(epoch: info.leaderEpoch) }
            guard info.replicas.contains(broker) else { return .notReplica }
            return .follower(leader: info.leader, epoch: info.leaderEpoch)
        }

        /// Every partition `broker` leads, sorted.
        package func partitionsLed(by broker: BrokerID) -> [TopicPartition] {
            topics.values.flatMap { $0.partitions.values }.filter { $0.leader == broker }.map(\.topicPartition).sorted()
        }
    }

    private struct State {
        var snapshot = Snapshot.empty
        var subscribers: [Int: AsyncStream<Snapshot>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The newest view.
    package var current: Snapshot { state.withLock { $0.snapshot } }

    /// The current view, then each changed one (only the newest is kept for a slow reader). Ends
    /// when the cache is deallocated.
    package func updates() -> AsyncStream<Snapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: Snapshot.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            continuation.yield(state.snapshot)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Replaces the view; subscribers hear about it only if it changed.
    package func update(_ snapshot: Snapshot) {
        state.withLock { state in
            guard state.snapshot != snapshot else { return }
            state.snapshot = snapshot
            for continuation in state.subscribers.values { continuation.yield(snapshot) }
        }
    }

    deinit {
        state.withLock { state in
            for continuation in state.subscribers.values { continuation.finish() }
        }
    }
}
