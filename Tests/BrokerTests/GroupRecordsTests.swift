import Foundation
import KafkaWire
import NIOCore
import SegmentLog
import Testing

@testable import Broker

/// `__consumer_offsets` records in Kafka's formats, the group → partition hash, and the state machine's
/// offset-commit checks and persistence (`offsetCommitReceived`, `storedValue`, `loaded`).
@Suite struct GroupRecordsTests {
    static func bytes(_ hex: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            buffer.writeInteger(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return buffer
    }

    static func hex(_ buffer: ByteBuffer) -> String {
        buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Records

    @Test func offsetCommitRecordIsKafkasKeyV1AndValueV3() throws {
        let record = GroupRecord.offset(
            group: "g", partition: TopicPartition("t", 2),
            OffsetAndMetadata(offset: 42, leaderEpoch: 7, metadata: "m", commitTimestampMs: 1_000))
        // key: version 1, "g", "t", partition 2.
        #expect(Self.hex(record.key) == "0001" + "00016" + "7" + "000174" + "00000002")
        // value: version 3, offset 42, leader epoch 7, "m", commit timestamp 1000.
        #expect(
            Self.hex(record.value!) == "0003" + "000000000000002a" + "00000007" + "00016d" + "00000000000003e8")
        #expect(try GroupRecord(key: record.key, value: record.value) == record)
    }

    @Test func anExpiringCommitIsValueV1() throws {
        let offset = OffsetAndMetadata(offset: 5, metadata: "", commitTimestampMs: 10, expireTimestampMs: 99)
        let record = GroupRecord.offset(group: "g", partition: TopicPartition("t", 0), offset)
        #expect(record.value!.getInteger(at: 0, as: Int16.self) == 1)
        #expect(try GroupRecord(key: record.key, value: record.value) == record)
    }

    @Test func groupMetadataRoundTripsAndTombstonesAreNil() throws {
        let value = GroupMetadataValue(
            protocolType: "consumer", generation: 3, protocolName: "range", leader: "a-1",
            currentStateTimestampMs: 123,
            members: [
                .init(
                    memberID: "a-1", groupInstanceID: "i1", clientID: "a", clientHost: "/127.0.0.1",
                    rebalanceTimeoutMs: 300_000, sessionTimeoutMs: 45_000, subscription: ByteBuffer(string: "s"),
                    assignment: ByteBuffer(string: "x"))
            ])
        let record = GroupRecord.group("g", value)
        #expect(record.key.getInteger(at: 0, as: Int16.self) == 2)
        #expect(try GroupRecord(key: record.key, value: record.value) == record)
        let tombstone = GroupRecord.group("g", nil)
        #expect(tombstone.value == nil)
        #expect(try GroupRecord(key: tombstone.key, value: nil) == tombstone)
    }

    @Test func groupMetadataV0HasNoRebalanceTimeoutOrInstanceID() throws {
        var writer = KafkaWriter()
        writer.writeInt16(0)
        writer.writeString("consumer")
        writer.writeInt32(1)
        writer.writeNullableString("range")
        writer.writeNullableString("m")
        writer.writeInt32(1)
        writer.writeString("m")
        writer.writeString("c")
        writer.writeString("/h")
        writer.writeInt32(10_000)
        writer.writeBytes(ByteBuffer(string: "s"))
        writer.writeBytes(ByteBuffer(string: "a"))
        let record = try GroupRecord(key: GroupRecord.group("g", nil).key, value: writer.buffer)
        guard case .group("g", let value?)? = record else {
            Issue.record("not a group record: \(String(describing: record))")
            return
        }
        #expect(value.members.count == 1)
        #expect(value.members[0].sessionTimeoutMs == 10_000 && value.members[0].rebalanceTimeoutMs == 10_000)
        #expect(value.currentStateTimestampMs == -1)
    }

    @Test func newProtocolKeysAreSkipped() throws {
        var key = ByteBuffer()
        key.writeInteger(Int16(3))
        key.writeInteger(Int16(1))
        key.writeString("g")
        #expect(try GroupRecord(key: key, value: nil) == nil)
    }

    @Test func hostileRecordsThrowInsteadOfTrapping() {
        let good = GroupRecord.group(
            "g",
            GroupMetadataValue(
                protocolType: "consumer", generation: 1, protocolName: "range", leader: nil,
                currentStateTimestampMs: 0, members: []))
        let value = good.value!
        for length in 0..<value.readableBytes {
            #expect(throws: GroupRecordError.self) {
                _ = try GroupRecord(key: good.key, value: value.getSlice(at: 0, length: length)!)
            }
        }
        // A member count of two billion with no bytes behind it.
        var huge = value
        huge.setInteger(Int32.max, at: huge.writerIndex - 4)
        #expect(throws: GroupRecordError.self) { _ = try GroupRecord(key: good.key, value: huge) }
        #expect(throws: GroupRecordError.self) { _ = try GroupRecord(key: Self.bytes("00"), value: nil) }
    }

