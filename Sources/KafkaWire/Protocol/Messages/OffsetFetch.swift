// OffsetFetch (key 9), `OffsetFetchRequest.json` / `OffsetFetchResponse.json`, versions 0–8 (flexible from 6;
// v8 batches groups, KIP-709):
//
// ```
// OffsetFetchRequest
//   GroupId                   string  0-7
//   Topics                    []OffsetFetchRequestTopic 0-7  nullable 2-7   (null: every committed partition)
//     Name                    string  0-7
//     PartitionIndexes        []int32 0-7
//   Groups                    []OffsetFetchRequestGroup 8+
//     GroupId                 string  8+
//     Topics                  []OffsetFetchRequestTopics 8+  nullable 8+
//       Name                  string  8+
//       PartitionIndexes      []int32 8+
//   RequireStable             bool    7+  default false
// OffsetFetchResponse
//   ThrottleTimeMs            int32   3+
//   Topics                    []OffsetFetchResponseTopic 0-7
//     Name                    string  0-7
//     Partitions              []OffsetFetchResponsePartition 0-7
//       PartitionIndex        int32   0-7
//       CommittedOffset       int64   0-7
//       CommittedLeaderEpoch  int32   5-7 default -1
//       Metadata              string  0-7 nullable 0-7
//       ErrorCode             int16   0-7
//   ErrorCode                 int16   2-7 default 0
//   Groups                    []OffsetFetchResponseGroup 8+
//     GroupId                 string  8+
//     Topics                  []OffsetFetchResponseTopics 8+
//       Name                  string  8+
//       Partitions            []OffsetFetchResponsePartitions 8+
//         PartitionIndex      int32   8+
//         CommittedOffset     int64   8+
//         CommittedLeaderEpoch int32  8+  default -1
//         Metadata            string  8+  nullable 8+
//         ErrorCode           int16   8+
//     ErrorCode               int16   8+  default 0
// ```
//
// Both messages keep the v8 list of groups in every version, so one coordinator path serves all of
// them: v0–7 carry exactly one group, whose `GroupId` and `Topics` (and, in the response, `ErrorCode`)
// are the top-level fields. A v0–7 response has no group id on the wire (it is read as ""), and v0–1
// no group-level error code: there a group's error must go into each partition's.

