import KafkaWire
package import NIOCore
package import SegmentLog

// The records the group coordinator keeps in `__consumer_offsets`, in Kafka's formats
// (`group-coordinator/src/main/resources/common/message/{OffsetCommitKey,OffsetCommitValue,GroupMetadataKey,
// GroupMetadataValue}.json`), so a partition written by Kafka reads here and the other way round.
// A record's key and value each start with an int16 version; the key's version says what the record is:
//
// ```
// OffsetCommitKey   v0–1   Group string, Topic string, Partition int32
// GroupMetadataKey  v2     Group string
// OffsetCommitValue v0     Offset int64, Metadata string, CommitTimestamp int64
//                   v1     ... + ExpireTimestamp int64
//                   v2     Offset int64, Metadata string, CommitTimestamp int64
//                   v3     Offset int64, LeaderEpoch int32, Metadata string, CommitTimestamp int64
//                   v4     v3 flexible (compact string, tagged fields)
// GroupMetadataValue       ProtocolType string, Generation int32, Protocol string?, Leader string?,
//                          CurrentStateTimestamp int64 (v2+), Members []:
//                            MemberId string, GroupInstanceId string? (v3+), ClientId string, ClientHost string,
//                            RebalanceTimeout int32 (v1+), SessionTimeout int32, Subscription bytes,
//                            Assignment bytes
//                   v4     v3 flexible
// ```
//
// A null value is a tombstone: the offset or the group is deleted. Paddock writes OffsetCommitKey v1,
// OffsetCommitValue v3, GroupMetadataKey v2 and GroupMetadataValue v3, as Kafka 3.x does.

/// What one `__consumer_offsets` record says.
package enum GroupRecord: Hashable, Sendable {
    /// A committed offset, or its deletion (nil).
    case offset(group: String, partition: TopicPartition, OffsetAndMetadata?)
    /// A group's membership as of its last completed rebalance, or its deletion (nil).
    case group(String, GroupMetadataValue?)

    package var groupID: String {
        switch self {
        case .offset(let group, _, _), .group(let group, _): group
        }
    }
}

/// A committed offset (`OffsetAndMetadata`).
package struct OffsetAndMetadata: Hashable, Sendable {
    package var offset: Int64
    /// -1 when the client sent none.
    package var leaderEpoch: Int32
    package var metadata: String
    package var commitTimestampMs: Int64
    /// Only OffsetCommitValue v1 (OffsetCommit v2–4 with a retention time) carries one.
    package var expireTimestampMs: Int64?

    package init(
        offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestampMs: Int64,
        expireTimestampMs: Int64? = nil
    ) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestampMs = commitTimestampMs
        self.expireTimestampMs = expireTimestampMs
    }
}

/// `GroupMetadataValue`: a group as stored after each completed rebalance.
package struct GroupMetadataValue: Hashable, Sendable {
    package struct Member: Hashable, Sendable {
        package var memberID: String
        package var groupInstanceID: String?
        package var clientID: String
        package var clientHost: String
        package var rebalanceTimeoutMs: Int32
        package var sessionTimeoutMs: Int32
        package var subscription: ByteBuffer
        package var assignment: ByteBuffer
    }

    package var protocolType: String
    package var generation: Int32
    package var protocolName: String?
    package var leader: String?
    package var currentStateTimestampMs: Int64
    package var members: [Member]
}

/// Why a `__consumer_offsets` record could not be read.
package struct GroupRecordError: Error, Hashable, Sendable, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}

extension GroupRecord {
    package static let offsetCommitKeyVersion: Int16 = 1
    package static let groupMetadataKeyVersion: Int16 = 2
    package static let offsetCommitValueVersion: Int16 = 3
    package static let groupMetadataValueVersion: Int16 = 3

    /// The record's key bytes.
    package var key: ByteBuffer {
        var writer = KafkaWriter()
        switch self {
        case .offset(let group, let partition, _):
            writer.writeInt16(Self.offsetCommitKeyVersion)
            writer.writeString(group)
            writer.writeString(partition.topic)
            writer.writeInt32(partition.partition)
        case .group(let group, _):
            writer.writeInt16(Self.groupMetadataKeyVersion)
            writer.writeString(group)
        }
        return writer.buffer
    }

