package import NIOCore

// Fetch (key 1), `FetchRequest.json` / `FetchResponse.json`, versions 4–11 here:
//
// ```
// FetchRequest
//   ReplicaId              int32   0-14
//   MaxWaitMs              int32   0+
//   MinBytes               int32   0+
//   MaxBytes               int32   3+  default 0x7fffffff
//   IsolationLevel         int8    4+  default 0
//   SessionId              int32   7+  default 0
//   SessionEpoch           int32   7+  default -1
//   Topics                 []FetchTopic 0+
//     Topic                string  0-12
//     Partitions           []FetchPartition 0+
//       Partition          int32   0+
//       CurrentLeaderEpoch int32   9+  default -1
//       FetchOffset        int64   0+
//       LogStartOffset     int64   5+  default -1
//       PartitionMaxBytes  int32   0+
//   ForgottenTopicsData    []ForgottenTopic 7+
//     Topic                string  7-12
//     Partitions           []int32 7+
//   RackId                 string  11+ default ""
// FetchResponse
//   ThrottleTimeMs         int32   1+
//   ErrorCode              int16   7+
//   SessionId              int32   7+  default 0
//   Responses              []FetchableTopicResponse 0+
//     Topic                string  0-12
//     Partitions           []PartitionData 0+
//       PartitionIndex     int32   0+
//       ErrorCode          int16   0+
//       HighWatermark      int64   0+
//       LastStableOffset   int64   4+  default -1
//       LogStartOffset     int64   5+  default -1
//       AbortedTransactions []AbortedTransaction 4+ nullable 4+
//         ProducerId       int64   4+
//         FirstOffset      int64   4+
//       PreferredReadReplica int32 11+ default -1
//       Records            records 0+  nullable 0+
// ```
//
// Fields that every version from 4 on carries (MaxBytes, IsolationLevel, LastStableOffset,
// AbortedTransactions) are read and written unconditionally.

