// Heartbeat (key 12), `HeartbeatRequest.json` / `HeartbeatResponse.json`, versions 0–4 (flexible from 4):
//
// ```
// HeartbeatRequest
//   GroupId               string  0+
//   GenerationId          int32   0+
//   MemberId              string  0+
//   GroupInstanceId       string  3+  nullable 3+, default null
// HeartbeatResponse
//   ThrottleTimeMs        int32   1+
//   ErrorCode             int16   0+
// ```

/// Heartbeat request.
package struct HeartbeatRequest: KafkaMessage {
    package static let apiKey = APIKey.heartbeat
    static let firstFlexibleVersion: Int16 = 4

    package var groupID: String
    package var generationID: Int32
    package var memberID: String
    /// v3+; nil when absent.
    package var groupInstanceID: String?

    package init(groupID: String, generationID: Int32, memberID: String, groupInstanceID: String? = nil) {
        self.groupID = groupID
        self.generationID = generationID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groupID = try reader.readString(flexible: flexible, field: "HeartbeatRequest.GroupId")
        self.generationID = try reader.readInt32(field: "HeartbeatRequest.GenerationId")
        self.memberID = try reader.readString(flexible: flexible, field: "HeartbeatRequest.MemberId")
        self.groupInstanceID =
            try version >= 3
            ? reader.readNullableString(flexible: flexible, field: "HeartbeatRequest.GroupInstanceId") : nil
        try reader.skipTaggedFields(flexible: flexible, field: "HeartbeatRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeString(self.groupID, flexible: flexible)
        writer.writeInt32(self.generationID)
        writer.writeString(self.memberID, flexible: flexible)
        if version >= 3 {
            writer.writeNullableString(self.groupInstanceID, flexible: flexible)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// Heartbeat response.
package struct HeartbeatResponse: KafkaMessage {
    package static let apiKey = APIKey.heartbeat

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= HeartbeatRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "HeartbeatResponse.ThrottleTimeMs") : 0
        self.errorCode = try reader.readErrorCode(field: "HeartbeatResponse.ErrorCode")
        try reader.skipTaggedFields(flexible: flexible, field: "HeartbeatResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeErrorCode(self.errorCode)
        writer.writeEmptyTaggedFields(flexible: version >= HeartbeatRequest.firstFlexibleVersion)
    }
}
