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
package struct DeleteTopicsRequest: KafkaMessage {
    package static let apiKey = APIKey.deleteTopics

    package var topicNames: [String]
    package var timeoutMs: Int32

    package init(topicNames: [String], timeoutMs: Int32) {
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.topicNames = try reader.readStringArray(field: "DeleteTopicsRequest.TopicNames")
        self.timeoutMs = try reader.readInt32(field: "DeleteTopicsRequest.TimeoutMs")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeStringArray(self.topicNames)
        writer.writeInt32(self.timeoutMs)
    }
}

/// DeleteTopics response.
package struct DeleteTopicsResponse: KafkaMessage {
    package static let apiKey = APIKey.deleteTopics

    /// One `DeletableTopicResult`.
    package struct TopicResult: KafkaStruct {
        package var name: String
        package var errorCode: KafkaErrorCode

        package init(name: String, errorCode: KafkaErrorCode) {
            self.name = name
            self.errorCode = errorCode
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "DeleteTopicsResponse.Responses.Name")
            self.errorCode = try reader.readErrorCode(field: "DeleteTopicsResponse.Responses.ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    package var responses: [TopicResult]

    package init(throttleTimeMs: Int32 = 0, responses: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "DeleteTopicsResponse.ThrottleTimeMs") : 0
        self.responses = try reader.readArray(version: version, field: "DeleteTopicsResponse.Responses")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.responses, version: version)
    }
}