/// Fetch request.
package struct FetchRequest: KafkaMessage {
    package static let apiKey = APIKey.fetch

    /// One `FetchPartition`.
    package struct Partition: KafkaStruct {
        package var partition: Int32
        /// v9+; -1 when absent.
        package var currentLeaderEpoch: Int32
        package var fetchOffset: Int64
        /// v5+; -1 when absent. Only followers send a real value.
        package var logStartOffset: Int64
        package var partitionMaxBytes: Int32

        package init(
            partition: Int32,
            currentLeaderEpoch: Int32 = -1,
            fetchOffset: Int64,
            logStartOffset: Int64 = -1,
            partitionMaxBytes: Int32
        ) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partition = try reader.readInt32(field: "FetchRequest.Topics.Partitions.Partition")
            self.currentLeaderEpoch =
                try version >= 9 ? reader.readInt32(field: "FetchRequest.Topics.Partitions.CurrentLeaderEpoch") : -1
            self.fetchOffset = try reader.readInt64(field: "FetchRequest.Topics.Partitions.FetchOffset")
            self.logStartOffset =
                try version >= 5 ? reader.readInt64(field: "FetchRequest.Topics.Partitions.LogStartOffset") : -1
            self.partitionMaxBytes = try reader.readInt32(field: "FetchRequest.Topics.Partitions.PartitionMaxBytes")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partition)
            if version >= 9 {
                writer.writeInt32(self.currentLeaderEpoch)
            }
            writer.writeInt64(self.fetchOffset)
            if version >= 5 {
                writer.writeInt64(self.logStartOffset)
            }
            writer.writeInt32(self.partitionMaxBytes)
        }
    }

    /// One `FetchTopic`.
    package struct Topic: KafkaStruct {
        package var topic: String
        package var partitions: [Partition]

        package init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "FetchRequest.Topics.Topic")
            self.partitions = try reader.readArray(version: version, field: "FetchRequest.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// One `ForgottenTopic` (v7+): partitions to remove from an incremental fetch session.
    package struct ForgottenTopic: KafkaStruct {
        package var topic: String
        package var partitions: [Int32]

        package init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "FetchRequest.ForgottenTopicsData.Topic")
            self.partitions = try reader.readInt32Array(field: "FetchRequest.ForgottenTopicsData.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeInt32Array(self.partitions)
        }
    }

    /// -1 for consumers, the broker id for followers.
    package var replicaID: Int32
    package var maxWaitMs: Int32
    package var minBytes: Int32
    package var maxBytes: Int32
    /// 0 READ_UNCOMMITTED, 1 READ_COMMITTED.
    package var isolationLevel: Int8
    /// v7+ (KIP-227 fetch sessions); 0 when absent.
    package var sessionID: Int32
    /// v7+; -1 when absent.
    package var sessionEpoch: Int32
    package var topics: [Topic]
    /// v7+; empty when absent.
    package var forgottenTopicsData: [ForgottenTopic]
    /// v11+; "" when absent.
    package var rackID: String

    package init(
        replicaID: Int32 = -1,
        maxWaitMs: Int32,
        minBytes: Int32,
        maxBytes: Int32 = 0x7fff_ffff,
        isolationLevel: Int8 = 0,
        sessionID: Int32 = 0,
        sessionEpoch: Int32 = -1,
        topics: [Topic],
        forgottenTopicsData: [ForgottenTopic] = [],
        rackID: String = ""
    ) {
        self.replicaID = replicaID
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionID = sessionID
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
        self.rackID = rackID
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.replicaID = try reader.readInt32(field: "FetchRequest.ReplicaId")
        self.maxWaitMs = try reader.readInt32(field: "FetchRequest.MaxWaitMs")
        self.minBytes = try reader.readInt32(field: "FetchRequest.MinBytes")
        self.maxBytes = try reader.readInt32(field: "FetchRequest.MaxBytes")
        self.isolationLevel = try reader.readInt8(field: "FetchRequest.IsolationLevel")
        if version >= 7 {
            self.sessionID = try reader.readInt32(field: "FetchRequest.SessionId")
            self.sessionEpoch = try reader.readInt32(field: "FetchRequest.SessionEpoch")
        } else {
            self.sessionID = 0
            self.sessionEpoch = -1
        }
        self.topics = try reader.readArray(version: version, field: "FetchRequest.Topics")
        self.forgottenTopicsData =
            try version >= 7 ? reader.readArray(version: version, field: "FetchRequest.ForgottenTopicsData") : []
        self.rackID = try version >= 11 ? reader.readString(field: "FetchRequest.RackId") : ""
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.replicaID)
        writer.writeInt32(self.maxWaitMs)
        writer.writeInt32(self.minBytes)
        writer.writeInt32(self.maxBytes)
        writer.writeInt8(self.isolationLevel)
        if version >= 7 {
            writer.writeInt32(self.sessionID)
            writer.writeInt32(self.sessionEpoch)
        }
        writer.writeArray(self.topics, version: version)
        if version >= 7 {
            writer.writeArray(self.forgottenTopicsData, version: version)
        }
        if version >= 11 {
            writer.writeString(self.rackID)
        }
    }
}

