package import NIOCore

/// Writes Kafka's primitive types (the table at the top of `KafkaReader.swift`).
///
/// Strings can carry a client's text back (a topic name quoted in an error message), so a string too
/// long for its length field is cut at a character boundary rather than trusted: a `string` or
/// `compact_string` holds at most `Int16.max` bytes, as Kafka's generated serializers allow (STYLE.md §5,
/// "a trap is a crash of the whole server"). Once the buffer would pass `maxBufferBytes` (an `int32`
/// frame size), or a bytes or array length does not fit its field, the writer stops writing and sets
/// `overflowed`; the frame encoders then refuse the frame, leave their buffer as it was, and the caller
/// fails that one request. Nothing here traps on a size.
package struct KafkaWriter: Sendable {
    /// Everything written so far (after whatever the buffer held when the writer was made).
    package private(set) var buffer: ByteBuffer

    /// True once a value did not fit (see the type's comment); fixed-width values, lengths, bytes and
    /// array elements are not written after that.
    package private(set) var overflowed = false

    /// The most bytes a writer's buffer may hold by default: a frame's `int32` size must count them.
    package static let maxBufferBytes = Int(Int32.max)

    /// The most bytes this writer's buffer may hold (`maxBufferBytes` but in tests).
    let bufferLimit: Int

    /// A writer that appends to `buffer`.
    package init(buffer: ByteBuffer = ByteBuffer()) {
        self.init(buffer: buffer, bufferLimit: Self.maxBufferBytes)
    }

    /// A writer that appends to `buffer` and overflows past `bufferLimit` bytes.
    init(buffer: ByteBuffer, bufferLimit: Int) {
        self.buffer = buffer
        self.bufferLimit = bufferLimit
    }

    /// An empty buffer to park in a caller's variable while a writer owns its storage; sharing one
    /// avoids allocating and keeps the writer's buffer uniquely referenced (no copy on write).
    private static let placeholder = ByteBuffer()

    /// Runs `body` with a writer appending to `buffer` in place.
    static func append(
        to buffer: inout ByteBuffer, bufferLimit: Int = maxBufferBytes, _ body: (inout KafkaWriter) -> Void
    ) {
        var writer = KafkaWriter(buffer: buffer, bufferLimit: bufferLimit)
        buffer = Self.placeholder
        body(&writer)
        buffer = writer.buffer
    }

    /// Appends one size-prefixed frame that `body` writes to `buffer`; false, with `buffer` cut back to
    /// where it was, when the frame overflowed.
    static func appendFrame(
        to buffer: inout ByteBuffer, bufferLimit: Int = maxBufferBytes, _ body: (inout KafkaWriter) -> Void
    ) -> Bool {
        let start = buffer.writerIndex
        var fitted = true
        Self.append(to: &buffer, bufferLimit: bufferLimit) { writer in
            writer.writeSizePrefixed(body)
            fitted = !writer.overflowed
        }
        if !fitted { buffer.moveWriterIndex(to: start) }
        return fitted
    }

    /// Writes an `int32` size and then whatever `body` writes; the size counts the bytes `body` wrote
    /// (Kafka's frame size, which does not count itself). A body past `Int32.max` bytes sets `overflowed`.
    package mutating func writeSizePrefixed(_ body: (inout KafkaWriter) -> Void) {
        let sizeIndex = self.buffer.writerIndex
        self.writeInt32(0)
        body(&self)
        guard !self.overflowed, let size = Int32(exactly: self.buffer.writerIndex - sizeIndex - 4) else {
            self.overflowed = true
            return
        }
        self.buffer.setInteger(size, at: sizeIndex)
    }

    /// Whether `count` more bytes fit under `bufferLimit`; sets `overflowed` when they do not.
    private mutating func hasRoom(for count: Int) -> Bool {
        guard !self.overflowed else { return false }
        guard count <= self.bufferLimit - self.buffer.writerIndex else {
            self.overflowed = true
            return false
        }
        return true
    }

    // MARK: - Fixed width

    private mutating func writeFixed<T: FixedWidthInteger>(_ value: T) {
        guard self.hasRoom(for: MemoryLayout<T>.size) else { return }
        self.buffer.writeInteger(value)
    }

    /// Writes an `int8`.
    package mutating func writeInt8(_ value: Int8) { self.writeFixed(value) }

    /// Writes an `int16`.
    package mutating func writeInt16(_ value: Int16) { self.writeFixed(value) }

    /// Writes an `int32`.
    package mutating func writeInt32(_ value: Int32) { self.writeFixed(value) }

    /// Writes an `int64`.
    package mutating func writeInt64(_ value: Int64) { self.writeFixed(value) }

    /// Writes a `bool` as one byte, 0 or 1.
    package mutating func writeBool(_ value: Bool) { self.writeFixed(UInt8(value ? 1 : 0)) }

    /// Writes an `int16` error code.
    package mutating func writeErrorCode(_ code: KafkaErrorCode) { self.writeInt16(code.rawValue) }

    // MARK: - Varints

    private mutating func writeUnsignedVarInteger<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        guard self.hasRoom(for: (T.bitWidth + 6) / 7) else { return }
        var rest = value
        while rest >= 0x80 {
            self.buffer.writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        self.buffer.writeInteger(UInt8(truncatingIfNeeded: rest))
    }

    /// Writes an `unsigned_varint`.
    package mutating func writeUnsignedVarInt(_ value: UInt32) { self.writeUnsignedVarInteger(value) }

    /// Writes a `varint` (zigzag).
    package mutating func writeVarInt(_ value: Int32) {
        self.writeUnsignedVarInteger(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// Writes a `varlong` (zigzag).
    package mutating func writeVarLong(_ value: Int64) {
        self.writeUnsignedVarInteger(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    // MARK: - Lengths

    /// Writes the `int16` length of a string of `count` bytes (at most `Int16.max`: strings are cut first).
    private mutating func writeInt16Length(_ count: Int) {
        guard let length = Int16(exactly: count), self.hasRoom(for: 2 + count) else {
            self.overflowed = true
            return
        }
        self.writeInt16(length)
    }

    /// Writes an `int32` length or count; one past `Int32.max` sets `overflowed`. Returns whether it fit.
    private mutating func writeInt32Length(_ count: Int) -> Bool {
        guard let length = Int32(exactly: count) else {
            self.overflowed = true
            return false
        }
        self.writeInt32(length)
        return !self.overflowed
    }

    /// Writes an `unsigned_varint` length + 1; one that does not fit sets `overflowed`. Returns whether it fit.
    private mutating func writeCompactLength(_ count: Int) -> Bool {
        guard count < Int(UInt32.max) else {
            self.overflowed = true
            return false
        }
        self.writeUnsignedVarInt(UInt32(count + 1))
        return !self.overflowed
    }

    // MARK: - Strings and bytes

    /// Writes a `string` (int16 length), cut to its first `Int16.max` bytes (on a character boundary)
    /// if it is longer.
    package mutating func writeString(_ string: String) {
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
    package mutating func writeNullableString(_ string: String?) {
        guard let string else { return self.writeInt16(-1) }
        self.writeString(string)
    }

    /// Writes a `compact_string`, cut to its first `Int16.max` bytes as `writeString` cuts.
    package mutating func writeCompactString(_ string: String) {
        let fitted = Self.prefix(of: string, maxUTF8Bytes: Int(Int16.max))
        guard self.writeCompactLength(fitted.utf8.count), self.hasRoom(for: fitted.utf8.count) else { return }
        self.buffer.writeSubstring(fitted)
    }

    /// Writes a `compact_nullable_string`; nil is the length 0.
    package mutating func writeCompactNullableString(_ string: String?) {
        guard let string else { return self.writeUnsignedVarInt(0) }
        self.writeCompactString(string)
    }

    private mutating func writeBuffer(_ bytes: ByteBuffer) {
        guard self.hasRoom(for: bytes.readableBytes) else { return }
        self.buffer.writeImmutableBuffer(bytes)
    }

    /// Writes `bytes` (int32 length).
    package mutating func writeBytes(_ bytes: ByteBuffer) {
        guard self.writeInt32Length(bytes.readableBytes) else { return }
        self.writeBuffer(bytes)
    }

    /// Writes `nullable_bytes` or `records`; nil is the length -1.
    package mutating func writeNullableBytes(_ bytes: ByteBuffer?) {
        guard let bytes else { return self.writeInt32(-1) }
        self.writeBytes(bytes)
    }

    /// Writes `compact_nullable_bytes` (`compact_bytes` when never nil); nil is the length 0.
    package mutating func writeCompactBytes(_ bytes: ByteBuffer?) {
        guard let bytes else { return self.writeUnsignedVarInt(0) }
        guard self.writeCompactLength(bytes.readableBytes) else { return }
        self.writeBuffer(bytes)
    }

    // MARK: - Arrays

    /// Writes an `array` of structs.
    package mutating func writeArray<Element: KafkaStruct>(_ elements: [Element], version: Int16) {
        guard self.writeInt32Length(elements.count) else { return }
        for element in elements where !self.overflowed { element.write(to: &self, version: version) }
    }

    /// Writes a nullable `array` of structs; nil is the count -1.
    package mutating func writeNullableArray<Element: KafkaStruct>(_ elements: [Element]?, version: Int16) {
        guard let elements else { return self.writeInt32(-1) }
        self.writeArray(elements, version: version)
    }

    /// Writes an `array` of `int32`.
    package mutating func writeInt32Array(_ elements: [Int32]) {
        guard self.writeInt32Length(elements.count) else { return }
        for element in elements where !self.overflowed { self.writeInt32(element) }
    }

    /// Writes an `array` of `string`.
    package mutating func writeStringArray(_ elements: [String]) {
        guard self.writeInt32Length(elements.count) else { return }
        for element in elements where !self.overflowed { self.writeString(element) }
    }

    /// Writes a nullable `array` of `string`; nil is the count -1.
    package mutating func writeNullableStringArray(_ elements: [String]?) {
        guard let elements else { return self.writeInt32(-1) }
        self.writeStringArray(elements)
    }

    /// Writes a `compact_array` (nil is the count 0) with `writeElement` for each element.
    package mutating func writeCompactArray<Element>(
        _ elements: [Element]?,
        _ writeElement: (inout KafkaWriter, Element) -> Void
    ) {
        guard let elements else { return self.writeUnsignedVarInt(0) }
        guard self.writeCompactLength(elements.count) else { return }
        for element in elements where !self.overflowed { writeElement(&self, element) }
    }

    // MARK: - Tagged fields

    /// Writes an empty tagged-field section (count 0): this module sends no tagged fields.
    package mutating func writeEmptyTaggedFields() { self.writeUnsignedVarInt(0) }
}
