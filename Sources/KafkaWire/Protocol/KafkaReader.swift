package import NIOCore

// Kafka's primitive types (https://kafka.apache.org/protocol#protocol_types, `common/protocol/types/Type.java`):
//
// | type                       | bytes                                                                  |
// |----------------------------|------------------------------------------------------------------------|
// | int8/16/32/64, bool        | big-endian two's complement; bool is one byte, non-zero is true         |
// | varint / varlong           | zigzag, then unsigned varint (7 bits a byte, low group first)           |
// | unsigned_varint            | 7 bits a byte, high bit set on every byte but the last                  |
// | string / nullable_string   | int16 length + UTF-8; -1 is null                                        |
// | bytes / nullable_bytes     | int32 length + bytes; -1 is null (also `records`)                       |
// | array                      | int32 count + elements; -1 is null                                      |
// | compact_* (flexible)       | unsigned_varint (length + 1) + data; 0 is null                          |
// | tagged fields (flexible)   | unsigned_varint count + (unsigned_varint tag, unsigned_varint size, data)* |

/// Reads Kafka's primitive types from one complete frame.
///
/// Every read is bounds-checked and throws `KafkaWireError` naming the field; nothing traps on input.
/// Lengths and counts are checked against the bytes that remain before anything is allocated, so the
/// frame limit caps every string, byte field and array.
package struct KafkaReader: Sendable {
    /// The bytes not yet read.
    package private(set) var buffer: ByteBuffer

    /// A reader over the readable bytes of `buffer`.
    package init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// How many bytes remain.
    package var readableBytes: Int { self.buffer.readableBytes }

    /// Throws `.trailingBytes` unless every byte has been read.
    package func expectEnd(context: String) throws(KafkaWireError) {
        guard self.buffer.readableBytes == 0 else {
            throw .trailingBytes(context: context, count: self.buffer.readableBytes)
        }
    }

    // MARK: - Fixed width

    private mutating func readInteger<T: FixedWidthInteger>(as: T.Type, field: String) throws(KafkaWireError) -> T {
        guard let value = self.buffer.readInteger(as: T.self) else {
            throw .truncated(field: field, needed: MemoryLayout<T>.size, available: self.buffer.readableBytes)
        }
        return value
    }

    /// Reads an `int8`.
    package mutating func readInt8(field: String) throws(KafkaWireError) -> Int8 {
        try self.readInteger(as: Int8.self, field: field)
    }

    /// Reads an `int16`.
    package mutating func readInt16(field: String) throws(KafkaWireError) -> Int16 {
        try self.readInteger(as: Int16.self, field: field)
    }

    /// Reads an `int32`.
    package mutating func readInt32(field: String) throws(KafkaWireError) -> Int32 {
        try self.readInteger(as: Int32.self, field: field)
    }

    /// Reads an `int64`.
    package mutating func readInt64(field: String) throws(KafkaWireError) -> Int64 {
        try self.readInteger(as: Int64.self, field: field)
    }

    /// Reads a `bool`: one byte, any non-zero value is true (Java's `ByteBuffer.get() != 0`).
    package mutating func readBool(field: String) throws(KafkaWireError) -> Bool {
        try self.readInteger(as: UInt8.self, field: field) != 0
    }

    /// Reads an `int16` error code; a code Kafka does not define is `.invalidValue`.
    package mutating func readErrorCode(field: String) throws(KafkaWireError) -> KafkaErrorCode {
        let raw = try self.readInt16(field: field)
        guard let code = KafkaErrorCode(rawValue: raw) else { throw .invalidValue(field: field, value: Int64(raw)) }
        return code
    }

    // MARK: - Varints

    /// Reads an unsigned LEB128 integer of `T`'s width; rejects encodings whose bits overflow `T`
    /// (Kafka's `ByteUtils.readUnsignedVarint` stops after 5 bytes, `readUnsignedVarlong` after 10).
    private mutating func readUnsignedVarInteger<T: FixedWidthInteger & UnsignedInteger>(
        as: T.Type,
        field: String
    ) throws(KafkaWireError) -> T {
        var result: T = 0
        var shift = 0
        while true {
            guard let byte = self.buffer.readInteger(as: UInt8.self) else {
                throw .truncated(field: field, needed: 1, available: 0)
            }
            let group = T(byte & 0x7f)
            guard shift < T.bitWidth, (group << shift) >> shift == group else { throw .invalidVarint(field: field) }
            result |= group << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads an `unsigned_varint` (at most 5 bytes).
    package mutating func readUnsignedVarInt(field: String) throws(KafkaWireError) -> UInt32 {
        try self.readUnsignedVarInteger(as: UInt32.self, field: field)
    }

    /// Reads a `varint`: a zigzag-encoded `int32`.
    package mutating func readVarInt(field: String) throws(KafkaWireError) -> Int32 {
        let raw = try self.readUnsignedVarInteger(as: UInt32.self, field: field)
        return Int32(bitPattern: raw >> 1) ^ -Int32(bitPattern: raw & 1)
    }

    /// Reads a `varlong`: a zigzag-encoded `int64` (at most 10 bytes).
    package mutating func readVarLong(field: String) throws(KafkaWireError) -> Int64 {
        let raw = try self.readUnsignedVarInteger(as: UInt64.self, field: field)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    // MARK: - Lengths

    /// Checks a decoded length against the remaining bytes: nil for the null marker -1 when `nullable`.
    private func checkedLength(_ length: Int64, nullable: Bool, field: String) throws(KafkaWireError) -> Int? {
        if length == -1, nullable { return nil }
        guard length >= 0, length <= Int64(self.buffer.readableBytes) else {
            throw .invalidLength(field: field, value: length)
        }
        return Int(length)
    }

    /// Reads the `unsigned_varint` (length + 1) of a compact string, bytes or array; 0 is null.
    private mutating func readCompactLength(nullable: Bool, field: String) throws(KafkaWireError) -> Int? {
        let raw = try self.readUnsignedVarInt(field: field)
        return try self.checkedLength(Int64(raw) - 1, nullable: nullable, field: field)
    }

    // MARK: - Strings

    private mutating func readUTF8(length: Int, field: String) throws(KafkaWireError) -> String {
        let string = self.buffer.withUnsafeReadableBytes { bytes in
            String(validating: UnsafeRawBufferPointer(rebasing: bytes.prefix(length)), as: UTF8.self)
        }
        guard let string else { throw .invalidUTF8(field: field) }
        self.buffer.moveReaderIndex(forwardBy: length)
        return string
    }

    private mutating func readString(nullable: Bool, field: String) throws(KafkaWireError) -> String? {
        let length = try self.readInt16(field: field)
        guard let length = try self.checkedLength(Int64(length), nullable: nullable, field: field) else { return nil }
        return try self.readUTF8(length: length, field: field)
    }

    /// Reads a `string` (int16 length); null (-1) is `.invalidLength`.
    package mutating func readString(field: String) throws(KafkaWireError) -> String {
        // Cannot be nil: not nullable.
        try self.readString(nullable: false, field: field)!
    }

    /// Reads a `nullable_string` (int16 length, -1 is null).
    package mutating func readNullableString(field: String) throws(KafkaWireError) -> String? {
        try self.readString(nullable: true, field: field)
    }

    /// A compact string holds at most `Int16.max` bytes, as a non-flexible one: Kafka's generated readers
    /// reject a longer one ("had invalid length"), and `KafkaWriter` could not write it back whole.
    private mutating func readCompactString(nullable: Bool, field: String) throws(KafkaWireError) -> String? {
        guard let length = try self.readCompactLength(nullable: nullable, field: field) else { return nil }
        guard length <= Int(Int16.max) else { throw .invalidLength(field: field, value: Int64(length)) }
        return try self.readUTF8(length: length, field: field)
    }

    /// Reads a `compact_string`; null (length 0) is `.invalidLength`.
    package mutating func readCompactString(field: String) throws(KafkaWireError) -> String {
        // Cannot be nil: not nullable.
        try self.readCompactString(nullable: false, field: field)!
    }

    /// Reads a `compact_nullable_string`.
    package mutating func readCompactNullableString(field: String) throws(KafkaWireError) -> String? {
        try self.readCompactString(nullable: true, field: field)
    }

    // MARK: - Bytes

    private mutating func readBytes(nullable: Bool, field: String) throws(KafkaWireError) -> ByteBuffer? {
        let length = try self.readInt32(field: field)
        guard let length = try self.checkedLength(Int64(length), nullable: nullable, field: field) else { return nil }
        // Cannot fail: checkedLength compared `length` with readableBytes.
        return self.buffer.readSlice(length: length)!
    }

    /// Reads `bytes` (int32 length) as a slice of the frame, without copying; null is `.invalidLength`.
    package mutating func readBytes(field: String) throws(KafkaWireError) -> ByteBuffer {
        // Cannot be nil: not nullable.
        try self.readBytes(nullable: false, field: field)!
    }

    /// Reads `nullable_bytes` or `records` (int32 length, -1 is null) as a slice of the frame.
    package mutating func readNullableBytes(field: String) throws(KafkaWireError) -> ByteBuffer? {
        try self.readBytes(nullable: true, field: field)
    }

    /// Reads `compact_nullable_bytes` (or `compact_bytes`, whose null is rejected when `nullable` is false).
    package mutating func readCompactBytes(nullable: Bool, field: String) throws(KafkaWireError) -> ByteBuffer? {
        guard let length = try self.readCompactLength(nullable: nullable, field: field) else { return nil }
        // Cannot fail: readCompactLength compared `length` with readableBytes.
        return self.buffer.readSlice(length: length)!
    }

    // MARK: - Arrays

    /// Reads `count` elements after checking the count against the bytes left: every element of every
    /// array this module reads is at least `minimumElementSize` bytes, so a larger count is malformed and is
    /// rejected before anything is read. Storage grows with the elements actually parsed rather than being
    /// reserved from the count, which would multiply the frame size by the element's in-memory stride.
    private mutating func readElements<Element>(
        count: Int,
        minimumElementSize: Int,
        field: String,
        _ readElement: (inout KafkaReader) throws(KafkaWireError) -> Element
    ) throws(KafkaWireError) -> [Element] {
        guard count <= self.buffer.readableBytes / minimumElementSize else {
            throw .invalidLength(field: field, value: Int64(count))
        }
        var elements: [Element] = []
        for _ in 0..<count {
            elements.append(try readElement(&self))
        }
        return elements
    }

    private mutating func readArray<Element>(
        nullable: Bool,
        minimumElementSize: Int,
        field: String,
        _ readElement: (inout KafkaReader) throws(KafkaWireError) -> Element
    ) throws(KafkaWireError) -> [Element]? {
        let count = try self.readInt32(field: field)
        if count == -1, nullable { return nil }
        guard count >= 0 else { throw .invalidLength(field: field, value: Int64(count)) }
        return try self.readElements(
            count: Int(count),
            minimumElementSize: minimumElementSize,
            field: field,
            readElement
        )
    }

    /// Reads an `array` of structs (int32 count); null (-1) is `.invalidLength`. `minimumElementSize` is the
    /// fewest bytes one element takes (every struct has at least one field, hence at least one byte).
    package mutating func readArray<Element: KafkaStruct>(
        of: Element.Type = Element.self,
        version: Int16,
        minimumElementSize: Int = 1,
        field: String
    ) throws(KafkaWireError) -> [Element] {
        // Cannot be nil: not nullable.
        try self.readArray(nullable: false, minimumElementSize: minimumElementSize, field: field) {
            (reader) throws(KafkaWireError) in try Element(from: &reader, version: version)
        }!
    }

    /// Reads a nullable `array` of structs (int32 count, -1 is null).
    package mutating func readNullableArray<Element: KafkaStruct>(
        of: Element.Type = Element.self,
        version: Int16,
        minimumElementSize: Int = 1,
        field: String
    ) throws(KafkaWireError) -> [Element]? {
        try self.readArray(nullable: true, minimumElementSize: minimumElementSize, field: field) {
            (reader) throws(KafkaWireError) in try Element(from: &reader, version: version)
        }
    }

    /// Reads an `array` of `int32`.
    package mutating func readInt32Array(field: String) throws(KafkaWireError) -> [Int32] {
        // Cannot be nil: not nullable.
        try self.readArray(nullable: false, minimumElementSize: 4, field: field) { (reader) throws(KafkaWireError) in
            try reader.readInt32(field: field)
        }!
    }

    private mutating func readStringArray(nullable: Bool, field: String) throws(KafkaWireError) -> [String]? {
        try self.readArray(nullable: nullable, minimumElementSize: 2, field: field) { (reader) throws(KafkaWireError) in
            try reader.readString(field: field)
        }
    }

    /// Reads an `array` of `string`; null is `.invalidLength`.
    package mutating func readStringArray(field: String) throws(KafkaWireError) -> [String] {
        // Cannot be nil: not nullable.
        try self.readStringArray(nullable: false, field: field)!
    }

    /// Reads a nullable `array` of `string`.
    package mutating func readNullableStringArray(field: String) throws(KafkaWireError) -> [String]? {
        try self.readStringArray(nullable: true, field: field)
    }

    /// Reads a `compact_array` (unsigned_varint count + 1; 0 is null unless `nullable` is false).
    package mutating func readCompactArray<Element>(
        nullable: Bool,
        minimumElementSize: Int,
        field: String,
        _ readElement: (inout KafkaReader) throws(KafkaWireError) -> Element
    ) throws(KafkaWireError) -> [Element]? {
        guard let count = try self.readCompactLength(nullable: nullable, field: field) else { return nil }
        return try self.readElements(count: count, minimumElementSize: minimumElementSize, field: field, readElement)
    }

    // MARK: - Tagged fields

    /// Reads a tagged-field section and skips every field in it: this module knows no tags yet (phase 1
    /// has no flexible message versions; the request header v2 has none).
    package mutating func skipTaggedFields(field: String) throws(KafkaWireError) {
        let count = try self.readUnsignedVarInt(field: field)
        // Each field is at least 2 bytes (tag and size), which caps the loop by the frame.
        guard Int(count) <= self.buffer.readableBytes / 2 else {
            throw .invalidLength(field: field, value: Int64(count))
        }
        for _ in 0..<count {
            _ = try self.readUnsignedVarInt(field: field)
            let size = try self.readUnsignedVarInt(field: field)
            guard Int(size) <= self.buffer.readableBytes else { throw .invalidLength(field: field, value: Int64(size)) }
            self.buffer.moveReaderIndex(forwardBy: Int(size))
        }
    }
}
