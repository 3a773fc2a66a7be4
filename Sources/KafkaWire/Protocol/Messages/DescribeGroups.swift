package import NIOCore

// DescribeGroups (key 15), `DescribeGroupsRequest.json` / `DescribeGroupsResponse.json`, versions 0–5
// (flexible from 5):
//
// ```
// DescribeGroupsRequest
//   Groups                       []string 0+
//   IncludeAuthorizedOperations  bool    3+  default false
// DescribeGroupsResponse
//   ThrottleTimeMs               int32   1+
//   Groups                       []DescribedGroup 0+
//     ErrorCode                  int16   0+
//     GroupId                    string  0+
//     GroupState                 string  0+   ("" when unknown)
//     ProtocolType               string  0+
//     ProtocolData               string  0+   (the chosen protocol, Stable groups only)
//     Members                    []DescribedGroupMember 0+
//       MemberId                 string  0+
//       GroupInstanceId          string  4+  nullable 4+, default null
//       ClientId                 string  0+
//       ClientHost               string  0+
//       MemberMetadata           bytes   0+
//       MemberAssignment         bytes   0+
//     AuthorizedOperations       int32   3+  default -2147483648 (INT32_MIN: not asked for)
// ```

/// DescribeGroups request.
package struct DescribeGroupsRequest: KafkaMessage {
    package static let apiKey = APIKey.describeGroups
    static let firstFlexibleVersion: Int16 = 5

    package var groups: [String]
    /// v3+; false when absent.
    package var includeAuthorizedOperations: Bool

    package init(groups: [String], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groups = try reader.readStringArray(flexible: flexible, field: "DescribeGroupsRequest.Groups")
        self.includeAuthorizedOperations =
            try version >= 3 ? reader.readBool(field: "DescribeGroupsRequest.IncludeAuthorizedOperations") : false
        try reader.skipTaggedFields(flexible: flexible, field: "DescribeGroupsRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeStringArray(self.groups, flexible: flexible)
        if version >= 3 {
            writer.writeBool(self.includeAuthorizedOperations)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// DescribeGroups response.
package struct DescribeGroupsResponse: KafkaMessage {
    package static let apiKey = APIKey.describeGroups

    /// One `DescribedGroupMember`.
    package struct Member: KafkaStruct {
        package var memberID: String
        /// v4+; nil when absent.
        package var groupInstanceID: String?
        package var clientID: String
        package var clientHost: String
        /// The member's metadata for the chosen protocol (Stable groups only).
        package var memberMetadata: ByteBuffer
        /// The member's assignment from the leader (Stable groups only).
        package var memberAssignment: ByteBuffer

        package init(
            memberID: String,
            groupInstanceID: String? = nil,
            clientID: String,
            clientHost: String,
            memberMetadata: ByteBuffer = ByteBuffer(),
            memberAssignment: ByteBuffer = ByteBuffer()
        ) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.clientID = clientID
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= DescribeGroupsRequest.firstFlexibleVersion
            let field = "DescribeGroupsResponse.Groups.Members"
            self.memberID = try reader.readString(flexible: flexible, field: field + ".MemberId")
            self.groupInstanceID =
                try version >= 4
                ? reader.readNullableString(flexible: flexible, field: field + ".GroupInstanceId") : nil
            self.clientID = try reader.readString(flexible: flexible, field: field + ".ClientId")
            self.clientHost = try reader.readString(flexible: flexible, field: field + ".ClientHost")
            self.memberMetadata = try reader.readBytes(flexible: flexible, field: field + ".MemberMetadata")
            self.memberAssignment = try reader.readBytes(flexible: flexible, field: field + ".MemberAssignment")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= DescribeGroupsRequest.firstFlexibleVersion
            writer.writeString(self.memberID, flexible: flexible)
            if version >= 4 {
                writer.writeNullableString(self.groupInstanceID, flexible: flexible)
            }
            writer.writeString(self.clientID, flexible: flexible)
            writer.writeString(self.clientHost, flexible: flexible)
            writer.writeBytes(self.memberMetadata, flexible: flexible)
            writer.writeBytes(self.memberAssignment, flexible: flexible)
        }
    }

    /// One `DescribedGroup`.
    package struct Group: KafkaStruct {
        /// The value of `authorizedOperations` when they were not asked for (INT32_MIN).
        package static let authorizedOperationsOmitted = Int32.min

        package var errorCode: KafkaErrorCode
        package var groupID: String
        /// Kafka's state name ("Stable", "Empty", "Dead", …), or "".
        package var groupState: String
        package var protocolType: String
        /// The chosen protocol's name (Stable groups only), or "".
        package var protocolData: String
        package var members: [Member]
        /// v3+: a bit field of the ACL operations the caller may perform on the group;
        /// `authorizedOperationsOmitted` when absent.
        package var authorizedOperations: Int32

        package init(
            errorCode: KafkaErrorCode,
            groupID: String,
            groupState: String = "",
            protocolType: String = "",
            protocolData: String = "",
            members: [Member] = [],
            authorizedOperations: Int32 = Group.authorizedOperationsOmitted
        ) {
            self.errorCode = errorCode
            self.groupID = groupID
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= DescribeGroupsRequest.firstFlexibleVersion
            self.errorCode = try reader.readErrorCode(field: "DescribeGroupsResponse.Groups.ErrorCode")
            self.groupID = try reader.readString(flexible: flexible, field: "DescribeGroupsResponse.Groups.GroupId")
            self.groupState = try reader.readString(
                flexible: flexible, field: "DescribeGroupsResponse.Groups.GroupState")
            self.protocolType = try reader.readString(
                flexible: flexible, field: "DescribeGroupsResponse.Groups.ProtocolType")
            self.protocolData = try reader.readString(
                flexible: flexible, field: "DescribeGroupsResponse.Groups.ProtocolData")
            self.members = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 5,
                field: "DescribeGroupsResponse.Groups.Members")
            self.authorizedOperations =
                try version >= 3
                ? reader.readInt32(field: "DescribeGroupsResponse.Groups.AuthorizedOperations")
                : Self.authorizedOperationsOmitted
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= DescribeGroupsRequest.firstFlexibleVersion
            writer.writeErrorCode(self.errorCode)
            writer.writeString(self.groupID, flexible: flexible)
            writer.writeString(self.groupState, flexible: flexible)
            writer.writeString(self.protocolType, flexible: flexible)
            writer.writeString(self.protocolData, flexible: flexible)
            writer.writeArray(self.members, version: version, flexible: flexible)
            if version >= 3 {
                writer.writeInt32(self.authorizedOperations)
            }
        }
    }

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    package var groups: [Group]

    package init(throttleTimeMs: Int32 = 0, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= DescribeGroupsRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "DescribeGroupsResponse.ThrottleTimeMs") : 0
        self.groups = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 12, field: "DescribeGroupsResponse.Groups")
        try reader.skipTaggedFields(flexible: flexible, field: "DescribeGroupsResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= DescribeGroupsRequest.firstFlexibleVersion
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.groups, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