    /// The record's value bytes; nil for a tombstone.
    package var value: ByteBuffer? {
        var writer = KafkaWriter()
        switch self {
        case .offset(_, _, nil), .group(_, nil):
            return nil
        case .offset(_, _, let offset?):
            // v1 is the only version with an expire timestamp (Kafka writes it only then).
            if let expire = offset.expireTimestampMs {
                writer.writeInt16(1)
                writer.writeInt64(offset.offset)
                writer.writeString(offset.metadata)
                writer.writeInt64(offset.commitTimestampMs)
                writer.writeInt64(expire)
            } else {
                writer.writeInt16(Self.offsetCommitValueVersion)
                writer.writeInt64(offset.offset)
                writer.writeInt32(offset.leaderEpoch)
                writer.writeString(offset.metadata)
                writer.writeInt64(offset.commitTimestampMs)
            }
        case .group(_, let group?):
            writer.writeInt16(Self.groupMetadataValueVersion)
            writer.writeString(group.protocolType)
            writer.writeInt32(group.generation)
            writer.writeNullableString(group.protocolName)
            writer.writeNullableString(group.leader)
            writer.writeInt64(group.currentStateTimestampMs)
            writer.writeInt32(Int32(clamping: group.members.count))
            for member in group.members {
                writer.writeString(member.memberID)
                writer.writeNullableString(member.groupInstanceID)
                writer.writeString(member.clientID)
                writer.writeString(member.clientHost)
                writer.writeInt32(member.rebalanceTimeoutMs)
                writer.writeInt32(member.sessionTimeoutMs)
                writer.writeBytes(member.subscription)
                writer.writeBytes(member.assignment)
            }
        }
        return writer.buffer
    }

    /// Reads one record of `__consumer_offsets`. Nil for a key version this coordinator does not keep
    /// (Kafka's new-protocol records, versions 3 and up), which loading skips as Kafka 3.x does.
    package init?(key: ByteBuffer, value: ByteBuffer?) throws(GroupRecordError) {
        do throws(KafkaWireError) {
            var reader = KafkaReader(key)
            let keyVersion = try reader.readInt16(field: "key.version")
            switch keyVersion {
            case 0, 1:
                let group = try reader.readString(field: "OffsetCommitKey.Group")
                let topic = try reader.readString(field: "OffsetCommitKey.Topic")
                let partition = try reader.readInt32(field: "OffsetCommitKey.Partition")
                self = .offset(
                    group: group, partition: TopicPartition(topic, partition),
                    try value.map { buffer throws(KafkaWireError) in try Self.offsetValue(buffer) })
            case 2:
                let group = try reader.readString(field: "GroupMetadataKey.Group")
                self = .group(group, try value.map { buffer throws(KafkaWireError) in try Self.groupValue(buffer) })
            default:
                return nil
            }
        } catch {
            throw GroupRecordError(reason: "\(error)")
        }
    }

    private static func offsetValue(_ buffer: ByteBuffer) throws(KafkaWireError) -> OffsetAndMetadata {
        var reader = KafkaReader(buffer)
        let version = try reader.readInt16(field: "OffsetCommitValue.version")
        guard (0...4).contains(version) else {
            throw .invalidLength(field: "OffsetCommitValue.version", value: Int64(version))
        }
        let flexible = version >= 4
        let offset = try reader.readInt64(field: "OffsetCommitValue.Offset")
        let leaderEpoch = try version >= 3 ? reader.readInt32(field: "OffsetCommitValue.LeaderEpoch") : -1
        let metadata =
            try flexible
            ? reader.readCompactString(field: "OffsetCommitValue.Metadata")
            : reader.readString(field: "OffsetCommitValue.Metadata")
        let commit = try reader.readInt64(field: "OffsetCommitValue.CommitTimestamp")
        let expire = try version == 1 ? reader.readInt64(field: "OffsetCommitValue.ExpireTimestamp") : nil
        return OffsetAndMetadata(
            offset: offset, leaderEpoch: leaderEpoch, metadata: metadata, commitTimestampMs: commit,
            expireTimestampMs: expire)
    }

