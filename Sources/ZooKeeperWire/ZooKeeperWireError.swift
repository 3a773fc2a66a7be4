/// Operational failures of the codec: malformed or oversized input. Client-visible outcomes are
/// `ZKErrorCode` values, never these.
public enum ZooKeeperWireError: Error, Hashable, Sendable {
    /// A frame's length prefix is negative or above the configured limit (`jute.maxbuffer`).
    case frameLengthInvalid(length: Int64, limit: Int)
    /// A reply would be longer than the limit the encoder was given (or than an `Int32` length
    /// allows); nothing was written.
    case replyTooLong(length: Int, limit: Int)
    /// A request frame or another encoded record (a tree snapshot) would be longer than its length
    /// field or buffer allows; nothing was written.
    case encodingTooLong(context: String, length: Int, limit: Int)
    /// Fewer bytes than a field needs inside a complete frame.
    case truncated(field: String, needed: Int, available: Int)
    /// A length or count prefix is negative (other than the null marker -1) or over its cap.
    case invalidLength(field: String, length: Int32)
    /// Bytes left over after a complete message was parsed.
    case trailingBytes(context: String, count: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(field: String)
    /// The op code in a `RequestHeader` is not one ZooKeeper defines. `xid` lets the server answer.
    case unknownOpCode(xid: Int32, opCode: Int32)
    /// An op not allowed inside multi / multiRead, or a value out of its enum's range.
    case invalidValue(field: String, value: Int64)
}
