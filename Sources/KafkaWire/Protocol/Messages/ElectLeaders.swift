// ElectLeaders (key 43), `ElectLeadersRequest.json` / `ElectLeadersResponse.json`, versions 0–1 here
// (v2 is flexible):
//
// ```
// ElectLeadersRequest
//   ElectionType          int8    1+  (0 preferred, 1 unclean)
//   TopicPartitions       []TopicPartitions 0+ nullable 0+   (null: every partition)
//     Topic               string  0+
//     Partitions          []int32 0+
//   TimeoutMs             int32   0+  default 60000
// ElectLeadersResponse
//   ThrottleTimeMs        int32   0+
//   ErrorCode             int16   1+
//   ReplicaElectionResults []ReplicaElectionResult 0+
//     Topic               string  0+
//     PartitionResult     []PartitionResult 0+
//       PartitionId       int32   0+
//       ErrorCode         int16   0+
//       ErrorMessage      string  0+ nullable 0+
// ```

/// ElectLeaders request.
package struct ElectLeadersRequest: KafkaMessage {
    package static let apiKey = APIKey.electLeaders

    /// One `TopicPartitions`.
    package struct TopicPartitions: KafkaStruct {
        package var topic: String
        package var partitions: [Int32]

        package init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "ElectLeadersRequest.TopicPartitions.Topic")
            self.partitions = try reader.readInt32Array(field: "ElectLeadersRequest.TopicPartitions.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeInt32Array(self.partitions)
        }
    }

    /// v1+; 0 (preferred) when absent.
    package var electionType: Int8
    /// Nil: every partition.
    package var topicPartitions: [TopicPartitions]?
    package var timeoutMs: Int32

    package init(electionType: Int8 = 0, topicPartitions: [TopicPartitions]?, timeoutMs: Int32 = 60_000) {
        self.electionType = electionType
        self.topicPartitions = topicPartitions
        self.timeoutMs = timeoutMs
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.electionType = try version >= 1 ? reader.readInt8(field: "ElectLeadersRequest.ElectionType") : 0
        self.topicPartitions = try reader.readNullableArray(version: version, field: "ElectLeadersRequest.TopicPartitions")
        self.timeoutMs = try reader.readInt32(field: "ElectLeadersRequest.TimeoutMs")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 1 {
            writer.writeInt8(self.electionType)
        }
        writer.writeNullableArray(self.topicPartitions, version: version)
        writer.writeInt32(self.timeoutMs)
    }
}

/// ElectLeaders response.
package struct ElectLeadersResponse: KafkaMessage {
    package static let apiKey = APIKey.electLeaders

    /// One `PartitionResult`.
    package struct PartitionResult: KafkaStruct {
        package var partitionID: Int32
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?

        package init(partitionID: Int32, errorCode: KafkaErrorCode, errorMessage: String? = nil) {
            self.partitionID = partitionID
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionID = try reader.readInt32(field: "ElectLeadersResponse.PartitionResult.PartitionId")
            self.errorCode = try reader.readErrorCode(field: "ElectLeadersResponse.PartitionResult.ErrorCode")
            self.errorMessage = try reader.readNullableString(field: "ElectLeadersResponse.PartitionResult.ErrorMessage")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionID)
            writer.writeErrorCode(self.errorCode)
            writer.writeNullableString(self.errorMessage)
        }
    }

    /// One `ReplicaElectionResult`.
    package struct ReplicaElectionResult: KafkaStruct {
        package var topic: String
        package var partitionResult: [PartitionResult]

        package init(topic: String, partitionResult: [PartitionResult]) {
            self.topic = topic
            self.partitionResult = partitionResult
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topic = try reader.readString(field: "ElectLeadersResponse.ReplicaElectionResults.Topic")
            self.partitionResult = try reader.readArray(
                version: version, field: "ElectLeadersResponse.ReplicaElectionResults.PartitionResult")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topic)
            writer.writeArray(self.partitionResult, version: version)
        }
    }

    package var throttleTimeMs: Int32
    /// v1+; 0 when absent.
    package var errorCode: KafkaErrorCode
    package var replicaElectionResults: [ReplicaElectionResult]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, replicaElectionResults: [ReplicaElectionResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.replicaElectionResults = replicaElectionResults
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "ElectLeadersResponse.ThrottleTimeMs")
        self.errorCode = try version >= 1 ? reader.readErrorCode(field: "ElectLeadersResponse.ErrorCode") : .noError
        self.replicaElectionResults = try reader.readArray(
            version: version, field: "ElectLeadersResponse.ReplicaElectionResults")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        if version >= 1 {
            writer.writeErrorCode(self.errorCode)
        }
        writer.writeArray(self.replicaElectionResults, version: version)
    }
}
