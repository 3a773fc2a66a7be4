import KafkaWire
import NIOCore

// One request and one response value per API and version, with every field the version carries set to
// a distinct non-default value and every field it lacks left at the spec's default, so that a round trip
// must return the value unchanged.

/// Record bytes stand-in: opaque to this module.
let sampleRecords = buffer(hex: "000000000000000000000010cafebabe")

func sampleRequest(_ apiKey: APIKey, version v: Int16) -> KafkaRequest {
    switch apiKey {
    case .produce:
        return .produce(
            ProduceRequest(
                transactionalID: v >= 3 ? "txn-1" : nil,
                acks: -1,
                timeoutMs: 30_000,
                topicData: [
                    .init(
                        name: "orders",
                        partitionData: [.init(index: 0, records: sampleRecords), .init(index: 3, records: nil)]
                    ),
                    .init(name: "empty", partitionData: []),
                ]
            )
        )
    case .fetch:
        return .fetch(
            FetchRequest(
                replicaID: -1,
                maxWaitMs: 500,
                minBytes: 1,
                maxBytes: 52_428_800,
                isolationLevel: 1,
                sessionID: v >= 7 ? 77 : 0,
                sessionEpoch: v >= 7 ? 2 : -1,
                topics: [
                    .init(
                        topic: "orders",
                        partitions: [
                            .init(
                                partition: 1,
                                currentLeaderEpoch: v >= 9 ? 4 : -1,
                                fetchOffset: 1234,
                                logStartOffset: v >= 5 ? 10 : -1,
                                partitionMaxBytes: 1_048_576
                            )
                        ]
                    )
                ],
                forgottenTopicsData: v >= 7 ? [.init(topic: "old", partitions: [0, 2])] : [],
                rackID: v >= 11 ? "rack-a" : ""
            )
        )
    case .listOffsets:
        return .listOffsets(
            ListOffsetsRequest(
                replicaID: -1,
                isolationLevel: v >= 2 ? 1 : 0,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partitionIndex: 0, currentLeaderEpoch: v >= 4 ? 3 : -1, timestamp: -2),
                            .init(partitionIndex: 1, timestamp: 1_700_000_000_000),
                        ]
                    )
                ]
            )
        )
    case .metadata:
        return .metadata(
            MetadataRequest(
                topics: [.init(name: "orders"), .init(name: "payments")],
                allowAutoTopicCreation: v >= 4 ? false : true
            )
        )
    case .findCoordinator:
        return .findCoordinator(FindCoordinatorRequest(key: "group-1", keyType: v >= 1 ? 1 : 0))
    case .apiVersions:
        return .apiVersions(APIVersionsRequest())
    case .createTopics:
        return .createTopics(
            CreateTopicsRequest(
                topics: [
                    .init(
                        name: "orders",
                        numPartitions: -1,
                        replicationFactor: -1,
                        assignments: [.init(partitionIndex: 0, brokerIDs: [1, 2])],
                        configs: [.init(name: "cleanup.policy", value: "compact"), .init(name: "x", value: nil)]
                    )
                ],
                timeoutMs: 60_000,
                validateOnly: v >= 1
            )
        )
    case .deleteTopics:
        return .deleteTopics(DeleteTopicsRequest(topicNames: ["orders", "payments"], timeoutMs: 15_000))
    case .initProducerID:
        return .initProducerID(
            InitProducerIDRequest(
                transactionalID: "txn-1",
                transactionTimeoutMs: 60_000,
                producerID: v >= 3 ? 4000 : -1,
                producerEpoch: v >= 3 ? 7 : -1
            )
        )
    case .offsetForLeaderEpoch:
        return .offsetForLeaderEpoch(
            OffsetForLeaderEpochRequest(
                replicaID: v >= 3 ? -1 : -2,
                topics: [
                    .init(topic: "orders", partitions: [.init(partition: 2, currentLeaderEpoch: 5, leaderEpoch: 4)])
                ]
            )
        )
    case .describeConfigs:
        return .describeConfigs(
            DescribeConfigsRequest(
                resources: [
                    .init(resourceType: 2, resourceName: "orders", configurationKeys: nil),
                    .init(resourceType: 4, resourceName: "1", configurationKeys: ["log.retention.ms"]),
                ],
                includeSynonyms: v >= 1,
                includeDocumentation: v >= 3
            )
        )
    case .controlledShutdown:
        return .controlledShutdown(ControlledShutdownRequest(brokerID: 3, brokerEpoch: v >= 2 ? 4_294_967_381 : -1))
    case .createPartitions:
        return .createPartitions(
            CreatePartitionsRequest(
                topics: [
                    .init(name: "orders", count: 6, assignments: [.init(brokerIDs: [1, 2]), .init(brokerIDs: [2, 3])]),
                    .init(name: "events", count: 4, assignments: nil),
                ],
                timeoutMs: 15_000,
                validateOnly: true
            )
        )
    case .electLeaders:
        return .electLeaders(
            ElectLeadersRequest(
                electionType: v >= 1 ? 1 : 0,
                topicPartitions: [.init(topic: "orders", partitions: [0, 2])],
                timeoutMs: 15_000
            )
        )
    case .alterPartitionReassignments:
        return .alterPartitionReassignments(
            AlterPartitionReassignmentsRequest(
                timeoutMs: 15_000,
                topics: [
                    .init(name: "orders", partitions: [.init(partitionIndex: 0, replicas: [2, 3]), .init(partitionIndex: 1, replicas: nil)]),
                    .init(name: "events", partitions: []),
                ]
            )
        )
    case .listPartitionReassignments:
        return .listPartitionReassignments(
            ListPartitionReassignmentsRequest(timeoutMs: 15_000, topics: [.init(name: "orders", partitionIndexes: [0, 2])])
        )
    // The consumer-group APIs: GroupSamples.swift.
    case .joinGroup: return .joinGroup(GroupSamples.joinGroupRequest(v))
    case .syncGroup: return .syncGroup(GroupSamples.syncGroupRequest(v))
    case .heartbeat: return .heartbeat(GroupSamples.heartbeatRequest(v))
    case .leaveGroup: return .leaveGroup(GroupSamples.leaveGroupRequest(v))
    case .offsetCommit: return .offsetCommit(GroupSamples.offsetCommitRequest(v))
    case .offsetFetch: return .offsetFetch(GroupSamples.offsetFetchRequest(v))
    case .listGroups: return .listGroups(GroupSamples.listGroupsRequest(v))
    case .describeGroups: return .describeGroups(GroupSamples.describeGroupsRequest(v))
    case .deleteGroups: return .deleteGroups(GroupSamples.deleteGroupsRequest(v))
    case .offsetDelete: return .offsetDelete(GroupSamples.offsetDeleteRequest())
    default:
        preconditionFailure("no sample request for \(apiKey)")
    }
}

