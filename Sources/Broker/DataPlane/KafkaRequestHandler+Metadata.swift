import KafkaWire
import KafkaZooKeeper
import Logging
import SegmentLog

extension KafkaRequestHandler {
    /// Metadata (`KafkaApis.handleTopicMetadataRequest`): the live brokers with their endpoints of this
    /// listener, the controller, the cluster id, and the requested topics (all topics for a null list).
    /// A requested topic that does not exist is created with the broker defaults when the client allows
    /// it (v4+ flag; always before v4) and `auto.create.topics.enable` is set, and answered with
    /// LEADER_NOT_AVAILABLE until the controller has elected its leaders: clients retry.
    func metadata(_ request: MetadataRequest, version: Int16) async -> MetadataResponse {
        let snapshot = server.metadata.current
        let brokers = snapshot.brokers.keys.sorted().compactMap { id -> MetadataResponse.Broker? in
            let registration = snapshot.brokers[id]!
            guard
                let endpoint = registration.endpoints.first(where: { $0.listenerName == listenerName })
                    ?? registration.endpoints.first
            else { return nil }
            return MetadataResponse.Broker(
                nodeID: id.rawValue, host: endpoint.host, port: Int32(exactly: endpoint.port) ?? -1,
                rack: registration.rack)
        }
        var topics: [MetadataResponse.Topic] = []
        if let requested = request.topics {
            var seen: Set<String> = []
            for name in requested.map(\.name) where seen.insert(name).inserted {
                if let topic = snapshot.topics[name] {
                    topics.append(
                        topic.markedForDeletion
                            ? Self.topicError(.unknownTopicOrPartition, name) : describe(topic, in: snapshot))
                } else {
                    let create = request.allowAutoTopicCreation && configuration.autoCreateTopicsEnable
                    topics.append(Self.topicError(create ? await autoCreate(name) : .unknownTopicOrPartition, name))
                }
            }
        } else {
            topics = snapshot.topics.keys.sorted().compactMap { name in
                let topic = snapshot.topics[name]!
                return topic.markedForDeletion ? nil : describe(topic, in: snapshot)
            }
        }
        return MetadataResponse(
            brokers: brokers, clusterID: snapshot.clusterID, controllerID: snapshot.controller?.rawValue ?? -1,
            topics: topics)
    }

    private static func topicError(_ code: KafkaErrorCode, _ name: String) -> MetadataResponse.Topic {
        MetadataResponse.Topic(errorCode: code, name: name, partitions: [])
    }

    /// One topic: each partition's leader (LEADER_NOT_AVAILABLE while it has none, or it is not live),
    /// leader epoch, replicas, ISR and offline replicas. A topic none of whose partitions has a state
    /// yet (just created) is LEADER_NOT_AVAILABLE as a whole.
    private func describe(_ topic: MetadataCache.Topic, in snapshot: MetadataCache.Snapshot) -> MetadataResponse.Topic {
        guard topic.partitions.values.contains(where: { $0.leaderEpoch >= 0 }) else {
            return Self.topicError(.leaderNotAvailable, topic.name)
        }
        let partitions = topic.partitions.keys.sorted().map { id -> MetadataResponse.Partition in
            let partition = topic.partitions[id]!
            let leader = partition.leader.flatMap { snapshot.brokers[$0] == nil ? nil : $0 }
            return MetadataResponse.Partition(
                errorCode: leader == nil ? .leaderNotAvailable : .noError, partitionIndex: id,
                leaderID: leader?.rawValue ?? -1, leaderEpoch: partition.leaderEpoch,
                replicaNodes: partition.replicas.map(\.rawValue), isrNodes: partition.isr.map(\.rawValue),
                offlineReplicas: partition.replicas.filter { snapshot.brokers[$0] == nil }.map(\.rawValue))
        }
        return MetadataResponse.Topic(
            errorCode: .noError, name: topic.name, isInternal: topic.name == GroupCoordinator.offsetsTopic,
            partitions: partitions)
    }

    /// Creates `name` for a Metadata request; the error its topic entry gets.
    private func autoCreate(_ name: String) async -> KafkaErrorCode {
        do {
            let assignment = try await server.createTopic(name)
            logger.info(
                "auto-created topic",
                metadata: ["kafka.topic": "\(name)", "partitions": "\(assignment.partitions.count)"])
            return .leaderNotAvailable
        } catch let failure as TopicAdmin.Failure {
            // Another request (or broker) created it first: it exists, its leaders are on their way.
            if case .topicExists = failure { return .leaderNotAvailable }
            logger.debug("topic auto-creation refused", metadata: ["kafka.topic": "\(name)", "reason": "\(failure)"])
            return failure.kafkaErrorCode
        } catch {
            logger.warning("topic auto-creation failed", metadata: ["kafka.topic": "\(name)", "error": "\(error)"])
            return .leaderNotAvailable
        }
    }
}

extension TopicAdmin.Failure {
    /// The error code Kafka's admin paths answer for this failure (`AdminZkClient`, `TopicCommand`).
    var kafkaErrorCode: KafkaErrorCode {
        switch self {
        case .invalidTopicName, .topicCollides: .invalidTopicException
        case .topicExists: .topicAlreadyExists
        case .topicNotFound, .alreadyMarkedForDeletion: .unknownTopicOrPartition
        case .invalidReplicaAssignment: .invalidReplicaAssignment
        case .invalidPartitions, .assignment(.invalidPartitions): .invalidPartitions
        case .assignment(.invalidReplicationFactor), .assignment(.replicationFactorTooLarge): .invalidReplicationFactor
        case .invalidConfig: .invalidConfig
        case .concurrentModification: .unknownServerError
        case .reassignmentInProgress: .reassignmentInProgress
        case .noReassignmentInProgress: .noReassignmentInProgress
        }
    }
}
