// Metadata (key 3), `MetadataRequest.json` / `MetadataResponse.json`, versions 0–7 here:
//
// ```
// MetadataRequest
//   Topics                  []MetadataRequestTopic 0+  nullable 1+
//     Name                  string  0+
//   AllowAutoTopicCreation  bool    4+  default true
// MetadataResponse
//   ThrottleTimeMs          int32   3+
//   Brokers                 []MetadataResponseBroker 0+
//     NodeId                int32   0+
//     Host                  string  0+
//     Port                  int32   0+
//     Rack                  string  1+  nullable 1+  default null
//   ClusterId               string  2+  nullable 2+  default null
//   ControllerId            int32   1+  default -1
//   Topics                  []MetadataResponseTopic 0+
//     ErrorCode             int16   0+
//     Name                  string  0+
//     IsInternal            bool    1+  default false
//     Partitions            []MetadataResponsePartition 0+
//       ErrorCode           int16   0+
//       PartitionIndex      int32   0+
//       LeaderId            int32   0+
//       LeaderEpoch         int32   7+  default -1
//       ReplicaNodes        []int32 0+
//       IsrNodes            []int32 0+
//       OfflineReplicas     []int32 5+
// ```

/// Metadata request.
package struct MetadataRequest: KafkaMessage {
    package static let apiKey = APIKey.metadata

    /// One `MetadataRequestTopic`.
    package struct Topic: KafkaStruct {
        package var name: String

        package init(name: String) {
            self.name = name
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "MetadataRequest.Topics.Name")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
        }
    }

    /// The topics to describe; nil means all topics. In v0 "all" is an empty array on the wire (null is
    /// not allowed there), so a v0 empty array decodes as nil and nil encodes as an empty array.
    package var topics: [Topic]?
    /// v4+; true when absent, as the spec's default.
    package var allowAutoTopicCreation: Bool

    package init(topics: [Topic]?, allowAutoTopicCreation: Bool = true) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        if version >= 1 {
            self.topics = try reader.readNullableArray(version: version, field: "MetadataRequest.Topics")
        } else {
            let topics: [Topic] = try reader.readArray(version: version, field: "MetadataRequest.Topics")
            self.topics = topics.isEmpty ? nil : topics
        }
        self.allowAutoTopicCreation =
            try version >= 4 ? reader.readBool(field: "MetadataRequest.AllowAutoTopicCreation") : true
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 1 {
            writer.writeNullableArray(self.topics, version: version)
        } else {
            writer.writeArray(self.topics ?? [], version: version)
        }
        if version >= 4 {
            writer.writeBool(self.allowAutoTopicCreation)
        }
    }
}

