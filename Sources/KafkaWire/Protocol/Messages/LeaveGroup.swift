// LeaveGroup (key 13), `LeaveGroupRequest.json` / `LeaveGroupResponse.json`, versions 0–5 (flexible from 4;
// v3 batches the leaving members, KIP-345):
//
// ```
// LeaveGroupRequest
//   GroupId               string  0+
//   MemberId              string  0-2
//   Members               []MemberIdentity 3+
//     MemberId            string  3+
//     GroupInstanceId     string  3+  nullable 3+, default null
//     Reason              string  5+  nullable 5+, default null
// LeaveGroupResponse
//   ThrottleTimeMs        int32   1+
//   ErrorCode             int16   0+
//   Members               []MemberResponse 3+
//     MemberId            string  3+
//     GroupInstanceId     string  3+  nullable 3+
//     ErrorCode           int16   3+
// ```
//
// The request keeps the v3 list in every version: v0–2 carry exactly one member, its `MemberId`. The
// response's `Members` are not on the wire before v3, where a member's error must be the top-level one.

/// LeaveGroup request.
package struct LeaveGroupRequest: KafkaMessage {
    package static let apiKey = APIKey.leaveGroup
    static let firstFlexibleVersion: Int16 = 4

    /// One `MemberIdentity`.
    package struct Member: KafkaStruct {
        package var memberID: String
        /// v3+; nil when absent.
        package var groupInstanceID: String?
        /// v5+; nil when absent.
        package var reason: String?

        package init(memberID: String, groupInstanceID: String? = nil, reason: String? = nil) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.reason = reason
        }

        /// The `Members` element of v3+.
        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= LeaveGroupRequest.firstFlexibleVersion
            self.memberID = try reader.readString(flexible: flexible, field: "LeaveGroupRequest.Members.MemberId")
            self.groupInstanceID = try reader.readNullableString(
                flexible: flexible, field: "LeaveGroupRequest.Members.GroupInstanceId")
            self.reason =
                try version >= 5
                ? reader.readNullableString(flexible: flexible, field: "LeaveGroupRequest.Members.Reason") : nil
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= LeaveGroupRequest.firstFlexibleVersion
            writer.writeString(self.memberID, flexible: flexible)
            writer.writeNullableString(self.groupInstanceID, flexible: flexible)
            if version >= 5 {
                writer.writeNullableString(self.reason, flexible: flexible)
            }
        }
    }

    package var groupID: String
    /// The leaving members: `Members` in v3+, the single `MemberId` before (a request written at v0–2
    /// carries the first member's id, or "" if there is none).
    package var members: [Member]

    package init(groupID: String, members: [Member]) {
        self.groupID = groupID
        self.members = members
    }

    /// A request for one dynamic member (any version).
    package init(groupID: String, memberID: String) {
        self.init(groupID: groupID, members: [Member(memberID: memberID)])
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groupID = try reader.readString(flexible: flexible, field: "LeaveGroupRequest.GroupId")
        if version >= 3 {
            self.members = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 3, field: "LeaveGroupRequest.Members")
        } else {
            self.members = [Member(memberID: try reader.readString(field: "LeaveGroupRequest.MemberId"))]
        }
        try reader.skipTaggedFields(flexible: flexible, field: "LeaveGroupRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeString(self.groupID, flexible: flexible)
        if version >= 3 {
            writer.writeArray(self.members, version: version, flexible: flexible)
        } else {
            writer.writeString(self.members.first?.memberID ?? "")
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// LeaveGroup response.
package struct LeaveGroupResponse: KafkaMessage {
    package static let apiKey = APIKey.leaveGroup

    /// One `MemberResponse`.
    package struct Member: KafkaStruct {
        package var memberID: String
        package var groupInstanceID: String?
        package var errorCode: KafkaErrorCode

        package init(memberID: String, groupInstanceID: String? = nil, errorCode: KafkaErrorCode) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.errorCode = errorCode
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= LeaveGroupRequest.firstFlexibleVersion
            self.memberID = try reader.readString(flexible: flexible, field: "LeaveGroupResponse.Members.MemberId")
            self.groupInstanceID = try reader.readNullableString(
                flexible: flexible, field: "LeaveGroupResponse.Members.GroupInstanceId")
            self.errorCode = try reader.readErrorCode(field: "LeaveGroupResponse.Members.ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= LeaveGroupRequest.firstFlexibleVersion
            writer.writeString(self.memberID, flexible: flexible)
            writer.writeNullableString(self.groupInstanceID, flexible: flexible)
            writer.writeErrorCode(self.errorCode)
        }
    }

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    /// The group-level error; before v3 also the one member's.
    package var errorCode: KafkaErrorCode
    /// v3+; empty when absent.
    package var members: [Member]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= LeaveGroupRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "LeaveGroupResponse.ThrottleTimeMs") : 0
        self.errorCode = try reader.readErrorCode(field: "LeaveGroupResponse.ErrorCode")
        self.members =
            try version >= 3
            ? reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 5, field: "LeaveGroupResponse.Members")
            : []
        try reader.skipTaggedFields(flexible: flexible, field: "LeaveGroupResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= LeaveGroupRequest.firstFlexibleVersion
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeErrorCode(self.errorCode)
        if version >= 3 {
            writer.writeArray(self.members, version: version, flexible: flexible)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
