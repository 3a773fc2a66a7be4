import NIOCore
import Testing

@testable import RecordCompression

@Suite struct RecordCompressionTests {
    /// What every golden payload below decompresses to.
    static let goldenText = ByteBuffer(string: String(repeating: "paddock golden ", count: 8))

    /// Goldens written by other implementations: Python's `gzip.compress(mtime=0)` and
    /// `zlib.compress` (inflate detects either header), the `lz4` CLI (an LZ4 frame with content
    /// checksum) and the `zstd` CLI reading stdin (a frame without content size).
    static let goldens: [(CompressionCodec, [UInt8])] = [
        (.gzip, [
            0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2B, 0x48, 0x4C, 0x49, 0xC9, 0x4F, 0xCE, 0x56,
            0x48, 0xCF, 0xCF, 0x49, 0x49, 0xCD, 0x53, 0x28, 0xA0, 0x17, 0x17, 0x00, 0x76, 0xDD, 0x9A, 0x01, 0x78, 0x00,
            0x00, 0x00,
        ]),
        (.gzip, [
            0x78, 0x9C, 0x2B, 0x48, 0x4C, 0x49, 0xC9, 0x4F, 0xCE, 0x56, 0x48, 0xCF, 0xCF, 0x49, 0x49, 0xCD, 0x53, 0x28,
            0xA0, 0x17, 0x17, 0x00, 0x91, 0xFA, 0x2C, 0x79,
        ]),
        (.lz4, [
            0x04, 0x22, 0x4D, 0x18, 0x64, 0x40, 0xA7, 0x1A, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x70, 0x61, 0x64, 0x64, 0x6F,
            0x63, 0x6B, 0x20, 0x67, 0x6F, 0x6C, 0x64, 0x65, 0x6E, 0x20, 0x0F, 0x00, 0x51, 0x50, 0x6C, 0x64, 0x65, 0x6E,
            0x20, 0x00, 0x00, 0x00, 0x00, 0x8D, 0xE8, 0xCA, 0x8A,
        ]),
        (.zstd, [
            0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x58, 0xB5, 0x00, 0x00, 0x78, 0x70, 0x61, 0x64, 0x64, 0x6F, 0x63, 0x6B, 0x20,
            0x67, 0x6F, 0x6C, 0x64, 0x65, 0x6E, 0x20, 0x01, 0x00, 0x46, 0xD2, 0x59, 0x07, 0x5A, 0x2C, 0x20, 0x82,
        ]),
    ]

    @Test(arguments: 0..<goldens.count)
    func goldenPayloadsFromOtherImplementationsDecompress(index: Int) throws {
        let (codec, bytes) = Self.goldens[index]
        #expect(try RecordCompression.decompress(ByteBuffer(bytes: bytes), codec: codec, maxOutputBytes: 1 << 20) == Self.goldenText)
    }

    /// Raw snappy written by hand from the format description: length varint 12, a 4-byte literal
    /// "abcd", then a copy of 8 bytes from offset 4.
    static let rawSnappy: [UInt8] = [0x0C, 0x0C, 0x61, 0x62, 0x63, 0x64, 0x11, 0x04]

    @Test func rawSnappyAsLibrdkafkaWritesItDecompresses() throws {
        let output = try RecordCompression.decompress(ByteBuffer(bytes: Self.rawSnappy), codec: .snappy, maxOutputBytes: 100)
        #expect(output == ByteBuffer(string: "abcdabcdabcd"))
    }

    @Test func xerialFramedSnappyAsJavaClientsWriteItDecompressesEveryBlock() throws {
        var framed = ByteBuffer(bytes: RecordCompression.xerialMagic)
        framed.writeInteger(Int32(1))
        framed.writeInteger(Int32(1))
        for _ in 0..<2 {
            framed.writeInteger(Int32(Self.rawSnappy.count))
            framed.writeBytes(Self.rawSnappy)
        }
        let output = try RecordCompression.decompress(framed, codec: .snappy, maxOutputBytes: 100)
        #expect(output == ByteBuffer(string: "abcdabcdabcdabcdabcdabcd"))
    }

    /// Larger than the decoders' 64 KiB step and snappy's 32 KiB xerial block, and not all alike.
    static let largePayload = ByteBuffer(bytes: (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 13) })

    @Test(arguments: CompressionCodec.allCases)
    func compressThenDecompressRoundTrips(codec: CompressionCodec) throws {
        let compressed = RecordCompression.compress(Self.largePayload, codec: codec)
        #expect(compressed.readableBytes < Self.largePayload.readableBytes)
        #expect(try RecordCompression.decompress(compressed, codec: codec, maxOutputBytes: 1 << 20) == Self.largePayload)
    }

    @Test(arguments: CompressionCodec.allCases)
    func aTruncatedPayloadIsMalformedNamingTheCodec(codec: CompressionCodec) throws {
        let compressed = RecordCompression.compress(Self.largePayload, codec: codec)
        let truncated = compressed.getSlice(at: compressed.readerIndex, length: compressed.readableBytes - 5)!
        let error = #expect(throws: DecompressionError.self) {
            try RecordCompression.decompress(truncated, codec: codec, maxOutputBytes: 1 << 20)
        }
        guard case .malformed(let named, _) = error else { throw TestFailure("expected malformed, got \(String(describing: error))") }
        #expect(named == codec)
    }

    @Test(arguments: CompressionCodec.allCases)
    func garbageIsMalformedNamingTheCodec(codec: CompressionCodec) throws {
        let garbage = ByteBuffer(bytes: [0x0A, 0xFF, 0xFE, 0xFD, 0xFC, 0x00, 0x01, 0x02, 0x03, 0x04])
        let error = #expect(throws: DecompressionError.self) {
            try RecordCompression.decompress(garbage, codec: codec, maxOutputBytes: 1 << 20)
        }
        guard case .malformed(let named, _) = error else { throw TestFailure("expected malformed, got \(String(describing: error))") }
        #expect(named == codec)
    }

    @Test(arguments: CompressionCodec.allCases)
    func outputPastTheLimitIsRefused(codec: CompressionCodec) throws {
        let bomb = RecordCompression.compress(ByteBuffer(repeating: 0, count: 1 << 20), codec: codec)
        #expect(throws: DecompressionError.tooLarge(codec: codec, limit: 100_000)) {
            try RecordCompression.decompress(bomb, codec: codec, maxOutputBytes: 100_000)
        }
        #expect(try RecordCompression.decompress(bomb, codec: codec, maxOutputBytes: 1 << 20).readableBytes == 1 << 20)
    }
}

/// A test failure with a message, for `guard ... else { throw }`.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
