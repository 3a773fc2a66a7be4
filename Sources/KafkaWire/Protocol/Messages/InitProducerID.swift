// InitProducerId (key 22), `InitProducerIdRequest.json` / `InitProducerIdResponse.json`, versions 0–1:
//
// ```
// InitProducerIdRequest
//   TransactionalId        string  0+  nullable 0+   (null: idempotent producer, no transactions)
//   TransactionTimeoutMs   int32   0+
// InitProducerIdResponse
//   ThrottleTimeMs         int32   0+
//   ErrorCode              int16   0+
//   ProducerId             int64   0+
//   ProducerEpoch          int16   0+
// ```

/// InitProducerId request.
public struct InitProducerIDRequest: KafkaMessage {
    public static let apiKey = APIKey.initProducerID

    public var transactionalID: String?
    public var transactionTimeoutMs: Int32

    public init(transactionalID: String?, transactionTimeoutMs: Int32) {
        self.transactionalID = transactionalID
        self.transactionTimeoutMs = transactionTimeoutMs
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.transactionalID = try reader.readNullableString(field: "InitProducerIdRequest.TransactionalId")
        self.transactionTimeoutMs = try reader.readInt32(field: "InitProducerIdRequest.TransactionTimeoutMs")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeNullableString(self.transactionalID)
        writer.writeInt32(self.transactionTimeoutMs)
    }
}

/// InitProducerId response.
public struct InitProducerIDResponse: KafkaMessage {
    public static let apiKey = APIKey.initProducerID

    public var throttleTimeMs: Int32
    public var errorCode: KafkaErrorCode
    public var producerID: Int64
    public var producerEpoch: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, producerID: Int64, producerEpoch: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "InitProducerIdResponse.ThrottleTimeMs")
        self.errorCode = try reader.readErrorCode(field: "InitProducerIdResponse.ErrorCode")
        self.producerID = try reader.readInt64(field: "InitProducerIdResponse.ProducerId")
        self.producerEpoch = try reader.readInt16(field: "InitProducerIdResponse.ProducerEpoch")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeErrorCode(self.errorCode)
        writer.writeInt64(self.producerID)
        writer.writeInt16(self.producerEpoch)
    }
}
