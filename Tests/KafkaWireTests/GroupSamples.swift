import KafkaWire
import NIOCore
import Testing

// One request and one response value per consumer-group API and version (`Samples.swift` uses them too), with every field the version carries set to
// a non-default value and every field it lacks left at the spec's default, so that a round trip must
// return the value unchanged.

/// One message at one version, as a test argument.
struct GroupSample: Sendable, CustomTestStringConvertible {
    var message: any KafkaMessage
    var version: Int16

    var testDescription: String { "\(type(of: self.message)) v\(self.version)" }
}

/// The samples.
enum GroupSamples {
    /// The bytes `values`.
    static func bytes(_ values: UInt8...) -> ByteBuffer {
        ByteBuffer(bytes: values)
    }

    /// Every request and response of the group APIs at every version this module implements.
    static let all: [GroupSample] = [
        samples(0...4) { [findCoordinatorRequest($0), findCoordinatorResponse($0)] },
        samples(0...9) { [joinGroupRequest($0), joinGroupResponse($0)] },
        samples(0...5) { [syncGroupRequest($0), syncGroupResponse($0)] },
        samples(0...4) { [heartbeatRequest($0), heartbeatResponse($0)] },
        samples(0...5) { [leaveGroupRequest($0), leaveGroupResponse($0)] },
        samples(0...8) { [offsetCommitRequest($0), offsetCommitResponse($0)] },
        samples(0...8) { [offsetFetchRequest($0), offsetFetchResponse($0)] },
        samples(0...4) { [listGroupsRequest($0), listGroupsResponse($0)] },
        samples(0...5) { [describeGroupsRequest($0), describeGroupsResponse($0)] },
        samples(0...2) { [deleteGroupsRequest($0), deleteGroupsResponse($0)] },
        samples(0...0) { _ in [offsetDeleteRequest(), offsetDeleteResponse()] },
    ].flatMap { $0 }

    /// `make`'s messages at each of `versions`.
    private static func samples(
        _ versions: ClosedRange<Int16>,
        _ make: (Int16) -> [any KafkaMessage]
    ) -> [GroupSample] {
        versions.flatMap { version in make(version).map { GroupSample(message: $0, version: version) } }
    }

    static func findCoordinatorRequest(_ v: Int16) -> FindCoordinatorRequest {
        FindCoordinatorRequest(keys: v >= 4 ? ["group-1", "group-2"] : ["group-1"], keyType: v >= 1 ? 1 : 0)
    }

    static func findCoordinatorResponse(_ v: Int16) -> FindCoordinatorResponse {
        guard v >= 4 else {
            return FindCoordinatorResponse(
                throttleTimeMs: v >= 1 ? 2 : 0,
                errorCode: .noError,
                errorMessage: v >= 1 ? "found" : nil,
                nodeID: 3,
                host: "broker-3",
                port: 9092
            )
        }
        return FindCoordinatorResponse(
            throttleTimeMs: 2,
            coordinators: [
                .init(key: "group-1", nodeID: 3, host: "broker-3", port: 9092),
                .init(
                    key: "group-2", nodeID: -1, host: "", port: -1, errorCode: .coordinatorLoadInProgress,
                    errorMessage: "x"),
            ]
        )
    }

    static func joinGroupRequest(_ v: Int16) -> JoinGroupRequest {
        JoinGroupRequest(
            groupID: "group-1",
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: v >= 1 ? 300_000 : -1,
            memberID: "member-1",
            groupInstanceID: v >= 5 ? "instance-1" : nil,
            protocolType: "consumer",
            protocols: [.init(name: "range", metadata: bytes(0, 1, 2)), .init(name: "sticky", metadata: ByteBuffer())],
            reason: v >= 8 ? "rejoin" : nil
        )
    }

    static func joinGroupResponse(_ v: Int16) -> JoinGroupResponse {
        JoinGroupResponse(
            throttleTimeMs: v >= 2 ? 7 : 0,
            errorCode: .noError,
            generationID: 4,
            protocolType: v >= 7 ? "consumer" : nil,
            protocolName: "range",
            leader: "member-1",
            skipAssignment: v >= 9,
            memberID: "member-2",
            members: [
                .init(memberID: "member-1", groupInstanceID: v >= 5 ? "instance-1" : nil, metadata: bytes(1)),
                .init(memberID: "member-2", metadata: ByteBuffer()),
            ]
        )
    }

