// DescribeConfigs (key 32), `DescribeConfigsRequest.json` / `DescribeConfigsResponse.json`, versions 0–3:
//
// ```
// DescribeConfigsRequest
//   Resources              []DescribeConfigsResource 0+
//     ResourceType         int8    0+   (2 topic, 4 broker, 8 broker logger)
//     ResourceName         string  0+
//     ConfigurationKeys    []string 0+ nullable 0+   (null: all)
//   IncludeSynonyms        bool    1+  default false
//   IncludeDocumentation   bool    3+  default false
// DescribeConfigsResponse
//   ThrottleTimeMs         int32   0+
//   Results                []DescribeConfigsResult 0+
//     ErrorCode            int16   0+
//     ErrorMessage         string  0+  nullable 0+
//     ResourceType         int8    0+
//     ResourceName         string  0+
//     Configs              []DescribeConfigsResourceResult 0+
//       Name               string  0+
//       Value              string  0+  nullable 0+
//       ReadOnly           bool    0+
//       IsDefault          bool    0    (v0 only)
//       ConfigSource       int8    1+  default -1
//       IsSensitive        bool    0+
//       Synonyms           []DescribeConfigsSynonym 1+
//         Name             string  1+
//         Value            string  1+  nullable 0+
//         Source           int8    1+
//       ConfigType         int8    3+  default 0
//       Documentation      string  3+  nullable 0+
// ```

/// DescribeConfigs request.
package struct DescribeConfigsRequest: KafkaMessage {
    package static let apiKey = APIKey.describeConfigs

    /// One `DescribeConfigsResource`.
    package struct Resource: KafkaStruct {
        package var resourceType: Int8
        package var resourceName: String
        /// nil asks for every configuration key.
        package var configurationKeys: [String]?

        package init(resourceType: Int8, resourceName: String, configurationKeys: [String]?) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.resourceType = try reader.readInt8(field: "DescribeConfigsRequest.Resources.ResourceType")
            self.resourceName = try reader.readString(field: "DescribeConfigsRequest.Resources.ResourceName")
            self.configurationKeys = try reader.readNullableStringArray(
                field: "DescribeConfigsRequest.Resources.ConfigurationKeys"
            )
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeInt8(self.resourceType)
            writer.writeString(self.resourceName)
            writer.writeNullableStringArray(self.configurationKeys)
        }
    }

    package var resources: [Resource]
    /// v1+; false when absent.
    package var includeSynonyms: Bool
    /// v3+; false when absent.
    package var includeDocumentation: Bool

    package init(resources: [Resource], includeSynonyms: Bool = false, includeDocumentation: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
        self.includeDocumentation = includeDocumentation
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.resources = try reader.readArray(version: version, field: "DescribeConfigsRequest.Resources")
        self.includeSynonyms =
            try version >= 1 ? reader.readBool(field: "DescribeConfigsRequest.IncludeSynonyms") : false
        self.includeDocumentation =
            try version >= 3 ? reader.readBool(field: "DescribeConfigsRequest.IncludeDocumentation") : false
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeArray(self.resources, version: version)
        if version >= 1 {
            writer.writeBool(self.includeSynonyms)
        }
        if version >= 3 {
            writer.writeBool(self.includeDocumentation)
        }
    }
}

