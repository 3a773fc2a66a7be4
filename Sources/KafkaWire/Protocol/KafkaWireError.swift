/// Operational failures of the Kafka codec: malformed or oversized input (STYLE.md §5, kind 2).
///
/// Client-visible outcomes are `KafkaErrorCode` values inside responses, never these. Each case names the
/// field that could not be read, as the Kafka JSON message specs spell it (`"Topics.Partitions.Records"`).
package enum KafkaWireError: Error, Hashable, Sendable {
    /// A frame's `int32` size is negative or above the limit (`socket.request.max.bytes`).
    case frameSizeInvalid(size: Int32, limit: Int)
    /// Fewer bytes than a field needs inside a complete frame.
    case truncated(field: String, needed: Int, available: Int)
    /// A length or count prefix is negative where null is not allowed, below -1, or longer than the bytes
    /// that remain.
    case invalidLength(field: String, value: Int64)
    /// A string is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A varint runs past the width of its type (more than 5 bytes for 32 bits, 10 for 64).
    case invalidVarint(field: String)
    /// A value outside the set the spec allows (an unknown error code).
    case invalidValue(field: String, value: Int64)
    /// Bytes left over after a complete message was parsed.
    case trailingBytes(context: String, count: Int)
}
