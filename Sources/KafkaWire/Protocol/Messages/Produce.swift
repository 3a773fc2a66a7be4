package import NIOCore

// Produce (key 0), `ProduceRequest.json` / `ProduceResponse.json`, versions 0–8 here:
//
// ```
// ProduceRequest
//   TransactionalId      string  3+  nullable 3+  default null
//   Acks                 int16   0+
//   TimeoutMs            int32   0+
//   TopicData            []TopicProduceData 0+
//     Name               string  0+
//     PartitionData      []PartitionProduceData 0+
//       Index            int32   0+
//       Records          records 0+  nullable 0+
// ProduceResponse
//   Responses            []TopicProduceResponse 0+
//     Name               string  0+
//     PartitionResponses []PartitionProduceResponse 0+
//       Index            int32   0+
//       ErrorCode        int16   0+
//       BaseOffset       int64   0+
//       LogAppendTimeMs  int64   2+  default -1
//       LogStartOffset   int64   5+  default -1
//       RecordErrors     []BatchIndexAndErrorMessage 8+
//         BatchIndex              int32  8+
//         BatchIndexErrorMessage  string 8+  nullable 8+  default null
//       ErrorMessage     string  8+  nullable 8+  default null
//   ThrottleTimeMs       int32   1+
// ```
//
// Versions 0–2 decode (the same layout without TransactionalId) so the broker can answer them with
// UNSUPPORTED_VERSION per partition; v3 is the first with RecordBatch v2. `Records` stays opaque bytes
// here: RecordBatch parsing lives in `Records/`.

/// Produce request.
package struct ProduceRequest: KafkaMessage {
    package static let apiKey = APIKey.produce

    /// One `PartitionProduceData`.
    package struct PartitionData: KafkaStruct {
        package var index: Int32
        /// The record batches, a slice of the request frame; nil if the client sent null.
        package var records: ByteBuffer?

        package init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.index = try reader.readInt32(field: "ProduceRequest.TopicData.PartitionData.Index")
            self.records = try reader.readNullableBytes(field: "ProduceRequest.TopicData.PartitionData.Records")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.index)
            writer.writeNullableBytes(self.records)
        }
    }

    /// One `TopicProduceData`.
    package struct TopicData: KafkaStruct {
        package var name: String
        package var partitionData: [PartitionData]

        package init(name: String, partitionData: [PartitionData]) {
            self.name = name
            self.partitionData = partitionData
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "ProduceRequest.TopicData.Name")
            self.partitionData = try reader.readArray(version: version, field: "ProduceRequest.TopicData.PartitionData")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitionData, version: version)
        }
    }

    /// v3+; nil when absent.
    package var transactionalID: String?
    /// 0: no acknowledgement (the broker sends no response), 1: the leader, -1: the full ISR.
    package var acks: Int16
    package var timeoutMs: Int32
    package var topicData: [TopicData]

    package init(transactionalID: String? = nil, acks: Int16, timeoutMs: Int32, topicData: [TopicData]) {
        self.transactionalID = transactionalID
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.transactionalID =
            try version >= 3 ? reader.readNullableString(field: "ProduceRequest.TransactionalId") : nil
        self.acks = try reader.readInt16(field: "ProduceRequest.Acks")
        self.timeoutMs = try reader.readInt32(field: "ProduceRequest.TimeoutMs")
        self.topicData = try reader.readArray(version: version, field: "ProduceRequest.TopicData")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 3 {
            writer.writeNullableString(self.transactionalID)
        }
        writer.writeInt16(self.acks)
        writer.writeInt32(self.timeoutMs)
        writer.writeArray(self.topicData, version: version)
    }
}

