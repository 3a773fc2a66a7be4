import KafkaWire
import KafkaZooKeeper
import Logging
import SegmentLog

extension KafkaRequestHandler {
    // MARK: - ControlledShutdown

    /// ControlledShutdown v1–2 (`KafkaApis.handleControlledShutdownRequest`): on the controller, moves the
    /// stopping broker's leaderships and answers what it still leads; NOT_CONTROLLER elsewhere.
    func controlledShutdown(_ request: ControlledShutdownRequest) async -> ControlledShutdownResponse {
        let broker = BrokerID(request.brokerID)
        guard request.brokerID >= 0 else { return ControlledShutdownResponse(errorCode: .invalidRequest) }
        guard
            let remaining = await parked({
                await server.requestControlledShutdown(broker: broker, brokerEpoch: request.brokerEpoch)
            })
        else { return ControlledShutdownResponse(errorCode: .notController) }
        logger.info(
            "answered controlled shutdown",
            metadata: ["broker": "\(broker)", "remaining": "\(remaining.map(\.description).joined(separator: ","))"])
        return ControlledShutdownResponse(
            errorCode: .noError,
            remainingPartitions: remaining.map { .init(topicName: $0.topic, partitionIndex: $0.partition) })
    }

    // MARK: - ElectLeaders

    /// ElectLeaders v0–1 (`KafkaApis.handleElectLeaders`), preferred elections only: asks the controller
    /// through `/admin/preferred_replica_election` and waits up to `timeout_ms` for each partition to be
    /// led by its preferred replica. Per partition: ELECTION_NOT_NEEDED when it already is,
    /// PREFERRED_LEADER_NOT_AVAILABLE when that replica is not live or not in the ISR,
    /// UNKNOWN_TOPIC_OR_PARTITION, REQUEST_TIMED_OUT. Unclean elections (type 1) get INVALID_REQUEST:
    /// Paddock elects uncleanly only where `unclean.leader.election.enable` allows it.
    func electLeaders(_ request: ElectLeadersRequest, version: Int16) async -> ElectLeadersResponse {
        let snapshot = server.metadata.current
        var asked: [TopicPartition] = []
        if let topics = request.topicPartitions {
            for topic in topics { asked += topic.partitions.map { TopicPartition(topic.topic, $0) } }
        } else {
            asked = snapshot.topics.values.flatMap { topic in topic.partitions.keys.map { TopicPartition(topic.name, $0) } }
        }
        asked = Array(Set(asked)).sorted()
        var codes: [TopicPartition: (KafkaErrorCode, String?)] = [:]
        var toElect: [TopicPartition] = []
        for partition in asked {
            guard request.electionType == 0 else {
                codes[partition] = (.invalidRequest, "Only preferred leader elections are supported")
                continue
            }
            guard let info = snapshot.partition(partition) else {
                codes[partition] = (.unknownTopicOrPartition, nil)
                continue
            }
            guard let preferred = info.replicas.first, info.leader != preferred else {
                codes[partition] = (.electionNotNeeded, nil)
                continue
            }
            guard snapshot.brokers[preferred] != nil, info.isr.contains(preferred) else {
                codes[partition] = (
                    .preferredLeaderNotAvailable,
                    "Failed to elect leader for partition \(partition) under strategy PreferredReplicaPartitionLeaderElectionStrategy"
                )
                continue
            }
            toElect.append(partition)
        }
        if !toElect.isEmpty {
            do {
                _ = try await server.topicAdmin.requestPreferredElection(toElect)
                logger.info("preferred leader election requested", metadata: ["partitions": "\(toElect.count)"])
                let wanted = toElect
                _ = await waitForMetadata(timeoutMs: max(request.timeoutMs, 0)) { snapshot in
                    wanted.allSatisfy { snapshot.partition($0).map { $0.leader == $0.replicas.first } ?? true }
                }
                let current = server.metadata.current
                for partition in toElect {
                    let led = current.partition(partition).map { $0.leader == $0.replicas.first } ?? false
                    codes[partition] = led ? (.noError, nil) : (.requestTimedOut, nil)
                }
            } catch {
                logger.warning("preferred leader election request failed", metadata: ["error": "\(error)"])
                for partition in toElect { codes[partition] = (.unknownServerError, "\(error)") }
            }
        }
        let byTopic = Dictionary(grouping: asked, by: \.topic)
        return ElectLeadersResponse(
            errorCode: .noError,
            replicaElectionResults: byTopic.keys.sorted().map { topic in
                .init(
                    topic: topic,
                    partitionResult: byTopic[topic, default: []].map { partition in
                        let (code, message) = codes[partition] ?? (.unknownServerError, nil)
                        return .init(partitionID: partition.partition, errorCode: code, errorMessage: message)
                    })
            })
    }

