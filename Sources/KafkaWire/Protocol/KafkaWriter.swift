public import NIOCore

/// Writes Kafka's primitive types (the table at the top of `KafkaReader.swift`).
///
/// Strings can carry a client's text back (a topic name quoted in an error message), so a string too
/// long for its length field is cut at a character boundary rather than trusted: a non-flexible
/// `string` holds at most `Int16.max` bytes (STYLE.md §5, "a trap is a crash of the whole server").
/// Byte fields and arrays are bounded by the request and fetch size limits long before `Int32.max`,
/// so overflowing them is a broker bug and stops the process with a precondition failure.
public struct KafkaWriter: Sendable {
    /// Everything written so far (after whatever the buffer held when the writer was made).
    public private(set) var buffer: ByteBuffer

    /// A writer that appends to `buffer`.
    public init(buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
    }

    /// An empty buffer to park in a caller's variable while a writer owns its storage; sharing one
    /// avoids allocating and keeps the writer's buffer uniquely referenced (no copy on write).
    private static let placeholder = ByteBuffer()

    /// Runs `body` with a writer appending to `buffer` in place.
    static func append(to buffer: inout ByteBuffer, _ body: (inout KafkaWriter) -> Void) {
        var writer = KafkaWriter(buffer: buffer)
        buffer = Self.placeholder
        body(&writer)
        buffer = writer.buffer
    }

    /// Writes an `int32` size and then whatever `body` writes; the size counts the bytes `body` wrote
    /// (Kafka's frame size, which does not count itself).
    public mutating func writeSizePrefixed(_ body: (inout KafkaWriter) -> Void) {
        let sizeIndex = self.buffer.writerIndex
        self.writeInt32(0)
        body(&self)
        let size = self.buffer.writerIndex - sizeIndex - 4
        precondition(size <= Int(Int32.max), "Kafka frame of \(size) bytes does not fit an int32 size")
        self.buffer.setInteger(Int32(size), at: sizeIndex)
    }

    // MARK: - Fixed width

    /// Writes an `int8`.
    public mutating func writeInt8(_ value: Int8) { self.buffer.writeInteger(value) }

    /// Writes an `int16`.
    public mutating func writeInt16(_ value: Int16) { self.buffer.writeInteger(value) }

    /// Writes an `int32`.
    public mutating func writeInt32(_ value: Int32) { self.buffer.writeInteger(value) }

    /// Writes an `int64`.
    public mutating func writeInt64(_ value: Int64) { self.buffer.writeInteger(value) }

    /// Writes a `bool` as one byte, 0 or 1.
    public mutating func writeBool(_ value: Bool) { self.buffer.writeInteger(value ? 1 : 0, as: UInt8.self) }

    /// Writes an `int16` error code.
    public mutating func writeErrorCode(_ code: KafkaErrorCode) { self.writeInt16(code.rawValue) }

    // MARK: - Varints

    private mutating func writeUnsignedVarInteger<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        var rest = value
        while rest >= 0x80 {
            self.buffer.writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        self.buffer.writeInteger(UInt8(truncatingIfNeeded: rest))
    }

    /// Writes an `unsigned_varint`.
    public mutating func writeUnsignedVarInt(_ value: UInt32) { self.writeUnsignedVarInteger(value) }

