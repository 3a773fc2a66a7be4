import Foundation
import KafkaWire
import KafkaZooKeeper
import Logging
import NIOCore
import SegmentLog

extension KafkaRequestHandler {
    /// Where a FindCoordinator key is coordinated.
    struct CoordinatorAnswer: Sendable {
        var errorCode: KafkaErrorCode
        var errorMessage: String?
        var nodeID: Int32 = -1
        var host: String = ""
        var port: Int32 = -1
    }

    /// FindCoordinator for one key (`KafkaApis.getCoordinator`): the leader of the group's
    /// `__consumer_offsets` partition, creating the topic on first use (COORDINATOR_NOT_AVAILABLE until
    /// its leaders are elected; clients retry). Transactional ids are refused: Paddock has no transaction
    /// coordinator.
    func findCoordinator(key: String, keyType: Int8) async -> CoordinatorAnswer {
        guard keyType == 0 else {
            return CoordinatorAnswer(
                errorCode: .invalidRequest,
                errorMessage: "Paddock has no transaction coordinator: transactional ids are not supported")
        }
        guard let groups else {
            return CoordinatorAnswer(errorCode: .coordinatorNotAvailable, errorMessage: "the broker is starting")
        }
        let snapshot = server.metadata.current
        guard let topic = snapshot.topics[GroupCoordinator.offsetsTopic], !topic.markedForDeletion else {
            await createOffsetsTopic(live: snapshot.brokers.count)
            return CoordinatorAnswer(errorCode: .coordinatorNotAvailable, errorMessage: "creating __consumer_offsets")
        }
        guard let leader = topic.partitions[groups.partition(of: key)]?.leader,
            let registration = snapshot.brokers[leader],
            let endpoint = registration.endpoints.first(where: { $0.listenerName == listenerName })
                ?? registration.endpoints.first
        else {
            return CoordinatorAnswer(errorCode: .coordinatorNotAvailable, errorMessage: "no leader for the group's offsets partition")
        }
        return CoordinatorAnswer(
            errorCode: .noError, nodeID: leader.rawValue, host: endpoint.host, port: Int32(exactly: endpoint.port) ?? -1)
    }

    /// Creates `__consumer_offsets` (`offsets.topic.num.partitions`, compacted, `offsets.topic.segment.bytes`)
    /// with `offsets.topic.replication.factor` replicas, or as many as there are live brokers when fewer.
    private func createOffsetsTopic(live: Int) async {
        let settings = configuration.groupCoordinator
        let replicationFactor = min(Int(settings.offsetsTopicReplicationFactor), max(live, 1))
        var random = SystemRandomNumberGenerator()
        do {
            try await server.topicAdmin.create(
                GroupCoordinator.offsetsTopic, partitions: settings.offsetsTopicPartitions,
                replicationFactor: replicationFactor,
                configs: [
                    "cleanup.policy": "compact", "compression.type": "producer",
                    "segment.bytes": String(settings.offsetsTopicSegmentBytes),
                ], random: &random)
            var metadata: Logger.Metadata = [
                "partitions": "\(settings.offsetsTopicPartitions)", "replication.factor": "\(replicationFactor)",
            ]
            if replicationFactor < settings.offsetsTopicReplicationFactor {
                metadata["offsets.topic.replication.factor"] = "\(settings.offsetsTopicReplicationFactor)"
                logger.warning("created __consumer_offsets with fewer replicas: fewer brokers are alive", metadata: metadata)
            } else {
                logger.info("created __consumer_offsets", metadata: metadata)
            }
        } catch let failure as TopicAdmin.Failure {
            if case .topicExists = failure { return }
            logger.warning("cannot create __consumer_offsets", metadata: ["reason": "\(failure)"])
        } catch {
            logger.warning("cannot create __consumer_offsets", metadata: ["error": "\(error)"])
        }
    }
}

// MARK: - Group membership and offsets

