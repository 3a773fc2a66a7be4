/// A Kafka message or one of its nested structs, encoded as the JSON spec's fields in order, each present
/// only in the versions the spec gives it.
///
/// `version` is the message's API version; nested structs receive their message's version. Decoding
/// fills fields absent at `version` with the spec's defaults, so `init(from:version:)` after
/// `write(to:version:)` gives back the value for every field the version carries. This module implements
/// non-flexible versions only (reference/kafka.md §3.5, phase 1).
package protocol KafkaStruct: Hashable, Sendable {
    /// Reads the struct's fields for `version`.
    init(from reader: inout KafkaReader, version: Int16) throws(KafkaWireError)

    /// Writes the struct's fields for `version`.
    func write(to writer: inout KafkaWriter, version: Int16)
}

/// A top-level request or response body of one API.
package protocol KafkaMessage: KafkaStruct {
    /// The API this message belongs to.
    static var apiKey: APIKey { get }
}
