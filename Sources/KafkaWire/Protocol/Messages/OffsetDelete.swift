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
public struct OffsetDeleteRequest: KafkaMessage {
    public static let apiKey = APIKey.offsetDelete

    /// One `OffsetDeleteRequestPartition`.
    public struct Partition: KafkaStruct {
        public var partitionIndex: Int32

        public init(partitionIndex: Int32) {
            self.partitionIndex = partitionIndex
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "OffsetDeleteRequest.Topics.Partitions.PartitionIndex")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
        }
    }

    /// One `OffsetDeleteRequestTopic`.
    public struct Topic: KafkaStruct {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "OffsetDeleteRequest.Topics.Name")
            self.partitions = try reader.readArray(
                version: version, minimumElementSize: 4, field: "OffsetDeleteRequest.Topics.Partitions")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    public var groupID: String
    public var topics: [Topic]

    public init(groupID: String, topics: [Topic]) {
        self.groupID = groupID
        self.topics = topics
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.groupID = try reader.readString(field: "OffsetDeleteRequest.GroupId")
        self.topics = try reader.readArray(version: version, minimumElementSize: 6, field: "OffsetDeleteRequest.Topics")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeString(self.groupID)
        writer.writeArray(self.topics, version: version)
    }
}

/// OffsetDelete response.
public struct OffsetDeleteResponse: KafkaMessage {
    public static let apiKey = APIKey.offsetDelete

    /// One `OffsetDeleteResponsePartition`.
    public struct Partition: KafkaStruct {
        public var partitionIndex: Int32
        public var errorCode: KafkaErrorCode

        public init(partitionIndex: Int32, errorCode: KafkaErrorCode) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "OffsetDeleteResponse.Topics.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "OffsetDeleteResponse.Topics.Partitions.ErrorCode")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// One `OffsetDeleteResponseTopic`.
    public struct Topic: KafkaStruct {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "OffsetDeleteResponse.Topics.Name")
            self.partitions = try reader.readArray(
                version: version, minimumElementSize: 6, field: "OffsetDeleteResponse.Topics.Partitions")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// The group-level error.
    public var errorCode: KafkaErrorCode
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(errorCode: KafkaErrorCode = .noError, throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.errorCode = try reader.readErrorCode(field: "OffsetDeleteResponse.ErrorCode")
        self.throttleTimeMs = try reader.readInt32(field: "OffsetDeleteResponse.ThrottleTimeMs")
        self.topics = try reader.readArray(
            version: version, minimumElementSize: 6, field: "OffsetDeleteResponse.Topics")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeErrorCode(self.errorCode)
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.topics, version: version)
    }
}
