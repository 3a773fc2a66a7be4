package import NIOCore

/// The zig-zag varints of records inside a batch (`ByteUtils.writeVarint`/`writeVarlong`,
/// protobuf `sint32`/`sint64`), unlike the unsigned varints of flexible protocol versions.
/// A namespace rather than `ByteBuffer` methods, so record code and protocol code never collide.
///
/// The encoding is the protocol's `varint`/`varlong`: this adapts `KafkaWriter.writeVarLong` and
/// `KafkaReader.readVarInt`/`readVarLong` to record code, which works on a `ByteBuffer` and reports
/// `RecordBatchError`.
package enum ZigZagVarint {
    /// Appends `value` zig-zag encoded, 7 bits per byte, low group first.
    package static func write(_ value: Int64, to buffer: inout ByteBuffer) {
        KafkaWriter.append(to: &buffer) { $0.writeVarLong(value) }
    }

    /// Reads a varlong (at most 10 bytes) for `field`.
    package static func readInt64(from buffer: inout ByteBuffer, field: String) throws(RecordBatchError) -> Int64 {
        try read(from: &buffer, field: field) { reader throws(KafkaWireError) in try reader.readVarLong(field: field) }
    }

    /// Reads a varint (at most 5 bytes, value within Int32) for `field`.
    package static func readInt32(from buffer: inout ByteBuffer, field: String) throws(RecordBatchError) -> Int32 {
        try read(from: &buffer, field: field) { reader throws(KafkaWireError) in try reader.readVarInt(field: field) }
    }

    private static func read<Value>(
        from buffer: inout ByteBuffer, field: String, _ body: (inout KafkaReader) throws(KafkaWireError) -> Value
    ) throws(RecordBatchError) -> Value {
        var reader = KafkaReader(buffer)
        do {
            let value = try body(&reader)
            buffer = reader.buffer
            return value
        } catch {
            throw .malformedRecord(field: field, detail: "\(error)")
        }
    }
}