func sampleResponse(_ apiKey: APIKey, version v: Int16) -> KafkaResponse {
    switch apiKey {
    case .produce:
        let partition = ProduceResponse.PartitionResponse(
            index: 3,
            errorCode: v >= 8 ? .invalidRecord : .noError,
            baseOffset: 42,
            logAppendTimeMs: v >= 2 ? 1_700_000_000_000 : -1,
            logStartOffset: v >= 5 ? 7 : -1,
            recordErrors: v >= 8
                ? [
                    .init(batchIndex: 1, batchIndexErrorMessage: "bad"),
                    .init(batchIndex: 2, batchIndexErrorMessage: nil),
                ] : [],
            errorMessage: v >= 8 ? "dropped" : nil
        )
        return .produce(
            ProduceResponse(
                responses: [.init(name: "orders", partitionResponses: [partition])],
                throttleTimeMs: v >= 1 ? 9 : 0
            )
        )
    case .fetch:
        return .fetch(
            FetchResponse(
                throttleTimeMs: 3,
                errorCode: v >= 7 ? .fetchSessionIDNotFound : .noError,
                sessionID: v >= 7 ? 77 : 0,
                responses: [
                    .init(
                        topic: "orders",
                        partitions: [
                            .init(
                                partitionIndex: 1,
                                errorCode: .noError,
                                highWatermark: 100,
                                lastStableOffset: 90,
                                logStartOffset: v >= 5 ? 5 : -1,
                                abortedTransactions: [.init(producerID: 1000, firstOffset: 80)],
                                preferredReadReplica: v >= 11 ? 2 : -1,
                                records: sampleRecords
                            ),
                            .init(partitionIndex: 2, errorCode: .offsetOutOfRange, highWatermark: -1, records: nil),
                        ]
                    )
                ]
            )
        )
    case .listOffsets:
        return .listOffsets(
            ListOffsetsResponse(
                throttleTimeMs: v >= 2 ? 4 : 0,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(
                                partitionIndex: 0,
                                errorCode: .noError,
                                timestamp: -1,
                                offset: 55,
                                leaderEpoch: v >= 4 ? 3 : -1
                            ),
                            .init(partitionIndex: 9, errorCode: .unknownTopicOrPartition),
                        ]
                    )
                ]
            )
        )
    case .metadata:
        return .metadata(
            MetadataResponse(
                throttleTimeMs: v >= 3 ? 1 : 0,
                brokers: [
                    .init(nodeID: 1, host: "127.0.0.1", port: 9092, rack: v >= 1 ? "rack-a" : nil),
                    .init(nodeID: 2, host: "127.0.0.2", port: 9093),
                ],
                clusterID: v >= 2 ? "paddock-cluster" : nil,
                controllerID: v >= 1 ? 1 : -1,
                topics: [
                    .init(
                        errorCode: .noError,
                        name: "orders",
                        isInternal: false,
                        partitions: [
                            .init(
                                errorCode: .noError,
                                partitionIndex: 0,
                                leaderID: 1,
                                leaderEpoch: v >= 7 ? 6 : -1,
                                replicaNodes: [1, 2],
                                isrNodes: [1],
                                offlineReplicas: v >= 5 ? [2] : []
                            )
                        ]
                    ),
                    .init(errorCode: .unknownTopicOrPartition, name: "missing", isInternal: v >= 1, partitions: []),
                ]
            )
        )
    case .findCoordinator:
        return .findCoordinator(
            FindCoordinatorResponse(
                throttleTimeMs: v >= 1 ? 2 : 0,
                errorCode: .coordinatorNotAvailable,
                errorMessage: v >= 1 ? "loading" : nil,
                nodeID: -1,
                host: "",
                port: -1
            )
        )
    case .apiVersions:
        return .apiVersions(APIVersionsResponse.supported(throttleTimeMs: v >= 1 ? 8 : 0))
    case .createTopics:
        return .createTopics(
            CreateTopicsResponse(
                throttleTimeMs: v >= 2 ? 5 : 0,
                topics: [
                    .init(name: "orders", errorCode: .noError),
                    .init(
                        name: "dup",
                        errorCode: .topicAlreadyExists,
                        errorMessage: v >= 1 ? "Topic 'dup' already exists." : nil
                    ),
                ]
            )
        )
    case .deleteTopics:
        return .deleteTopics(
            DeleteTopicsResponse(
                throttleTimeMs: v >= 1 ? 6 : 0,
                responses: [
                    .init(name: "orders", errorCode: .noError), .init(name: "x", errorCode: .unknownTopicOrPartition),
                ]
            )
        )
    case .initProducerID:
        return .initProducerID(
            InitProducerIDResponse(throttleTimeMs: 1, errorCode: .noError, producerID: 4000, producerEpoch: 2)
        )
    case .offsetForLeaderEpoch:
        return .offsetForLeaderEpoch(
            OffsetForLeaderEpochResponse(
                throttleTimeMs: 7,
                topics: [
                    .init(
                        topic: "orders",
                        partitions: [
                            .init(errorCode: .noError, partition: 2, leaderEpoch: 4, endOffset: 1000),
                            .init(errorCode: .fencedLeaderEpoch, partition: 3),
                        ]
                    )
                ]
            )
        )
    case .describeConfigs:
        let config = DescribeConfigsResponse.Config(
            name: "cleanup.policy",
            value: "compact",
            readOnly: false,
            isDefault: v == 0,
            configSource: v >= 1 ? 1 : -1,
            isSensitive: false,
            synonyms: v >= 1 ? [.init(name: "log.cleanup.policy", value: "delete", source: 5)] : [],
            configType: v >= 3 ? 7 : 0,
            documentation: v >= 3 ? "The retention policy." : nil
        )
        let secret = DescribeConfigsResponse.Config(name: "password", value: nil, readOnly: true, isSensitive: true)
        return .describeConfigs(
            DescribeConfigsResponse(
                throttleTimeMs: 0,
                results: [
                    .init(errorCode: .noError, resourceType: 2, resourceName: "orders", configs: [config, secret]),
                    .init(
                        errorCode: .unknownTopicOrPartition,
                        errorMessage: "no such topic",
                        resourceType: 2,
                        resourceName: "gone",
                        configs: []
                    ),
                ]
            )
        )
    case .controlledShutdown:
        return .controlledShutdown(
            ControlledShutdownResponse(
                errorCode: .noError,
                remainingPartitions: [.init(topicName: "orders", partitionIndex: 2), .init(topicName: "events", partitionIndex: 0)]
            )
        )
    case .createPartitions:
        return .createPartitions(
            CreatePartitionsResponse(
                throttleTimeMs: 5,
                results: [
                    .init(name: "orders", errorCode: .noError),
                    .init(name: "events", errorCode: .invalidPartitions, errorMessage: "not an increase"),
                ]
            )
        )
    case .electLeaders:
        return .electLeaders(
            ElectLeadersResponse(
                throttleTimeMs: 5,
                errorCode: v >= 1 ? .clusterAuthorizationFailed : .noError,
                replicaElectionResults: [
                    .init(
                        topic: "orders",
                        partitionResult: [
                            .init(partitionID: 0, errorCode: .noError),
                            .init(partitionID: 2, errorCode: .preferredLeaderNotAvailable, errorMessage: "not in sync"),
                        ]
                    )
                ]
            )
        )
    case .alterPartitionReassignments:
        return .alterPartitionReassignments(
            AlterPartitionReassignmentsResponse(
                throttleTimeMs: 5,
                errorCode: .noError,
                errorMessage: nil,
                responses: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partitionIndex: 0, errorCode: .noError),
                            .init(partitionIndex: 1, errorCode: .noReassignmentInProgress, errorMessage: "none"),
                        ]
                    )
                ]
            )
        )
    case .listPartitionReassignments:
        return .listPartitionReassignments(
            ListPartitionReassignmentsResponse(
                throttleTimeMs: 5,
                errorCode: .noError,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [.init(partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1])]
                    )
                ]
            )
        )
    // The consumer-group APIs: GroupSamples.swift.
    case .joinGroup: return .joinGroup(GroupSamples.joinGroupResponse(v))
    case .syncGroup: return .syncGroup(GroupSamples.syncGroupResponse(v))
    case .heartbeat: return .heartbeat(GroupSamples.heartbeatResponse(v))
    case .leaveGroup: return .leaveGroup(GroupSamples.leaveGroupResponse(v))
    case .offsetCommit: return .offsetCommit(GroupSamples.offsetCommitResponse(v))
    case .offsetFetch: return .offsetFetch(GroupSamples.offsetFetchResponse(v))
    case .listGroups: return .listGroups(GroupSamples.listGroupsResponse(v))
    case .describeGroups: return .describeGroups(GroupSamples.describeGroupsResponse(v))
    case .deleteGroups: return .deleteGroups(GroupSamples.deleteGroupsResponse(v))
    case .offsetDelete: return .offsetDelete(GroupSamples.offsetDeleteResponse())
    default:
        preconditionFailure("no sample response for \(apiKey)")
    }
}