    static func syncGroupRequest(_ v: Int16) -> SyncGroupRequest {
        SyncGroupRequest(
            groupID: "group-1",
            generationID: 4,
            memberID: "member-1",
            groupInstanceID: v >= 3 ? "instance-1" : nil,
            protocolType: v >= 5 ? "consumer" : nil,
            protocolName: v >= 5 ? "range" : nil,
            assignments: [
                .init(memberID: "member-1", assignment: bytes(0, 0, 0, 1)),
                .init(memberID: "member-2", assignment: ByteBuffer()),
            ]
        )
    }

    static func syncGroupResponse(_ v: Int16) -> SyncGroupResponse {
        SyncGroupResponse(
            throttleTimeMs: v >= 1 ? 3 : 0,
            errorCode: .rebalanceInProgress,
            protocolType: v >= 5 ? "consumer" : nil,
            protocolName: v >= 5 ? "range" : nil,
            assignment: bytes(9, 8)
        )
    }

    static func heartbeatRequest(_ v: Int16) -> HeartbeatRequest {
        HeartbeatRequest(
            groupID: "group-1", generationID: 4, memberID: "member-1", groupInstanceID: v >= 3 ? "i-1" : nil)
    }

    static func heartbeatResponse(_ v: Int16) -> HeartbeatResponse {
        HeartbeatResponse(throttleTimeMs: v >= 1 ? 1 : 0, errorCode: .illegalGeneration)
    }

    static func leaveGroupRequest(_ v: Int16) -> LeaveGroupRequest {
        guard v >= 3 else { return LeaveGroupRequest(groupID: "group-1", memberID: "member-1") }
        return LeaveGroupRequest(
            groupID: "group-1",
            members: [
                .init(memberID: "member-1", reason: v >= 5 ? "closing" : nil),
                .init(memberID: "", groupInstanceID: "instance-1"),
            ]
        )
    }

    static func leaveGroupResponse(_ v: Int16) -> LeaveGroupResponse {
        LeaveGroupResponse(
            throttleTimeMs: v >= 1 ? 6 : 0,
            errorCode: v >= 3 ? .noError : .unknownMemberID,
            members: v >= 3
                ? [
                    .init(memberID: "member-1", errorCode: .noError),
                    .init(memberID: "", groupInstanceID: "instance-1", errorCode: .unknownMemberID),
                ] : []
        )
    }

