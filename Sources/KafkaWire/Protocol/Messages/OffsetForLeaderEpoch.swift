// OffsetForLeaderEpoch (key 23), `OffsetForLeaderEpochRequest.json` / `...Response.json`, versions 2–3:
//
// ```
// OffsetForLeaderEpochRequest
//   ReplicaId              int32   3+  default -2 (a "debug" consumer)
//   Topics                 []OffsetForLeaderTopic 0+
//     Topic                string  0+
//     Partitions           []OffsetForLeaderPartition 0+
//       Partition          int32   0+
//       CurrentLeaderEpoch int32   2+  default -1
//       LeaderEpoch        int32   0+
// OffsetForLeaderEpochResponse
//   ThrottleTimeMs         int32   2+
//   Topics                 []OffsetForLeaderTopicResult 0+
//     Topic                string  0+
//     Partitions           []EpochEndOffset 0+
//       ErrorCode          int16   0+
//       Partition          int32   0+
//       LeaderEpoch        int32   1+  default -1
//       EndOffset          int64   0+  default -1
// ```
//
// Fields every version from 2 on carries are read and written unconditionally.

/// OffsetForLeaderEpoch request.
package struct OffsetForLeaderEpochRequest: KafkaMessage {
    package static let apiKey = APIKey.offsetForLeaderEpoch

    /// One `OffsetForLeaderPartition`.
    package struct Partition: KafkaStruct {
        package var partition: Int32
        package var currentLeaderEpoch: Int32
        /// The epoch whose end offset the client asks for.
        package var leaderEpoch: Int32

        package init(partition: Int32, currentLeaderEpoch: Int32, leaderEpoch: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partition = try reader.readInt32(field: "OffsetForLeaderEpochRequest.Topics.Partitions.Partition")
            self.currentLeaderEpoch = try reader.readInt32(
                field: "OffsetForLeaderEpochRequest.Topics.Partitions.CurrentLeaderEpoch"
            )
            self.leaderEpoch = try reader.readInt32(field: "OffsetForLeaderEpochRequest.Topics.Partitions.LeaderEpoch")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partition)
            writer.writeInt32(self.currentLeaderEpoch)
            writer.writeInt32(self.leaderEpoch)
        }
    }

    /// One `OffsetForLeaderTopic`.
    package struct Topic: KafkaStruct {
        package var topic: String
        package var partitions: [Partition]

        package init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "OffsetForLeaderEpochRequest.Topics.Topic")
            self.partitions = try reader.readArray(
                version: version,
                field: "OffsetForLeaderEpochRequest.Topics.Partitions"
            )
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// v3+; -2 when absent.
    package var replicaID: Int32
    package var topics: [Topic]

    package init(replicaID: Int32 = -2, topics: [Topic]) {
        self.replicaID = replicaID
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.replicaID = try version >= 3 ? reader.readInt32(field: "OffsetForLeaderEpochRequest.ReplicaId") : -2
        self.topics = try reader.readArray(version: version, field: "OffsetForLeaderEpochRequest.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 3 {
            writer.writeInt32(self.replicaID)
        }
        writer.writeArray(self.topics, version: version)
    }
}

/// OffsetForLeaderEpoch response.
package struct OffsetForLeaderEpochResponse: KafkaMessage {
    package static let apiKey = APIKey.offsetForLeaderEpoch

    /// One `EpochEndOffset`.
    package struct EpochEndOffset: KafkaStruct {
        package var errorCode: KafkaErrorCode
        package var partition: Int32
        package var leaderEpoch: Int32
        package var endOffset: Int64

        package init(errorCode: KafkaErrorCode, partition: Int32, leaderEpoch: Int32 = -1, endOffset: Int64 = -1) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.errorCode = try reader.readErrorCode(field: "OffsetForLeaderEpochResponse.Topics.Partitions.ErrorCode")
            self.partition = try reader.readInt32(field: "OffsetForLeaderEpochResponse.Topics.Partitions.Partition")
            self.leaderEpoch = try reader.readInt32(field: "OffsetForLeaderEpochResponse.Topics.Partitions.LeaderEpoch")
            self.endOffset = try reader.readInt64(field: "OffsetForLeaderEpochResponse.Topics.Partitions.EndOffset")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeErrorCode(self.errorCode)
            writer.writeInt32(self.partition)
            writer.writeInt32(self.leaderEpoch)
            writer.writeInt64(self.endOffset)
        }
    }

    /// One `OffsetForLeaderTopicResult`.
    package struct TopicResult: KafkaStruct {
        package var topic: String
        package var partitions: [EpochEndOffset]

        package init(topic: String, partitions: [EpochEndOffset]) {
            self.topic = topic
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "OffsetForLeaderEpochResponse.Topics.Topic")
            self.partitions = try reader.readArray(
                version: version,
                field: "OffsetForLeaderEpochResponse.Topics.Partitions"
            )
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitions, version: version)
        }
    }

    package var throttleTimeMs: Int32
    package var topics: [TopicResult]

    package init(throttleTimeMs: Int32 = 0, topics: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "OffsetForLeaderEpochResponse.ThrottleTimeMs")
        self.topics = try reader.readArray(version: version, field: "OffsetForLeaderEpochResponse.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.topics, version: version)
    }
}
