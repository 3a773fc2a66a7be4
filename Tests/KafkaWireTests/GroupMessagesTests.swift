import KafkaWire
import NIOCore
import Testing

/// Message bodies (no request or response header) as kafka-python 3.0.12 (PyPI; the compatibility suite's
/// client) encodes them. How they were produced: a throwaway script built each message with
/// `kafka.protocol.consumer.group`, `kafka.protocol.metadata.find_coordinator` and
/// `kafka.protocol.admin.groups` (which generate their codecs from Kafka's JSON specs), called
/// `encode(version=…)`, checked that `decode` read it back, and printed `bytes.hex()`. The values are the
/// ones in `GroupMessagesTests.golden`: group "paddock-group", topic "orders", member "m-1", instance
/// "instance-1", …. The script is not kept.
enum GroupFixtures {
    static let joinGroupRequestV1 =
        "000d706164646f636b2d67726f757000002710000493e000000008636f6e73756d657200000002000572616e67650000"
        + "00020001000a726f756e64726f62696e00000003000203"
    static let joinGroupRequestV5 =
        "000d706164646f636b2d67726f757000002710000493e000036d2d31000a696e7374616e63652d310008636f6e73756d"
        + "657200000002000572616e6765000000020001000a726f756e64726f62696e00000003000203"
    static let joinGroupRequestV9 =
        "0e706164646f636b2d67726f75700000afc8000493e0046d2d310009636f6e73756d6572030672616e6765030001000b"
        + "726f756e64726f62696e04000203000772656a6f696e00"
    static let joinGroupResponseV1 =
        "000000000003000572616e676500036d2d3100036d2d310000000100036d2d31000000020001"
    static let joinGroupResponseV5 =
        "00000000000000000003000572616e676500036d2d3100036d2d320000000200036d2d31000a696e7374616e63652d31"
        + "00000002000100036d2d32ffff00000000"
    static let joinGroupResponseV9 = "00000005004fffffffff00000100046d2d330100"
    static let joinGroupResponseV7 =
        "0000000000000000000409636f6e73756d65720672616e6765046d2d31046d2d3103046d2d310b696e7374616e63652d"
        + "3103000100046d2d3200010000"
    static let syncGroupRequestV3 =
        "000d706164646f636b2d67726f75700000000300036d2d31000a696e7374616e63652d310000000200036d2d31000000"
        + "040000000100036d2d3200000000"
    static let syncGroupRequestV5 =
        "0e706164646f636b2d67726f757000000003046d2d320009636f6e73756d65720672616e67650100"
    static let syncGroupResponseV0 = "00000000000400000001"
    static let syncGroupResponseV5 = "00000000001b09636f6e73756d65720672616e67650100"
    static let heartbeatRequestV0 = "000d706164646f636b2d67726f75700000000300036d2d31"
    static let heartbeatRequestV4 = "0e706164646f636b2d67726f757000000003046d2d310b696e7374616e63652d3100"
    static let heartbeatResponseV0 = "001b"
    static let heartbeatResponseV4 = "00000000000000"
    static let leaveGroupRequestV0 = "000d706164646f636b2d67726f757000036d2d31"
    static let leaveGroupRequestV3 =
        "000d706164646f636b2d67726f75700000000200036d2d31ffff0000000a696e7374616e63652d31"
    static let leaveGroupRequestV5 =
        "0e706164646f636b2d67726f757002046d2d31001d74686520636f6e73756d6572206973206265696e6720636c6f7365"
        + "640000"
    static let leaveGroupResponseV0 = "0019"
    static let leaveGroupResponseV3 =
        "0000000000000000000200036d2d31ffff00000000000a696e7374616e63652d310019"
    static let leaveGroupResponseV5 = "00000000000002046d2d310000000000"
    static let offsetCommitRequestV1 =
        "000d706164646f636b2d67726f75700000000300036d2d310000000100066f7264657273000000010000000000000000"
        + "0000002a0000018bcfe568000000"
    static let offsetCommitRequestV2 =
        "000d706164646f636b2d67726f7570ffffffff0000ffffffffffffffff0000000100066f726465727300000002000000"
        + "00000000000000002affff00000001000000000000000700046d657461"
    static let offsetCommitRequestV8 =
        "0e706164646f636b2d67726f757000000003046d2d310b696e7374616e63652d3102076f726465727302000000020000"
        + "0000000003e80000000501000000"
    static let offsetCommitResponseV2 = "0000000100066f726465727300000002000000000000000000010016"
    static let offsetCommitResponseV8 = "0000000002076f726465727302000000020000000000"
    static let offsetFetchRequestV1 =
        "000d706164646f636b2d67726f75700000000100066f7264657273000000020000000000000001"
    static let offsetFetchRequestV2AllTopics = "000d706164646f636b2d67726f7570ffffffff"
    static let offsetFetchRequestV7 = "0e706164646f636b2d67726f757002076f72646572730200000002000100"
    static let offsetFetchRequestV8 =
        "030e706164646f636b2d67726f757002076f726465727303000000000000000100000c6f746865722d67726f75700000"
        + "0000"
    static let offsetFetchResponseV1 =
        "0000000100066f72646572730000000200000000000000000000002a0000000000000001ffffffffffffffff00000000"
    static let offsetFetchResponseV5 =
        "000000000000000100066f72646572730000000100000000000000000000002a00000003ffff00000000"
    static let offsetFetchResponseV7 = "0000000001001000"
    static let offsetFetchResponseV8 =
        "00000000030e706164646f636b2d67726f757002076f72646572730200000000000000000000002a0000000301000000"
        + "000000000c6f746865722d67726f75700100450000"
    static let findCoordinatorRequestV3 = "0e706164646f636b2d67726f75700000"
    static let findCoordinatorRequestV4 = "00030e706164646f636b2d67726f75700c6f746865722d67726f757000"
    static let findCoordinatorResponseV0 = "00000000000100093132372e302e302e3100002384"
    static let findCoordinatorResponseV3 = "00000000000f00ffffffff01ffffffff00"
    static let findCoordinatorResponseV4 =
        "00000000030e706164646f636b2d67726f7570000000010a3132372e302e302e3100002384000000000c6f746865722d"
        + "67726f7570ffffffff01ffffffff000f086c6f6164696e670000"
    static let describeGroupsRequestV0 = "00000002000d706164646f636b2d67726f7570000b6f746865722d67726f7570"
    static let describeGroupsRequestV5 = "020e706164646f636b2d67726f75700100"
    static let describeGroupsResponseV0 =
        "000000010000000d706164646f636b2d67726f75700006537461626c650008636f6e73756d6572000572616e67650000"
        + "000100036d2d31000e706164646f636b2d676f6c64656e000a2f3132372e302e302e3100000002000100000004000000"
        + "01"
    static let describeGroupsResponseV5 =
        "000000000300000e706164646f636b2d67726f757007537461626c6509636f6e73756d65720672616e676502046d2d31"
        + "0b696e7374616e63652d310f706164646f636b2d676f6c64656e0b2f3132372e302e302e310300010500000001000000"
        + "010c0000450c6f746865722d67726f75700544656164010101800000000000"
    static let listGroupsRequestV0 = ""
    static let listGroupsRequestV4 = "0307537461626c6506456d70747900"
    static let listGroupsResponseV1 =
        "00000000000000000001000d706164646f636b2d67726f75700008636f6e73756d6572"
    static let listGroupsResponseV4 =
        "000000000000030e706164646f636b2d67726f757009636f6e73756d657207537461626c65000c6f746865722d67726f"
        + "757009636f6e73756d657206456d7074790000"
    static let deleteGroupsRequestV1 = "00000001000d706164646f636b2d67726f7570"
    static let deleteGroupsRequestV2 = "030e706164646f636b2d67726f75700c6f746865722d67726f757000"
    static let deleteGroupsResponseV2 =
        "00000000030e706164646f636b2d67726f75700000000c6f746865722d67726f757000440000"
    static let offsetDeleteRequestV0 =
        "000d706164646f636b2d67726f75700000000100066f7264657273000000020000000000000001"
    static let offsetDeleteResponseV0 = "0000000000000000000100066f726465727300000002000000000000000000010056"
}

