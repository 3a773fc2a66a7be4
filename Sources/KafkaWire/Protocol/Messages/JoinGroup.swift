package import NIOCore

// JoinGroup (key 11), `JoinGroupRequest.json` / `JoinGroupResponse.json`, versions 0–9 (flexible from 6:
// compact strings, bytes and arrays, tagged fields):
//
// ```
// JoinGroupRequest
//   GroupId               string  0+
//   SessionTimeoutMs      int32   0+
//   RebalanceTimeoutMs    int32   1+  default -1   (absent: the session timeout applies)
//   MemberId              string  0+
//   GroupInstanceId       string  5+  nullable 5+, default null
//   ProtocolType          string  0+
//   Protocols             []JoinGroupRequestProtocol 0+
//     Name                string  0+
//     Metadata            bytes   0+
//   Reason                string  8+  nullable 8+, default null
// JoinGroupResponse
//   ThrottleTimeMs        int32   2+
//   ErrorCode             int16   0+
//   GenerationId          int32   0+  default -1
//   ProtocolType          string  7+  nullable 7+, default null
//   ProtocolName          string  0+  nullable 7+
//   Leader                string  0+
//   SkipAssignment        bool    9+  default false
//   MemberId              string  0+
//   Members               []JoinGroupResponseMember 0+
//     MemberId            string  0+
//     GroupInstanceId     string  5+  nullable 5+, default null
//     Metadata            bytes   0+
// ```

