import KafkaWire
import NIOCore

/// The input is what a client sends on one broker connection: size-prefixed request frames. Each is
/// decoded as the broker does (every API key and version it advertises), re-encoded at its version and
/// decoded again, and answered with the responses the broker builds without cluster state: ApiVersions,
/// FindCoordinator, and error answers to Metadata, Produce (after validating its record batches),
/// CreateTopics (quoting the name as the broker's topic-name check does) and DeleteTopics that quote
/// what the client sent.
func fuzzKafka(_ bytes: UnsafeRawBufferPointer) {
    var stream = ByteBuffer(bytes: bytes)
    var decoder = KafkaFrameDecoder(maxFrameSize: 1 << 20)
    while true {
        let frame: ByteBuffer?
        do {
            frame = try decoder.decode(buffer: &stream) ?? decoder.decodeLast(buffer: &stream, seenEOF: true)
        } catch {
            return
        }
        guard let frame else { return }
        switch KafkaRequestFrame.decode(frame) {
        case .request(let header, let request):
            var encoded = ByteBuffer()
            KafkaRequestFrame.encode(
                request, version: header.apiVersion, correlationID: header.correlationID, clientID: header.clientID,
                into: &encoded)
            encoded.moveReaderIndex(forwardBy: 4)
            guard case .request(_, let again) = KafkaRequestFrame.decode(encoded) else {
                preconditionFailure("\(header.apiKey) v\(header.apiVersion) request does not decode after encoding")
            }
            if let response = kafkaResponse(to: again, version: header.apiVersion) {
                var out = ByteBuffer()
                KafkaResponseFrame.encode(
                    response, version: header.apiVersion, correlationID: header.correlationID, into: &out)
            }
        case .unsupportedVersion(let header) where header.apiKey == .apiVersions:
            var out = ByteBuffer()
            KafkaResponseFrame.encode(
                .apiVersions(.unsupportedVersion()), version: 0, correlationID: header.correlationID, into: &out)
        case .unsupportedVersion, .unknownAPIKey, .malformed:
            return
        }
    }
}

/// The stateless part of the broker's answer to `request`; nil for APIs whose answer needs cluster state.
private func kafkaResponse(to request: KafkaRequest, version: Int16) -> KafkaResponse? {
    switch request {
    case .apiVersions:
        return .apiVersions(.supported())
    case .findCoordinator(let body):
        return .findCoordinator(
            FindCoordinatorResponse(
                coordinators: body.keys.map {
                    FindCoordinatorResponse.Coordinator(
                        key: $0, nodeID: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable,
                        errorMessage: "no leader for the group's offsets partition")
                }))
    // The group APIs as a broker that coordinates no group answers them: every field encoded at `version`.
    case .joinGroup(let body):
        return .joinGroup(JoinGroupResponse(errorCode: .notCoordinator, protocolName: nil, leader: "", memberID: body.memberID))
    case .syncGroup:
        return .syncGroup(SyncGroupResponse(errorCode: .notCoordinator))
    case .heartbeat:
        return .heartbeat(HeartbeatResponse(errorCode: .notCoordinator))
    case .leaveGroup(let body):
        return .leaveGroup(
            LeaveGroupResponse(
                errorCode: .notCoordinator,
                members: body.members.map {
                    LeaveGroupResponse.Member(
                        memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, errorCode: .notCoordinator)
                }))
    case .offsetCommit(let body):
        return .offsetCommit(
            OffsetCommitResponse(
                topics: body.topics.map { topic in
                    OffsetCommitResponse.Topic(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            OffsetCommitResponse.Partition(partitionIndex: $0.partitionIndex, errorCode: .notCoordinator)
                        })
                }))
    case .offsetFetch(let body):
        return .offsetFetch(
            OffsetFetchResponse(
                groups: body.groups.map { OffsetFetchResponse.Group(groupID: $0.groupID, topics: [], errorCode: .notCoordinator) }))
    case .listGroups:
        return .listGroups(ListGroupsResponse(groups: []))
    case .describeGroups(let body):
        return .describeGroups(
            DescribeGroupsResponse(
                groups: body.groups.map { DescribeGroupsResponse.Group(errorCode: .notCoordinator, groupID: $0) }))
    case .deleteGroups(let body):
        return .deleteGroups(
            DeleteGroupsResponse(
                results: body.groupNames.map { DeleteGroupsResponse.Result(groupID: $0, errorCode: .notCoordinator) }))
    case .offsetDelete:
        return .offsetDelete(OffsetDeleteResponse(errorCode: .notCoordinator, topics: []))
    case .metadata(let body):
        let topics = (body.topics ?? []).map { topic in
            MetadataResponse.Topic(errorCode: .unknownTopicOrPartition, name: topic.name, partitions: [])
        }
        return .metadata(
            MetadataResponse(
                brokers: [MetadataResponse.Broker(nodeID: 1, host: "127.0.0.1", port: 9092)], clusterID: "fuzz",
                controllerID: 1, topics: topics))
    case .produce(let body):
        let responses = body.topicData.map { topic in
            ProduceResponse.TopicResponse(
                name: topic.name,
                partitionResponses: topic.partitionData.map { partition in
                    let message: String?
                    do throws(RecordBatchError) {
                        _ = try ProduceRecordBatches(
                            validating: partition.records ?? ByteBuffer(), maxBatchBytes: 1_048_588)
                        message = nil
                    } catch {
                        message = "\(error)"
                    }
                    return ProduceResponse.PartitionResponse(
                        index: partition.index, errorCode: .notLeaderOrFollower, baseOffset: -1, errorMessage: message)
                })
        }
        return .produce(ProduceResponse(responses: responses))
    case .createTopics(let body):
        let counts = Dictionary(body.topics.map { ($0.name, 1) }, uniquingKeysWith: +)
        return .createTopics(
            CreateTopicsResponse(
                topics: body.topics.map { topic in
                    let message =
                        counts[topic.name, default: 0] > 1
                        ? "Create topics request contains multiple entries for topic \(topic.name)"
                        : topic.name.utf8.count > 249
                            ? "Topic name is illegal, it can't be longer than 249 characters, topic name: \(topic.name)"
                            : "Topic '\(topic.name)' already exists."
                    return CreateTopicsResponse.TopicResult(
                        name: topic.name, errorCode: .invalidTopicException, errorMessage: message)
                }))
    case .deleteTopics(let body):
        return .deleteTopics(
            DeleteTopicsResponse(
                responses: body.topicNames.map {
                    DeleteTopicsResponse.TopicResult(name: $0, errorCode: .unknownTopicOrPartition)
                }
            ))
    case .fetch, .listOffsets, .initProducerID, .offsetForLeaderEpoch, .describeConfigs, .controlledShutdown,
        .createPartitions, .electLeaders, .alterPartitionReassignments, .listPartitionReassignments:
        return nil
    }
}