/// Fetch response.
package struct FetchResponse: KafkaMessage {
    package static let apiKey = APIKey.fetch

    /// One `AbortedTransaction`.
    package struct AbortedTransaction: KafkaStruct {
        package var producerID: Int64
        package var firstOffset: Int64

        package init(producerID: Int64, firstOffset: Int64) {
            self.producerID = producerID
            self.firstOffset = firstOffset
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.producerID = try reader.readInt64(
                field: "FetchResponse.Responses.Partitions.AbortedTransactions.ProducerId"
            )
            self.firstOffset = try reader.readInt64(
                field: "FetchResponse.Responses.Partitions.AbortedTransactions.FirstOffset"
            )
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt64(self.producerID)
            writer.writeInt64(self.firstOffset)
        }
    }

    /// One `PartitionData`.
    package struct PartitionData: KafkaStruct {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var highWatermark: Int64
        package var lastStableOffset: Int64
        /// v5+; -1 when absent.
        package var logStartOffset: Int64
        /// nil when the fetch is READ_UNCOMMITTED or no transaction was aborted in range.
        package var abortedTransactions: [AbortedTransaction]?
        /// v11+; -1 when absent (fetch from the leader).
        package var preferredReadReplica: Int32
        /// Whole record batches, passed through from the log; nil for null.
        package var records: ByteBuffer?

        package init(
            partitionIndex: Int32,
            errorCode: KafkaErrorCode,
            highWatermark: Int64,
            lastStableOffset: Int64 = -1,
            logStartOffset: Int64 = -1,
            abortedTransactions: [AbortedTransaction]? = nil,
            preferredReadReplica: Int32 = -1,
            records: ByteBuffer?
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "FetchResponse.Responses.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "FetchResponse.Responses.Partitions.ErrorCode")
            self.highWatermark = try reader.readInt64(field: "FetchResponse.Responses.Partitions.HighWatermark")
            self.lastStableOffset = try reader.readInt64(field: "FetchResponse.Responses.Partitions.LastStableOffset")
            self.logStartOffset =
                try version >= 5 ? reader.readInt64(field: "FetchResponse.Responses.Partitions.LogStartOffset") : -1
            self.abortedTransactions = try reader.readNullableArray(
                version: version,
                field: "FetchResponse.Responses.Partitions.AbortedTransactions"
            )
            self.preferredReadReplica =
                try version >= 11
                ? reader.readInt32(field: "FetchResponse.Responses.Partitions.PreferredReadReplica") : -1
            self.records = try reader.readNullableBytes(field: "FetchResponse.Responses.Partitions.Records")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeErrorCode(self.errorCode)
            writer.writeInt64(self.highWatermark)
            writer.writeInt64(self.lastStableOffset)
            if version >= 5 {
                writer.writeInt64(self.logStartOffset)
            }
            writer.writeNullableArray(self.abortedTransactions, version: version)
            if version >= 11 {
                writer.writeInt32(self.preferredReadReplica)
            }
            writer.writeNullableBytes(self.records)
        }
    }

    /// One `FetchableTopicResponse`.
    package struct TopicResponse: KafkaStruct {
        package var topic: String
        package var partitions: [PartitionData]

        package init(topic: String, partitions: [PartitionData]) {
            self.topic = topic
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "FetchResponse.Responses.Topic")
            self.partitions = try reader.readArray(version: version, field: "FetchResponse.Responses.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitions, version: version)
        }
    }

    package var throttleTimeMs: Int32
    /// v7+; NONE when absent. Fetch-session errors (FETCH_SESSION_ID_NOT_FOUND, ...) go here.
    package var errorCode: KafkaErrorCode
    /// v7+; 0 when absent or when the response is not part of a fetch session.
    package var sessionID: Int32
    package var responses: [TopicResponse]

    package init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode = .noError,
        sessionID: Int32 = 0,
        responses: [TopicResponse]
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionID = sessionID
        self.responses = responses
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "FetchResponse.ThrottleTimeMs")
        if version >= 7 {
            self.errorCode = try reader.readErrorCode(field: "FetchResponse.ErrorCode")
            self.sessionID = try reader.readInt32(field: "FetchResponse.SessionId")
        } else {
            self.errorCode = .noError
            self.sessionID = 0
        }
        self.responses = try reader.readArray(version: version, field: "FetchResponse.Responses")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        if version >= 7 {
            writer.writeErrorCode(self.errorCode)
            writer.writeInt32(self.sessionID)
        }
        writer.writeArray(self.responses, version: version)
    }
}
