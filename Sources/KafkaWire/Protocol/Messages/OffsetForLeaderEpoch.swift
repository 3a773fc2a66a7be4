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
public struct OffsetForLeaderEpochRequest: KafkaMessage {
    public static let apiKey = APIKey.offsetForLeaderEpoch

    /// One `OffsetForLeaderPartition`.
    public struct Partition: KafkaStruct {
        public var partition: Int32
        public var currentLeaderEpoch: Int32
        /// The epoch whose end offset the client asks for.
        public var leaderEpoch: Int32

        public init(partition: Int32, currentLeaderEpoch: Int32, leaderEpoch: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partition = try reader.readInt32(field: "OffsetForLeaderEpochRequest.Topics.Partitions.Partition")
            self.currentLeaderEpoch = try reader.readInt32(
                field: "OffsetForLeaderEpochRequest.Topics.Partitions.CurrentLeaderEpoch"
            )
            self.leaderEpoch = try reader.readInt32(field: "OffsetForLeaderEpochRequest.Topics.Partitions.LeaderEpoch")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partition)
            writer.writeInt32(self.currentLeaderEpoch)
            writer.writeInt32(self.leaderEpoch)
        }
    }

    /// One `OffsetForLeaderTopic`.
    public struct Topic: KafkaStruct {
        public var topic: String
        public var partitions: [Partition]

        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "OffsetForLeaderEpochRequest.Topics.Topic")
            self.partitions = try reader.readArray(
                version: version,
                field: "OffsetForLeaderEpochRequest.Topics.Partitions"
            )
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// v3+; -2 when absent.
    public var replicaID: Int32
    public var topics: [Topic]

    public init(replicaID: Int32 = -2, topics: [Topic]) {
        self.replicaID = replicaID
        self.topics = topics
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.replicaID = try version >= 3 ? reader.readInt32(field: "OffsetForLeaderEpochRequest.ReplicaId") : -2
        self.topics = try reader.readArray(version: version, field: "OffsetForLeaderEpochRequest.Topics")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 3 {
            writer.writeInt32(self.replicaID)
        }
        writer.writeArray(self.topics, version: version)
    }
}

/// OffsetForLeaderEpoch response.
public struct OffsetForLeaderEpochResponse: KafkaMessage {
    public static let apiKey = APIKey.offsetForLeaderEpoch

    /// One `EpochEndOffset`.
    public struct EpochEndOffset: KafkaStruct {
        public var errorCode: KafkaErrorCode
        public var partition: Int32
        public var leaderEpoch: Int32
        public var endOffset: Int64

        public init(errorCode: KafkaErrorCode, partition: Int32, leaderEpoch: Int32 = -1, endOffset: Int64 = -1) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.errorCode = try reader.readErrorCode(field: "OffsetForLeaderEpochResponse.Topics.Partitions.ErrorCode")
            self.partition = try reader.readInt32(field: "OffsetForLeaderEpochResponse.Topics.Partitions.Partition")
            self.leaderEpoch = try reader.readInt32(field: "OffsetForLeaderEpochResponse.Topics.Partitions.LeaderEpoch")
            self.endOffset = try reader.readInt64(field: "OffsetForLeaderEpochResponse.Topics.Partitions.EndOffset")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeErrorCode(self.errorCode)
            writer.writeInt32(self.partition)
            writer.writeInt32(self.leaderEpoch)
            writer.writeInt64(self.endOffset)
        }
    }

    /// One `OffsetForLeaderTopicResult`.
    public struct TopicResult: KafkaStruct {
        public var topic: String
        public var partitions: [EpochEndOffset]

        public init(topic: String, partitions: [EpochEndOffset]) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "OffsetForLeaderEpochResponse.Topics.Topic")
            self.partitions = try reader.readArray(
                version: version,
                field: "OffsetForLeaderEpochResponse.Topics.Partitions"
            )
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitions, version: version)
        }
    }

    public var throttleTimeMs: Int32
    public var topics: [TopicResult]

    public init(throttleTimeMs: Int32 = 0, topics: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "OffsetForLeaderEpochResponse.ThrottleTimeMs")
        self.topics = try reader.readArray(version: version, field: "OffsetForLeaderEpochResponse.Topics")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.topics, version: version)
    }
}