    /// Writes a `varint` (zigzag).
    public mutating func writeVarInt(_ value: Int32) {
        self.writeUnsignedVarInteger(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// Writes a `varlong` (zigzag).
    public mutating func writeVarLong(_ value: Int64) {
        self.writeUnsignedVarInteger(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    // MARK: - Lengths

    private mutating func writeInt16Length(_ count: Int) {
        precondition(count <= Int(Int16.max), "Kafka string of \(count) bytes does not fit an int16 length")
        self.writeInt16(Int16(count))
    }

    private mutating func writeInt32Length(_ count: Int) {
        precondition(count <= Int(Int32.max), "Kafka bytes or array of \(count) does not fit an int32 length")
        self.writeInt32(Int32(count))
    }

    private mutating func writeCompactLength(_ count: Int) {
        precondition(count < Int(UInt32.max), "Kafka compact length \(count) does not fit an unsigned varint")
        self.writeUnsignedVarInt(UInt32(count + 1))
    }

    // MARK: - Strings and bytes

    /// Writes a `string` (int16 length), cut to its first `Int16.max` bytes (on a character boundary)
    /// if it is longer.
    public mutating func writeString(_ string: String) {
        let fitted = Self.prefix(of: string, maxUTF8Bytes: Int(Int16.max))
        self.writeInt16Length(fitted.utf8.count)
        self.buffer.writeSubstring(fitted)
    }

    /// `string` if it has at most `maxUTF8Bytes` bytes of UTF-8, otherwise its longest prefix of whole
    /// characters that does.
    package static func prefix(of string: String, maxUTF8Bytes: Int) -> Substring {
        guard string.utf8.count > maxUTF8Bytes else { return string[...] }
        var end = string.startIndex
        var bytes = 0
        for index in string.indices {
            let next = string.index(after: index)
            let width = string.utf8.distance(from: index, to: next)
            guard bytes + width <= maxUTF8Bytes else { break }
            bytes += width
            end = next
        }
        return string[..<end]
    }

    /// Writes a `nullable_string`; nil is the length -1.
    public mutating func writeNullableString(_ string: String?) {
        guard let string else { return self.writeInt16(-1) }
        self.writeString(string)
    }

    /// Writes a `compact_string`.
    public mutating func writeCompactString(_ string: String) {
        self.writeCompactLength(string.utf8.count)
        self.buffer.writeString(string)
    }

    /// Writes a `compact_nullable_string`; nil is the length 0.
    public mutating func writeCompactNullableString(_ string: String?) {
        guard let string else { return self.writeUnsignedVarInt(0) }
        self.writeCompactString(string)
    }

    /// Writes `bytes` (int32 length).
    public mutating func writeBytes(_ bytes: ByteBuffer) {
        self.writeInt32Length(bytes.readableBytes)
        self.buffer.writeImmutableBuffer(bytes)
    }

    /// Writes `nullable_bytes` or `records`; nil is the length -1.
    public mutating func writeNullableBytes(_ bytes: ByteBuffer?) {
        guard let bytes else { return self.writeInt32(-1) }
        self.writeBytes(bytes)
    }

    /// Writes `compact_nullable_bytes` (`compact_bytes` when never nil); nil is the length 0.
    public mutating func writeCompactBytes(_ bytes: ByteBuffer?) {
        guard let bytes else { return self.writeUnsignedVarInt(0) }
        self.writeCompactLength(bytes.readableBytes)
        self.buffer.writeImmutableBuffer(bytes)
    }

    // MARK: - Arrays

    /// Writes an `array` of structs.
    public mutating func writeArray<Element: KafkaStruct>(_ elements: [Element], version: Int16) {
        self.writeInt32Length(elements.count)
        for element in elements { element.write(to: &self, version: version) }
    }

    /// Writes a nullable `array` of structs; nil is the count -1.
    public mutating func writeNullableArray<Element: KafkaStruct>(_ elements: [Element]?, version: Int16) {
        guard let elements else { return self.writeInt32(-1) }
        self.writeArray(elements, version: version)
    }

    /// Writes an `array` of `int32`.
    public mutating func writeInt32Array(_ elements: [Int32]) {
        self.writeInt32Length(elements.count)
        for element in elements { self.writeInt32(element) }
    }

    /// Writes an `array` of `string`.
    public mutating func writeStringArray(_ elements: [String]) {
        self.writeInt32Length(elements.count)
        for element in elements { self.writeString(element) }
    }

    /// Writes a nullable `array` of `string`; nil is the count -1.
    public mutating func writeNullableStringArray(_ elements: [String]?) {
        guard let elements else { return self.writeInt32(-1) }
        self.writeStringArray(elements)
    }

    /// Writes a `compact_array` (nil is the count 0) with `writeElement` for each element.
    public mutating func writeCompactArray<Element>(
        _ elements: [Element]?,
        _ writeElement: (inout KafkaWriter, Element) -> Void
    ) {
        guard let elements else { return self.writeUnsignedVarInt(0) }
        self.writeCompactLength(elements.count)
        for element in elements { writeElement(&self, element) }
    }

    // MARK: - Tagged fields

    /// Writes an empty tagged-field section (count 0): this module sends no tagged fields.
    public mutating func writeEmptyTaggedFields() { self.writeUnsignedVarInt(0) }
}