/// One kafka-python encoding and the value it encodes.
struct GroupGolden: Sendable, CustomTestStringConvertible {
    var name: String
    var hex: String
    var version: Int16
    var message: any KafkaMessage

    var testDescription: String { self.name }
}

/// The consumer-group codecs: every version round-trips, kafka-python's bytes decode to the values it was
/// given and the encoders write those bytes back exactly, and cut or hostile input throws.
@Suite struct GroupMessagesTests {
    // MARK: - Helpers (also used by the other message suites)

    /// Decodes `M` from all of `buffer`.
    static func decode<M: KafkaMessage>(
        _: M.Type,
        from buffer: ByteBuffer,
        version: Int16
    ) throws(KafkaWireError) -> M {
        var reader = KafkaReader(buffer)
        let message = try M(from: &reader, version: version)
        try reader.expectEnd(context: "\(M.self) v\(version)")
        return message
    }

    /// `message` encoded at `version`.
    static func encode(_ message: some KafkaMessage, version: Int16) -> ByteBuffer {
        written { message.write(to: &$0, version: version) }
    }

    /// Decoding every strict prefix of `whole` as `message`'s type throws.
    static func expectEveryCutThrows<M: KafkaMessage>(as message: M, whole: ByteBuffer, version: Int16) {
        for length in 0..<whole.readableBytes {
            #expect(throws: KafkaWireError.self, "\(M.self) v\(version) cut to \(length) bytes") {
                _ = try Self.decode(
                    M.self, from: whole.getSlice(at: whole.readerIndex, length: length)!, version: version)
            }
        }
    }

    /// Encoding `message` at `version` and decoding it gives it back.
    private static func roundTrip<M: KafkaMessage>(_ message: M, version: Int16) throws {
        let decoded = try Self.decode(M.self, from: Self.encode(message, version: version), version: version)
        #expect(decoded == message)
    }

    /// `hex` decodes to `expected`, and `expected` encodes to `hex`.
    static func checkGolden<M: KafkaMessage>(_ expected: M, hex: String, version: Int16) throws {
        #expect(try Self.decode(M.self, from: buffer(hex: hex), version: version) == expected)
        #expect(Self.encode(expected, version: version).hex == hex)
    }

    // MARK: - Round trips

    @Test(arguments: GroupSamples.all)
    func roundTripsAtEveryVersion(sample: GroupSample) throws {
        try Self.roundTrip(sample.message, version: sample.version)
    }

    @Test(arguments: GroupSamples.all)
    func everyCutSampleThrows(sample: GroupSample) {
        let whole = Self.encode(sample.message, version: sample.version)
        Self.expectEveryCutThrows(as: sample.message, whole: whole, version: sample.version)
    }

    // MARK: - kafka-python

    private static let group = "paddock-group"
    private static let other = "other-group"
    private static let protocols: [JoinGroupRequest.GroupProtocol] = [
        .init(name: "range", metadata: GroupSamples.bytes(0, 1)),
        .init(name: "roundrobin", metadata: GroupSamples.bytes(0, 2, 3)),
    ]
    private static let joinMembers: [JoinGroupResponse.Member] = [
        .init(memberID: "m-1", groupInstanceID: "instance-1", metadata: GroupSamples.bytes(0, 1)),
        .init(memberID: "m-2", metadata: ByteBuffer()),
    ]
    private static func describedMember(version: Int16) -> DescribeGroupsResponse.Member {
        DescribeGroupsResponse.Member(
            memberID: "m-1",
            groupInstanceID: version >= 4 ? "instance-1" : nil,
            clientID: "paddock-golden",
            clientHost: "/127.0.0.1",
            memberMetadata: GroupSamples.bytes(0, 1),
            memberAssignment: GroupSamples.bytes(0, 0, 0, 1)
        )
    }

    /// What `GroupFixtures` encode.
    static let golden: [GroupGolden] = [
        GroupGolden(
            name: "JoinGroupRequest v1",
            hex: GroupFixtures.joinGroupRequestV1,
            version: 1,
            message: JoinGroupRequest(
                groupID: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 300_000, memberID: "",
                protocolType: "consumer", protocols: protocols)
        ),
        GroupGolden(
            name: "JoinGroupRequest v5",
            hex: GroupFixtures.joinGroupRequestV5,
            version: 5,
            message: JoinGroupRequest(
                groupID: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 300_000, memberID: "m-1",
                groupInstanceID: "instance-1", protocolType: "consumer", protocols: protocols)
        ),
        GroupGolden(
            name: "JoinGroupRequest v9",
            hex: GroupFixtures.joinGroupRequestV9,
            version: 9,
            message: JoinGroupRequest(
                groupID: group, sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000, memberID: "m-1",
                protocolType: "consumer", protocols: protocols, reason: "rejoin")
        ),
        GroupGolden(
            name: "JoinGroupResponse v1",
            hex: GroupFixtures.joinGroupResponseV1,
            version: 1,
            message: JoinGroupResponse(
                errorCode: .noError, generationID: 3, protocolName: "range", leader: "m-1", memberID: "m-1",
                members: [.init(memberID: "m-1", metadata: GroupSamples.bytes(0, 1))])
        ),
        GroupGolden(
            name: "JoinGroupResponse v5",
            hex: GroupFixtures.joinGroupResponseV5,
            version: 5,
            message: JoinGroupResponse(
                errorCode: .noError, generationID: 3, protocolName: "range", leader: "m-1", memberID: "m-2",
                members: joinMembers)
        ),
        GroupGolden(
            name: "JoinGroupResponse v7",
            hex: GroupFixtures.joinGroupResponseV7,
            version: 7,
            message: JoinGroupResponse(
                errorCode: .noError, generationID: 4, protocolType: "consumer", protocolName: "range", leader: "m-1",
                memberID: "m-1", members: joinMembers)
        ),
        GroupGolden(
            name: "JoinGroupResponse v9",
            hex: GroupFixtures.joinGroupResponseV9,
            version: 9,
            message: JoinGroupResponse(
                throttleTimeMs: 5, errorCode: .memberIDRequired, generationID: -1, protocolName: nil, leader: "",
                memberID: "m-3")
        ),
        GroupGolden(
            name: "SyncGroupRequest v3",
            hex: GroupFixtures.syncGroupRequestV3,
            version: 3,
            message: SyncGroupRequest(
                groupID: group, generationID: 3, memberID: "m-1", groupInstanceID: "instance-1",
                assignments: [
                    .init(memberID: "m-1", assignment: GroupSamples.bytes(0, 0, 0, 1)),
                    .init(memberID: "m-2", assignment: ByteBuffer()),
                ])
        ),
        GroupGolden(
            name: "SyncGroupRequest v5",
            hex: GroupFixtures.syncGroupRequestV5,
            version: 5,
            message: SyncGroupRequest(
                groupID: group, generationID: 3, memberID: "m-2", protocolType: "consumer", protocolName: "range")
        ),
        GroupGolden(
            name: "SyncGroupResponse v0",
            hex: GroupFixtures.syncGroupResponseV0,
            version: 0,
            message: SyncGroupResponse(errorCode: .noError, assignment: GroupSamples.bytes(0, 0, 0, 1))
        ),
        GroupGolden(
            name: "SyncGroupResponse v5",
            hex: GroupFixtures.syncGroupResponseV5,
            version: 5,
            message: SyncGroupResponse(errorCode: .rebalanceInProgress, protocolType: "consumer", protocolName: "range")
        ),
        GroupGolden(
            name: "HeartbeatRequest v0",
            hex: GroupFixtures.heartbeatRequestV0,
            version: 0,
            message: HeartbeatRequest(groupID: group, generationID: 3, memberID: "m-1")
        ),
        GroupGolden(
            name: "HeartbeatRequest v4",
            hex: GroupFixtures.heartbeatRequestV4,
            version: 4,
            message: HeartbeatRequest(groupID: group, generationID: 3, memberID: "m-1", groupInstanceID: "instance-1")
        ),
        GroupGolden(
            name: "HeartbeatResponse v0",
            hex: GroupFixtures.heartbeatResponseV0,
            version: 0,
            message: HeartbeatResponse(errorCode: .rebalanceInProgress)
        ),
        GroupGolden(
            name: "HeartbeatResponse v4",
            hex: GroupFixtures.heartbeatResponseV4,
            version: 4,
            message: HeartbeatResponse(errorCode: .noError)
        ),
        GroupGolden(
            name: "LeaveGroupRequest v0",
            hex: GroupFixtures.leaveGroupRequestV0,
            version: 0,
            message: LeaveGroupRequest(groupID: group, memberID: "m-1")
        ),
        GroupGolden(
            name: "LeaveGroupRequest v3",
            hex: GroupFixtures.leaveGroupRequestV3,
            version: 3,
            message: LeaveGroupRequest(
                groupID: group, members: [.init(memberID: "m-1"), .init(memberID: "", groupInstanceID: "instance-1")])
        ),
        GroupGolden(
            name: "LeaveGroupRequest v5",
            hex: GroupFixtures.leaveGroupRequestV5,
            version: 5,
            message: LeaveGroupRequest(
                groupID: group, members: [.init(memberID: "m-1", reason: "the consumer is being closed")])
        ),
        GroupGolden(
            name: "LeaveGroupResponse v0",
            hex: GroupFixtures.leaveGroupResponseV0,
            version: 0,
            message: LeaveGroupResponse(errorCode: .unknownMemberID)
        ),
        GroupGolden(
            name: "LeaveGroupResponse v3",
            hex: GroupFixtures.leaveGroupResponseV3,
            version: 3,
            message: LeaveGroupResponse(
                errorCode: .noError,
                members: [
                    .init(memberID: "m-1", errorCode: .noError),
                    .init(memberID: "", groupInstanceID: "instance-1", errorCode: .unknownMemberID),
                ])
        ),
        GroupGolden(
            name: "LeaveGroupResponse v5",
            hex: GroupFixtures.leaveGroupResponseV5,
            version: 5,
            message: LeaveGroupResponse(errorCode: .noError, members: [.init(memberID: "m-1", errorCode: .noError)])
        ),
        GroupGolden(
            name: "OffsetCommitRequest v1",
            hex: GroupFixtures.offsetCommitRequestV1,
            version: 1,
            message: OffsetCommitRequest(
                groupID: group, generationID: 3, memberID: "m-1",
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(
                                partitionIndex: 0, committedOffset: 42, commitTimestamp: 1_700_000_000_000,
                                committedMetadata: "")
                        ])
                ])
        ),
        GroupGolden(
            name: "OffsetCommitRequest v2",
            hex: GroupFixtures.offsetCommitRequestV2,
            version: 2,
            message: OffsetCommitRequest(
                groupID: group,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partitionIndex: 0, committedOffset: 42, committedMetadata: nil),
                            .init(partitionIndex: 1, committedOffset: 7, committedMetadata: "meta"),
                        ])
                ])
        ),
        GroupGolden(
            name: "OffsetCommitRequest v8",
            hex: GroupFixtures.offsetCommitRequestV8,
            version: 8,
            message: OffsetCommitRequest(
                groupID: group, generationID: 3, memberID: "m-1", groupInstanceID: "instance-1",
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(
                                partitionIndex: 2, committedOffset: 1000, committedLeaderEpoch: 5, committedMetadata: ""
                            )
                        ])
                ])
        ),
        GroupGolden(
            name: "OffsetCommitResponse v2",
            hex: GroupFixtures.offsetCommitResponseV2,
            version: 2,
            message: OffsetCommitResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partitionIndex: 0, errorCode: .noError),
                        .init(partitionIndex: 1, errorCode: .illegalGeneration),
                    ])
            ])
        ),
        GroupGolden(
            name: "OffsetCommitResponse v8",
            hex: GroupFixtures.offsetCommitResponseV8,
            version: 8,
            message: OffsetCommitResponse(topics: [
                .init(name: "orders", partitions: [.init(partitionIndex: 2, errorCode: .noError)])
            ])
        ),
        GroupGolden(
            name: "OffsetFetchRequest v1",
            hex: GroupFixtures.offsetFetchRequestV1,
            version: 1,
            message: OffsetFetchRequest(groupID: group, topics: [.init(name: "orders", partitionIndexes: [0, 1])])
        ),
        GroupGolden(
            name: "OffsetFetchRequest v2, all topics",
            hex: GroupFixtures.offsetFetchRequestV2AllTopics,
            version: 2,
            message: OffsetFetchRequest(groupID: group, topics: nil)
        ),
        GroupGolden(
            name: "OffsetFetchRequest v7",
            hex: GroupFixtures.offsetFetchRequestV7,
            version: 7,
            message: OffsetFetchRequest(
                groupID: group, topics: [.init(name: "orders", partitionIndexes: [2])], requireStable: true)
        ),
        GroupGolden(
            name: "OffsetFetchRequest v8",
            hex: GroupFixtures.offsetFetchRequestV8,
            version: 8,
            message: OffsetFetchRequest(groups: [
                .init(groupID: group, topics: [.init(name: "orders", partitionIndexes: [0, 1])]),
                .init(groupID: other, topics: nil),
            ])
        ),
        GroupGolden(
            name: "OffsetFetchResponse v1",
            hex: GroupFixtures.offsetFetchResponseV1,
            version: 1,
            message: OffsetFetchResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partitionIndex: 0, committedOffset: 42, metadata: ""),
                        .init(partitionIndex: 1, committedOffset: -1, metadata: ""),
                    ])
            ])
        ),
        GroupGolden(
            name: "OffsetFetchResponse v5",
            hex: GroupFixtures.offsetFetchResponseV5,
            version: 5,
            message: OffsetFetchResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [.init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, metadata: nil)])
            ])
        ),
        GroupGolden(
            name: "OffsetFetchResponse v7",
            hex: GroupFixtures.offsetFetchResponseV7,
            version: 7,
            message: OffsetFetchResponse(errorCode: .notCoordinator, topics: [])
        ),
        GroupGolden(
            name: "OffsetFetchResponse v8",
            hex: GroupFixtures.offsetFetchResponseV8,
            version: 8,
            message: OffsetFetchResponse(groups: [
                .init(
                    groupID: group,
                    topics: [
                        .init(
                            name: "orders",
                            partitions: [
                                .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, metadata: "")
                            ])
                    ]),
                .init(groupID: other, topics: [], errorCode: .groupIDNotFound),
            ])
        ),
        GroupGolden(
            name: "FindCoordinatorRequest v3",
            hex: GroupFixtures.findCoordinatorRequestV3,
            version: 3,
            message: FindCoordinatorRequest(key: group)
        ),
        GroupGolden(
            name: "FindCoordinatorRequest v4",
            hex: GroupFixtures.findCoordinatorRequestV4,
            version: 4,
            message: FindCoordinatorRequest(keys: [group, other])
        ),
        GroupGolden(
            name: "FindCoordinatorResponse v0",
            hex: GroupFixtures.findCoordinatorResponseV0,
            version: 0,
            message: FindCoordinatorResponse(errorCode: .noError, nodeID: 1, host: "127.0.0.1", port: 9092)
        ),
        GroupGolden(
            name: "FindCoordinatorResponse v3",
            hex: GroupFixtures.findCoordinatorResponseV3,
            version: 3,
            message: FindCoordinatorResponse(errorCode: .coordinatorNotAvailable, nodeID: -1, host: "", port: -1)
        ),
        GroupGolden(
            name: "FindCoordinatorResponse v4",
            hex: GroupFixtures.findCoordinatorResponseV4,
            version: 4,
            message: FindCoordinatorResponse(coordinators: [
                .init(key: group, nodeID: 1, host: "127.0.0.1", port: 9092),
                .init(
                    key: other, nodeID: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable,
                    errorMessage: "loading"),
            ])
        ),
        GroupGolden(
            name: "DescribeGroupsRequest v0",
            hex: GroupFixtures.describeGroupsRequestV0,
            version: 0,
            message: DescribeGroupsRequest(groups: [group, other])
        ),
        GroupGolden(
            name: "DescribeGroupsRequest v5",
            hex: GroupFixtures.describeGroupsRequestV5,
            version: 5,
            message: DescribeGroupsRequest(groups: [group], includeAuthorizedOperations: true)
        ),
        GroupGolden(
            name: "DescribeGroupsResponse v0",
            hex: GroupFixtures.describeGroupsResponseV0,
            version: 0,
            message: DescribeGroupsResponse(groups: [
                .init(
                    errorCode: .noError, groupID: group, groupState: "Stable", protocolType: "consumer",
                    protocolData: "range", members: [describedMember(version: 0)])
            ])
        ),
        GroupGolden(
            name: "DescribeGroupsResponse v5",
            hex: GroupFixtures.describeGroupsResponseV5,
            version: 5,
            message: DescribeGroupsResponse(groups: [
                .init(
                    errorCode: .noError, groupID: group, groupState: "Stable", protocolType: "consumer",
                    protocolData: "range", members: [describedMember(version: 5)], authorizedOperations: 268),
                .init(errorCode: .groupIDNotFound, groupID: other, groupState: "Dead"),
            ])
        ),
        GroupGolden(
            name: "ListGroupsRequest v0",
            hex: GroupFixtures.listGroupsRequestV0,
            version: 0,
            message: ListGroupsRequest()
        ),
        GroupGolden(
            name: "ListGroupsRequest v4",
            hex: GroupFixtures.listGroupsRequestV4,
            version: 4,
            message: ListGroupsRequest(statesFilter: ["Stable", "Empty"])
        ),
        GroupGolden(
            name: "ListGroupsResponse v1",
            hex: GroupFixtures.listGroupsResponseV1,
            version: 1,
            message: ListGroupsResponse(groups: [.init(groupID: group, protocolType: "consumer")])
        ),
        GroupGolden(
            name: "ListGroupsResponse v4",
            hex: GroupFixtures.listGroupsResponseV4,
            version: 4,
            message: ListGroupsResponse(groups: [
                .init(groupID: group, protocolType: "consumer", groupState: "Stable"),
                .init(groupID: other, protocolType: "consumer", groupState: "Empty"),
            ])
        ),
        GroupGolden(
            name: "DeleteGroupsRequest v1",
            hex: GroupFixtures.deleteGroupsRequestV1,
            version: 1,
            message: DeleteGroupsRequest(groupNames: [group])
        ),
        GroupGolden(
            name: "DeleteGroupsRequest v2",
            hex: GroupFixtures.deleteGroupsRequestV2,
            version: 2,
            message: DeleteGroupsRequest(groupNames: [group, other])
        ),
        GroupGolden(
            name: "DeleteGroupsResponse v2",
            hex: GroupFixtures.deleteGroupsResponseV2,
            version: 2,
            message: DeleteGroupsResponse(results: [
                .init(groupID: group, errorCode: .noError), .init(groupID: other, errorCode: .nonEmptyGroup),
            ])
        ),
        GroupGolden(
            name: "OffsetDeleteRequest v0",
            hex: GroupFixtures.offsetDeleteRequestV0,
            version: 0,
            message: OffsetDeleteRequest(
                groupID: group,
                topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 1)])])
        ),
        GroupGolden(
            name: "OffsetDeleteResponse v0",
            hex: GroupFixtures.offsetDeleteResponseV0,
            version: 0,
            message: OffsetDeleteResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partitionIndex: 0, errorCode: .noError),
                        .init(partitionIndex: 1, errorCode: .groupSubscribedToTopic),
                    ])
            ])
        ),
    ]

    /// kafka-python's requests decode to the values it encoded, and encoding those values gives its bytes
    /// back; likewise its responses, so the responses this module writes are the ones the client reads.
    @Test(arguments: golden)
    func kafkaPythonBytesDecodeAndEncode(golden: GroupGolden) throws {
        try Self.checkGolden(golden.message, hex: golden.hex, version: golden.version)
    }

    @Test(arguments: golden)
    func everyCutKafkaPythonMessageThrows(golden: GroupGolden) {
        Self.expectEveryCutThrows(as: golden.message, whole: buffer(hex: golden.hex), version: golden.version)
    }

    // MARK: - Hostile input

    /// A count or length far past the bytes that remain is rejected before any element is read.
    @Test(arguments: [
        // JoinGroup v0: group "g", session timeout, member "", "consumer", then 2^31-1 protocols in 2 bytes.
        (
            "0001670000271000000008636f6e73756d65727fffffff0000", JoinGroupRequest.self as any KafkaMessage.Type,
            Int16(0),
            KafkaWireError.invalidLength(field: "JoinGroupRequest.Protocols", value: 2_147_483_647)
        ),
        // OffsetFetch v8: a compact count of 2^32-2 groups.
        (
            "ffffffff0f00", OffsetFetchRequest.self, 8,
            .invalidLength(field: "OffsetFetchRequest.Groups", value: 4_294_967_294)
        ),
        // OffsetCommit v2: one topic "t" with 2^28 partitions of at least 14 bytes each in 14 bytes.
        (
            "0001670000000300016dffffffffffffffff00000001000174100000000000000000000000000000000000",
            OffsetCommitRequest.self, 2,
            .invalidLength(field: "OffsetCommitRequest.Topics.Partitions", value: 268_435_456)
        ),
        // DescribeGroups v5: a compact array of 2^20 group names in 3 bytes.
        (
            "818040616200", DescribeGroupsRequest.self, 5,
            .invalidLength(field: "DescribeGroupsRequest.Groups", value: 1_048_576)
        ),
        // Heartbeat v4: a compact group id of 2^31-2 bytes.
        (
            "ffffffff07", HeartbeatRequest.self, 4,
            .invalidLength(field: "HeartbeatRequest.GroupId", value: 2_147_483_646)
        ),
        // DeleteGroups v0: a negative count.
        (
            "fffffffe", DeleteGroupsRequest.self, 0,
            .invalidLength(field: "DeleteGroupsRequest.GroupsNames", value: -2)
        ),
        // ListGroups v3: a tagged-field section of 2^21 fields.
        (
            "80808001", ListGroupsRequest.self, 3,
            .invalidLength(field: "ListGroupsRequest._tagged_fields", value: 2_097_152)
        ),
    ])
    func hugeCountsThrowBeforeReading(hex: String, type: any KafkaMessage.Type, version: Int16, error: KafkaWireError) {
        #expect(throws: error) { _ = try Self.decode(type, from: buffer(hex: hex), version: version) }
    }

    /// Tagged fields this module does not know are skipped, after a message and after an array element.
    @Test func unknownTaggedFieldsAreSkipped() throws {
        // HeartbeatRequest v4 with two tagged fields (tag 0: ff; tag 5: "abc") instead of none.
        let heartbeat = String(GroupFixtures.heartbeatRequestV4.dropLast(2)) + "020001ff0503616263"
        #expect(
            try Self.decode(HeartbeatRequest.self, from: buffer(hex: heartbeat), version: 4)
                == HeartbeatRequest(
                    groupID: Self.group, generationID: 3, memberID: "m-1", groupInstanceID: "instance-1")
        )
        // LeaveGroupRequest v5 whose one member carries a tagged field (tag 1: abcd).
        let leave = String(GroupFixtures.leaveGroupRequestV5.dropLast(4)) + "010102abcd" + "00"
        #expect(
            try Self.decode(LeaveGroupRequest.self, from: buffer(hex: leave), version: 5)
                == LeaveGroupRequest(
                    groupID: Self.group, members: [.init(memberID: "m-1", reason: "the consumer is being closed")])
        )
    }

    // MARK: - Versions that carry one of a list

    /// One FindCoordinator response, built from the request's keys, writes at every version: v0–3 carry
    /// the first coordinator without its key, v4 the list.
    @Test func findCoordinatorAnswersOneOrManyKeys() throws {
        let request = FindCoordinatorRequest(key: Self.group)
        #expect(request.keys == [Self.group])
        #expect(
            try Self.decode(FindCoordinatorRequest.self, from: Self.encode(request, version: 4), version: 4) == request)
        let response = FindCoordinatorResponse(
            coordinators: request.keys.map { .init(key: $0, nodeID: 1, host: "127.0.0.1", port: 9092) })
        #expect(Self.encode(response, version: 0).hex == GroupFixtures.findCoordinatorResponseV0)
        let v2 = try Self.decode(FindCoordinatorResponse.self, from: Self.encode(response, version: 2), version: 2)
        #expect(v2.coordinators == [.init(key: "", nodeID: 1, host: "127.0.0.1", port: 9092)])
        #expect((v2.errorCode, v2.nodeID, v2.host, v2.port) == (.noError, 1, "127.0.0.1", 9092))
        let v4 = try Self.decode(FindCoordinatorResponse.self, from: Self.encode(response, version: 4), version: 4)
        #expect(v4 == response)
        // No coordinator at all: v0–3 say COORDINATOR_NOT_AVAILABLE.
        let none = FindCoordinatorResponse(coordinators: [])
        #expect((none.errorCode, none.nodeID, none.port) == (.coordinatorNotAvailable, -1, -1))
        #expect(
            try Self.decode(FindCoordinatorResponse.self, from: Self.encode(none, version: 3), version: 3)
                == FindCoordinatorResponse(errorCode: .coordinatorNotAvailable, nodeID: -1, host: "", port: -1)
        )
    }

    /// OffsetFetch v0–7 carry the first group only; v0–1 cannot say "all topics" and drop the group error.
    @Test func offsetFetchBeforeV8CarriesOneGroup() throws {
        let two = OffsetFetchRequest(groups: [
            .init(groupID: Self.group, topics: nil), .init(groupID: Self.other, topics: []),
        ])
        #expect(
            try Self.decode(OffsetFetchRequest.self, from: Self.encode(two, version: 7), version: 7)
                == OffsetFetchRequest(groupID: Self.group, topics: nil)
        )
        #expect(
            try Self.decode(OffsetFetchRequest.self, from: Self.encode(two, version: 1), version: 1)
                == OffsetFetchRequest(groupID: Self.group, topics: [])
        )
        #expect(throws: KafkaWireError.invalidLength(field: "OffsetFetchRequest.Topics", value: -1)) {
            _ = try Self.decode(
                OffsetFetchRequest.self, from: buffer(hex: GroupFixtures.offsetFetchRequestV2AllTopics), version: 1)
        }
        let failed = OffsetFetchResponse(errorCode: .notCoordinator, topics: [])
        #expect(Self.encode(failed, version: 1).hex == "00000000")
        #expect(Self.encode(failed, version: 7).hex == GroupFixtures.offsetFetchResponseV7)
    }

    /// LeaveGroup v0–2 carry the first member's id only.
    @Test func leaveGroupBeforeV3CarriesOneMember() throws {
        let batch = try Self.decode(
            LeaveGroupRequest.self, from: buffer(hex: GroupFixtures.leaveGroupRequestV3), version: 3)
        #expect(Self.encode(batch, version: 0).hex == GroupFixtures.leaveGroupRequestV0)
        #expect(Self.encode(LeaveGroupRequest(groupID: Self.group, members: []), version: 2).hex.hasSuffix("0000"))
    }

    /// A null protocol name (v7+) is written as "" before v7, where the field is not nullable.
    @Test func joinGroupNullProtocolNameBeforeV7() throws {
        let response = JoinGroupResponse(errorCode: .unknownMemberID, protocolName: nil, leader: "", memberID: "")
        let v6 = try Self.decode(JoinGroupResponse.self, from: Self.encode(response, version: 6), version: 6)
        #expect(v6.protocolName == "")
        #expect(
            try Self.decode(JoinGroupResponse.self, from: Self.encode(response, version: 7), version: 7) == response)
    }
}
