package import NIOCore

/// One record inside an uncompressed RecordBatch v2 (`DefaultRecord.java`):
///
/// ```
/// length: varint
/// attributes: int8        // unused, 0
/// timestampDelta: varlong // from the batch's baseTimestamp
/// offsetDelta: varint     // from the batch's baseOffset
/// keyLength: varint       // -1 = null
/// key: byte[]
/// valueLength: varint     // -1 = null
/// value: byte[]
/// headerCount: varint
/// headers: [headerKeyLength varint, headerKey utf8, headerValueLength varint (-1 = null), headerValue]
/// ```
///
/// The broker reads records only to answer ListOffsets by timestamp; tests, tools and the bench
/// build and inspect batches with this.
package struct BatchRecord: Hashable, Sendable {
    /// A record header: a non-null UTF-8 key and an optional value.
    package struct Header: Hashable, Sendable {
        package var key: String
        package var value: ByteBuffer?

        package init(key: String, value: ByteBuffer?) {
            self.key = key
            self.value = value
        }
    }

    package var timestampDelta: Int64
    package var offsetDelta: Int32
    package var key: ByteBuffer?
    package var value: ByteBuffer?
    package var headers: [Header]

    package init(
        timestampDelta: Int64 = 0, offsetDelta: Int32, key: ByteBuffer? = nil, value: ByteBuffer?,
        headers: [Header] = []
    ) {
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Appends the record, length prefix included.
    package func write(to buffer: inout ByteBuffer) {
        var body = ByteBuffer()
        body.writeInteger(Int8(0))
        ZigZagVarint.write(timestampDelta, to: &body)
        ZigZagVarint.write(Int64(offsetDelta), to: &body)
        Self.writeNullableBytes(key, to: &body)
        Self.writeNullableBytes(value, to: &body)
        ZigZagVarint.write(Int64(headers.count), to: &body)
        for header in headers {
            ZigZagVarint.write(Int64(header.key.utf8.count), to: &body)
            body.writeString(header.key)
            Self.writeNullableBytes(header.value, to: &body)
        }
        ZigZagVarint.write(Int64(body.readableBytes), to: &buffer)
        buffer.writeBuffer(&body)
    }

    /// Reads one record; every length is checked against the bytes its record frame holds.
    package init(from buffer: inout ByteBuffer) throws(RecordBatchError) {
        let length = try ZigZagVarint.readInt32(from: &buffer, field: "record.length")
        guard length >= 0, var body = buffer.readSlice(length: Int(length)) else {
            throw .malformedRecord(field: "record.length", detail: "\(length) with \(buffer.readableBytes) bytes left")
        }
        guard let _: Int8 = body.readInteger() else {
            throw .malformedRecord(field: "record.attributes", detail: "missing")
        }
        timestampDelta = try ZigZagVarint.readInt64(from: &body, field: "record.timestampDelta")
        offsetDelta = try ZigZagVarint.readInt32(from: &body, field: "record.offsetDelta")
        key = try Self.readNullableBytes(from: &body, field: "record.key")
        value = try Self.readNullableBytes(from: &body, field: "record.value")
        let headerCount = try ZigZagVarint.readInt32(from: &body, field: "record.headerCount")
        // Each header takes at least two bytes, which bounds the count before anything is allocated.
        guard headerCount >= 0, Int(headerCount) * 2 <= body.readableBytes else {
            throw .malformedRecord(field: "record.headerCount", detail: "\(headerCount)")
        }
        headers = []
        headers.reserveCapacity(Int(headerCount))
        for _ in 0..<headerCount {
            guard var keyBytes = try Self.readNullableBytes(from: &body, field: "record.header.key"),
                let key = keyBytes.readString(length: keyBytes.readableBytes)
            else { throw .malformedRecord(field: "record.header.key", detail: "null") }
            headers.append(Header(key: key, value: try Self.readNullableBytes(from: &body, field: "record.header.value")))
        }
        guard body.readableBytes == 0 else {
            throw .malformedRecord(field: "record", detail: "\(body.readableBytes) bytes after the headers")
        }
    }

    private static func writeNullableBytes(_ bytes: ByteBuffer?, to buffer: inout ByteBuffer) {
        guard var bytes else {
            ZigZagVarint.write(-1, to: &buffer)
            return
        }
        ZigZagVarint.write(Int64(bytes.readableBytes), to: &buffer)
        buffer.writeBuffer(&bytes)
    }

    private static func readNullableBytes(
        from buffer: inout ByteBuffer, field: String
    ) throws(RecordBatchError) -> ByteBuffer? {
        let length = try ZigZagVarint.readInt32(from: &buffer, field: field)
        if length == -1 { return nil }
        guard length >= 0, let bytes = buffer.readSlice(length: Int(length)) else {
            throw .malformedRecord(field: field, detail: "length \(length) with \(buffer.readableBytes) bytes left")
        }
        return bytes
    }
}
