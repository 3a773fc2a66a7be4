// CreateTopics (key 19), `CreateTopicsRequest.json` / `CreateTopicsResponse.json`, versions 0–4 here:
//
// ```
// CreateTopicsRequest
//   Topics                []CreatableTopic 0+
//     Name                string  0+
//     NumPartitions       int32   0+   (-1: manual assignment or broker default, v4+)
//     ReplicationFactor   int16   0+   (-1: manual assignment or broker default, v4+)
//     Assignments         []CreatableReplicaAssignment 0+
//       PartitionIndex    int32   0+
//       BrokerIds         []int32 0+
//     Configs             []CreatableTopicConfig 0+
//       Name              string  0+
//       Value             string  0+  nullable 0+
//   TimeoutMs             int32   0+
//   ValidateOnly          bool    1+  default false
// CreateTopicsResponse
//   ThrottleTimeMs        int32   2+
//   Topics                []CreatableTopicResult 0+
//     Name                string  0+
//     ErrorCode           int16   0+
//     ErrorMessage        string  1+  nullable 0+
// ```

/// CreateTopics request.
package struct CreateTopicsRequest: KafkaMessage {
    package static let apiKey = APIKey.createTopics

    /// One `CreatableReplicaAssignment`.
    package struct Assignment: KafkaStruct {
        package var partitionIndex: Int32
        package var brokerIDs: [Int32]

        package init(partitionIndex: Int32, brokerIDs: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIDs = brokerIDs
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "CreateTopicsRequest.Topics.Assignments.PartitionIndex")
            self.brokerIDs = try reader.readInt32Array(field: "CreateTopicsRequest.Topics.Assignments.BrokerIds")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeInt32Array(self.brokerIDs)
        }
    }

    /// One `CreatableTopicConfig`.
    package struct Config: KafkaStruct {
        package var name: String
        package var value: String?

        package init(name: String, value: String?) {
            self.name = name
            self.value = value
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreateTopicsRequest.Topics.Configs.Name")
            self.value = try reader.readNullableString(field: "CreateTopicsRequest.Topics.Configs.Value")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeNullableString(self.value)
        }
    }

    /// One `CreatableTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        package var numPartitions: Int32
        package var replicationFactor: Int16
        package var assignments: [Assignment]
        package var configs: [Config]

        package init(
            name: String,
            numPartitions: Int32,
            replicationFactor: Int16,
            assignments: [Assignment] = [],
            configs: [Config] = []
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreateTopicsRequest.Topics.Name")
            self.numPartitions = try reader.readInt32(field: "CreateTopicsRequest.Topics.NumPartitions")
            self.replicationFactor = try reader.readInt16(field: "CreateTopicsRequest.Topics.ReplicationFactor")
            self.assignments = try reader.readArray(version: version, field: "CreateTopicsRequest.Topics.Assignments")
            self.configs = try reader.readArray(version: version, field: "CreateTopicsRequest.Topics.Configs")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeInt32(self.numPartitions)
            writer.writeInt16(self.replicationFactor)
            writer.writeArray(self.assignments, version: version)
            writer.writeArray(self.configs, version: version)
        }
    }

    package var topics: [Topic]
    package var timeoutMs: Int32
    /// v1+; false when absent.
    package var validateOnly: Bool

    package init(topics: [Topic], timeoutMs: Int32, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.topics = try reader.readArray(version: version, field: "CreateTopicsRequest.Topics")
        self.timeoutMs = try reader.readInt32(field: "CreateTopicsRequest.TimeoutMs")
        self.validateOnly = try version >= 1 ? reader.readBool(field: "CreateTopicsRequest.ValidateOnly") : false
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeArray(self.topics, version: version)
        writer.writeInt32(self.timeoutMs)
        if version >= 1 {
            writer.writeBool(self.validateOnly)
        }
    }
}

/// CreateTopics response.
package struct CreateTopicsResponse: KafkaMessage {
    package static let apiKey = APIKey.createTopics

    /// One `CreatableTopicResult`.
    package struct TopicResult: KafkaStruct {
        package var name: String
        package var errorCode: KafkaErrorCode
        /// v1+; nil when absent.
        package var errorMessage: String?

        package init(name: String, errorCode: KafkaErrorCode, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreateTopicsResponse.Topics.Name")
            self.errorCode = try reader.readErrorCode(field: "CreateTopicsResponse.Topics.ErrorCode")
            self.errorMessage =
                try version >= 1 ? reader.readNullableString(field: "CreateTopicsResponse.Topics.ErrorMessage") : nil
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeErrorCode(self.errorCode)
            if version >= 1 {
                writer.writeNullableString(self.errorMessage)
            }
        }
    }

    /// v2+; 0 when absent.
    package var throttleTimeMs: Int32
    package var topics: [TopicResult]

    package init(throttleTimeMs: Int32 = 0, topics: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 2 ? reader.readInt32(field: "CreateTopicsResponse.ThrottleTimeMs") : 0
        self.topics = try reader.readArray(version: version, field: "CreateTopicsResponse.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 2 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.topics, version: version)
    }
}