    // MARK: - Partition of a group

    /// Values from Java's `String.hashCode` (UTF-16 code units) and Kafka's `Utils.abs`.
    @Test(arguments: [
        ("my-group", Int32(12)), ("test-group", 12), ("console-consumer-12345", 6), ("", 0), ("é-group", 7),
        ("😀", 49),
        // hashCode is Int32.min: Utils.abs gives 0.
        ("polygenelubricants", 0),
    ])
    func groupsMapToKafkasPartitions(group: String, partition: Int32) {
        #expect(offsetsPartition(for: group, partitionCount: 50) == partition)
    }

    @Test func subscriptionTopicsAreRead() {
        var writer = KafkaWriter()
        writer.writeInt16(1)
        writer.writeStringArray(["a", "b"])
        writer.writeBytes(ByteBuffer())
        #expect(subscribedTopics(writer.buffer) == ["a", "b"])
        #expect(subscribedTopics(Self.bytes("0001ffff")) == nil)
    }

    // MARK: - Offset commits against the group

    @Test func simpleConsumersCommitToEmptyGroupsOnly() {
        var empty = GroupStateMachine(groupID: "g", config: GroupCoordinatorTests.config)
        #expect(empty.offsetCommitReceived(memberID: "", groupInstanceID: nil, generationID: -1, nowMs: 0).error == nil)
        #expect(
            empty.offsetCommitReceived(memberID: "x", groupInstanceID: nil, generationID: 1, nowMs: 0).error
                == .unknownMemberID)
        var (stable, ids) = GroupCoordinatorTests.stableGroup(["a", "b"])
        #expect(
            stable.offsetCommitReceived(memberID: "", groupInstanceID: nil, generationID: -1, nowMs: 0).error
                == .illegalGeneration)
        #expect(
            stable.offsetCommitReceived(memberID: ids[0], groupInstanceID: nil, generationID: 0, nowMs: 0).error
                == .illegalGeneration)
        let ok = stable.offsetCommitReceived(memberID: ids[1], groupInstanceID: nil, generationID: 1, nowMs: 500)
        #expect(ok.error == nil)
        #expect(ok.output.timers == [.heartbeat(memberID: ids[1], deadlineMs: 10_500)], "a commit keeps it alive")
    }

    @Test func commitsDuringTheSyncPhaseAreRebalanceInProgress() {
        var group = GroupStateMachine(groupID: "g", config: GroupCoordinatorTests.config)
        _ = group.joinGroupReceived(GroupCoordinatorTests.join(1, client: "a", suffix: "1", requireKnown: false), nowMs: 0)
        _ = group.tick(nowMs: 0)
        #expect(group.state == .completingRebalance)
        #expect(
            group.offsetCommitReceived(memberID: "a-1", groupInstanceID: nil, generationID: 1, nowMs: 0).error
                == .rebalanceInProgress)
    }

    @Test func aStoredGroupLoadsStableWithItsAssignments() {
        let (stable, ids) = GroupCoordinatorTests.stableGroup(["a", "b"], instances: [nil, "static-b"])
        let value = stable.storedValue(currentStateTimestampMs: 77)
        #expect(value.generation == 1 && value.members.map(\.memberID) == ids)
        let (loaded, output) = GroupStateMachine.loaded(
            groupID: "g", config: GroupCoordinatorTests.config, from: value, nowMs: 1_000)
        #expect(loaded.state == .stable && loaded.generationID == 1 && loaded.leaderID == stable.leaderID)
        #expect(loaded.members.map(\.assignment) == stable.members.map(\.assignment))
        #expect(loaded.staticMembers == ["static-b": ids[1]])
        #expect(output.timers.count == 2, "every loaded member's session starts at the load")
        // A member of the loaded group heartbeats in its generation.
        var group = loaded
        let beat = group.heartbeatReceived(requestID: GroupRequestID(1), memberID: ids[0], generationID: 1, nowMs: 1_001)
        #expect(GroupCoordinatorTests.heartbeatError(beat) == .noError)
    }

    @Test func aLoadedRecordWithRepeatedMembersKeepsEachOnce() {
        let member = GroupMetadataValue.Member(
            memberID: "m", groupInstanceID: "i", clientID: "c", clientHost: "", rebalanceTimeoutMs: 1,
            sessionTimeoutMs: 6_000, subscription: ByteBuffer(), assignment: ByteBuffer())
        var other = member
        other.memberID = "n"
        let value = GroupMetadataValue(
            protocolType: "consumer", generation: 2, protocolName: "range", leader: "gone",
            currentStateTimestampMs: 0, members: [member, member, other])
        let (loaded, _) = GroupStateMachine.loaded(
            groupID: "g", config: GroupCoordinatorTests.config, from: value, nowMs: 0)
        #expect(loaded.members.map(\.memberID) == ["m", "n"])
        #expect(loaded.staticMembers == ["i": "m"], "the instance id stays with its first member")
        #expect(loaded.leaderID == "m", "a leader that is not a member is replaced")
    }

    /// Fuzz target `groups` (Tests/Fuzz/groups/regressions/generation-max-rebalance): a stored generation of
    /// `Int32.max` trapped on the group's next rebalance. It wraps, as Kafka's int does.
    @Test func aLoadedGroupAtTheLastGenerationRebalancesWithoutATrap() throws {
        let stored = GroupCoordinatorTests.stableGroup(["a"]).0.storedValue(currentStateTimestampMs: 0)
        var value = stored
        value.generation = .max
        let written = GroupRecord.group("g", value)
        let record = try GroupRecord(key: written.key, value: written.value)
        guard case .group(_, let read?)? = record else {
            Issue.record("not a group record: \(String(describing: record))")
            return
        }
        var (group, _) = GroupStateMachine.loaded(
            groupID: "g", config: GroupCoordinatorTests.config, from: read, nowMs: 0)
        let member = try #require(group.members.first)
        // The leader rejoins: the rebalance completes at once with the only member.
        let output = group.joinGroupReceived(
            GroupCoordinatorTests.join(1, member: member.memberID, client: member.clientID), nowMs: 1)
        #expect(group.state == .completingRebalance && group.generationID == .min)
        #expect(GroupCoordinatorTests.joinResult(output, 1)?.generationID == .min)
    }

    /// Fuzz target `groups` (its record round trip; no input kept, as one of 40 KB would slow every run): a
    /// flexible value read a 40,000-byte string that the coordinator's int16 strings could not write back
    /// whole. Kafka's reader rejects a compact string longer than 0x7fff; so does this one.
    @Test func aFlexibleStringLongerThanKafkaAllowsIsRejected() throws {
        let key = GroupRecord.offset(group: "g", partition: TopicPartition("t", 0), nil).key
        func value(metadataBytes: Int) -> ByteBuffer {
            var writer = KafkaWriter()
            writer.writeInt16(4)
            writer.writeInt64(9)
            writer.writeInt32(1)
            writer.writeUnsignedVarInt(UInt32(metadataBytes + 1))
            var buffer = writer.buffer
            buffer.writeRepeatingByte(UInt8(ascii: "a"), count: metadataBytes)
            buffer.writeInteger(Int64(1_000))
            buffer.writeInteger(UInt8(0))
            return buffer
        }
        #expect(throws: GroupRecordError.self) { _ = try GroupRecord(key: key, value: value(metadataBytes: 40_000)) }
        let longest = try? GroupRecord(key: key, value: value(metadataBytes: Int(Int16.max)))
        guard case .offset(_, _, let offset?)? = longest else {
            Issue.record("the longest metadata Kafka allows does not read: \(String(describing: longest))")
            return
        }
        #expect(offset.metadata.utf8.count == Int(Int16.max))
        let rewritten = GroupRecord.offset(group: "g", partition: TopicPartition("t", 0), offset)
        #expect(try GroupRecord(key: key, value: rewritten.value) == longest)
    }
}