    private static func groupValue(_ buffer: ByteBuffer) throws(KafkaWireError) -> GroupMetadataValue {
        var reader = KafkaReader(buffer)
        let version = try reader.readInt16(field: "GroupMetadataValue.version")
        guard (0...4).contains(version) else {
            throw .invalidLength(field: "GroupMetadataValue.version", value: Int64(version))
        }
        let flexible = version >= 4
        func string(_ field: String) throws(KafkaWireError) -> String {
            try flexible ? reader.readCompactString(field: field) : reader.readString(field: field)
        }
        func nullableString(_ field: String) throws(KafkaWireError) -> String? {
            try flexible ? reader.readCompactNullableString(field: field) : reader.readNullableString(field: field)
        }
        func bytes(_ field: String) throws(KafkaWireError) -> ByteBuffer {
            try flexible ? reader.readCompactBytes(nullable: false, field: field) ?? ByteBuffer()
                : reader.readBytes(field: field)
        }
        let protocolType = try string("GroupMetadataValue.ProtocolType")
        let generation = try reader.readInt32(field: "GroupMetadataValue.Generation")
        let protocolName = try nullableString("GroupMetadataValue.Protocol")
        let leader = try nullableString("GroupMetadataValue.Leader")
        let timestamp = try version >= 2 ? reader.readInt64(field: "GroupMetadataValue.CurrentStateTimestamp") : -1
        // A member takes at least 20 bytes (four empty strings, two int32, two empty bytes).
        let readMember = { (reader: inout KafkaReader) throws(KafkaWireError) -> GroupMetadataValue.Member in
            func string(_ field: String) throws(KafkaWireError) -> String {
                try flexible ? reader.readCompactString(field: field) : reader.readString(field: field)
            }
            func bytes(_ field: String) throws(KafkaWireError) -> ByteBuffer {
                try flexible ? reader.readCompactBytes(nullable: false, field: field) ?? ByteBuffer()
                    : reader.readBytes(field: field)
            }
            let memberID = try string("MemberMetadata.MemberId")
            let instanceID =
                try version >= 3
                ? (flexible
                    ? reader.readCompactNullableString(field: "MemberMetadata.GroupInstanceId")
                    : reader.readNullableString(field: "MemberMetadata.GroupInstanceId")) : nil
            let clientID = try string("MemberMetadata.ClientId")
            let clientHost = try string("MemberMetadata.ClientHost")
            let sessionOrRebalance = try reader.readInt32(field: "MemberMetadata.RebalanceTimeout")
            let session = try version >= 1 ? reader.readInt32(field: "MemberMetadata.SessionTimeout") : sessionOrRebalance
            let subscription = try bytes("MemberMetadata.Subscription")
            let assignment = try bytes("MemberMetadata.Assignment")
            if flexible { try reader.skipTaggedFields(field: "MemberMetadata._tagged_fields") }
            return GroupMetadataValue.Member(
                memberID: memberID, groupInstanceID: instanceID, clientID: clientID, clientHost: clientHost,
                rebalanceTimeoutMs: sessionOrRebalance, sessionTimeoutMs: session, subscription: subscription,
                assignment: assignment)
        }
        let members: [GroupMetadataValue.Member]
        if flexible {
            members =
                try reader.readCompactArray(
                    nullable: false, minimumElementSize: 9, field: "GroupMetadataValue.Members", readMember) ?? []
        } else {
            let count = try reader.readInt32(field: "GroupMetadataValue.Members")
            guard count >= 0, Int(count) <= reader.readableBytes / 20 else {
                throw .invalidLength(field: "GroupMetadataValue.Members", value: Int64(count))
            }
            var read: [GroupMetadataValue.Member] = []
            for _ in 0..<count { read.append(try readMember(&reader)) }
            members = read
        }
        return GroupMetadataValue(
            protocolType: protocolType, generation: generation, protocolName: protocolName, leader: leader,
            currentStateTimestampMs: timestamp, members: members)
    }
}

/// The coordinator's partition of a group: `abs(groupId.hashCode) % partitionCount`, with Java's
/// `String.hashCode` over UTF-16 code units and Kafka's `Utils.abs` (which maps Int.MIN to 0).
package func offsetsPartition(for groupID: String, partitionCount: Int32) -> Int32 {
    var hash: Int32 = 0
    for unit in groupID.utf16 { hash = hash &* 31 &+ Int32(unit) }
    let positive = hash == .min ? 0 : abs(hash)
    return partitionCount > 0 ? positive % partitionCount : 0
}

/// The topics a `consumer`-protocol member subscribed to (`ConsumerProtocolSubscription`: version int16,
/// Topics []string, ...). Nil when the metadata is not a subscription this coordinator can read.
package func subscribedTopics(_ metadata: ByteBuffer) -> [String]? {
    var reader = KafkaReader(metadata)
    do throws(KafkaWireError) {
        let version = try reader.readInt16(field: "ConsumerProtocolSubscription.Version")
        guard version >= 0 else { return nil }
        return try reader.readStringArray(field: "ConsumerProtocolSubscription.Topics")
    } catch {
        return nil
    }
}
