// DeleteGroups (key 42), `DeleteGroupsRequest.json` / `DeleteGroupsResponse.json`, versions 0–2 (flexible
// from 2):
//
// ```
// DeleteGroupsRequest
//   GroupsNames           []string 0+
// DeleteGroupsResponse
//   ThrottleTimeMs        int32   0+
//   Results               []DeletableGroupResult 0+
//     GroupId             string  0+
//     ErrorCode           int16   0+
// ```

/// DeleteGroups request.
package struct DeleteGroupsRequest: KafkaMessage {
    package static let apiKey = APIKey.deleteGroups
    static let firstFlexibleVersion: Int16 = 2

    /// `GroupsNames`: the group ids to delete.
    package var groupNames: [String]

    package init(groupNames: [String]) {
        self.groupNames = groupNames
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.groupNames = try reader.readStringArray(flexible: flexible, field: "DeleteGroupsRequest.GroupsNames")
        try reader.skipTaggedFields(flexible: flexible, field: "DeleteGroupsRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeStringArray(self.groupNames, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// DeleteGroups response.
package struct DeleteGroupsResponse: KafkaMessage {
    package static let apiKey = APIKey.deleteGroups

    /// One `DeletableGroupResult`.
    package struct Result: KafkaStruct {
        package var groupID: String
        package var errorCode: KafkaErrorCode

        package init(groupID: String, errorCode: KafkaErrorCode) {
            self.groupID = groupID
            self.errorCode = errorCode
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let flexible = version >= DeleteGroupsRequest.firstFlexibleVersion
            self.groupID = try reader.readString(flexible: flexible, field: "DeleteGroupsResponse.Results.GroupId")
            self.errorCode = try reader.readErrorCode(field: "DeleteGroupsResponse.Results.ErrorCode")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.groupID, flexible: version >= DeleteGroupsRequest.firstFlexibleVersion)
            writer.writeErrorCode(self.errorCode)
        }
    }

    package var throttleTimeMs: Int32
    package var results: [Result]

    package init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= DeleteGroupsRequest.firstFlexibleVersion
        self.throttleTimeMs = try reader.readInt32(field: "DeleteGroupsResponse.ThrottleTimeMs")
        self.results = try reader.readArray(
            version: version, flexible: flexible, minimumElementSize: 4, field: "DeleteGroupsResponse.Results")
        try reader.skipTaggedFields(flexible: flexible, field: "DeleteGroupsResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= DeleteGroupsRequest.firstFlexibleVersion
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.results, version: version, flexible: flexible)
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
