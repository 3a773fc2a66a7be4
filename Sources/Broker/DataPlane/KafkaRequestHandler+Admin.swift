import KafkaWire
import KafkaZooKeeper
import Logging
import SegmentLog

extension KafkaRequestHandler {
    // MARK: - CreateTopics

    /// CreateTopics v0–4 (`ZkAdminManager.createTopics`): each topic is validated, then written through
    /// `TopicAdmin` (config znode, then assignment znode); the response waits up to `timeout_ms` for the
    /// controller to elect every new partition's leader (REQUEST_TIMED_OUT for those still waiting).
    /// -1 partitions or replication factor means the broker default (v4+); explicit assignments need
    /// both to be -1. `validate_only` checks everything and writes nothing.
    func createTopics(_ request: CreateTopicsRequest) async -> CreateTopicsResponse {
        let snapshot = server.metadata.current
        let counts = Dictionary(request.topics.map { ($0.name, 1) }, uniquingKeysWith: +)
        var results: [CreateTopicsResponse.TopicResult] = []
        var created: [String: Int] = [:]
        for topic in request.topics {
            let outcome: (code: KafkaErrorCode, message: String?)
            if counts[topic.name]! > 1 {
                outcome = (.invalidRequest, "Create topics request contains multiple entries for topic \(topic.name)")
            } else {
                outcome = await create(topic, validateOnly: request.validateOnly, snapshot: snapshot)
                if outcome.code == .noError && !request.validateOnly {
                    created[topic.name] =
                        topic.assignments.isEmpty
                        ? Int(topic.numPartitions == -1 ? configuration.numPartitions : topic.numPartitions)
                        : topic.assignments.count
                }
            }
            results.append(
                CreateTopicsResponse.TopicResult(
                    name: topic.name, errorCode: outcome.code, errorMessage: outcome.message))
        }
        if !created.isEmpty && request.timeoutMs > 0 {
            let expected = created
            let ready = await waitForMetadata(timeoutMs: request.timeoutMs) { snapshot in
                expected.allSatisfy { name, count in Self.hasLeaders(snapshot.topics[name], partitions: count) }
            }
            if !ready {
                let current = server.metadata.current
                for index in results.indices
                where created[results[index].name].map({
                    !Self.hasLeaders(current.topics[results[index].name], partitions: $0)
                }) == true {
                    results[index].errorCode = .requestTimedOut
                    results[index].errorMessage =
                        "Timed out waiting for the controller to elect the partitions' leaders."
                }
            }
        }
        return CreateTopicsResponse(topics: results)
    }

    private static func hasLeaders(_ topic: MetadataCache.Topic?, partitions: Int) -> Bool {
        guard let topic else { return false }
        return topic.partitions.count == partitions && topic.partitions.values.allSatisfy { $0.leader != nil }
    }