/// DescribeConfigs response.
package struct DescribeConfigsResponse: KafkaMessage {
    package static let apiKey = APIKey.describeConfigs

    /// One `DescribeConfigsSynonym` (v1+).
    package struct Synonym: KafkaStruct {
        package var name: String
        package var value: String?
        package var source: Int8

        package init(name: String, value: String?, source: Int8) {
            self.name = name
            self.value = value
            self.source = source
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "DescribeConfigsResponse.Results.Configs.Synonyms.Name")
            self.value = try reader.readNullableString(field: "DescribeConfigsResponse.Results.Configs.Synonyms.Value")
            self.source = try reader.readInt8(field: "DescribeConfigsResponse.Results.Configs.Synonyms.Source")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeNullableString(self.value)
            writer.writeInt8(self.source)
        }
    }

    /// One `DescribeConfigsResourceResult`.
    package struct Config: KafkaStruct {
        package var name: String
        package var value: String?
        package var readOnly: Bool
        /// v0 only; false when absent (v1+ says the same with `configSource`).
        package var isDefault: Bool
        /// v1+; -1 when absent. 5 is DEFAULT_CONFIG, 1 DYNAMIC_TOPIC_CONFIG, 4 STATIC_BROKER_CONFIG.
        package var configSource: Int8
        package var isSensitive: Bool
        /// v1+; empty when absent.
        package var synonyms: [Synonym]
        /// v3+; 0 (UNKNOWN) when absent.
        package var configType: Int8
        /// v3+; nil when absent.
        package var documentation: String?

        package init(
            name: String,
            value: String?,
            readOnly: Bool,
            isDefault: Bool = false,
            configSource: Int8 = -1,
            isSensitive: Bool,
            synonyms: [Synonym] = [],
            configType: Int8 = 0,
            documentation: String? = nil
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.isDefault = isDefault
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.configType = configType
            self.documentation = documentation
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.name = try reader.readString(field: "DescribeConfigsResponse.Results.Configs.Name")
            self.value = try reader.readNullableString(field: "DescribeConfigsResponse.Results.Configs.Value")
            self.readOnly = try reader.readBool(field: "DescribeConfigsResponse.Results.Configs.ReadOnly")
            self.isDefault =
                try version == 0 ? reader.readBool(field: "DescribeConfigsResponse.Results.Configs.IsDefault") : false
            self.configSource =
                try version >= 1 ? reader.readInt8(field: "DescribeConfigsResponse.Results.Configs.ConfigSource") : -1
            self.isSensitive = try reader.readBool(field: "DescribeConfigsResponse.Results.Configs.IsSensitive")
            self.synonyms =
                try version >= 1
                ? reader.readArray(version: version, field: "DescribeConfigsResponse.Results.Configs.Synonyms")
                : []
            if version >= 3 {
                self.configType = try reader.readInt8(field: "DescribeConfigsResponse.Results.Configs.ConfigType")
                self.documentation = try reader.readNullableString(
                    field: "DescribeConfigsResponse.Results.Configs.Documentation"
                )
            } else {
                self.configType = 0
                self.documentation = nil
            }
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeString(self.name)
            writer.writeNullableString(self.value)
            writer.writeBool(self.readOnly)
            if version == 0 {
                writer.writeBool(self.isDefault)
            }
            if version >= 1 {
                writer.writeInt8(self.configSource)
            }
            writer.writeBool(self.isSensitive)
            if version >= 1 {
                writer.writeArray(self.synonyms, version: version)
            }
            if version >= 3 {
                writer.writeInt8(self.configType)
                writer.writeNullableString(self.documentation)
            }
        }
    }

    /// One `DescribeConfigsResult`.
    package struct Result: KafkaStruct {
        package var errorCode: KafkaErrorCode
        package var errorMessage: String?
        package var resourceType: Int8
        package var resourceName: String
        package var configs: [Config]

        package init(
            errorCode: KafkaErrorCode,
            errorMessage: String? = nil,
            resourceType: Int8,
            resourceName: String,
            configs: [Config]
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }

        package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
            self.errorCode = try reader.readErrorCode(field: "DescribeConfigsResponse.Results.ErrorCode")
            self.errorMessage = try reader.readNullableString(field: "DescribeConfigsResponse.Results.ErrorMessage")
            self.resourceType = try reader.readInt8(field: "DescribeConfigsResponse.Results.ResourceType")
            self.resourceName = try reader.readString(field: "DescribeConfigsResponse.Results.ResourceName")
            self.configs = try reader.readArray(version: version, field: "DescribeConfigsResponse.Results.Configs")
        }

        package func write(to writer: inout KafkaWriter, version: Int16) {
            writer.writeErrorCode(self.errorCode)
            writer.writeNullableString(self.errorMessage)
            writer.writeInt8(self.resourceType)
            writer.writeString(self.resourceName)
            writer.writeArray(self.configs, version: version)
        }
    }

    package var throttleTimeMs: Int32
    package var results: [Result]

    package init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    package init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError) {
        self.throttleTimeMs = try reader.readInt32(field: "DescribeConfigsResponse.ThrottleTimeMs")
        self.results = try reader.readArray(version: version, field: "DescribeConfigsResponse.Results")
    }

    package func write(to writer: inout KafkaWriter, version: Int16) {
        writer.writeInt32(self.throttleTimeMs)
        writer.writeArray(self.results, version: version)
    }
}
