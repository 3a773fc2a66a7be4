// `RequestHeader.json` / `ResponseHeader.json`:
//
// ```
// RequestHeader  (validVersions 0-2, flexibleVersions 2+)
//   RequestApiKey      int16   0+
//   RequestApiVersion  int16   0+
//   CorrelationId      int32   0+
//   ClientId           string  1+  nullable 1+   (always the int16-length encoding, even in v2)
//   <tagged fields>            2+
// ResponseHeader (validVersions 0-1, flexibleVersions 1+)
//   CorrelationId      int32   0+
//   <tagged fields>            1+
// ```
//
// A request uses header v2 exactly when its API version is flexible, v1 otherwise (v0 only served
// ControlledShutdown v0, which this broker does not implement). Responses use v1 for flexible versions
// and v0 otherwise, except ApiVersions, whose responses always use v0 so that a client that does not yet
// know the broker's versions can read them (`ApiMessageTypeGenerator.java`).

/// The header in front of every request body.
package struct RequestHeader: Hashable, Sendable {
    package var apiKey: APIKey
    package var apiVersion: Int16
    /// Echoed in the response header so the client can match responses to requests.
    package var correlationID: Int32
    package var clientID: String?

    package init(apiKey: APIKey, apiVersion: Int16, correlationID: Int32, clientID: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
    }

    /// The header version a request of `apiKey` at `apiVersion` uses: 2 from the API's first flexible
    /// version on, 1 before it and for APIs this broker does not implement.
    package static func version(apiKey: APIKey, apiVersion: Int16) -> Int16 {
        guard let api = SupportedAPIs.api(apiKey), apiVersion >= api.firstFlexibleVersion else { return 1 }
        return 2
    }

    /// The header version this header is encoded in (`version(apiKey:apiVersion:)`).
    package var version: Int16 { Self.version(apiKey: self.apiKey, apiVersion: self.apiVersion) }

    /// Reads a header: v1, or v2 with its tagged fields when the API version is flexible in Kafka's spec.
    package init(from reader: inout KafkaReader) throws(KafkaWireError) {
        self.apiKey = APIKey(rawValue: try reader.readInt16(field: "RequestHeader.RequestApiKey"))
        self.apiVersion = try reader.readInt16(field: "RequestHeader.RequestApiVersion")
        self.correlationID = try reader.readInt32(field: "RequestHeader.CorrelationId")
        self.clientID = try reader.readNullableString(field: "RequestHeader.ClientId")
        if self.version >= 2 {
            try reader.skipTaggedFields(field: "RequestHeader._tagged_fields")
        }
    }

    /// Writes the header in its version (`version`): v2 ends with an empty tagged-field section.
    package func write(to writer: inout KafkaWriter) {
        writer.writeInt16(self.apiKey.rawValue)
        writer.writeInt16(self.apiVersion)
        writer.writeInt32(self.correlationID)
        writer.writeNullableString(self.clientID)
        if self.version >= 2 {
            writer.writeEmptyTaggedFields()
        }
    }
}

/// The header in front of every response body: the request's correlation id.
package enum ResponseHeader {
    /// The header version of a response to `apiKey` at `apiVersion`: always 0 for ApiVersions, 1 from the
    /// API's first flexible version on, 0 otherwise.
    package static func version(apiKey: APIKey, apiVersion: Int16) -> Int16 {
        guard apiKey != .apiVersions else { return 0 }
        return RequestHeader.version(apiKey: apiKey, apiVersion: apiVersion) - 1
    }

    /// Writes a response header of `version` 0 or 1 (an empty tagged-field section for 1).
    package static func write(correlationID: Int32, version: Int16, to writer: inout KafkaWriter) {
        writer.writeInt32(correlationID)
        if version >= 1 {
            writer.writeEmptyTaggedFields()
        }
    }

    /// Reads a response header of `version` 0 or 1 and returns its correlation id.
    package static func read(version: Int16, from reader: inout KafkaReader) throws(KafkaWireError) -> Int32 {
        let correlationID = try reader.readInt32(field: "ResponseHeader.CorrelationId")
        if version >= 1 {
            try reader.skipTaggedFields(field: "ResponseHeader._tagged_fields")
        }
        return correlationID
    }
}
