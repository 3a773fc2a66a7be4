package import NIOCore

/// Splits a byte stream into Kafka frames: `int32 size` (big-endian) + `size` bytes.
///
/// Emits each frame's payload (without the size) as a slice of the inbound buffer. A negative size, or one
/// above `maxFrameSize`, throws `.frameSizeInvalid` as soon as the 4 size bytes are there, before waiting
/// for or allocating the body; Kafka's `NetworkReceive` rejects the same sizes with
/// `InvalidReceiveException` and the broker closes the connection. Until a whole frame has arrived
/// `decode` returns nil and leaves the reader index where it was.
///
/// Used on both sides: `ByteToMessageHandler(KafkaFrameDecoder())`.
package struct KafkaFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    package typealias InboundOut = ByteBuffer

    /// Kafka's default `socket.request.max.bytes`: 104,857,600 (100 MiB).
    package static let defaultMaxFrameSize = 104_857_600

    /// The largest size accepted (the 4-byte size itself is not counted).
    package let maxFrameSize: Int

    package init(maxFrameSize: Int = KafkaFrameDecoder.defaultMaxFrameSize) {
        precondition(maxFrameSize >= 0, "maxFrameSize must not be negative, got \(maxFrameSize)")
        self.maxFrameSize = maxFrameSize
    }

    package mutating func decode(buffer: inout ByteBuffer) throws(KafkaWireError) -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0, Int(size) <= self.maxFrameSize else {
            throw .frameSizeInvalid(size: size, limit: self.maxFrameSize)
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        // Cannot fail: checked above.
        return buffer.readSlice(length: Int(size))!
    }

    /// Emits the frames that are complete; a partial frame left at end of stream is dropped without an
    /// error (the peer went away mid-frame; there is nobody to answer).
    package mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws(KafkaWireError) -> ByteBuffer? {
        if let frame = try self.decode(buffer: &buffer) {
            return frame
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return nil
    }
}