/// JoinGroup request.
package struct JoinGroupRequest: KafkaMessage {
    package static let apiKey = APIKey.joinGroup
    static let firstFlexibleVersion: Int16 = 6

    /// One `JoinGroupRequestProtocol`: an assignor the member supports and its subscription metadata.
    package struct GroupProtocol: KafkaStruct {
        package var name: String
        package var metadata: ByteBuffer

        package init(name: String, metadata: ByteBuffer) {
            self.name = name
            self.metadata = metadata
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= JoinGroupRequest.firstFlexibleVersion
            self.name = try reader.readString(flexible: flexible, field: "JoinGroupRequest.Protocols.Name")
            self.metadata = try reader.readBytes(flexible: flexible, field: "JoinGroupRequest.Protocols.Metadata")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= JoinGroupRequest.firstFlexibleVersion
            writer.writeString(self.name, flexible: flexible)
            writer.writeBytes(self.metadata, flexible: flexible)
        }
    }

    package var groupID: String
    package var sessionTimeoutMs: Int32
    /// v1+; -1 when absent (the session timeout applies).
    package var rebalanceTimeoutMs: Int32
    /// "" on a member's first join.
    package var memberID: String
    /// v5+; nil when absent (a dynamic member).
    package var groupInstanceID: String?
    package var protocolType: String
    package var protocols: [GroupProtocol]
    /// v8+; nil when absent.
    package var reason: String?

    package init(
        groupID: String,
        sessionTimeoutMs: Int32,
        rebalanceTimeoutMs: Int32 = -1,
        memberID: String,
        groupInstanceID: String? = nil,
        protocolType: String,
        protocols: [GroupProtocol],
        reason: String? = nil
    ) {
        self.groupID = groupID
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.protocolType = protocolType
        self.protocols = protocols
        self.reason = reason
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groupID = try reader.readString(flexible: flexible, field: "JoinGroupRequest.GroupId")
        self.sessionTimeoutMs = try reader.readInt32(field: "JoinGroupRequest.SessionTimeoutMs")
        self.rebalanceTimeoutMs = try version >= 1 ? reader.readInt32(field: "JoinGroupRequest.RebalanceTimeoutMs") : -1
        self.memberID = try reader.readString(flexible: flexible, field: "JoinGroupRequest.MemberId")
        self.groupInstanceID =
            try version >= 5
            ? reader.readNullableString(flexible: flexible, field: "JoinGroupRequest.GroupInstanceId") : nil
        self.protocolType = try reader.readString(flexible: flexible, field: "JoinGroupRequest.ProtocolType")
        self.protocols = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 3, field: "JoinGroupRequest.Protocols")
        self.reason =
            try version >= 8 ? reader.readNullableString(flexible: flexible, field: "JoinGroupRequest.Reason") : nil
        try reader.skipTaggedFields(flexible: flexible, field: "JoinGroupRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeString(self.groupID, flexible: flexible)
        writer.writeInt32(self.sessionTimeoutMs)
        if version >= 1 {
            writer.writeInt32(self.rebalanceTimeoutMs)
        }
        writer.writeString(self.memberID, flexible: flexible)
        if version >= 5 {
            writer.writeNullableString(self.groupInstanceID, flexible: flexible)
        }
        writer.writeString(self.protocolType, flexible: flexible)
        writer.writeArray(self.protocols, version: version, flexible: flexible)
        if version >= 8 {
            writer.writeNullableString(self.reason, flexible: flexible)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// JoinGroup response.
package struct JoinGroupResponse: KafkaMessage {
    package static let apiKey = APIKey.joinGroup

    /// One `JoinGroupResponseMember`: sent to the leader only, one per member, with its metadata for the
    /// chosen protocol.
    package struct Member: KafkaStruct {
        package var memberID: String
        /// v5+; nil when absent.
        package var groupInstanceID: String?
        package var metadata: ByteBuffer

        package init(memberID: String, groupInstanceID: String? = nil, metadata: ByteBuffer) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.metadata = metadata
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= JoinGroupRequest.firstFlexibleVersion
            self.memberID = try reader.readString(flexible: flexible, field: "JoinGroupResponse.Members.MemberId")
            self.groupInstanceID =
                try version >= 5
                ? reader.readNullableString(flexible: flexible, field: "JoinGroupResponse.Members.GroupInstanceId")
                : nil
            self.metadata = try reader.readBytes(flexible: flexible, field: "JoinGroupResponse.Members.Metadata")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= JoinGroupRequest.firstFlexibleVersion
            writer.writeString(self.memberID, flexible: flexible)
            if version >= 5 {
                writer.writeNullableString(self.groupInstanceID, flexible: flexible)
            }
            writer.writeBytes(self.metadata, flexible: flexible)
        }
    }

    /// v2+; 0 when absent.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var generationID: Int32
    /// v7+; nil when absent.
    package var protocolType: String?
    /// Nullable from v7; nil is written as "" before.
    package var protocolName: String?
    package var leader: String
    /// v9+; false when absent.
    package var skipAssignment: Bool
    package var memberID: String
    /// Every member for the leader, empty for the others.
    package var members: [Member]

    package init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode,
        generationID: Int32 = -1,
        protocolType: String? = nil,
        protocolName: String?,
        leader: String,
        skipAssignment: Bool = false,
        memberID: String,
        members: [Member] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationID = generationID
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.skipAssignment = skipAssignment
        self.memberID = memberID
        self.members = members
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= JoinGroupRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 2 ? reader.readInt32(field: "JoinGroupResponse.ThrottleTimeMs") : 0
        self.errorCode = try reader.readErrorCode(field: "JoinGroupResponse.ErrorCode")
        self.generationID = try reader.readInt32(field: "JoinGroupResponse.GenerationId")
        self.protocolType =
            try version >= 7
            ? reader.readNullableString(flexible: flexible, field: "JoinGroupResponse.ProtocolType") : nil
        if version >= 7 {
            self.protocolName = try reader.readNullableString(
                flexible: flexible, field: "JoinGroupResponse.ProtocolName")
        } else {
            self.protocolName = try reader.readString(flexible: flexible, field: "JoinGroupResponse.ProtocolName")
        }
        self.leader = try reader.readString(flexible: flexible, field: "JoinGroupResponse.Leader")
        self.skipAssignment = try version >= 9 ? reader.readBool(field: "JoinGroupResponse.SkipAssignment") : false
        self.memberID = try reader.readString(flexible: flexible, field: "JoinGroupResponse.MemberId")
        self.members = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 3, field: "JoinGroupResponse.Members")
        try reader.skipTaggedFields(flexible: flexible, field: "JoinGroupResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= JoinGroupRequest.firstFlexibleVersion
        if version >= 2 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeErrorCode(self.errorCode)
        writer.writeInt32(self.generationID)
        if version >= 7 {
            writer.writeNullableString(self.protocolType, flexible: flexible)
            writer.writeNullableString(self.protocolName, flexible: flexible)
        } else {
            writer.writeString(self.protocolName ?? "", flexible: flexible)
        }
        writer.writeString(self.leader, flexible: flexible)
        if version >= 9 {
            writer.writeBool(self.skipAssignment)
        }
        writer.writeString(self.memberID, flexible: flexible)
        writer.writeArray(self.members, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
