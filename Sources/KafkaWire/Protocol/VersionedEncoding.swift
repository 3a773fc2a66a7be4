import NIOCore

// Messages whose versions span their first flexible version (KIP-482) encode each string, bytes and array
// field in the classic form below it and in the compact form from it, and end the message and every
// element of a struct array with a tagged-field section there. These pick the form by `flexible`:
//
// | field              | classic (flexible false)     | flexible true                                    |
// |--------------------|------------------------------|--------------------------------------------------|
// | string             | int16 length                 | compact_string                                   |
// | bytes              | int32 length                 | compact_bytes                                    |
// | array of structs   | int32 count                  | compact_array, each element + its tagged fields  |
// | array of int32/str | int32 count                  | compact_array                                    |
// | tagged fields      | absent                       | read and skipped / written empty                 |

extension KafkaReader {
    /// A `string`, or a `compact_string` when `flexible`.
    mutating func readString(flexible: Bool, field: String) throws(KafkaWireError) -> String {
        try flexible ? self.readCompactString(field: field) : self.readString(field: field)
    }

    /// A `nullable_string`, or a `compact_nullable_string` when `flexible`.
    mutating func readNullableString(flexible: Bool, field: String) throws(KafkaWireError) -> String? {
        try flexible ? self.readCompactNullableString(field: field) : self.readNullableString(field: field)
    }

    /// `bytes`, or `compact_bytes` when `flexible`; null is `.invalidLength` in both.
    mutating func readBytes(flexible: Bool, field: String) throws(KafkaWireError) -> ByteBuffer {
        guard flexible else { return try self.readBytes(field: field) }
        // Cannot be nil: not nullable.
        return try self.readCompactBytes(nullable: false, field: field)!
    }

    /// An array of structs (null is `.invalidLength`): `readArray`, or `readFlexibleArray` when `flexible`.
    /// `minimumElementSize` is the fewest bytes an element takes in either form.
    mutating func readArray<Element: KafkaStruct>(
        version: Int16,
        flexible: Bool,
        minimumElementSize: Int,
        field: String
    ) throws(KafkaWireError) -> [Element] {
        // Cannot be nil: not nullable.
        try self.readNullableArray(
            version: version,
            flexible: flexible,
            nullable: false,
            minimumElementSize: minimumElementSize,
            field: field
        )!
    }

    /// A nullable array of structs: `readNullableArray`, or `readFlexibleArray` when `flexible`. With
    /// `nullable` false, null is `.invalidLength` (the versions where the spec does not allow it).
    mutating func readNullableArray<Element: KafkaStruct>(
        version: Int16,
        flexible: Bool,
        nullable: Bool = true,
        minimumElementSize: Int,
        field: String
    ) throws(KafkaWireError) -> [Element]? {
        if flexible {
            return try self.readFlexibleArray(
                version: version, nullable: nullable, minimumElementSize: minimumElementSize, field: field)
        }
        guard nullable else {
            return try self.readArray(version: version, minimumElementSize: minimumElementSize, field: field)
        }
        return try self.readNullableArray(version: version, minimumElementSize: minimumElementSize, field: field)
    }

    /// An array of `string` (null is `.invalidLength`), compact when `flexible`.
    mutating func readStringArray(flexible: Bool, field: String) throws(KafkaWireError) -> [String] {
        guard flexible else { return try self.readStringArray(field: field) }
        // Cannot be nil: not nullable. A compact string is at least its 1-byte length.
        return try self.readCompactArray(nullable: false, minimumElementSize: 1, field: field) {
            reader throws(KafkaWireError) in try reader.readCompactString(field: field)
        }!
    }

    /// An array of `int32` (null is `.invalidLength`), compact when `flexible`.
    mutating func readInt32Array(flexible: Bool, field: String) throws(KafkaWireError) -> [Int32] {
        guard flexible else { return try self.readInt32Array(field: field) }
        // Cannot be nil: not nullable.
        return try self.readCompactInt32Array(field: field)!
    }

    /// Skips a tagged-field section when `flexible`; classic versions have none.
    mutating func skipTaggedFields(flexible: Bool, field: String) throws(KafkaWireError) {
        if flexible {
            try self.skipTaggedFields(field: field)
        }
    }
}

extension KafkaWriter {
    /// A `string`, or a `compact_string` when `flexible`.
    mutating func writeString(_ string: String, flexible: Bool) {
        if flexible { self.writeCompactString(string) } else { self.writeString(string) }
    }

    /// A `nullable_string`, or a `compact_nullable_string` when `flexible`.
    mutating func writeNullableString(_ string: String?, flexible: Bool) {
        if flexible { self.writeCompactNullableString(string) } else { self.writeNullableString(string) }
    }

    /// `bytes`, or `compact_bytes` when `flexible`.
    mutating func writeBytes(_ bytes: ByteBuffer, flexible: Bool) {
        if flexible { self.writeCompactBytes(bytes) } else { self.writeBytes(bytes) }
    }

    /// An array of structs, as `writeFlexibleArray` when `flexible`; nil is the null array.
    mutating func writeArray<Element: KafkaStruct>(_ elements: [Element]?, version: Int16, flexible: Bool) {
        if flexible {
            self.writeFlexibleArray(elements, version: version)
        } else {
            self.writeNullableArray(elements, version: version)
        }
    }

    /// An array of `string`, compact when `flexible`.
    mutating func writeStringArray(_ elements: [String], flexible: Bool) {
        guard flexible else { return self.writeStringArray(elements) }
        self.writeCompactArray(elements) { writer, element in writer.writeCompactString(element) }
    }

    /// An array of `int32`, compact when `flexible`.
    mutating func writeInt32Array(_ elements: [Int32], flexible: Bool) {
        if flexible { self.writeCompactInt32Array(elements) } else { self.writeInt32Array(elements) }
    }

    /// An empty tagged-field section when `flexible`; classic versions have none.
    mutating func writeEmptyTaggedFields(flexible: Bool) {
        if flexible {
            self.writeEmptyTaggedFields()
        }
    }
}
