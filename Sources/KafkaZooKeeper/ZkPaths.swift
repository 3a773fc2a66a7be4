package import SegmentLog

/// The znode paths of Kafka's ZooKeeper mode (`core/src/main/scala/kafka/zk/ZkData.scala`).
package enum ZkPaths {
    package static let cluster = "/cluster"
    package static let clusterID = "/cluster/id"
    package static let admin = "/admin"
    package static let brokerIDs = "/brokers/ids"
    package static let brokerSequenceID = "/brokers/seqid"
    package static let topics = "/brokers/topics"
    package static let controller = "/controller"
    package static let controllerEpoch = "/controller_epoch"
    package static let deleteTopics = "/admin/delete_topics"
    package static let topicConfigs = "/config/topics"
    package static let configChanges = "/config/changes"
    package static let feature = "/feature"
    package static let isrChangeNotification = "/isr_change_notification"
    /// The prefix of the sequential nodes a leader creates under `isrChangeNotification`.
    package static let isrChangeNotificationPrefix = "/isr_change_notification/isr_change_"
    package static let preferredReplicaElection = "/admin/preferred_replica_election"
    package static let reassignPartitions = "/admin/reassign_partitions"
    package static let latestProducerIDBlock = "/latest_producer_id_block"
    package static let consumers = "/consumers"
    package static let logDirEventNotification = "/log_dir_event_notification"
    package static let clientConfigs = "/config/clients"
    package static let userConfigs = "/config/users"
    package static let brokerConfigs = "/config/brokers"
    package static let ipConfigs = "/config/ips"
    package static let delegationTokens = "/delegation_token/tokens"

    /// `ZkData.PersistentZkPaths`: created (with parents) at broker start if missing
    /// (`KafkaZkClient.createTopLevelPaths`), in Kafka's order.
    package static let persistentPaths = [
        consumers, brokerIDs, topics, configChanges, deleteTopics, brokerSequenceID, isrChangeNotification,
        latestProducerIDBlock, logDirEventNotification,
        // ConfigType.ALL
        topicConfigs, clientConfigs, userConfigs, brokerConfigs, ipConfigs,
    ]

    package static func broker(_ id: BrokerID) -> String { broker(named: String(id.rawValue)) }
    /// A registration named by its znode name (a reader listing `brokerIDs` sees names).
    package static func broker(named name: String) -> String { "\(brokerIDs)/\(name)" }
    package static func topic(_ topic: String) -> String { "\(topics)/\(topic)" }
    package static func partitions(_ topic: String) -> String { "\(topics)/\(topic)/partitions" }
    package static func partition(_ partition: TopicPartition) -> String {
        "\(partitions(partition.topic))/\(partition.partition)"
    }
    package static func partitionState(_ partition: TopicPartition) -> String {
        partitionState(topic: partition.topic, partition: String(partition.partition))
    }
    /// The state node of a partition named by its znode name (a reader listing `partitions` sees names).
    package static func partitionState(topic: String, partition: String) -> String { "\(partitions(topic))/\(partition)/state" }
    package static func deleteTopic(_ topic: String) -> String { "\(deleteTopics)/\(topic)" }
    package static func topicConfig(_ topic: String) -> String { "\(topicConfigs)/\(topic)" }

    /// The paths from the root down to `path`, excluding `/` and including `path`: `/a/b` → `/a`, `/a/b`.
    package static func ancestry(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }
}
