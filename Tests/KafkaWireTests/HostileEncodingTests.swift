import NIOCore
import Testing

@testable import KafkaWire

/// Issue 11: no encoder traps on a size that came from input.
@Suite struct HostileEncodingTests {
    /// The CreateTopics crash: an error text quoting a 32,700-byte name passes an int16 string length.
    @Test func stringOverInt16IsCutAtTheLimit() throws {
        let long = String(repeating: "a", count: 40_000)
        var reader = KafkaReader(written { $0.writeString(long) })
        let read = try reader.readString(field: "s")
        #expect(read.utf8.count == Int(Int16.max))
        #expect(reader.readableBytes == 0)
    }

    @Test func cutStringKeepsWholeCharacters() throws {
        // 32,766 ASCII bytes, then a 3-byte character that would end one past the limit.
        let text = String(repeating: "b", count: Int(Int16.max) - 1) + "€€"
        var reader = KafkaReader(written { $0.writeString(text) })
        let read = try reader.readString(field: "s")
        #expect(read == String(repeating: "b", count: Int(Int16.max) - 1))
    }

    @Test func compactStringIsCutToo() throws {
        let long = String(repeating: "c", count: 33_000)
        var reader = KafkaReader(written { $0.writeCompactString(long) })
        #expect(try reader.readCompactString(field: "s").utf8.count == Int(Int16.max))
    }

    /// Kafka's readers reject a compact string longer than 0x7fff, which no writer here could write back.
    @Test func compactStringLongerThanInt16IsRejected() {
        var bytes = written { $0.writeUnsignedVarInt(UInt32(Int16.max) + 2) }
        bytes.writeRepeatingByte(UInt8(ascii: "c"), count: Int(Int16.max) + 1)
        var reader = KafkaReader(bytes)
        #expect(throws: KafkaWireError.invalidLength(field: "s", value: Int64(Int16.max) + 1)) {
            try reader.readCompactString(field: "s")
        }
    }

    @Test func createTopicsResponseWithHugeMessageEncodes() throws {
        let name = String(repeating: "t", count: 32_700)
        let response = KafkaResponse.createTopics(
            CreateTopicsResponse(topics: [
                .init(name: name, errorCode: .invalidTopicException, errorMessage: "Topic name \"\(name)\" is illegal")
            ]))
        for version in Int16(0)...4 {
            var frame = ByteBuffer()
            #expect(KafkaResponseFrame.encode(response, version: version, correlationID: 7, into: &frame))
            let decoded = try KafkaResponseFrame.decode(
                try payload(ofFrame: frame), apiKey: .createTopics, version: version)
            guard case .createTopics(let body) = decoded.response else {
                Issue.record("not a CreateTopics response")
                return
            }
            #expect(body.topics.first?.name == name)
            if version >= 1 { #expect(body.topics.first?.errorMessage?.hasPrefix("Topic name \"ttt") == true) }
        }
    }

    @Test func writerPastItsLimitOverflowsInsteadOfTrapping() {
        var writer = KafkaWriter(buffer: ByteBuffer(), bufferLimit: 16)
        writer.writeInt64(1)
        #expect(!writer.overflowed)
        writer.writeBytes(ByteBuffer(repeating: 0, count: 32))
        #expect(writer.overflowed)
        let size = writer.buffer.readableBytes
        writer.writeInt32(5)
        #expect(writer.buffer.readableBytes == size)
    }

    @Test func frameOverItsLimitIsRefusedAndTheBufferLeftAlone() {
        var buffer = ByteBuffer(string: "kept")
        let response = KafkaResponse.createTopics(
            CreateTopicsResponse(topics: [.init(name: String(repeating: "n", count: 200), errorCode: .noError)]))
        let fitted = KafkaResponseFrame.encode(
            response, version: 2, correlationID: 1, into: &buffer, bufferLimit: 100)
        #expect(!fitted)
        #expect(buffer == ByteBuffer(string: "kept"))
        #expect(KafkaResponseFrame.encode(response, version: 2, correlationID: 1, into: &buffer, bufferLimit: 1 << 20))
    }
}
