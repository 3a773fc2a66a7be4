// FindCoordinator (key 10), `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json`, versions 0–2:
//
// ```
// FindCoordinatorRequest
//   Key              string  0-3
//   KeyType          int8    1+  default 0   (0 group, 1 transaction)
// FindCoordinatorResponse
//   ThrottleTimeMs   int32   1+
//   ErrorCode        int16   0-3
//   ErrorMessage     string  1-3  nullable 1-3
//   NodeId           int32   0-3
//   Host             string  0-3
//   Port             int32   0-3
// ```

/// FindCoordinator request.
public struct FindCoordinatorRequest: KafkaMessage {
    public static let apiKey = APIKey.findCoordinator

    /// The group id or transactional id.
    public var key: String
    /// v1+; 0 (group) when absent.
    public var keyType: Int8

    public init(key: String, keyType: Int8 = 0) {
        self.key = key
        self.keyType = keyType
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.key = try reader.readString(field: "FindCoordinatorRequest.Key")
        self.keyType = try version >= 1 ? reader.readInt8(field: "FindCoordinatorRequest.KeyType") : 0
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeString(self.key)
        if version >= 1 {
            writer.writeInt8(self.keyType)
        }
    }
}

/// FindCoordinator response.
public struct FindCoordinatorResponse: KafkaMessage {
    public static let apiKey = APIKey.findCoordinator

    /// v1+; 0 when absent.
    public var throttleTimeMs: Int32
    public var errorCode: KafkaErrorCode
    /// v1+; nil when absent.
    public var errorMessage: String?
    public var nodeID: Int32
    public var host: String
    public var port: Int32

    public init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode,
        errorMessage: String? = nil,
        nodeID: Int32,
        host: String,
        port: Int32
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeID = nodeID
        self.host = host
        self.port = port
    }

    public init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "FindCoordinatorResponse.ThrottleTimeMs") : 0
        self.errorCode = try reader.readErrorCode(field: "FindCoordinatorResponse.ErrorCode")
        self.errorMessage =
            try version >= 1 ? reader.readNullableString(field: "FindCoordinatorResponse.ErrorMessage") : nil
        self.nodeID = try reader.readInt32(field: "FindCoordinatorResponse.NodeId")
        self.host = try reader.readString(field: "FindCoordinatorResponse.Host")
        self.port = try reader.readInt32(field: "FindCoordinatorResponse.Port")
    }

    public func write(to writer: inout KafkaWriter, version: Int16) {
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        writer.writeErrorCode(self.errorCode)
        if version >= 1 {
            writer.writeNullableString(self.errorMessage)
        }
        writer.writeInt32(self.nodeID)
        writer.writeString(self.host)
        writer.writeInt32(self.port)
    }
}
