package import NIOCore

/// The zig-zag varints of records inside a batch (`ByteUtils.writeVarint`/`writeVarlong`,
/// protobuf `sint32`/`sint64`), unlike the unsigned varints of flexible protocol versions.
/// A namespace rather than `ByteBuffer` methods, so record code and protocol code never collide.
package enum ZigZagVarint {
    /// Appends `value` zig-zag encoded, 7 bits per byte, low group first.
    package static func write(_ value: Int64, to buffer: inout ByteBuffer) {
        var bits = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while bits >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: bits) | 0x80)
            bits >>= 7
        }
        buffer.writeInteger(UInt8(bits))
    }

    /// Reads a varlong (at most 10 bytes) for `field`.
    package static func readInt64(from buffer: inout ByteBuffer, field: String) throws(RecordBatchError) -> Int64 {
        try read(from: &buffer, field: field, maxBytes: 10)
    }

    /// Reads a varint (at most 5 bytes, value within Int32) for `field`.
    package static func readInt32(from buffer: inout ByteBuffer, field: String) throws(RecordBatchError) -> Int32 {
        let value = try read(from: &buffer, field: field, maxBytes: 5)
        guard let narrow = Int32(exactly: value) else {
            throw .malformedRecord(field: field, detail: "varint \(value) does not fit in 32 bits")
        }
        return narrow
    }

    private static func read(
        from buffer: inout ByteBuffer, field: String, maxBytes: Int
    ) throws(RecordBatchError) -> Int64 {
        var bits: UInt64 = 0
        for index in 0..<maxBytes {
            guard let byte: UInt8 = buffer.readInteger() else {
                throw .malformedRecord(field: field, detail: "varint ends after \(index) bytes")
            }
            bits |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 {
                return Int64(bitPattern: bits >> 1) ^ -Int64(bitPattern: bits & 1)
            }
        }
        throw .malformedRecord(field: field, detail: "varint longer than \(maxBytes) bytes")
    }
}
