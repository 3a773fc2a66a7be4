package import NIOCore

// SyncGroup (key 14), `SyncGroupRequest.json` / `SyncGroupResponse.json`, versions 0–5 (flexible from 4):
//
// ```
// SyncGroupRequest
//   GroupId               string  0+
//   GenerationId          int32   0+
//   MemberId              string  0+
//   GroupInstanceId       string  3+  nullable 3+, default null
//   ProtocolType          string  5+  nullable 5+, default null
//   ProtocolName          string  5+  nullable 5+, default null
//   Assignments           []SyncGroupRequestAssignment 0+   (the leader's; empty from the others)
//     MemberId            string  0+
//     Assignment          bytes   0+
// SyncGroupResponse
//   ThrottleTimeMs        int32   1+
//   ErrorCode             int16   0+
//   ProtocolType          string  5+  nullable 5+, default null
//   ProtocolName          string  5+  nullable 5+, default null
//   Assignment            bytes   0+
// ```

/// SyncGroup request.
package struct SyncGroupRequest: KafkaMessage {
    package static let apiKey = APIKey.syncGroup
    static let firstFlexibleVersion: Int16 = 4

    /// One `SyncGroupRequestAssignment`: the leader's assignment for one member.
    package struct Assignment: KafkaStruct {
        package var memberID: String
        package var assignment: ByteBuffer

        package init(memberID: String, assignment: ByteBuffer) {
            self.memberID = memberID
            self.assignment = assignment
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= SyncGroupRequest.firstFlexibleVersion
            self.memberID = try reader.readString(flexible: flexible, field: "SyncGroupRequest.Assignments.MemberId")
            self.assignment = try reader.readBytes(
                flexible: flexible, field: "SyncGroupRequest.Assignments.Assignment")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= SyncGroupRequest.firstFlexibleVersion
            writer.writeString(self.memberID, flexible: flexible)
            writer.writeBytes(self.assignment, flexible: flexible)
        }
    }

    package var groupID: String
    package var generationID: Int32
    package var memberID: String
    /// v3+; nil when absent.
    package var groupInstanceID: String?
    /// v5+; nil when absent.
    package var protocolType: String?
    /// v5+; nil when absent.
    package var protocolName: String?
    package var assignments: [Assignment]

    package init(
        groupID: String,
        generationID: Int32,
        memberID: String,
        groupInstanceID: String? = nil,
        protocolType: String? = nil,
        protocolName: String? = nil,
        assignments: [Assignment] = []
    ) {
        self.groupID = groupID
        self.generationID = generationID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groupID = try reader.readString(flexible: flexible, field: "SyncGroupRequest.GroupId")
        self.generationID = try reader.readInt32(field: "SyncGroupRequest.GenerationId")
        self.memberID = try reader.readString(flexible: flexible, field: "SyncGroupRequest.MemberId")
        self.groupInstanceID =
            try version >= 3
            ? reader.readNullableString(flexible: flexible, field: "SyncGroupRequest.GroupInstanceId") : nil
        self.protocolType =
            try version >= 5
            ? reader.readNullableString(flexible: flexible, field: "SyncGroupRequest.ProtocolType") : nil
        self.protocolName =
            try version >= 5
            ? reader.readNullableString(flexible: flexible, field: "SyncGroupRequest.ProtocolName") : nil
        self.assignments = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 3, field: "SyncGroupRequest.Assignments")
        try reader.skipTaggedFields(flexible: flexible, field: "SyncGroupRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeString(self.groupID, flexible: flexible)
        writer.writeInt32(self.generationID)
        writer.writeString(self.memberID, flexible: flexible)
        if version >= 3 {
            writer.writeNullableString(self.groupInstanceID, flexible: flexible)
        }
        if version >= 5 {
            writer.writeNullableString(self.protocolType, flexible: flexible)
            writer.writeNullableString(self.protocolName, flexible: flexible)
        }
        writer.writeArray(self.assignments, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// SyncGroup response.
package struct SyncGroupResponse: KafkaMessage {
    package static let apiKey = APIKey.syncGroup

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    /// v5+; nil when absent.
    package var protocolType: String?
    /// v5+; nil when absent.
    package var protocolName: String?
    /// This member's assignment (empty on an error).
    package var assignment: ByteBuffer

    package init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode,
        protocolType: String? = nil,
        protocolName: String? = nil,
        assignment: ByteBuffer = ByteBuffer()
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= SyncGroupRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "SyncGroupResponse.ThrottleTimeMs") : 0
        self.errorCode = try reader.readErrorCode(field: "SyncGroupResponse.ErrorCode")
        self.protocolType =
            try version >= 5
            ? reader.readNullableString(flexible: flexible, field: "SyncGroupResponse.ProtocolType") : nil
        self.protocolName =
            try version >= 5
            ? reader.readNullableString(flexible: flexible, field: "SyncGroupResponse.ProtocolName") : nil
        self.assignment = try reader.readBytes(flexible: flexible, field: "SyncGroupResponse.Assignment")
        try reader.skipTaggedFields(flexible: flexible, field: "SyncGroupResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= SyncGroupRequest.firstFlexibleVersion
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeErrorCode(self.errorCode)
        if version >= 5 {
            writer.writeNullableString(self.protocolType, flexible: flexible)
            writer.writeNullableString(self.protocolName, flexible: flexible)
        }
        writer.writeBytes(self.assignment, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