    // MARK: - CreatePartitions

    /// CreatePartitions v0–1 (`KafkaApis.handleCreatePartitionsRequest`, `AdminZkClient.addPartitions`):
    /// grows each topic to `count` partitions, placing the new ones as given or as Kafka's assignment
    /// does, and waits up to `timeout_ms` for the controller to elect their leaders.
    func createPartitions(_ request: CreatePartitionsRequest) async -> CreatePartitionsResponse {
        var results: [CreatePartitionsResponse.Result] = []
        var grown: [(String, Int32)] = []
        var seen: Set<String> = []
        for topic in request.topics {
            guard seen.insert(topic.name).inserted else {
                results.append(.init(name: topic.name, errorCode: .invalidRequest, errorMessage: "Duplicate topic in request."))
                continue
            }
            guard let current = server.metadata.current.topics[topic.name], !current.markedForDeletion else {
                results.append(.init(name: topic.name, errorCode: .unknownTopicOrPartition))
                continue
            }
            guard topic.count <= configuration.maxPartitionsPerTopic else {
                results.append(
                    .init(
                        name: topic.name, errorCode: .invalidPartitions,
                        errorMessage: Self.tooManyPartitions(Int(topic.count), configuration)))
                continue
            }
            guard topic.count > Int32(current.partitions.count) else {
                results.append(
                    .init(
                        name: topic.name, errorCode: .invalidPartitions,
                        errorMessage: "Topic currently has \(current.partitions.count) partitions, which is higher than or "
                            + "equal to the requested \(topic.count)."))
                continue
            }
            guard !request.validateOnly else {
                results.append(.init(name: topic.name, errorCode: .noError))
                continue
            }
            do {
                let assignments = topic.assignments?.map { $0.brokerIDs.map { BrokerID($0) } }
                try await server.topicAdmin.addPartitions(topic.name, to: topic.count, assignments: assignments)
                logger.info("partitions added", metadata: ["kafka.topic": "\(topic.name)", "partitions": "\(topic.count)"])
                grown.append((topic.name, topic.count))
                results.append(.init(name: topic.name, errorCode: .noError))
            } catch let failure as TopicAdmin.Failure {
                results.append(.init(name: topic.name, errorCode: failure.kafkaErrorCode, errorMessage: failure.description))
            } catch {
                logger.warning("adding partitions failed", metadata: ["kafka.topic": "\(topic.name)", "error": "\(error)"])
                results.append(.init(name: topic.name, errorCode: .unknownServerError, errorMessage: "\(error)"))
            }
        }
        if !grown.isEmpty && request.timeoutMs > 0 {
            let wanted = grown
            _ = await waitForMetadata(timeoutMs: request.timeoutMs) { snapshot in
                wanted.allSatisfy { name, count in
                    (0..<count).allSatisfy { snapshot.partition(TopicPartition(name, $0))?.leader != nil }
                }
            }
        }
        return CreatePartitionsResponse(results: results)
    }

    // MARK: - Partition reassignments (KIP-455)