    private func create(
        _ topic: CreateTopicsRequest.Topic, validateOnly: Bool, snapshot: MetadataCache.Snapshot
    ) async -> (code: KafkaErrorCode, message: String?) {
        let name = topic.name
        if let problem = TopicName.problem(name) { return (.invalidTopicException, problem) }
        if snapshot.topics[name] != nil {
            return (.topicAlreadyExists, TopicAdmin.Failure.topicExists(name).description)
        }
        var assignment: [Int32: [BrokerID]]?
        var partitionCount = topic.numPartitions == -1 ? configuration.numPartitions : topic.numPartitions
        let replicationFactor =
            topic.replicationFactor == -1 ? configuration.defaultReplicationFactor : topic.replicationFactor
        if !topic.assignments.isEmpty {
            guard topic.numPartitions == -1, topic.replicationFactor == -1 else {
                return (
                    .invalidRequest,
                    "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."
                )
            }
            guard topic.assignments.count <= Int(configuration.maxPartitionsPerTopic) else {
                return (.invalidPartitions, Self.tooManyPartitions(topic.assignments.count, configuration))
            }
            let explicit = Dictionary(
                topic.assignments.map { ($0.partitionIndex, $0.brokerIDs.map { BrokerID($0) }) },
                uniquingKeysWith: { first, _ in first })
            do throws(TopicAdmin.Failure) {
                try TopicAdmin.validate(explicit)
            } catch {
                return (.invalidReplicaAssignment, error.description)
            }
            guard explicit.keys.sorted() == Array(0..<Int32(explicit.count)) else {
                return (.invalidReplicaAssignment, "Partitions must be numbered consecutively from 0.")
            }
            let unknown = Set(explicit.values.joined()).filter { snapshot.brokers[$0] == nil }
            guard unknown.isEmpty else {
                return (
                    .invalidReplicaAssignment,
                    "Unknown broker(s) in replica assignment: \(unknown.sorted().map(\.description).joined(separator: ", "))."
                )
            }
            assignment = explicit
            partitionCount = Int32(explicit.count)
        } else {
            guard partitionCount > 0 else { return (.invalidPartitions, "Number of partitions must be larger than 0.") }
            guard partitionCount <= configuration.maxPartitionsPerTopic else {
                return (.invalidPartitions, Self.tooManyPartitions(Int(partitionCount), configuration))
            }
            guard replicationFactor > 0 else {
                return (.invalidReplicationFactor, "Replication factor must be larger than 0.")
            }
            guard Int(replicationFactor) <= snapshot.brokers.count else {
                return (
                    .invalidReplicationFactor,
                    "Replication factor: \(replicationFactor) larger than available brokers: \(snapshot.brokers.count)."
                )
            }
        }
        var configs: [String: String] = [:]
        for config in topic.configs {
            guard let value = config.value else {
                return (.invalidConfig, "Null value not supported for topic config \(config.name)")
            }
            configs[config.name] = value
        }
        do throws(BrokerConfiguration.Problem) {
            _ = try TopicConfig(broker: configuration, overrides: configs)
        } catch {
            return (.invalidConfig, error.description)
        }
        guard !validateOnly else { return (.noError, nil) }
        do {
            var random = SystemRandomNumberGenerator()
            try await server.topicAdmin.create(
                name, partitions: partitionCount, replicationFactor: Int(replicationFactor), assignment: assignment,
                configs: configs, random: &random)
            logger.info("created topic", metadata: ["kafka.topic": "\(name)", "partitions": "\(partitionCount)"])
            return (.noError, nil)
        } catch let failure as TopicAdmin.Failure {
            return (failure.kafkaErrorCode, failure.description)
        } catch {
            logger.warning("topic creation failed", metadata: ["kafka.topic": "\(name)", "error": "\(error)"])
            return (.unknownServerError, "\(error)")
        }
    }

    static func tooManyPartitions(_ count: Int, _ configuration: BrokerConfiguration) -> String {
        "Number of partitions \(count) is larger than paddock.max.partitions.per.topic "
            + "(\(configuration.maxPartitionsPerTopic))."
    }

    // MARK: - DeleteTopics

    /// DeleteTopics v0–3 (`KafkaApis.handleDeleteTopicsRequest`): marks each topic under
    /// `/admin/delete_topics` and waits up to `timeout_ms` for the controller to remove it
    /// (REQUEST_TIMED_OUT for those still there). With `delete.topic.enable=false`: INVALID_REQUEST
    /// before v3, TOPIC_DELETION_DISABLED from v3, as Kafka.
    func deleteTopics(_ request: DeleteTopicsRequest, version: Int16) async -> DeleteTopicsResponse {
        let snapshot = server.metadata.current
        var results: [DeleteTopicsResponse.TopicResult] = []
        var marked: [String] = []
        var seen: Set<String> = []
        for name in request.topicNames where seen.insert(name).inserted {
            let code: KafkaErrorCode
            if !configuration.deleteTopicEnable {
                code = version >= 3 ? .topicDeletionDisabled : .invalidRequest
            } else if snapshot.topics[name] == nil {
                code = .unknownTopicOrPartition
            } else {
                code = await markForDeletion(name)
            }
            if code == .noError { marked.append(name) }
            results.append(DeleteTopicsResponse.TopicResult(name: name, errorCode: code))
        }
        if !marked.isEmpty && request.timeoutMs > 0 {
            let doomed = marked
            let gone = await waitForMetadata(timeoutMs: request.timeoutMs) { snapshot in
                doomed.allSatisfy { snapshot.topics[$0] == nil }
            }
            if !gone {
                let current = server.metadata.current
                for index in results.indices
                where marked.contains(results[index].name) && current.topics[results[index].name] != nil {
                    results[index].errorCode = .requestTimedOut
                }
            }
        }
        return DeleteTopicsResponse(responses: results)
    }

    private func markForDeletion(_ name: String) async -> KafkaErrorCode {
        do {
            try await server.topicAdmin.delete(name)
            logger.info("topic marked for deletion", metadata: ["kafka.topic": "\(name)"])
            return .noError
        } catch TopicAdmin.Failure.alreadyMarkedForDeletion {
            return .noError  // already on its way out: wait for it like the first request did
        } catch let failure as TopicAdmin.Failure {
            return failure.kafkaErrorCode
        } catch {
            logger.warning("topic deletion failed", metadata: ["kafka.topic": "\(name)", "error": "\(error)"])
            return .unknownServerError
        }
    }