/// Produce response.
package struct ProduceResponse: KafkaMessage {
    package static let apiKey = APIKey.produce

    /// One `BatchIndexAndErrorMessage` (v8+): a record that caused its batch to be dropped.
    package struct RecordError: KafkaStruct {
        package var batchIndex: Int32
        package var batchIndexErrorMessage: String?

        package init(batchIndex: Int32, batchIndexErrorMessage: String?) {
            self.batchIndex = batchIndex
            self.batchIndexErrorMessage = batchIndexErrorMessage
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.batchIndex = try reader.readInt32(
                field: "ProduceResponse.Responses.PartitionResponses.RecordErrors.BatchIndex"
            )
            self.batchIndexErrorMessage = try reader.readNullableString(
                field: "ProduceResponse.Responses.PartitionResponses.RecordErrors.BatchIndexErrorMessage"
            )
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.batchIndex)
            writer.writeNullableString(self.batchIndexErrorMessage)
        }
    }

    /// One `PartitionProduceResponse`.
    package struct PartitionResponse: KafkaStruct {
        package var index: Int32
        package var errorCode: KafkaErrorCode
        package var baseOffset: Int64
        /// v2+; -1 when absent (and for topics using CreateTime).
        package var logAppendTimeMs: Int64
        /// v5+; -1 when absent.
        package var logStartOffset: Int64
        /// v8+; empty when absent.
        package var recordErrors: [RecordError]
        /// v8+; nil when absent.
        package var errorMessage: String?

        package init(
            index: Int32,
            errorCode: KafkaErrorCode,
            baseOffset: Int64,
            logAppendTimeMs: Int64 = -1,
            logStartOffset: Int64 = -1,
            recordErrors: [RecordError] = [],
            errorMessage: String? = nil
        ) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.index = try reader.readInt32(field: "ProduceResponse.Responses.PartitionResponses.Index")
            self.errorCode = try reader.readErrorCode(field: "ProduceResponse.Responses.PartitionResponses.ErrorCode")
            self.baseOffset = try reader.readInt64(field: "ProduceResponse.Responses.PartitionResponses.BaseOffset")
            self.logAppendTimeMs =
                try version >= 2
                ? reader.readInt64(field: "ProduceResponse.Responses.PartitionResponses.LogAppendTimeMs") : -1
            self.logStartOffset =
                try version >= 5
                ? reader.readInt64(field: "ProduceResponse.Responses.PartitionResponses.LogStartOffset") : -1
            if version >= 8 {
                self.recordErrors = try reader.readArray(
                    version: version,
                    field: "ProduceResponse.Responses.PartitionResponses.RecordErrors"
                )
                self.errorMessage = try reader.readNullableString(
                    field: "ProduceResponse.Responses.PartitionResponses.ErrorMessage"
                )
            } else {
                self.recordErrors = []
                self.errorMessage = nil
            }
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt32(self.index)
            writer.writeErrorCode(self.errorCode)
            writer.writeInt64(self.baseOffset)
            if version >= 2 {
                writer.writeInt64(self.logAppendTimeMs)
            }
            if version >= 5 {
                writer.writeInt64(self.logStartOffset)
            }
            if version >= 8 {
                writer.writeArray(self.recordErrors, version: version)
                writer.writeNullableString(self.errorMessage)
            }
        }
    }

    /// One `TopicProduceResponse`.
    package struct TopicResponse: KafkaStruct {
        package var name: String
        package var partitionResponses: [PartitionResponse]

        package init(name: String, partitionResponses: [PartitionResponse]) {
            self.name = name
            self.partitionResponses = partitionResponses
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "ProduceResponse.Responses.Name")
            self.partitionResponses = try reader.readArray(
                version: version,
                field: "ProduceResponse.Responses.PartitionResponses"
            )
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeArray(self.partitionResponses, version: version)
        }
    }

    package var responses: [TopicResponse]
    /// v1+; 0 when absent. Comes after `responses` on the wire.
    package var throttleTimeMs: Int32

    package init(responses: [TopicResponse], throttleTimeMs: Int32 = 0) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.responses = try reader.readArray(version: version, field: "ProduceResponse.Responses")
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "ProduceResponse.ThrottleTimeMs") : 0
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeArray(self.responses, version: version)
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
    }
}