/// The pure parts of `paddock groups`.
@Suite struct GroupAdminPlanTests {
    @Test func consumerAssignmentsAreRead() {
        var writer = KafkaWriter()
        writer.writeInt16(0)
        writer.writeInt32(2)
        writer.writeString("a")
        writer.writeInt32Array([0, 2])
        writer.writeString("b")
        writer.writeInt32Array([1])
        writer.writeBytes(ByteBuffer())
        #expect(
            GroupAdminPlan.assignedPartitions(writer.buffer)
                == [TopicPartition("a", 0), TopicPartition("a", 2), TopicPartition("b", 1)])
        #expect(GroupAdminPlan.assignedPartitions(ByteBuffer()) == [])
        var huge = ByteBuffer()
        huge.writeInteger(Int16(0))
        huge.writeInteger(Int32.max)
        #expect(GroupAdminPlan.assignedPartitions(huge) == nil)
    }

    @Test func resetTargetsStayWithinTheLog() {
        let p0 = TopicPartition("t", 0)
        let p1 = TopicPartition("t", 1)
        let earliest = [p0: Int64(10), p1: 0]
        let latest = [p0: Int64(100), p1: 5]
        let committed = [p0: Int64(50)]
        func plan(_ spec: OffsetResetSpec, atTime: [TopicPartition: Int64] = [:]) -> [TopicPartition: Int64] {
            GroupAdminPlan.resetTargets(
                spec, partitions: [p0, p1], committed: committed, earliest: earliest, latest: latest, atTime: atTime)
        }
        #expect(plan(.earliest) == [p0: 10, p1: 0])
        #expect(plan(.latest) == [p0: 100, p1: 5])
        #expect(plan(.shiftBy(-45)) == [p0: 10, p1: 0], "clamped to the log start; no commit shifts from the end")
        #expect(plan(.shiftBy(Int64.max)) == [p0: 100, p1: 5])
        #expect(plan(.datetime(0), atTime: [p0: 42]) == [p0: 42, p1: 5], "after the last record: the log end")
    }

    @Test func describeTablePadsColumns() {
        let rows = [
            GroupOffsetRow(partition: TopicPartition("orders", 1), committed: 7, logEnd: 10),
            GroupOffsetRow(
                partition: TopicPartition("orders", 0), committed: nil, logEnd: 3, consumerID: "c-1", host: "/1.2.3.4",
                clientID: "c"),
        ]
        let lines = GroupAdminPlan.describeTable(group: "g", rows: rows).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("g     orders 0         -              3              -   c-1"))
        #expect(lines[2].contains(" 7              10             3   -"))
    }
}