/// OffsetFetch request.
package struct OffsetFetchRequest: KafkaMessage {
    package static let apiKey = APIKey.offsetFetch
    static let firstFlexibleVersion: Int16 = 6

    /// One `OffsetFetchRequestTopic` (v0–7) or `OffsetFetchRequestTopics` (v8+).
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitionIndexes: [Int32]

        package init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
            let field = version >= 8 ? "OffsetFetchRequest.Groups.Topics" : "OffsetFetchRequest.Topics"
            self.name = try reader.readString(flexible: flexible, field: field + ".Name")
            self.partitionIndexes = try reader.readInt32Array(flexible: flexible, field: field + ".PartitionIndexes")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
            writer.writeString(self.name, flexible: flexible)
            writer.writeInt32Array(self.partitionIndexes, flexible: flexible)
        }
    }

    /// One `OffsetFetchRequestGroup`; v0–7's top-level `GroupId` and `Topics`.
    package struct Group: KafkaStruct {
        package var groupID: String
        /// Nil: every partition the group has committed (v2+; a v0–1 request writes nil as no topics).
        package var topics: [Topic]?

        package init(groupID: String, topics: [Topic]?) {
            self.groupID = groupID
            self.topics = topics
        }

        /// The `Groups` element of v8+ (always flexible).
        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.groupID = try reader.readCompactString(field: "OffsetFetchRequest.Groups.GroupId")
            self.topics = try reader.readFlexibleArray(
                version: version, nullable: true, minimumElementSize: 3, field: "OffsetFetchRequest.Groups.Topics")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.groupID)
            writer.writeFlexibleArray(self.topics, version: version)
        }
    }

    /// The groups asked about: `Groups` in v8+, the single `GroupId`/`Topics` before (a request written at
    /// v0–7 carries the first group, or group "" with no topics if there is none).
    package var groups: [Group]
    /// v7+; false when absent.
    package var requireStable: Bool

    package init(groups: [Group], requireStable: Bool = false) {
        self.groups = groups
        self.requireStable = requireStable
    }

    /// A request for one group (any version).
    package init(groupID: String, topics: [Topic]?, requireStable: Bool = false) {
        self.init(groups: [Group(groupID: groupID, topics: topics)], requireStable: requireStable)
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        if version >= 8 {
            self.groups = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 3, field: "OffsetFetchRequest.Groups")
        } else {
            let groupID = try reader.readString(flexible: flexible, field: "OffsetFetchRequest.GroupId")
            let topics: [Topic]? = try reader.readNullableArray(
                version: version, flexible: flexible, nullable: version >= 2, minimumElementSize: 3,
                field: "OffsetFetchRequest.Topics")
            self.groups = [Group(groupID: groupID, topics: topics)]
        }
        self.requireStable = try version >= 7 ? reader.readBool(field: "OffsetFetchRequest.RequireStable") : false
        try reader.skipTaggedFields(flexible: flexible, field: "OffsetFetchRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        if version >= 8 {
            writer.writeArray(self.groups, version: version, flexible: flexible)
        } else {
            let group = self.groups.first ?? Group(groupID: "", topics: [])
            writer.writeString(group.groupID, flexible: flexible)
            writer.writeArray(version >= 2 ? group.topics : group.topics ?? [], version: version, flexible: flexible)
        }
        if version >= 7 {
            writer.writeBool(self.requireStable)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// OffsetFetch response.
package struct OffsetFetchResponse: KafkaMessage {
    package static let apiKey = APIKey.offsetFetch

    /// One `OffsetFetchResponsePartition(s)`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        /// -1: no committed offset.
        package var committedOffset: Int64
        /// v5+; -1 when absent.
        package var committedLeaderEpoch: Int32
        package var metadata: String?
        package var errorCode: KafkaErrorCode

        package init(
            partitionIndex: Int32,
            committedOffset: Int64,
            committedLeaderEpoch: Int32 = -1,
            metadata: String?,
            errorCode: KafkaErrorCode = .noError
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
            let field =
                version >= 8 ? "OffsetFetchResponse.Groups.Topics.Partitions" : "OffsetFetchResponse.Topics.Partitions"
            self.partitionIndex = try reader.readInt32(field: field + ".PartitionIndex")
            self.committedOffset = try reader.readInt64(field: field + ".CommittedOffset")
            self.committedLeaderEpoch = try version >= 5 ? reader.readInt32(field: field + ".CommittedLeaderEpoch") : -1
            self.metadata = try reader.readNullableString(flexible: flexible, field: field + ".Metadata")
            self.errorCode = try reader.readErrorCode(field: field + ".ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeInt64(self.committedOffset)
            if version >= 5 {
                writer.writeInt32(self.committedLeaderEpoch)
            }
            writer.writeNullableString(self.metadata, flexible: version >= OffsetFetchRequest.firstFlexibleVersion)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// One `OffsetFetchResponseTopic(s)`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
            let field = version >= 8 ? "OffsetFetchResponse.Groups.Topics" : "OffsetFetchResponse.Topics"
            self.name = try reader.readString(flexible: flexible, field: field + ".Name")
            self.partitions = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 16, field: field + ".Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
            writer.writeString(self.name, flexible: flexible)
            writer.writeArray(self.partitions, version: version, flexible: flexible)
        }
    }

    /// One `OffsetFetchResponseGroup`; v0–7's top-level `Topics` and `ErrorCode`.
    package struct Group: KafkaStruct {
        /// v8+; "" when read from v0–7.
        package var groupID: String
        package var topics: [Topic]
        /// The group-level error (v2+; not on the wire in v0–1).
        package var errorCode: KafkaErrorCode

        package init(groupID: String, topics: [Topic], errorCode: KafkaErrorCode = .noError) {
            self.groupID = groupID
            self.topics = topics
            self.errorCode = errorCode
        }

        /// The `Groups` element of v8+ (always flexible).
        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.groupID = try reader.readCompactString(field: "OffsetFetchResponse.Groups.GroupId")
            self.topics =
                try reader.readFlexibleArray(
                    version: version, minimumElementSize: 3, field: "OffsetFetchResponse.Groups.Topics") ?? []
            self.errorCode = try reader.readErrorCode(field: "OffsetFetchResponse.Groups.ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.groupID)
            writer.writeFlexibleArray(self.topics, version: version)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// v3+; 0 when absent.
    package var throttleTimeMs: Int32
    /// One per group asked, in order: `Groups` in v8+; v0–7 carry exactly one (a response written at v0–7
    /// carries the first group, or no topics and no error if there is none).
    package var groups: [Group]

    package init(throttleTimeMs: Int32 = 0, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    /// A response for one group: what v0–7 carry (its group id is "", which v8 would carry).
    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .noError, topics: [Topic]) {
        self.init(throttleTimeMs: throttleTimeMs, groups: [Group(groupID: "", topics: topics, errorCode: errorCode)])
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 3 ? reader.readInt32(field: "OffsetFetchResponse.ThrottleTimeMs") : 0
        if version >= 8 {
            self.groups = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 5, field: "OffsetFetchResponse.Groups")
        } else {
            let topics: [Topic] = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 3, field: "OffsetFetchResponse.Topics")
            let errorCode = try version >= 2 ? reader.readErrorCode(field: "OffsetFetchResponse.ErrorCode") : .noError
            self.groups = [Group(groupID: "", topics: topics, errorCode: errorCode)]
        }
        try reader.skipTaggedFields(flexible: flexible, field: "OffsetFetchResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= OffsetFetchRequest.firstFlexibleVersion
        if version >= 3 {
            writer.writeInt32(self.throttleTimeMs)
        }
        if version >= 8 {
            writer.writeArray(self.groups, version: version, flexible: flexible)
        } else {
            let group = self.groups.first ?? Group(groupID: "", topics: [])
            writer.writeArray(group.topics, version: version, flexible: flexible)
            if version >= 2 {
                writer.writeErrorCode(group.errorCode)
            }
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