    /// Waits until `condition` holds for the metadata cache, at most `timeoutMs`; whether it held.
    func waitForMetadata(
        timeoutMs: Int32, until condition: @escaping @Sendable (MetadataCache.Snapshot) -> Bool
    ) async -> Bool {
        let updates = server.metadata.updates()
        return await parked { await Self.firstToHold(updates, condition, timeoutMs: timeoutMs) }
    }

    private static func firstToHold(
        _ updates: AsyncStream<MetadataCache.Snapshot>,
        _ condition: @escaping @Sendable (MetadataCache.Snapshot) -> Bool, timeoutMs: Int32
    ) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await snapshot in updates where condition(snapshot) { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))  // cancelled when the condition held first
                return false
            }
            let held = await group.next()!
            group.cancelAll()
            return held
        }
    }

    // MARK: - DescribeConfigs

    /// DescribeConfigs v0–3 for topics (type 2: every topic-level key with its effective value, overrides
    /// marked as DYNAMIC_TOPIC_CONFIG) and this broker (type 4, name = its id or empty: the
    /// `server.properties` values Paddock uses, STATIC_BROKER_CONFIG, read-only).
    func describeConfigs(_ request: DescribeConfigsRequest) async -> DescribeConfigsResponse {
        var results: [DescribeConfigsResponse.Result] = []
        var seen: Set<DescribeConfigsRequest.Resource> = []
        for resource in request.resources {
            var result = DescribeConfigsResponse.Result(
                errorCode: .noError, errorMessage: nil, resourceType: resource.resourceType,
                resourceName: resource.resourceName, configs: [])
            // A resource asked for again gets an error, not its entries again: a frame of repeated
            // resources would otherwise answer with thousands of times its own size.
            guard seen.insert(resource).inserted else {
                result.errorCode = .invalidRequest
                result.errorMessage = "Duplicate resource"
                results.append(result)
                continue
            }
            switch await configEntries(of: resource) {
            case .success(let (entries, source, readOnly)):
                let keys = resource.configurationKeys.map(Set.init)
                result.configs = entries.filter { keys?.contains($0.name) ?? true }.map { entry in
                    let entrySource = entry.isOverride ? Self.dynamicTopicConfig : source
                    return DescribeConfigsResponse.Config(
                        name: entry.name, value: entry.value, readOnly: readOnly,
                        isDefault: entrySource == Self.defaultConfig,
                        configSource: entrySource, isSensitive: false,
                        synonyms: request.includeSynonyms
                            ? [.init(name: entry.name, value: entry.value, source: entrySource)] : [],
                        configType: entry.type.rawValue)
                }
            case .failure(let failure):
                result.errorCode = failure.code
                result.errorMessage = failure.message
            }
            results.append(result)
        }
        return DescribeConfigsResponse(results: results)
    }

    /// `DescribeConfigsResponse.ConfigSource` values.
    private static let dynamicTopicConfig: Int8 = 1
    private static let staticBrokerConfig: Int8 = 4
    private static let defaultConfig: Int8 = 5

    private struct DescribeFailure: Error {
        var code: KafkaErrorCode
        var message: String
    }

    private func configEntries(
        of resource: DescribeConfigsRequest.Resource
    ) async -> Result<(entries: [TopicConfig.Entry], source: Int8, readOnly: Bool), DescribeFailure> {
        switch resource.resourceType {
        case 2:
            let name = resource.resourceName
            guard server.metadata.current.topics[name]?.markedForDeletion == false else {
                return .failure(
                    DescribeFailure(code: .unknownTopicOrPartition, message: "Topic \(name) does not exist"))
            }
            do {
                let config = try TopicConfig(
                    broker: configuration, overrides: try await server.topicConfigOverrides(name))
                return .success((config.entries, Self.defaultConfig, false))
            } catch let problem as BrokerConfiguration.Problem {
                return .failure(DescribeFailure(code: .invalidConfig, message: problem.description))
            } catch {
                logger.warning("cannot read topic config", metadata: ["kafka.topic": "\(name)", "error": "\(error)"])
                return .failure(DescribeFailure(code: .unknownServerError, message: "\(error)"))
            }
        case 4:
            guard resource.resourceName.isEmpty || resource.resourceName == String(brokerID.rawValue) else {
                return .failure(
                    DescribeFailure(
                        code: .invalidRequest,
                        message:
                            "Unexpected broker id, expected \(brokerID) or empty string, but received \(resource.resourceName)"
                    ))
            }
            return .success((configuration.describedEntries, Self.staticBrokerConfig, true))
        default:
            return .failure(
                DescribeFailure(code: .invalidRequest, message: "Unsupported resource type \(resource.resourceType)"))
        }
    }
}