extension KafkaRequestHandler {
    /// FindCoordinator: one coordinator per key (v4 batches keys; earlier versions carry one).
    func findCoordinator(_ request: FindCoordinatorRequest) async -> FindCoordinatorResponse {
        var coordinators: [FindCoordinatorResponse.Coordinator] = []
        for key in request.keys {
            let answer = await findCoordinator(key: key, keyType: request.keyType)
            coordinators.append(
                FindCoordinatorResponse.Coordinator(
                    key: key, nodeID: answer.nodeID, host: answer.host, port: answer.port, errorCode: answer.errorCode,
                    errorMessage: answer.errorMessage))
        }
        return FindCoordinatorResponse(coordinators: coordinators)
    }

    /// JoinGroup (`KafkaApis.handleJoinGroupRequest`): parked without a `queued.max.requests` permit
    /// until the rebalance completes. v4+ members without an id first get MEMBER_ID_REQUIRED; a
    /// `group.instance.id` (v5+) makes a static member.
    func joinGroup(_ request: JoinGroupRequest, version: Int16, clientID: String, clientHost: String) async
        -> JoinGroupResponse
    {
        func failure(_ code: KafkaErrorCode) -> JoinGroupResponse {
            JoinGroupResponse(errorCode: code, protocolName: nil, leader: "", memberID: request.memberID)
        }
        guard let groups else { return failure(.coordinatorNotAvailable) }
        guard !request.groupID.isEmpty else { return failure(.invalidGroupID) }
        // Kafka's member ids end in a UUID; the client id (or instance id) goes before it.
        let suffix = UUID().uuidString.lowercased()
        let protocols = request.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) }
        // v0 has no rebalance timeout: the session timeout serves as one.
        let rebalanceTimeoutMs = version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs
        let result = await parked {
            await groups.join(request.groupID) { id in
                JoinGroupInput(
                    requestID: id, memberID: request.memberID, groupInstanceID: request.groupInstanceID,
                    clientID: clientID, clientHost: clientHost, memberIDSuffix: suffix,
                    requireKnownMemberID: version >= 4, rebalanceTimeoutMs: rebalanceTimeoutMs,
                    sessionTimeoutMs: request.sessionTimeoutMs, protocolType: request.protocolType,
                    protocols: protocols)
            }
        }
        return JoinGroupResponse(
            errorCode: result.error, generationID: result.generationID, protocolType: result.protocolType,
            protocolName: result.protocolName, leader: result.leaderID, skipAssignment: result.skipAssignment,
            memberID: result.memberID,
            members: result.members.map {
                JoinGroupResponse.Member(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: $0.metadata)
            })
    }

    /// SyncGroup: the leader's assignments; parked for a follower until the leader's arrive.
    func syncGroup(_ request: SyncGroupRequest) async -> SyncGroupResponse {
        guard let groups else { return SyncGroupResponse(errorCode: .coordinatorNotAvailable) }
        guard !request.groupID.isEmpty else { return SyncGroupResponse(errorCode: .invalidGroupID) }
        // A member named twice keeps its first assignment.
        let assignments = Dictionary(
            request.assignments.map { ($0.memberID, $0.assignment) }, uniquingKeysWith: { first, _ in first })
        let result = await parked {
            await groups.sync(
                request.groupID, memberID: request.memberID, groupInstanceID: request.groupInstanceID,
                generationID: request.generationID, protocolType: request.protocolType,
                protocolName: request.protocolName, assignments: assignments)
        }
        return SyncGroupResponse(
            errorCode: result.error, protocolType: result.protocolType, protocolName: result.protocolName,
            assignment: result.assignment)
    }

    func heartbeat(_ request: HeartbeatRequest) async -> HeartbeatResponse {
        guard let groups else { return HeartbeatResponse(errorCode: .coordinatorNotAvailable) }
        guard !request.groupID.isEmpty else { return HeartbeatResponse(errorCode: .invalidGroupID) }
        return HeartbeatResponse(
            errorCode: await groups.heartbeat(
                request.groupID, memberID: request.memberID, groupInstanceID: request.groupInstanceID,
                generationID: request.generationID))
    }

    /// LeaveGroup: v0–2 name one member and carry its error at the top level; v3+ name several.
    func leaveGroup(_ request: LeaveGroupRequest, version: Int16) async -> LeaveGroupResponse {
        guard let groups else { return LeaveGroupResponse(errorCode: .coordinatorNotAvailable) }
        guard !request.groupID.isEmpty else { return LeaveGroupResponse(errorCode: .invalidGroupID) }
        let result = await groups.leave(
            request.groupID,
            members: request.members.map { LeavingMember(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID) })
        let members = result.members.map {
            LeaveGroupResponse.Member(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, errorCode: $0.error)
        }
        if version < 3, result.error == .noError, let only = members.first {
            return LeaveGroupResponse(errorCode: only.errorCode, members: members)
        }
        return LeaveGroupResponse(errorCode: result.error, members: members)
    }

    /// OffsetCommit (`KafkaApis.handleOffsetCommitRequest`): partitions of unknown topics get
    /// UNKNOWN_TOPIC_OR_PARTITION; the rest are committed through the coordinator, acknowledged once the
    /// offsets partition's ISR has them. v1 may carry a commit timestamp, v2–4 a retention time.
    func offsetCommit(_ request: OffsetCommitRequest, version: Int16) async -> OffsetCommitResponse {
        let snapshot = server.metadata.current
        let nowMs = PartitionManager.nowMilliseconds()
        let retentionMs = configuration.groupCoordinator.offsetsRetentionMs
        var errors: [TopicPartition: KafkaErrorCode] = [:]
        var offsets: [(TopicPartition, OffsetAndMetadata)] = []
        for topic in request.topics {
            for partition in topic.partitions {
                let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                guard snapshot.partition(topicPartition) != nil else {
                    errors[topicPartition] = .unknownTopicOrPartition
                    continue
                }
                let explicitTimestamp = version == 1 && partition.commitTimestamp >= 0
                let commitTimestamp = explicitTimestamp ? partition.commitTimestamp : nowMs
                let expire: Int64? =
                    (2...4).contains(version) && request.retentionTimeMs >= 0
                    ? nowMs.addingReportingOverflow(request.retentionTimeMs).partialValue
                    : explicitTimestamp ? commitTimestamp.addingReportingOverflow(retentionMs).partialValue : nil
                offsets.append(
                    (
                        topicPartition,
                        OffsetAndMetadata(
                            offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch,
                            metadata: partition.committedMetadata ?? "", commitTimestampMs: commitTimestamp,
                            expireTimestampMs: expire)
                    ))
            }
        }
        if !offsets.isEmpty {
            if let groups {
                let committed = await parked {
                    await groups.commitOffsets(
                        request.groupID, memberID: request.memberID, groupInstanceID: request.groupInstanceID,
                        generationID: request.generationID, offsets: offsets)
                }
                errors.merge(committed) { _, new in new }
            } else {
                for (partition, _) in offsets { errors[partition] = .coordinatorNotAvailable }
            }
        }
        return OffsetCommitResponse(
            topics: request.topics.map { topic in
                OffsetCommitResponse.Topic(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        OffsetCommitResponse.Partition(
                            partitionIndex: $0.partitionIndex,
                            errorCode: errors[TopicPartition(topic.name, $0.partitionIndex)] ?? .unknownServerError)
                    })
            })
    }

    /// OffsetFetch: each group's committed offsets (v8 batches groups); a partition without a commit has
    /// offset -1. Versions 0–1 have no group-level error field: the error goes on every partition.
    func offsetFetch(_ request: OffsetFetchRequest, version: Int16) -> OffsetFetchResponse {
        OffsetFetchResponse(
            groups: request.groups.map { group in
                let requested = group.topics?.flatMap { topic in
                    topic.partitionIndexes.map { TopicPartition(topic.name, $0) }
                }
                let result: Result<[(TopicPartition, OffsetAndMetadata?)], KafkaErrorCode> =
                    groups?.fetchOffsets(group.groupID, partitions: requested) ?? .failure(.coordinatorNotAvailable)
                switch result {
                case .success(let offsets):
                    return OffsetFetchResponse.Group(groupID: group.groupID, topics: Self.fetchedTopics(offsets))
                case .failure(let error) where version < 2:
                    let failed = (requested ?? []).map { ($0, OffsetAndMetadata?.none) }
                    return OffsetFetchResponse.Group(
                        groupID: group.groupID, topics: Self.fetchedTopics(failed, error: error))
                case .failure(let error):
                    return OffsetFetchResponse.Group(groupID: group.groupID, topics: [], errorCode: error)
                }
            })
    }

    private static func fetchedTopics(
        _ offsets: [(TopicPartition, OffsetAndMetadata?)], error: KafkaErrorCode = .noError
    ) -> [OffsetFetchResponse.Topic] {
        var order: [String] = []
        var byTopic: [String: [OffsetFetchResponse.Partition]] = [:]
        for (partition, offset) in offsets {
            if byTopic[partition.topic] == nil { order.append(partition.topic) }
            byTopic[partition.topic, default: []].append(
                OffsetFetchResponse.Partition(
                    partitionIndex: partition.partition, committedOffset: offset?.offset ?? -1,
                    committedLeaderEpoch: offset?.leaderEpoch ?? -1, metadata: offset?.metadata ?? "",
                    errorCode: error))
        }
        return order.map { OffsetFetchResponse.Topic(name: $0, partitions: byTopic[$0]!) }
    }

    /// ListGroups: the groups this broker coordinates (an admin client asks every broker), filtered by
    /// state (v4, case-insensitive as in Kafka).
    func listGroups(_ request: ListGroupsRequest) -> ListGroupsResponse {
        guard let groups else { return ListGroupsResponse(errorCode: .coordinatorNotAvailable, groups: []) }
        let (error, summaries) = groups.listGroups()
        let filter = Set(request.statesFilter.map { $0.lowercased() })
        return ListGroupsResponse(
            errorCode: error,
            groups: summaries.filter { filter.isEmpty || filter.contains($0.state.lowercased()) }.map {
                ListGroupsResponse.Group(groupID: $0.groupID, protocolType: $0.protocolType, groupState: $0.state)
            })
    }

    func describeGroups(_ request: DescribeGroupsRequest) -> DescribeGroupsResponse {
        DescribeGroupsResponse(
            groups: request.groups.map { groupID in
                switch groups?.describe(groupID) ?? .failure(.coordinatorNotAvailable) {
                case .failure(let error):
                    return DescribeGroupsResponse.Group(errorCode: error, groupID: groupID)
                case .success(let summary):
                    return DescribeGroupsResponse.Group(
                        errorCode: .noError, groupID: groupID, groupState: summary.state,
                        protocolType: summary.protocolType, protocolData: summary.protocolName,
                        members: summary.members.map {
                            DescribeGroupsResponse.Member(
                                memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, clientID: $0.clientID,
                                clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                        })
                }
            })
    }

    func deleteGroups(_ request: DeleteGroupsRequest) async -> DeleteGroupsResponse {
        guard let groups else {
            return DeleteGroupsResponse(
                results: request.groupNames.map { .init(groupID: $0, errorCode: .coordinatorNotAvailable) })
        }
        let results = await groups.deleteGroups(request.groupNames)
        return DeleteGroupsResponse(results: results.map { .init(groupID: $0.0, errorCode: $0.1) })
    }

    func offsetDelete(_ request: OffsetDeleteRequest) async -> OffsetDeleteResponse {
        guard let groups else { return OffsetDeleteResponse(errorCode: .coordinatorNotAvailable, topics: []) }
        let snapshot = server.metadata.current
        var requested: [TopicPartition] = []
        var unknown: Set<TopicPartition> = []
        for topic in request.topics {
            for partition in topic.partitions {
                let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                if snapshot.partition(topicPartition) == nil { unknown.insert(topicPartition) } else { requested.append(topicPartition) }
            }
        }
        let (error, errors) = await groups.deleteOffsets(request.groupID, partitions: requested)
        guard error == .noError else { return OffsetDeleteResponse(errorCode: error, topics: []) }
        return OffsetDeleteResponse(
            errorCode: .noError,
            topics: request.topics.map { topic in
                OffsetDeleteResponse.Topic(
                    name: topic.name,
                    partitions: topic.partitions.map { partition in
                        let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                        return OffsetDeleteResponse.Partition(
                            partitionIndex: partition.partitionIndex,
                            errorCode: unknown.contains(topicPartition)
                                ? .unknownTopicOrPartition : errors[topicPartition] ?? .noError)
                    })
            })
    }
}
