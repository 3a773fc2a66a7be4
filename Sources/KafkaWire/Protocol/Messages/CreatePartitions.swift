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
public struct CreatePartitionsRequest: KafkaMessage {
    public static let apiKey = APIKey.createPartitions

    /// One `CreatePartitionsAssignment`: the replicas of one new partition.
    public struct Assignment: KafkaStruct {
        public var brokerIDs: [Int32]

        public init(brokerIDs: [Int32]) { self.brokerIDs = brokerIDs }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.brokerIDs = try reader.readInt32Array(field: "CreatePartitionsRequest.Topics.Assignments.BrokerIds")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32Array(self.brokerIDs)
        }
    }

    /// One `CreatePartitionsTopic`.
    public struct Topic: KafkaStruct {
        public var name: String
        /// The new total number of partitions.
        public var count: Int32
        /// The new partitions' replicas, nil to let the broker assign them.
        public var assignments: [Assignment]?

        public init(name: String, count: Int32, assignments: [Assignment]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreatePartitionsRequest.Topics.Name")
            self.count = try reader.readInt32(field: "CreatePartitionsRequest.Topics.Count")
            self.assignments = try reader.readNullableArray(
                version: version, field: "CreatePartitionsRequest.Topics.Assignments")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeInt32(self.count)
            writer.writeNullableArray(self.assignments, version: version)
        }
    }

    public var topics: [Topic]
    public var timeoutMs: Int32
    public var validateOnly: Bool

    public init(topics: [Topic], timeoutMs: Int32 = 60_000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.topics = try reader.readArray(version: version, field: "CreatePartitionsRequest.Topics")
        self.timeoutMs = try reader.readInt32(field: "CreatePartitionsRequest.TimeoutMs")
        self.validateOnly = try reader.readBool(field: "CreatePartitionsRequest.ValidateOnly")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeArray(self.topics, version: version)
        writer.writeInt32(self.timeoutMs)
        writer.writeBool(self.validateOnly)
    }
}

/// CreatePartitions response.
public struct CreatePartitionsResponse: KafkaMessage {
    public static let apiKey = APIKey.createPartitions

    /// One `CreatePartitionsTopicResult`.
    public struct Result: KafkaStruct {
        public var name: String
        public var errorCode: KafkaErrorCode
        public var errorMessage: String?

        public init(name: String, errorCode: KafkaErrorCode, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "CreatePartitionsResponse.Results.Name")
            self.errorCode = try reader.readErrorCode(field: "CreatePartitionsResponse.Results.ErrorCode")
            self.errorMessage = try reader.readNullableString(field: "CreatePartitionsResponse.Results.ErrorMessage")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeErrorCode(self.errorCode)
            writer.writeNullableString(self.errorMessage)
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "CreatePartitionsResponse.ThrottleTimeMs")
        self.results = try reader.readArray(version: version, field: "CreatePartitionsResponse.Results")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.results, version: version)
    }
}
