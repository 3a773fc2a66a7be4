// DeleteTopics (key 20), `DeleteTopicsRequest.json` / `DeleteTopicsResponse.json`, versions 0–3 here:
//
// ```
// DeleteTopicsRequest
//   TopicNames         []string 0-5
//   TimeoutMs          int32    0+
// DeleteTopicsResponse
//   ThrottleTimeMs     int32    1+
//   Responses          []DeletableTopicResult 0+
//     Name             string   0+
//     ErrorCode        int16    0+
// ```

/// DeleteTopics request.
public struct DeleteTopicsRequest: KafkaMessage {
    public static let apiKey = APIKey.deleteTopics

    public var topicNames: [String]
    public var timeoutMs: Int32

    public init(topicNames: [String], timeoutMs: Int32) {
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.topicNames = try reader.readStringArray(field: "DeleteTopicsRequest.TopicNames")
        self.timeoutMs = try reader.readInt32(field: "DeleteTopicsRequest.TimeoutMs")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeStringArray(self.topicNames)
        writer.writeInt32(self.timeoutMs)
    }
}

/// DeleteTopics response.
public struct DeleteTopicsResponse: KafkaMessage {
    public static let apiKey = APIKey.deleteTopics

    /// One `DeletableTopicResult`.
    public struct TopicResult: KafkaStruct {
        public var name: String
        public var errorCode: KafkaErrorCode

        public init(name: String, errorCode: KafkaErrorCode) {
            self.name = name
            self.errorCode = errorCode
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "DeleteTopicsResponse.Responses.Name")
            self.errorCode = try reader.readErrorCode(field: "DeleteTopicsResponse.Responses.ErrorCode")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// v1+; 0 when absent.
    public var throttleTimeMs: Int32
    public var responses: [TopicResult]

    public init(throttleTimeMs: Int32 = 0, responses: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "DeleteTopicsResponse.ThrottleTimeMs") : 0
        self.responses = try reader.readArray(version: version, field: "DeleteTopicsResponse.Responses")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.responses, version: version)
    }
}
