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
package struct ListOffsetsRequest: KafkaMessage {
    package static let apiKey = APIKey.listOffsets

    /// One `ListOffsetsPartition`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        /// v4+; -1 when absent.
        package var currentLeaderEpoch: Int32
        package var timestamp: Int64

        package init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "ListOffsetsRequest.Topics.Partitions.PartitionIndex")
            self.currentLeaderEpoch =
                try version >= 4
                ? reader.readInt32(field: "ListOffsetsRequest.Topics.Partitions.CurrentLeaderEpoch") : -1
            self.timestamp = try reader.readInt64(field: "ListOffsetsRequest.Topics.Partitions.Timestamp")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            if version >= 4 {
                writer.writeInt32(self.currentLeaderEpoch)
            }
            writer.writeInt64(self.timestamp)
        }
    }

    /// One `ListOffsetsTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "ListOffsetsRequest.Topics.Name")
            self.partitions = try reader.readArray(version: version, field: "ListOffsetsRequest.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// -1 for consumers.
    package var replicaID: Int32
    /// v2+; 0 (READ_UNCOMMITTED) when absent.
    package var isolationLevel: Int8
    package var topics: [Topic]

    package init(replicaID: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic]) {
        self.replicaID = replicaID
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.replicaID = try reader.readInt32(field: "ListOffsetsRequest.ReplicaId")
        self.isolationLevel = try version >= 2 ? reader.readInt8(field: "ListOffsetsRequest.IsolationLevel") : 0
        self.topics = try reader.readArray(version: version, field: "ListOffsetsRequest.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.replicaID)
        if version >= 2 {
            writer.writeInt8(self.isolationLevel)
        }
        writer.writeArray(self.topics, version: version)
    }
}

/// ListOffsets response.
package struct ListOffsetsResponse: KafkaMessage {
    package static let apiKey = APIKey.listOffsets

    /// One `ListOffsetsPartitionResponse`.
    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var timestamp: Int64
        package var offset: Int64
        /// v4+; -1 when absent.
        package var leaderEpoch: Int32

        package init(
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

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "ListOffsetsResponse.Topics.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "ListOffsetsResponse.Topics.Partitions.ErrorCode")
            self.timestamp = try reader.readInt64(field: "ListOffsetsResponse.Topics.Partitions.Timestamp")
            self.offset = try reader.readInt64(field: "ListOffsetsResponse.Topics.Partitions.Offset")
            self.leaderEpoch =
                try version >= 4 ? reader.readInt32(field: "ListOffsetsResponse.Topics.Partitions.LeaderEpoch") : -1
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
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
    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "ListOffsetsResponse.Topics.Name")
            self.partitions = try reader.readArray(version: version, field: "ListOffsetsResponse.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// v2+; 0 when absent.
    package var throttleTimeMs: Int32
    package var topics: [Topic]

    package init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 2 ? reader.readInt32(field: "ListOffsetsResponse.ThrottleTimeMs") : 0
        self.topics = try reader.readArray(version: version, field: "ListOffsetsResponse.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 2 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.topics, version: version)
    }
}
