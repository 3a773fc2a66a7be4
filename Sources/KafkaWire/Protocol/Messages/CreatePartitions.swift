// CreatePartitions (key 37), `CreatePartitionsRequest.json` / `CreatePartitionsResponse.json`,
// versions 0–1 here (v2 is flexible; v1 only changed quota behaviour):
//
// ```
// CreatePartitionsRequest
//   Topics                []CreatePartitionsTopic 0+
//     Name                string  0+
//     Count               int32   0+
//     Assignments         []CreatePartitionsAssignment 0+ nullable 0+
//       BrokerIds         []int32 0+
//   TimeoutMs             int32   0+
//   ValidateOnly          bool    0+
// CreatePartitionsResponse
//   ThrottleTimeMs        int32   0+
//   Results               []CreatePartitionsTopicResult 0+
//     Name                string  0+
//     ErrorCode           int16   0+
//     ErrorMessage        string  0+ nullable 0+ default null
// ```

/// CreatePartitions request.
package struct CreatePartitionsRequest: KafkaMessage {
    package static let apiKey = APIKey.createPartitions

    /// One `CreatePartitionsAssignment`: the replicas of one new partition.
    package struct Assignment: KafkaStruct {
        package var brokerIDs: [Int32]

        package init(brokerIDs: [Int32]) { self.brokerIDs = brokerIDs }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.brokerIDs = try reader.readInt32Array(field: "CreatePartitionsRequest.Topics.Assignments.BrokerIds")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32Array(self.brokerIDs)
        }
    }

    /// One `CreatePartitionsTopic`.
    package struct Topic: KafkaStruct {
        package var name: String
        /// The new total number of partitions.
        package var count: Int32
        /// The new partitions' replicas, nil to let the broker assign them.
        package var assignments: [Assignment]?

        package init(name: String, count: Int32, assignments: [Assignment]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreatePartitionsRequest.Topics.Name")
            self.count = try reader.readInt32(field: "CreatePartitionsRequest.Topics.Count")
            self.assignments = try reader.readNullableArray(
                version: version, field: "CreatePartitionsRequest.Topics.Assignments")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeInt32(self.count)
            writer.writeNullableArray(self.assignments, version: version)
        }
    }

    package var topics: [Topic]
    package var timeoutMs: Int32
    package var validateOnly: Bool

    package init(topics: [Topic], timeoutMs: Int32 = 60_000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.topics = try reader.readArray(version: version, field: "CreatePartitionsRequest.Topics")
        self.timeoutMs = try reader.readInt32(field: "CreatePartitionsRequest.TimeoutMs")
        self.validateOnly = try reader.readBool(field: "CreatePartitionsRequest.ValidateOnly")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeArray(self.topics, version: version)
        writer.writeInt32(self.timeoutMs)
        writer.writeBool(self.validateOnly)
    }
}

/// CreatePartitions response.
package struct CreatePartitionsResponse: KafkaMessage {
    package static let apiKey = APIKey.createPartitions

    /// One `CreatePartitionsTopicResult`.
    package struct Result: KafkaStruct {
        package var name: String
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?

        package init(name: String, errorCode: KafkaErrorCode, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreatePartitionsResponse.Results.Name")
            self.errorCode = try reader.readErrorCode(field: "CreatePartitionsResponse.Results.ErrorCode")
            self.errorMessage = try reader.readNullableString(field: "CreatePartitionsResponse.Results.ErrorMessage")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeErrorCode(self.errorCode)
            writer.writeNullableString(self.errorMessage)
        }
    }

    package var throttleTimeMs: Int32
    package var results: [Result]

    package init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "CreatePartitionsResponse.ThrottleTimeMs")
        self.results = try reader.readArray(version: version, field: "CreatePartitionsResponse.Results")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.results, version: version)
    }
}
