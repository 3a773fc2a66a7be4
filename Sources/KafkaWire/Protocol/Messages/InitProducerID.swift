// InitProducerId (key 22), `InitProducerIdRequest.json` / `InitProducerIdResponse.json`, versions 0–4
// (flexible from 2; v3 adds the producer's current id and epoch, KIP-360; v4 only lets the coordinator
// answer PRODUCER_FENCED, KIP-588):
//
// ```
// InitProducerIdRequest
//   TransactionalId        string  0+  nullable 0+   (null: idempotent producer, no transactions)
//   TransactionTimeoutMs   int32   0+
//   ProducerId             int64   3+  default -1
//   ProducerEpoch          int16   3+  default -1
// InitProducerIdResponse
//   ThrottleTimeMs         int32   0+
//   ErrorCode              int16   0+
//   ProducerId             int64   0+  default -1
//   ProducerEpoch          int16   0+
// ```

/// InitProducerId request.
package struct InitProducerIDRequest: KafkaMessage {
    package static let apiKey = APIKey.initProducerID
    static let firstFlexibleVersion: Int16 = 2

    package var transactionalID: String?
    package var transactionTimeoutMs: Int32
    /// v3+: the id the producer holds, to resume after an error (KIP-360); -1 for none or when absent.
    package var producerID: Int64
    /// v3+: the epoch the producer holds; -1 for none or when absent.
    package var producerEpoch: Int16

    package init(
        transactionalID: String?, transactionTimeoutMs: Int32, producerID: Int64 = -1, producerEpoch: Int16 = -1
    ) {
        self.transactionalID = transactionalID
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        self.transactionalID = try reader.readNullableString(
            flexible: flexible, field: "InitProducerIdRequest.TransactionalId")
        self.transactionTimeoutMs = try reader.readInt32(field: "InitProducerIdRequest.TransactionTimeoutMs")
        self.producerID = try version >= 3 ? reader.readInt64(field: "InitProducerIdRequest.ProducerId") : -1
        self.producerEpoch = try version >= 3 ? reader.readInt16(field: "InitProducerIdRequest.ProducerEpoch") : -1
        try reader.skipTaggedFields(flexible: flexible, field: "InitProducerIdRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        writer.writeNullableString(self.transactionalID, flexible: flexible)
        writer.writeInt32(self.transactionTimeoutMs)
        if version >= 3 {
            writer.writeInt64(self.producerID)
            writer.writeInt16(self.producerEpoch)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// InitProducerId response.
package struct InitProducerIDResponse: KafkaMessage {
    package static let apiKey = APIKey.initProducerID

    package var throttleTimeMs: Int32
    package var errorCode: KafkaErrorCode
    package var producerID: Int64
    package var producerEpoch: Int16

    package init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode, producerID: Int64, producerEpoch: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= InitProducerIDRequest.firstFlexibleVersion
        self.throttleTimeMs = try reader.readInt32(field: "InitProducerIdResponse.ThrottleTimeMs")
        self.errorCode = try reader.readErrorCode(field: "InitProducerIdResponse.ErrorCode")
        self.producerID = try reader.readInt64(field: "InitProducerIdResponse.ProducerId")
        self.producerEpoch = try reader.readInt16(field: "InitProducerIdResponse.ProducerEpoch")
        try reader.skipTaggedFields(flexible: flexible, field: "InitProducerIdResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeErrorCode(self.errorCode)
        writer.writeInt64(self.producerID)
        writer.writeInt16(self.producerEpoch)
        writer.writeEmptyTaggedFields(flexible: version >= InitProducerIDRequest.firstFlexibleVersion)
    }
}
