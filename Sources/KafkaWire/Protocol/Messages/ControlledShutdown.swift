// ControlledShutdown (key 7), `ControlledShutdownRequest.json` / `ControlledShutdownResponse.json`,
// versions 1–2 here (v0 has a non-standard header; v3 is flexible). Sent by a stopping broker to the
// controller:
//
// ```
// ControlledShutdownRequest
//   BrokerId              int32   0+
//   BrokerEpoch           int64   2+  default -1
// ControlledShutdownResponse
//   ErrorCode             int16   0+
//   RemainingPartitions   []RemainingPartition 0+
//     TopicName           string  0+
//     PartitionIndex      int32   0+
// ```

/// ControlledShutdown request.
package struct ControlledShutdownRequest: KafkaMessage {
    package static let apiKey = APIKey.controlledShutdown

    package var brokerID: Int32
    /// v2+; -1 when absent.
    package var brokerEpoch: Int64

    package init(brokerID: Int32, brokerEpoch: Int64 = -1) {
        self.brokerID = brokerID
        self.brokerEpoch = brokerEpoch
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.brokerID = try reader.readInt32(field: "ControlledShutdownRequest.BrokerId")
        self.brokerEpoch = try version >= 2 ? reader.readInt64(field: "ControlledShutdownRequest.BrokerEpoch") : -1
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.brokerID)
        if version >= 2 {
            writer.writeInt64(self.brokerEpoch)
        }
    }
}

/// ControlledShutdown response.
package struct ControlledShutdownResponse: KafkaMessage {
    package static let apiKey = APIKey.controlledShutdown

    /// One `RemainingPartition`: a partition the stopping broker still leads.
    package struct RemainingPartition: KafkaStruct {
        package var topicName: String
        package var partitionIndex: Int32

        package init(topicName: String, partitionIndex: Int32) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topicName = try reader.readString(field: "ControlledShutdownResponse.RemainingPartitions.TopicName")
            self.partitionIndex = try reader.readInt32(
                field: "ControlledShutdownResponse.RemainingPartitions.PartitionIndex")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topicName)
            writer.writeInt32(self.partitionIndex)
        }
    }

    package var errorCode: KafkaErrorCode
    package var remainingPartitions: [RemainingPartition]

    package init(errorCode: KafkaErrorCode, remainingPartitions: [RemainingPartition] = []) {
        self.errorCode = errorCode
        self.remainingPartitions = remainingPartitions
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.errorCode = try reader.readErrorCode(field: "ControlledShutdownResponse.ErrorCode")
        self.remainingPartitions = try reader.readArray(
            version: version, field: "ControlledShutdownResponse.RemainingPartitions")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeErrorCode(self.errorCode)
        writer.writeArray(self.remainingPartitions, version: version)
    }
}
