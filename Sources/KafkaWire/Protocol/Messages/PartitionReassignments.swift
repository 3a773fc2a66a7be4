// AlterPartitionReassignments (key 45) and ListPartitionReassignments (key 46), version 0: the first
// flexible messages here (compact strings and arrays, a tagged-field section after every struct,
// request header v2, response header v1). `AlterPartitionReassignmentsRequest.json`,
// `ListPartitionReassignmentsRequest.json` and their responses:
//
// ```
// AlterPartitionReassignmentsRequest v0 (flexible)
//   TimeoutMs             int32
//   Topics                []ReassignableTopic
//     Name                compact string
//     Partitions          []ReassignablePartition
//       PartitionIndex    int32
//       Replicas          []int32 nullable   (null: cancel the reassignment in progress)
// AlterPartitionReassignmentsResponse v0
//   ThrottleTimeMs        int32
//   ErrorCode             int16
//   ErrorMessage          compact string nullable
//   Responses             []ReassignableTopicResponse
//     Name                compact string
//     Partitions          []ReassignablePartitionResponse
//       PartitionIndex    int32
//       ErrorCode         int16
//       ErrorMessage      compact string nullable
// ListPartitionReassignmentsRequest v0 (flexible)
//   TimeoutMs             int32
//   Topics                []ListPartitionReassignmentsTopics nullable   (null: every reassignment)
//     Name                compact string
//     PartitionIndexes    []int32
// ListPartitionReassignmentsResponse v0
//   ThrottleTimeMs        int32
//   ErrorCode             int16
//   ErrorMessage          compact string nullable
//   Topics                []OngoingTopicReassignment
//     Name                compact string
//     Partitions          []OngoingPartitionReassignment
//       PartitionIndex    int32
//       Replicas          []int32
//       AddingReplicas    []int32
//       RemovingReplicas  []int32
// ```

extension KafkaReader {
    /// A flexible version's array of `Element` structs (compact length), each followed by its tagged fields.
    mutating func readFlexibleArray<Element: KafkaStruct>(
        version: Int16, nullable: Bool = false, minimumElementSize: Int, field: String
    ) throws(KafkaWireError) -> [Element]? {
        try self.readCompactArray(nullable: nullable, minimumElementSize: minimumElementSize, field: field) {
            reader throws(KafkaWireError) in
            let element = try Element(from: &reader, version: version)
            try reader.skipTaggedFields(field: field + "._tagged_fields")
            return element
        }
    }

    /// A flexible version's array of int32 (compact length).
    mutating func readCompactInt32Array(nullable: Bool = false, field: String) throws(KafkaWireError) -> [Int32]? {
        try self.readCompactArray(nullable: nullable, minimumElementSize: 4, field: field) {
            reader throws(KafkaWireError) in try reader.readInt32(field: field)
        }
    }
}

extension KafkaWriter {
    /// `readFlexibleArray`'s counterpart: compact length, each struct followed by empty tagged fields.
    mutating func writeFlexibleArray<Element: KafkaStruct>(_ elements: [Element]?, version: Int16) {
        self.writeCompactArray(elements) { writer, element in
            element.write(to: &writer, version: version)
            writer.writeEmptyTaggedFields()
        }
    }

    mutating func writeCompactInt32Array(_ elements: [Int32]?) {
        self.writeCompactArray(elements) { writer, element in writer.writeInt32(element) }
    }
}

/// AlterPartitionReassignments request.
package struct AlterPartitionReassignmentsRequest: KafkaMessage {
    package static let apiKey = APIKey.alterPartitionReassignments

    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        /// Nil: cancel the reassignment in progress.
        package var replicas: [Int32]?

        package init(partitionIndex: Int32, replicas: [Int32]?) {
            self.partitionIndex = partitionIndex
            self.replicas = replicas
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "AlterPartitionReassignmentsRequest.Topics.Partitions.PartitionIndex")
            self.replicas = try reader.readCompactInt32Array(
                nullable: true, field: "AlterPartitionReassignmentsRequest.Topics.Partitions.Replicas")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeCompactInt32Array(self.replicas)
        }
    }

    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readCompactString(field: "AlterPartitionReassignmentsRequest.Topics.Name")
            self.partitions = try reader.readFlexibleArray(
                version: version, minimumElementSize: 6, field: "AlterPartitionReassignmentsRequest.Topics.Partitions") ?? []
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.name)
            writer.writeFlexibleArray(self.partitions, version: version)
        }
    }

    package var timeoutMs: Int32
    package var topics: [Topic]

    package init(timeoutMs: Int32 = 60_000, topics: [Topic]) {
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.timeoutMs = try reader.readInt32(field: "AlterPartitionReassignmentsRequest.TimeoutMs")
        self.topics = try reader.readFlexibleArray(
            version: version, minimumElementSize: 3, field: "AlterPartitionReassignmentsRequest.Topics") ?? []
        try reader.skipTaggedFields(field: "AlterPartitionReassignmentsRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.timeoutMs)
        writer.writeFlexibleArray(self.topics, version: version)
        writer.writeEmptyTaggedFields()
    }
}

