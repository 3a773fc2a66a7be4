import KafkaWire
import NIOCore
import Testing

@Suite struct FrameDecoderTests {
    /// Two frames, fed one byte at a time (the drip-feed test): nothing is emitted early, the reader
    /// index never moves past an incomplete frame, and each payload comes out whole.
    @Test func dripFedFramesComeOutWhole() throws {
        let stream = buffer(hex: "00000003aabbcc" + "00000000" + "00000001dd")
        var decoder = KafkaFrameDecoder()
        var inbound = ByteBuffer()
        var frames: [ByteBuffer] = []
        for byte in stream.readableBytesView {
            inbound.writeInteger(byte)
            while let frame = try decoder.decode(buffer: &inbound) {
                frames.append(frame)
            }
        }
        #expect(frames == [buffer(hex: "aabbcc"), ByteBuffer(), buffer(hex: "dd")])
        #expect(inbound.readableBytes == 0)
    }

    @Test func incompleteFrameLeavesTheReaderIndexAlone() throws {
        var decoder = KafkaFrameDecoder()
        var inbound = buffer(hex: "00000004aabb")
        #expect(try decoder.decode(buffer: &inbound) == nil)
        #expect(inbound.readableBytes == 6)
    }

    @Test func negativeSizeIsRejectedAtOnce() {
        var decoder = KafkaFrameDecoder()
        var inbound = buffer(hex: "ffffffff")
        #expect(throws: KafkaWireError.frameSizeInvalid(size: -1, limit: 104_857_600)) {
            try decoder.decode(buffer: &inbound)
        }
    }

    /// Kafka's default socket.request.max.bytes is accepted; one more is rejected as soon as the 4 size
    /// bytes are in, without waiting for the body.
    @Test func oversizedFrameIsRejectedBeforeItsBodyArrives() throws {
        var decoder = KafkaFrameDecoder()
        var atLimit = buffer(hex: "06400000")
        #expect(try decoder.decode(buffer: &atLimit) == nil)
        var overLimit = buffer(hex: "06400001")
        #expect(throws: KafkaWireError.frameSizeInvalid(size: 104_857_601, limit: 104_857_600)) {
            try decoder.decode(buffer: &overLimit)
        }
        var small = KafkaFrameDecoder(maxFrameSize: 2)
        var three = buffer(hex: "00000003")
        #expect(throws: KafkaWireError.frameSizeInvalid(size: 3, limit: 2)) { try small.decode(buffer: &three) }
    }

    @Test func partialFrameAtEndOfStreamIsDropped() throws {
        var decoder = KafkaFrameDecoder()
        var inbound = buffer(hex: "00000001aa" + "000000")
        #expect(try decoder.decodeLast(buffer: &inbound, seenEOF: true) == buffer(hex: "aa"))
        #expect(try decoder.decodeLast(buffer: &inbound, seenEOF: true) == nil)
        #expect(inbound.readableBytes == 0)
    }
}
