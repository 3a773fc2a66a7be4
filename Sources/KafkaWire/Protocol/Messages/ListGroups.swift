// ListGroups (key 16), `ListGroupsRequest.json` / `ListGroupsResponse.json`, versions 0–4 (flexible from 3):
//
// ```
// ListGroupsRequest
//   StatesFilter          []string 4+   (empty: every state)
// ListGroupsResponse
//   ThrottleTimeMs        int32   1+
//   ErrorCode             int16   0+
//   Groups                []ListedGroup 0+
//     GroupId             string  0+
//     ProtocolType        string  0+
//     GroupState          string  4+  default ""
// ```

/// ListGroups request.
package struct ListGroupsRequest: KafkaMessage {
    package static let apiKey = APIKey.listGroups
    static let firstFlexibleVersion: Int16 = 3

    /// v4+: the states to list (Kafka's names: "Stable", "Empty", …); empty when absent, which lists every
    /// group.
    package var statesFilter: [String]

    package init(statesFilter: [String] = []) {
        self.statesFilter = statesFilter
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.statesFilter =
            try version >= 4 ? reader.readStringArray(flexible: flexible, field: "ListGroupsRequest.StatesFilter") : []
        try reader.skipTaggedFields(flexible: flexible, field: "ListGroupsRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        if version >= 4 {
            writer.writeStringArray(self.statesFilter, flexible: flexible)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// ListGroups response.
package struct ListGroupsResponse: KafkaMessage {
    package static let apiKey = APIKey.listGroups

    /// One `ListedGroup`.
    package struct Group: KafkaStruct {
        package var groupID: String
        package var protocolType: String
        /// v4+; "" when absent.
        package var groupState: String

        package init(groupID: String, protocolType: String, groupState: String = "") {
            self.groupID = groupID
            self.protocolType = protocolType
            self.groupState = groupState
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= ListGroupsRequest.firstFlexibleVersion
            self.groupID = try reader.readString(flexible: flexible, field: "ListGroupsResponse.Groups.GroupId")
            self.protocolType = try reader.readString(
                flexible: flexible, field: "ListGroupsResponse.Groups.ProtocolType")
            self.groupState =
                try version >= 4
                ? reader.readString(flexible: flexible, field: "ListGroupsResponse.Groups.GroupState") : ""
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            let flexible = version >= ListGroupsRequest.firstFlexibleVersion
            writer.writeString(self.groupID, flexible: flexible)
            writer.writeString(self.protocolType, flexible: flexible)
            if version >= 4 {
                writer.writeString(self.groupState, flexible: flexible)
            }
        }
    }

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var groups: [Group]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .noError, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.groups = groups
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= ListGroupsRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "ListGroupsResponse.ThrottleTimeMs") : 0
        self.errorCode = try reader.readErrorCode(field: "ListGroupsResponse.ErrorCode")
        self.groups = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 3, field: "ListGroupsResponse.Groups")
        try reader.skipTaggedFields(flexible: flexible, field: "ListGroupsResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= ListGroupsRequest.firstFlexibleVersion
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeErrorCode(self.errorCode)
        writer.writeArray(self.groups, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