/// AlterPartitionReassignments response.
package struct AlterPartitionReassignmentsResponse: KafkaMessage {
    package static let apiKey = APIKey.alterPartitionReassignments

    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?

        package init(partitionIndex: Int32, errorCode: KafkaErrorCode, errorMessage: String? = nil) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.partitionIndex = try reader.readInt32(field: "AlterPartitionReassignmentsResponse.Responses.Partitions.PartitionIndex")
            self.errorCode = try reader.readErrorCode(field: "AlterPartitionReassignmentsResponse.Responses.Partitions.ErrorCode")
            self.errorMessage = try reader.readCompactNullableString(
                field: "AlterPartitionReassignmentsResponse.Responses.Partitions.ErrorMessage")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeErrorCode(self.errorCode)
            writer.writeCompactNullableString(self.errorMessage)
        }
    }

    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readCompactString(field: "AlterPartitionReassignmentsResponse.Responses.Name")
            self.partitions = try reader.readFlexibleArray(
                version: version, minimumElementSize: 8, field: "AlterPartitionReassignmentsResponse.Responses.Partitions") ?? []
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.name)
            writer.writeFlexibleArray(self.partitions, version: version)
        }
    }

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var responses: [Topic]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, errorMessage: String? = nil, responses: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.responses = responses
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "AlterPartitionReassignmentsResponse.ThrottleTimeMs")
        self.errorCode = try reader.readErrorCode(field: "AlterPartitionReassignmentsResponse.ErrorCode")
        self.errorMessage = try reader.readCompactNullableString(field: "AlterPartitionReassignmentsResponse.ErrorMessage")
        self.responses = try reader.readFlexibleArray(
            version: version, minimumElementSize: 3, field: "AlterPartitionReassignmentsResponse.Responses") ?? []
        try reader.skipTaggedFields(field: "AlterPartitionReassignmentsResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeErrorCode(self.errorCode)
        writer.writeCompactNullableString(self.errorMessage)
        writer.writeFlexibleArray(self.responses, version: version)
        writer.writeEmptyTaggedFields()
    }
}

/// ListPartitionReassignments request.
package struct ListPartitionReassignmentsRequest: KafkaMessage {
    package static let apiKey = APIKey.listPartitionReassignments

    package struct Topic: KafkaStruct {
        package var name: String
        package var partitionIndexes: [Int32]

        package init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readCompactString(field: "ListPartitionReassignmentsRequest.Topics.Name")
            self.partitionIndexes = try reader.readCompactInt32Array(
                field: "ListPartitionReassignmentsRequest.Topics.PartitionIndexes") ?? []
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.name)
            writer.writeCompactInt32Array(self.partitionIndexes)
        }
    }

    package var timeoutMs: Int32
    /// Nil: every reassignment in progress.
    package var topics: [Topic]?

    package init(timeoutMs: Int32 = 60_000, topics: [Topic]?) {
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.timeoutMs = try reader.readInt32(field: "ListPartitionReassignmentsRequest.TimeoutMs")
        self.topics = try reader.readFlexibleArray(
            version: version, nullable: true, minimumElementSize: 3, field: "ListPartitionReassignmentsRequest.Topics")
        try reader.skipTaggedFields(field: "ListPartitionReassignmentsRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.timeoutMs)
        writer.writeFlexibleArray(self.topics, version: version)
        writer.writeEmptyTaggedFields()
    }
}

/// ListPartitionReassignments response.
package struct ListPartitionReassignmentsResponse: KafkaMessage {
    package static let apiKey = APIKey.listPartitionReassignments

    package struct Partition: KafkaStruct {
        package var partitionIndex: Int32
        package var replicas: [Int32]
        package var addingReplicas: [Int32]
        package var removingReplicas: [Int32]

        package init(partitionIndex: Int32, replicas: [Int32], addingReplicas: [Int32], removingReplicas: [Int32]) {
            self.partitionIndex = partitionIndex
            self.replicas = replicas
            self.addingReplicas = addingReplicas
            self.removingReplicas = removingReplicas
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            let field = "ListPartitionReassignmentsResponse.Topics.Partitions"
            self.partitionIndex = try reader.readInt32(field: field + ".PartitionIndex")
            self.replicas = try reader.readCompactInt32Array(field: field + ".Replicas") ?? []
            self.addingReplicas = try reader.readCompactInt32Array(field: field + ".AddingReplicas") ?? []
            self.removingReplicas = try reader.readCompactInt32Array(field: field + ".RemovingReplicas") ?? []
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.partitionIndex)
            writer.writeCompactInt32Array(self.replicas)
            writer.writeCompactInt32Array(self.addingReplicas)
            writer.writeCompactInt32Array(self.removingReplicas)
        }
    }

    package struct Topic: KafkaStruct {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readCompactString(field: "ListPartitionReassignmentsResponse.Topics.Name")
            self.partitions = try reader.readFlexibleArray(
                version: version, minimumElementSize: 8, field: "ListPartitionReassignmentsResponse.Topics.Partitions") ?? []
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.name)
            writer.writeFlexibleArray(self.partitions, version: version)
        }
    }

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var topics: [Topic]

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, errorMessage: String? = nil, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "ListPartitionReassignmentsResponse.ThrottleTimeMs")
        self.errorCode = try reader.readErrorCode(field: "ListPartitionReassignmentsResponse.ErrorCode")
        self.errorMessage = try reader.readCompactNullableString(field: "ListPartitionReassignmentsResponse.ErrorMessage")
        self.topics = try reader.readFlexibleArray(
            version: version, minimumElementSize: 3, field: "ListPartitionReassignmentsResponse.Topics") ?? []
        try reader.skipTaggedFields(field: "ListPartitionReassignmentsResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeErrorCode(self.errorCode)
        writer.writeCompactNullableString(self.errorMessage)
        writer.writeFlexibleArray(self.topics, version: version)
        writer.writeEmptyTaggedFields()
    }
}
