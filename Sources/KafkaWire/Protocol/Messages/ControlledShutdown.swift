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
public struct ControlledShutdownRequest: KafkaMessage {
    public static let apiKey = APIKey.controlledShutdown

    public var brokerID: Int32
    /// v2+; -1 when absent.
    public var brokerEpoch: Int64

    public init(brokerID: Int32, brokerEpoch: Int64 = -1) {
        self.brokerID = brokerID
        self.brokerEpoch = brokerEpoch
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.brokerID = try reader.readInt32(field: "ControlledShutdownRequest.BrokerId")
        self.brokerEpoch = try version >= 2 ? reader.readInt64(field: "ControlledShutdownRequest.BrokerEpoch") : -1
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.brokerID)
        if version >= 2 {
            writer.writeInt64(self.brokerEpoch)
        }
    }
}

/// ControlledShutdown response.
public struct ControlledShutdownResponse: KafkaMessage {
    public static let apiKey = APIKey.controlledShutdown

    /// One `RemainingPartition`: a partition the stopping broker still leads.
    public struct RemainingPartition: KafkaStruct {
        public var topicName: String
        public var partitionIndex: Int32

        public init(topicName: String, partitionIndex: Int32) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
        }

        public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.topicName = try reader.readString(field: "ControlledShutdownResponse.RemainingPartitions.TopicName")
            self.partitionIndex = try reader.readInt32(
                field: "ControlledShutdownResponse.RemainingPartitions.PartitionIndex")
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.topicName)
            writer.writeInt32(self.partitionIndex)
        }
    }

    public var errorCode: KafkaErrorCode
    public var remainingPartitions: [RemainingPartition]

    public init(errorCode: KafkaErrorCode, remainingPartitions: [RemainingPartition] = []) {
        self.errorCode = errorCode
        self.remainingPartitions = remainingPartitions
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.errorCode = try reader.readErrorCode(field: "ControlledShutdownResponse.ErrorCode")
        self.remainingPartitions = try reader.readArray(
            version: version, field: "ControlledShutdownResponse.RemainingPartitions")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeErrorCode(self.errorCode)
        writer.writeArray(self.remainingPartitions, version: version)
    }
}
