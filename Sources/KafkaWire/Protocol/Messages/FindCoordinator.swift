// FindCoordinator (key 10), `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json`, versions 0–4
// (flexible from 3: compact strings and arrays, tagged fields; v4 batches keys, KIP-699):
//
// ```
// FindCoordinatorRequest
//   Key              string    0-3
//   KeyType          int8      1+  default 0   (0 group, 1 transaction)
//   CoordinatorKeys  []string  4+
// FindCoordinatorResponse
//   ThrottleTimeMs   int32     1+
//   ErrorCode        int16     0-3
//   ErrorMessage     string    1-3  nullable 1-3
//   NodeId           int32     0-3
//   Host             string    0-3
//   Port             int32     0-3
//   Coordinators     []Coordinator 4+
//     Key            string    4+
//     NodeId         int32     4+
//     Host           string    4+
//     Port           int32     4+
//     ErrorCode      int16     4+
//     ErrorMessage   string    4+  nullable 4+
// ```
//
// Both messages keep the v4 list in every version: v0–3 carry exactly one key and one coordinator (whose
// key is not on the wire), so a handler answers `keys` with one coordinator each and the response writes
// at any version.

/// FindCoordinator request.
package struct FindCoordinatorRequest: KafkaMessage {
    package static let apiKey = APIKey.findCoordinator
    static let firstFlexibleVersion: Int16 = 3

    /// The group ids or transactional ids: `CoordinatorKeys` in v4+, the single `Key` before (a request
    /// written at v0–3 carries the first key, or "" if there is none).
    package var keys: [String]
    /// v1+; 0 (group) when absent.
    package var keyType: Int8

    /// The first key: v0–3's `Key`. Setting it makes it the only key.
    package var key: String {
        get { self.keys.first ?? "" }
        set { self.keys = [newValue] }
    }

    /// A request for one key (any version).
    package init(key: String, keyType: Int8 = 0) {
        self.init(keys: [key], keyType: keyType)
    }

    /// A request for several keys (v4+; earlier versions carry only the first).
    package init(keys: [String], keyType: Int8 = 0) {
        self.keys = keys
        self.keyType = keyType
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= Self.firstFlexibleVersion
        if version < 4 {
            self.keys = [try reader.readString(flexible: flexible, field: "FindCoordinatorRequest.Key")]
        } else {
            self.keys = []
        }
        self.keyType = try version >= 1 ? reader.readInt8(field: "FindCoordinatorRequest.KeyType") : 0
        if version >= 4 {
            self.keys = try reader.readStringArray(flexible: flexible, field: "FindCoordinatorRequest.CoordinatorKeys")
        }
        try reader.skipTaggedFields(flexible: flexible, field: "FindCoordinatorRequest._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= Self.firstFlexibleVersion
        if version < 4 {
            writer.writeString(self.key, flexible: flexible)
        }
        if version >= 1 {
            writer.writeInt8(self.keyType)
        }
        if version >= 4 {
            writer.writeStringArray(self.keys, flexible: flexible)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}

/// FindCoordinator response.
package struct FindCoordinatorResponse: KafkaMessage {
    package static let apiKey = APIKey.findCoordinator

    /// One `Coordinator`: the answer for one key. v0–3 write the first one's fields at the top level,
    /// without `key`.
    package struct Coordinator: KafkaStruct {
        /// v4+; "" when read from v0–3.
        package var key: String
        package var nodeID: Int32
        package var host: String
        package var port: Int32
        package var errorCode: KafkaErrorCode
        /// v1+; nil when absent.
        package var errorMessage: String?

        package init(
            key: String,
            nodeID: Int32,
            host: String,
            port: Int32,
            errorCode: KafkaErrorCode = .noError,
            errorMessage: String? = nil
        ) {
            self.key = key
            self.nodeID = nodeID
            self.host = host
            self.port = port
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        /// The `Coordinators` element of v4+ (always flexible).
        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.key = try reader.readCompactString(field: "FindCoordinatorResponse.Coordinators.Key")
            self.nodeID = try reader.readInt32(field: "FindCoordinatorResponse.Coordinators.NodeId")
            self.host = try reader.readCompactString(field: "FindCoordinatorResponse.Coordinators.Host")
            self.port = try reader.readInt32(field: "FindCoordinatorResponse.Coordinators.Port")
            self.errorCode = try reader.readErrorCode(field: "FindCoordinatorResponse.Coordinators.ErrorCode")
            self.errorMessage =
                try reader.readCompactNullableString(field: "FindCoordinatorResponse.Coordinators.ErrorMessage")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeCompactString(self.key)
            writer.writeInt32(self.nodeID)
            writer.writeCompactString(self.host)
            writer.writeInt32(self.port)
            writer.writeErrorCode(self.errorCode)
            writer.writeCompactNullableString(self.errorMessage)
        }
    }

    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32
    /// One per key asked, in order; v0–3 carry exactly one (read with key ""). Written at v0–3 with no
    /// coordinator, the response says COORDINATOR_NOT_AVAILABLE with node -1.
    package var coordinators: [Coordinator]

    /// The coordinator v0–3 write: the first, or none available.
    private var single: Coordinator {
        self.coordinators.first
            ?? Coordinator(key: "", nodeID: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable)
    }

    /// The first coordinator's error code (v0–3's top-level `ErrorCode`).
    package var errorCode: KafkaErrorCode { self.single.errorCode }
    /// The first coordinator's error message (v1–3's top-level `ErrorMessage`).
    package var errorMessage: String? { self.single.errorMessage }
    /// The first coordinator's node (v0–3's top-level `NodeId`).
    package var nodeID: Int32 { self.single.nodeID }
    /// The first coordinator's host (v0–3's top-level `Host`).
    package var host: String { self.single.host }
    /// The first coordinator's port (v0–3's top-level `Port`).
    package var port: Int32 { self.single.port }

    /// A response with one coordinator per key asked (any version).
    package init(throttleTimeMs: Int32 = 0, coordinators: [Coordinator]) {
        self.throttleTimeMs = throttleTimeMs
        self.coordinators = coordinators
    }

    /// A response with one coordinator of key "": what v0–3 carry. At v4 it answers the key "", so a
    /// v4 answer is built from the request's `keys` with `init(throttleTimeMs:coordinators:)`.
    package init(
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode,
        errorMessage: String? = nil,
        nodeID: Int32,
        host: String,
        port: Int32
    ) {
        let coordinator = Coordinator(
            key: "", nodeID: nodeID, host: host, port: port, errorCode: errorCode, errorMessage: errorMessage)
        self.init(throttleTimeMs: throttleTimeMs, coordinators: [coordinator])
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        let flexible = version >= FindCoordinatorRequest.firstFlexibleVersion
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "FindCoordinatorResponse.ThrottleTimeMs") : 0
        if version >= 4 {
            self.coordinators = try reader.readArray(
                version: version, flexible: flexible, minimumElementSize: 14,
                field: "FindCoordinatorResponse.Coordinators")
        } else {
            let errorCode = try reader.readErrorCode(field: "FindCoordinatorResponse.ErrorCode")
            let errorMessage =
                try version >= 1
                ? reader.readNullableString(flexible: flexible, field: "FindCoordinatorResponse.ErrorMessage") : nil
            let nodeID = try reader.readInt32(field: "FindCoordinatorResponse.NodeId")
            let host = try reader.readString(flexible: flexible, field: "FindCoordinatorResponse.Host")
            let port = try reader.readInt32(field: "FindCoordinatorResponse.Port")
            self.coordinators = [
                Coordinator(
                    key: "", nodeID: nodeID, host: host, port: port, errorCode: errorCode, errorMessage: errorMessage)
            ]
        }
        try reader.skipTaggedFields(flexible: flexible, field: "FindCoordinatorResponse._tagged_fields")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        let flexible = version >= FindCoordinatorRequest.firstFlexibleVersion
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
        if version >= 4 {
            writer.writeArray(self.coordinators, version: version, flexible: flexible)
        } else {
            let single = self.single
            writer.writeErrorCode(single.errorCode)
            if version >= 1 {
                writer.writeNullableString(single.errorMessage, flexible: flexible)
            }
            writer.writeInt32(single.nodeID)
            writer.writeString(single.host, flexible: flexible)
            writer.writeInt32(single.port)
        }
        writer.writeEmptyTaggedFields(flexible: flexible)
    }
}