    static func offsetCommitRequest(_ v: Int16) -> OffsetCommitRequest {
        OffsetCommitRequest(
            groupID: "group-1",
            generationID: v >= 1 ? 4 : -1,
            memberID: v >= 1 ? "member-1" : "",
            groupInstanceID: v >= 7 ? "instance-1" : nil,
            retentionTimeMs: (2...4).contains(v) ? 86_400_000 : -1,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(
                            partitionIndex: 0,
                            committedOffset: 42,
                            committedLeaderEpoch: v >= 6 ? 3 : -1,
                            commitTimestamp: v == 1 ? 1_700_000_000_000 : -1,
                            committedMetadata: "meta"
                        ),
                        .init(partitionIndex: 1, committedOffset: 7, committedMetadata: nil),
                    ]
                ),
                .init(name: "empty", partitions: []),
            ]
        )
    }

    static func offsetCommitResponse(_ v: Int16) -> OffsetCommitResponse {
        OffsetCommitResponse(
            throttleTimeMs: v >= 3 ? 4 : 0,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partitionIndex: 0, errorCode: .noError),
                        .init(partitionIndex: 1, errorCode: .offsetMetadataTooLarge),
                    ]
                )
            ]
        )
    }

    static func offsetFetchRequest(_ v: Int16) -> OffsetFetchRequest {
        let topics: [OffsetFetchRequest.Topic] = [
            .init(name: "orders", partitionIndexes: [0, 1]), .init(name: "b", partitionIndexes: []),
        ]
        guard v >= 8 else {
            // Null (all topics) from v2, on every other version.
            return OffsetFetchRequest(
                groupID: "group-1", topics: v >= 2 && v % 2 == 0 ? nil : topics, requireStable: v >= 7)
        }
        return OffsetFetchRequest(groups: [
            .init(groupID: "group-1", topics: topics), .init(groupID: "group-2", topics: nil),
        ])
    }

    static func offsetFetchResponse(_ v: Int16) -> OffsetFetchResponse {
        let topics: [OffsetFetchResponse.Topic] = [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 0,
                        committedOffset: 42,
                        committedLeaderEpoch: v >= 5 ? 3 : -1,
                        metadata: "meta"
                    ),
                    .init(partitionIndex: 1, committedOffset: -1, metadata: nil, errorCode: .unstableOffsetCommit),
                ]
            )
        ]
        guard v >= 8 else {
            return OffsetFetchResponse(
                throttleTimeMs: v >= 3 ? 5 : 0, errorCode: v >= 2 ? .notCoordinator : .noError, topics: topics)
        }
        return OffsetFetchResponse(
            throttleTimeMs: 5,
            groups: [
                .init(groupID: "group-1", topics: topics),
                .init(groupID: "group-2", topics: [], errorCode: .groupAuthorizationFailed),
            ]
        )
    }

    static func listGroupsRequest(_ v: Int16) -> ListGroupsRequest {
        ListGroupsRequest(statesFilter: v >= 4 ? ["Stable", "Empty"] : [])
    }

    static func listGroupsResponse(_ v: Int16) -> ListGroupsResponse {
        ListGroupsResponse(
            throttleTimeMs: v >= 1 ? 8 : 0,
            errorCode: .coordinatorLoadInProgress,
            groups: [
                .init(groupID: "group-1", protocolType: "consumer", groupState: v >= 4 ? "Stable" : ""),
                .init(groupID: "group-2", protocolType: "", groupState: v >= 4 ? "Empty" : ""),
            ]
        )
    }

    static func describeGroupsRequest(_ v: Int16) -> DescribeGroupsRequest {
        DescribeGroupsRequest(groups: ["group-1", "group-2"], includeAuthorizedOperations: v >= 3)
    }

    static func describeGroupsResponse(_ v: Int16) -> DescribeGroupsResponse {
        DescribeGroupsResponse(
            throttleTimeMs: v >= 1 ? 9 : 0,
            groups: [
                .init(
                    errorCode: .noError,
                    groupID: "group-1",
                    groupState: "Stable",
                    protocolType: "consumer",
                    protocolData: "range",
                    members: [
                        .init(
                            memberID: "member-1",
                            groupInstanceID: v >= 4 ? "instance-1" : nil,
                            clientID: "client-1",
                            clientHost: "/127.0.0.1",
                            memberMetadata: bytes(0, 1),
                            memberAssignment: bytes(0, 0, 0, 1)
                        )
                    ],
                    authorizedOperations: v >= 3 ? 268 : Int32.min
                ),
                .init(errorCode: .groupAuthorizationFailed, groupID: "group-2"),
            ]
        )
    }

    static func deleteGroupsRequest(_ v: Int16) -> DeleteGroupsRequest {
        DeleteGroupsRequest(groupNames: ["group-1", "group-2"])
    }

    static func deleteGroupsResponse(_ v: Int16) -> DeleteGroupsResponse {
        DeleteGroupsResponse(
            throttleTimeMs: 10,
            results: [
                .init(groupID: "group-1", errorCode: .noError), .init(groupID: "group-2", errorCode: .nonEmptyGroup),
            ]
        )
    }

    static func offsetDeleteRequest() -> OffsetDeleteRequest {
        OffsetDeleteRequest(
            groupID: "group-1",
            topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 2)])]
        )
    }

    static func offsetDeleteResponse() -> OffsetDeleteResponse {
        OffsetDeleteResponse(
            errorCode: .noError,
            throttleTimeMs: 11,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partitionIndex: 0, errorCode: .noError),
                        .init(partitionIndex: 2, errorCode: .groupSubscribedToTopic),
                    ]
                )
            ]
        )
    }
}
