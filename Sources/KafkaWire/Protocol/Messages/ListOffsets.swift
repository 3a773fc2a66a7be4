// ListOffsets (key 2), `ListOffsetsRequest.json` / `ListOffsetsResponse.json`, versions 1–5 here:
//
// ```
// ListOffsetsRequest
//   ReplicaId              int32   0+
//   IsolationLevel         int8    2+
//   Topics                 []ListOffsetsTopic 0+
//     Name                 string  0+
//     Partitions           []ListOffsetsPartition 0+
//       PartitionIndex     int32   0+
//       CurrentLeaderEpoch int32   4+  default -1
//       Timestamp          int64   0+
//       MaxNumOffsets      int32   0     (v0 only: not implemented)
// ListOffsetsResponse
//   ThrottleTimeMs         int32   2+
//   Topics                 []ListOffsetsTopicResponse 0+
//     Name                 string  0+
//     Partitions           []ListOffsetsPartitionResponse 0+
//       PartitionIndex     int32   0+
//       ErrorCode          int16   0+
//       OldStyleOffsets    []int64 0     (v0 only: not implemented)
//       Timestamp          int64   1+  default -1
//       Offset             int64   1+  default -1
//       LeaderEpoch        int32   4+  default -1
// ```
//
// Timestamp -1 asks for the latest offset, -2 for the earliest.

/// ListOffsets request.
public struct ListOffsetsRequest: KafkaMessage {
    public static let apiKey = APIKey.listOffsets

    /// One `ListOffsetsPartition`.
    public struct Partition: KafkaStruct {
        public var partitionIndex: Int32
        /// v4+; -1 when absent.
        public var currentLeaderEpoch: Int32
        public var timestamp: Int64

        public init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "ListOffsetsRequest.Topics.Partitions.PartitionIndex")
            self.currentLeaderEpoch =
                try version >= 4
                ? reader.readInt32(field: "ListOffsetsRequest.Topics.Partitions.CurrentLeaderEpoch") : -1
            self.timestamp = try reader.readInt64(field: "ListOffsetsRequest.Topics.Partitions.Timestamp")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            if version >= 4 {
                writer.writeInt32(self.currentLeaderEpoch)
            }
            writer.writeInt64(self.timestamp)
        }
    }

    /// One `ListOffsetsTopic`.
    public struct Topic: KafkaStruct {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "ListOffsetsRequest.Topics.Name")
            self.partitions = try reader.readArray(version: version, field: "ListOffsetsRequest.Topics.Partitions")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// -1 for consumers.
    public var replicaID: Int32
    /// v2+; 0 (READ_UNCOMMITTED) when absent.
    public var isolationLevel: Int8
    public var topics: [Topic]

    public init(replicaID: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic]) {
        self.replicaID = replicaID
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.replicaID = try reader.readInt32(field: "ListOffsetsRequest.ReplicaId")
        self.isolationLevel = try version >= 2 ? reader.readInt8(field: "ListOffsetsRequest.IsolationLevel") : 0
        self.topics = try reader.readArray(version: version, field: "ListOffsetsRequest.Topics")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.replicaID)
        if version >= 2 {
            writer.writeInt8(self.isolationLevel)
        }
        writer.writeArray(self.topics, version: version)
    }
}

/// ListOffsets response.
public struct ListOffsetsResponse: KafkaMessage {
    public static let apiKey = APIKey.listOffsets

    /// One `ListOffsetsPartitionResponse`.
    public struct Partition: KafkaStruct {
        public var partitionIndex: Int32
        public var errorCode: KafkaErrorCode
        public var timestamp: Int64
        public var offset: Int64
        /// v4+; -1 when absent.
        public var leaderEpoch: Int32

        public init(
            partitionIndex: Int32,
            errorCode: KafkaErrorCode,
            timestamp: Int64 = -1,
            offset: Int64 = -1,
            leaderEpoch: Int32 = -1
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "ListOffsetsResponse.Topics.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "ListOffsetsResponse.Topics.Partitions.ErrorCode")
            self.timestamp = try reader.readInt64(field: "ListOffsetsResponse.Topics.Partitions.Timestamp")
            self.offset = try reader.readInt64(field: "ListOffsetsResponse.Topics.Partitions.Offset")
            self.leaderEpoch =
                try version >= 4 ? reader.readInt32(field: "ListOffsetsResponse.Topics.Partitions.LeaderEpoch") : -1
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeErrorCode(self.errorCode)
            writer.writeInt64(self.timestamp)
            writer.writeInt64(self.offset)
            if version >= 4 {
                writer.writeInt32(self.leaderEpoch)
            }
        }
    }

    /// One `ListOffsetsTopicResponse`.
    public struct Topic: KafkaStruct {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "ListOffsetsResponse.Topics.Name")
            self.partitions = try reader.readArray(version: version, field: "ListOffsetsResponse.Topics.Partitions")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// v2+; 0 when absent.
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 2 ? reader.readInt32(field: "ListOffsetsResponse.ThrottleTimeMs") : 0
        self.topics = try reader.readArray(version: version, field: "ListOffsetsResponse.Topics")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 2 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.topics, version: version)
    }
}
