// OffsetCommit (key 8), `OffsetCommitRequest.json` / `OffsetCommitResponse.json`, versions 0–8 (flexible
// from 8):
//
// ```
// OffsetCommitRequest
//   GroupId                   string  0+
//   GenerationIdOrMemberEpoch int32   1+  default -1
//   MemberId                  string  1+  default ""
//   GroupInstanceId           string  7+  nullable 7+, default null
//   RetentionTimeMs           int64   2-4 default -1   (-1: the broker's offsets.retention.minutes)
//   Topics                    []OffsetCommitRequestTopic 0+
//     Name                    string  0+
//     Partitions              []OffsetCommitRequestPartition 0+
//       PartitionIndex        int32   0+
//       CommittedOffset       int64   0+
//       CommittedLeaderEpoch  int32   6+  default -1
//       CommitTimestamp       int64   1   default -1
//       CommittedMetadata     string  0+  nullable 0+
// OffsetCommitResponse
//   ThrottleTimeMs            int32   3+
//   Topics                    []OffsetCommitResponseTopic 0+
//     Name                    string  0+
//     Partitions              []OffsetCommitResponsePartition 0+
//       PartitionIndex        int32   0+
//       ErrorCode             int16   0+
// ```

/// OffsetCommit request.
package struct OffsetCommitRequest: KafkaMessage {
    package static let apiKey = APIKey.offsetCommit
    static let firstFlexibleVersion: Int16 = 8

    /// One `OffsetCommitRequestPartition`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        package var committedOffset: Int64
        /// v6+; -1 when absent.
        package var committedLeaderEpoch: Int32
        /// v1 only; -1 when absent.
        package var commitTimestamp: Int64
        package var committedMetadata: String?

        package init(
            partitionIndex: Int32,
            committedOffset: Int64,
            committedLeaderEpoch: Int32 = -1,
            commitTimestamp: Int64 = -1,
            committedMetadata: String? = nil
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.commitTimestamp = commitTimestamp
            self.committedMetadata = committedMetadata
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
            let field = "OffsetCommitRequest.Topics.Partitions"
            self.partitionIndex = try reader.readInt32(field: field + ".PartitionIndex")
            self.committedOffset = try reader.readInt64(field: field + ".CommittedOffset")
            self.committedLeaderEpoch = try version >= 6 ? reader.readInt32(field: field + ".CommittedLeaderEpoch") : -1
            self.commitTimestamp = try version == 1 ? reader.readInt64(field: field + ".CommitTimestamp") : -1
            self.committedMetadata = try reader.readNullableString(
                flexible: flexible, field: field + ".CommittedMetadata")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeInt64(self.committedOffset)
            if version >= 6 {
                writer.writeInt32(self.committedLeaderEpoch)
            }
            if version == 1 {
                writer.writeInt64(self.commitTimestamp)
            }
            writer.writeNullableString(
                self.committedMetadata, flexible: version >= OffsetCommitRequest.firstFlexibleVersion)
        }
    }

    /// One `OffsetCommitRequestTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
            self.name = try reader.readString(flexible: flexible, field: "OffsetCommitRequest.Topics.Name")
            self.partitions = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 14,
                field: "OffsetCommitRequest.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
            writer.writeString(self.name, flexible: flexible)
            writer.writeArray(self.partitions, version: version, flexible: flexible)
        }
    }

    package var groupID: String
    /// `GenerationIdOrMemberEpoch`, v1+: the classic group's generation; -1 when absent (a v0 commit, or a
    /// commit from outside the group's membership).
    package var generationID: Int32
    /// v1+; "" when absent.
    package var memberID: String
    /// v7+; nil when absent.
    package var groupInstanceID: String?
    /// v2–4; -1 when absent (the broker's retention applies).
    package var retentionTimeMs: Int64
    package var topics: [Topic]

    package init(
        groupID: String,
        generationID: Int32 = -1,
        memberID: String = "",
        groupInstanceID: String? = nil,
        retentionTimeMs: Int64 = -1,
        topics: [Topic]
    ) {
        self.groupID = groupID
        self.generationID = generationID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groupID = try reader.readString(flexible: flexible, field: "OffsetCommitRequest.GroupId")
        self.generationID =
            try version >= 1 ? reader.readInt32(field: "OffsetCommitRequest.GenerationIdOrMemberEpoch") : -1
        self.memberID =
            try version >= 1 ? reader.readString(flexible: flexible, field: "OffsetCommitRequest.MemberId") : ""
        self.groupInstanceID =
            try version >= 7
            ? reader.readNullableString(flexible: flexible, field: "OffsetCommitRequest.GroupInstanceId") : nil
        self.retentionTimeMs =
            try (2...4).contains(version) ? reader.readInt64(field: "OffsetCommitRequest.RetentionTimeMs") : -1
        self.topics = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 3, field: "OffsetCommitRequest.Topics")
        try reader.skipTaggedFields(flexible: flexible, field: "OffsetCommitRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeString(self.groupID, flexible: flexible)
        if version >= 1 {
            writer.writeInt32(self.generationID)
            writer.writeString(self.memberID, flexible: flexible)
        }
        if version >= 7 {
            writer.writeNullableString(self.groupInstanceID, flexible: flexible)
        }
        if (2...4).contains(version) {
            writer.writeInt64(self.retentionTimeMs)
        }
        writer.writeArray(self.topics, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// OffsetCommit response.
package struct OffsetCommitResponse: KafkaMessage {
    package static let apiKey = APIKey.offsetCommit

    /// One `OffsetCommitResponsePartition`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode

        package init(partitionIndex: Int32, errorCode: KafkaErrorCode) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "OffsetCommitResponse.Topics.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "OffsetCommitResponse.Topics.Partitions.ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// One `OffsetCommitResponseTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
            self.name = try reader.readString(flexible: flexible, field: "OffsetCommitResponse.Topics.Name")
            self.partitions = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 6,
                field: "OffsetCommitResponse.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
            writer.writeString(self.name, flexible: flexible)
            writer.writeArray(self.partitions, version: version, flexible: flexible)
        }
    }

    /// v3+; 0 when absent.
    package var throttleTimeMs: Int32
    package var topics: [Topic]

    package init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 3 ? reader.readInt32(field: "OffsetCommitResponse.ThrottleTimeMs") : 0
        self.topics = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 3, field: "OffsetCommitResponse.Topics")
        try reader.skipTaggedFields(flexible: flexible, field: "OffsetCommitResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= OffsetCommitRequest.firstFlexibleVersion
        if version >= 3 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.topics, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