    /// AlterPartitionReassignments v0: validates each partition's target (known partition, 1...1000
    /// distinct registered brokers) and submits them through `/admin/reassign_partitions`, merged with
    /// any reassignment already running; a null target cancels (the replicas go back). Answered once
    /// submitted, as Kafka answers once the controller has started them; progress is
    /// ListPartitionReassignments'.
    func alterPartitionReassignments(
        _ request: AlterPartitionReassignmentsRequest
    ) async -> AlterPartitionReassignmentsResponse {
        let snapshot = server.metadata.current
        var codes: [TopicPartition: (KafkaErrorCode, String?)] = [:]
        var changes: [TopicPartition: [BrokerID]?] = [:]
        for topic in request.topics {
            for asked in topic.partitions {
                let partition = TopicPartition(topic.name, asked.partitionIndex)
                guard snapshot.partition(partition) != nil, snapshot.topics[topic.name]?.markedForDeletion == false else {
                    codes[partition] = (.unknownTopicOrPartition, nil)
                    continue
                }
                guard let replicas = asked.replicas else {
                    changes[partition] = .some(nil)
                    continue
                }
                let ids = replicas.map { BrokerID($0) }
                guard !ids.isEmpty, ids.count <= PartitionReassignmentPayload.maxReplicas, Set(ids).count == ids.count,
                    ids.allSatisfy({ snapshot.brokers[$0] != nil })
                else {
                    codes[partition] = (
                        .invalidReplicaAssignment,
                        "The replica assignment \(replicas) must name distinct registered brokers"
                    )
                    continue
                }
                changes[partition] = .some(ids)
            }
        }
        if !changes.isEmpty {
            do {
                let refused = try await server.topicAdmin.submitReassignments(changes)
                for partition in changes.keys {
                    if let failure = refused[partition] {
                        codes[partition] = (failure.kafkaErrorCode, failure.description)
                    } else {
                        codes[partition] = (.noError, nil)
                    }
                }
                logger.info(
                    "partition reassignments submitted",
                    metadata: ["partitions": "\(changes.count - refused.count)", "refused": "\(refused.count)"])
            } catch {
                logger.warning("partition reassignment request failed", metadata: ["error": "\(error)"])
                for partition in changes.keys { codes[partition] = (.unknownServerError, "\(error)") }
            }
        }
        return AlterPartitionReassignmentsResponse(
            errorCode: .noError,
            responses: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map { asked in
                        let (code, message) = codes[TopicPartition(topic.name, asked.partitionIndex)] ?? (.unknownServerError, nil)
                        return .init(partitionIndex: asked.partitionIndex, errorCode: code, errorMessage: message)
                    })
            })
    }

    /// ListPartitionReassignments v0: every reassignment in progress (or those of the named partitions),
    /// with the replicas, and those being added and removed, as the topic znodes hold them.
    func listPartitionReassignments(
        _ request: ListPartitionReassignmentsRequest
    ) async -> ListPartitionReassignmentsResponse {
        let wanted = request.topics.map { topics in
            Set(topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic.name, $0) } })
        }
        do {
            let ongoing = try await server.topicAdmin.ongoingReassignments(wanted)
            let byTopic = Dictionary(grouping: ongoing.keys, by: \.topic)
            return ListPartitionReassignmentsResponse(
                errorCode: .noError,
                topics: byTopic.keys.sorted().map { name in
                    .init(
                        name: name,
                        partitions: byTopic[name, default: []].sorted().map { partition in
                            let plan = ongoing[partition]!
                            return .init(
                                partitionIndex: partition.partition, replicas: plan.replicas.map(\.rawValue),
                                addingReplicas: plan.adding.map(\.rawValue), removingReplicas: plan.removing.map(\.rawValue))
                        })
                })
        } catch {
            logger.warning("listing partition reassignments failed", metadata: ["error": "\(error)"])
            return ListPartitionReassignmentsResponse(errorCode: .unknownServerError, errorMessage: "\(error)", topics: [])
        }
    }
}