/// Metadata response.
package struct MetadataResponse: KafkaMessage {
    package static let apiKey = APIKey.metadata

    /// One `MetadataResponseBroker`.
    package struct Broker: KafkaStruct {
        package var nodeID: Int32
        package var host: String
        package var port: Int32
        /// v1+; nil when absent.
        package var rack: String?

        package init(nodeID: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
            self.rack = rack
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.nodeID = try reader.readInt32(field: "MetadataResponse.Brokers.NodeId")
            self.host = try reader.readString(field: "MetadataResponse.Brokers.Host")
            self.port = try reader.readInt32(field: "MetadataResponse.Brokers.Port")
            self.rack = try version >= 1 ? reader.readNullableString(field: "MetadataResponse.Brokers.Rack") : nil
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.nodeID)
            writer.writeString(self.host)
            writer.writeInt32(self.port)
            if version >= 1 {
                writer.writeNullableString(self.rack)
            }
        }
    }

    /// One `MetadataResponsePartition`.
    package struct Partition: KafkaStruct {
        package var errorCode: KafkaErrorCode
        package var partitionIndex: Int32
        package var leaderID: Int32
        /// v7+; -1 when absent.
        package var leaderEpoch: Int32
        package var replicaNodes: [Int32]
        package var isrNodes: [Int32]
        /// v5+; empty when absent.
        package var offlineReplicas: [Int32]

        package init(
            errorCode: KafkaErrorCode,
            partitionIndex: Int32,
            leaderID: Int32,
            leaderEpoch: Int32 = -1,
            replicaNodes: [Int32],
            isrNodes: [Int32],
            offlineReplicas: [Int32] = []
        ) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.errorCode = try reader.readErrorCode(field: "MetadataResponse.Topics.Partitions.ErrorCode")
            self.partitionIndex = try reader.readInt32(field: "MetadataResponse.Topics.Partitions.PartitionIndex")
            self.leaderID = try reader.readInt32(field: "MetadataResponse.Topics.Partitions.LeaderId")
            self.leaderEpoch =
                try version >= 7 ? reader.readInt32(field: "MetadataResponse.Topics.Partitions.LeaderEpoch") : -1
            self.replicaNodes = try reader.readInt32Array(field: "MetadataResponse.Topics.Partitions.ReplicaNodes")
            self.isrNodes = try reader.readInt32Array(field: "MetadataResponse.Topics.Partitions.IsrNodes")
            self.offlineReplicas =
                try version >= 5
                ? reader.readInt32Array(field: "MetadataResponse.Topics.Partitions.OfflineReplicas") : []
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeErrorCode(self.errorCode)
            writer.writeInt32(self.partitionIndex)
            writer.writeInt32(self.leaderID)
            if version >= 7 {
                writer.writeInt32(self.leaderEpoch)
            }
            writer.writeInt32Array(self.replicaNodes)
            writer.writeInt32Array(self.isrNodes)
            if version >= 5 {
                writer.writeInt32Array(self.offlineReplicas)
            }
        }
    }

    /// One `MetadataResponseTopic`.
    package struct Topic: KafkaStruct {
        package var errorCode: KafkaErrorCode
        package var name: String
        /// v1+; false when absent.
        package var isInternal: Bool
        package var partitions: [Partition]

        package init(errorCode: KafkaErrorCode, name: String, isInternal: Bool = false, partitions: [Partition]) {
            self.errorCode = errorCode
            self.name = name
            self.isInternal = isInternal
            self.partitions = partitions
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.errorCode = try reader.readErrorCode(field: "MetadataResponse.Topics.ErrorCode")
            self.name = try reader.readString(field: "MetadataResponse.Topics.Name")
            self.isInternal = try version >= 1 ? reader.readBool(field: "MetadataResponse.Topics.IsInternal") : false
            self.partitions = try reader.readArray(version: version, field: "MetadataResponse.Topics.Partitions")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeErrorCode(self.errorCode)
            writer.writeString(self.name)
            if version >= 1 {
                writer.writeBool(self.isInternal)
            }
            writer.writeArray(self.partitions, version: version)
        }
    }

    /// v3+; 0 when absent.
    package var throttleTimeMs: Int32
    package var brokers: [Broker]
    /// v2+; nil when absent.
    package var clusterID: String?
    /// v1+; -1 when absent.
    package var controllerID: Int32
    package var topics: [Topic]

    package init(
        throttleTimeMs: Int32 = 0,
        brokers: [Broker],
        clusterID: String? = nil,
        controllerID: Int32 = -1,
        topics: [Topic]
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.topics = topics
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 3 ? reader.readInt32(field: "MetadataResponse.ThrottleTimeMs") : 0
        self.brokers = try reader.readArray(version: version, field: "MetadataResponse.Brokers")
        self.clusterID = try version >= 2 ? reader.readNullableString(field: "MetadataResponse.ClusterId") : nil
        self.controllerID = try version >= 1 ? reader.readInt32(field: "MetadataResponse.ControllerId") : -1
        self.topics = try reader.readArray(version: version, field: "MetadataResponse.Topics")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 3 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeArray(self.brokers, version: version)
        if version >= 2 {
            writer.writeNullableString(self.clusterID)
        }
        if version >= 1 {
            writer.writeInt32(self.controllerID)
        }
        writer.writeArray(self.topics, version: version)
    }
}
