// ApiVersions (key 18), `ApiVersionsRequest.json` / `ApiVersionsResponse.json`, versions 0–2 here:
//
// ```
// ApiVersionsRequest           (v0–2 carry no fields; v3+ flexible adds ClientSoftwareName/Version)
// ApiVersionsResponse
//   ErrorCode        int16       0+
//   ApiKeys          []ApiVersion 0+
//     ApiKey         int16       0+
//     MinVersion     int16       0+
//     MaxVersion     int16       0+
//   ThrottleTimeMs   int32       1+
// ```
//
// KIP-511: a request above the supported versions is answered, without parsing its body, by a v0
// response with UNSUPPORTED_VERSION and the supported ranges (`APIVersionsResponse.unsupportedVersion()`);
// librdkafka then retries with min(its version - 1, our max).

/// ApiVersions request, v0–2: an empty body.
package struct APIVersionsRequest: KafkaMessage {
    package static let apiKey = APIKey.apiVersions

    package init() {}

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {}

    package func write(to writer: inout KafkaWriter, version: Int16) {}
}

/// ApiVersions response.
package struct APIVersionsResponse: KafkaMessage {
    package static let apiKey = APIKey.apiVersions

    /// One `ApiVersion` entry: a key and its inclusive version range.
    package struct APIVersion: KafkaStruct {
        package var apiKey: APIKey
        package var minVersion: Int16
        package var maxVersion: Int16

        package init(apiKey: APIKey, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.apiKey = APIKey(rawValue: try reader.readInt16(field: "ApiVersionsResponse.ApiKeys.ApiKey"))
            self.minVersion = try reader.readInt16(field: "ApiVersionsResponse.ApiKeys.MinVersion")
            self.maxVersion = try reader.readInt16(field: "ApiVersionsResponse.ApiKeys.MaxVersion")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt16(self.apiKey.rawValue)
            writer.writeInt16(self.minVersion)
            writer.writeInt16(self.maxVersion)
        }
    }

    package var errorCode: KafkaErrorCode
    package var apiKeys: [APIVersion]
    /// v1+; 0 when absent.
    package var throttleTimeMs: Int32

    package init(errorCode: KafkaErrorCode, apiKeys: [APIVersion], throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    /// The ranges of `SupportedAPIs.all`.
    package static var supportedAPIVersions: [APIVersion] {
        SupportedAPIs.all.map { APIVersion(apiKey: $0.key, minVersion: $0.minVersion, maxVersion: $0.maxVersion) }
    }

    /// The answer to a supported ApiVersions request: no error and every supported range.
    package static func supported(throttleTimeMs: Int32 = 0) -> APIVersionsResponse {
        APIVersionsResponse(errorCode: .noError, apiKeys: Self.supportedAPIVersions, throttleTimeMs: throttleTimeMs)
    }

    /// The KIP-511 answer to an ApiVersions request of a version above ours: UNSUPPORTED_VERSION with
    /// every supported range. Encode it as version 0.
    package static func unsupportedVersion() -> APIVersionsResponse {
        APIVersionsResponse(errorCode: .unsupportedVersion, apiKeys: Self.supportedAPIVersions)
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.errorCode = try reader.readErrorCode(field: "ApiVersionsResponse.ErrorCode")
        self.apiKeys = try reader.readArray(version: version, field: "ApiVersionsResponse.ApiKeys")
        self.throttleTimeMs = try version >= 1 ? reader.readInt32(field: "ApiVersionsResponse.ThrottleTimeMs") : 0
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeErrorCode(self.errorCode)
        writer.writeArray(self.apiKeys, version: version)
        if version >= 1 {
            writer.writeInt32(self.throttleTimeMs)
        }
    }
}
