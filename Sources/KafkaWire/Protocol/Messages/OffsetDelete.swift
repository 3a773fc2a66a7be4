// OffsetDelete (key 47), `OffsetDeleteRequest.json` / `OffsetDeleteResponse.json`, version 0 (KIP-496):
//
// ```
// OffsetDeleteRequest
//   GroupId               string  0+
//   Topics                []OffsetDeleteRequestTopic 0+
//     Name                string  0+
//     Partitions          []OffsetDeleteRequestPartition 0+
//       PartitionIndex    int32   0+
// OffsetDeleteResponse
//   ErrorCode             int16   0+
//   ThrottleTimeMs        int32   0+
//   Topics                []OffsetDeleteResponseTopic 0+
//     Name                string  0+
//     Partitions          []OffsetDeleteResponsePartition 0+
//       PartitionIndex    int32   0+
//       ErrorCode         int16   0+
// ```

/// OffsetDelete request.
package struct OffsetDeleteRequest: KafkaMessage {
    package static let apiKey = APIKey.offsetDelete

    /// One `OffsetDeleteRequestPartition`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32

        package init(partitionIndex: Int32) {
            self.partitionIndex = partitionIndex
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "OffsetDeleteRequest.Topics.Partitions.PartitionIndex")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
        }
    }

    /// One `OffsetDeleteRequestTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "OffsetDeleteRequest.Topics.Name")
            self.partitions = try reader.readArray(
                version: version, minimumElementSize: 4, field: "OffsetDeleteRequest.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    package var groupID: String
    package var topics: [Topic]

    package init(groupID: String, topics: [Topic]) {
        self.groupID = groupID
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.groupID = try reader.readString(field: "OffsetDeleteRequest.GroupId")
        self.topics = try reader.readArray(version: version, minimumElementSize: 6, field: "OffsetDeleteRequest.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeString(self.groupID)
        writer.writeArray(self.topics, version: version)
    }
}

/// OffsetDelete response.
package struct OffsetDeleteResponse: KafkaMessage {
    package static let apiKey = APIKey.offsetDelete

    /// One `OffsetDeleteResponsePartition`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode

        package init(partitionIndex: Int32, errorCode: KafkaErrorCode) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "OffsetDeleteResponse.Topics.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "OffsetDeleteResponse.Topics.Partitions.ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// One `OffsetDeleteResponseTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "OffsetDeleteResponse.Topics.Name")
            self.partitions = try reader.readArray(
                version: version, minimumElementSize: 6, field: "OffsetDeleteResponse.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// The group-level error.
    package var errorCode: KafkaErrorCode
    package var throttleTimeMs: Int32
    package var topics: [Topic]

    package init(errorCode: KafkaErrorCode = .noError, throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.errorCode = try reader.readErrorCode(field: "OffsetDeleteResponse.ErrorCode")
        self.throttleTimeMs = try reader.readInt32(field: "OffsetDeleteResponse.ThrottleTimeMs")
        self.topics = try reader.readArray(
            version: version, minimumElementSize: 6, field: "OffsetDeleteResponse.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeErrorCode(self.errorCode)
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.topics, version: version)
    }
}
