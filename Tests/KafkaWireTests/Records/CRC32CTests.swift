import NIOCore
import Testing

@testable import KafkaWire

@Suite struct CRC32CTests {
    /// Check values from the CRC catalogue ("123456789") and RFC 3720 appendix B.4 (iSCSI).
    static let vectors: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        (Array(0...31), 0x46DD_794E),
        (Array((0...31).reversed()), 0x113F_DB5C),
        ([], 0),
    ]

    @Test(arguments: vectors)
    func matchesPublishedVectors(input: [UInt8], expected: UInt32) {
        #expect(input.withUnsafeBytes { CRC32C.checksum($0) } == expected)
    }

    /// The eight-bytes-at-a-time path agrees with a bit-by-bit reference at every length and alignment.
    @Test func slicingAgreesWithBitwiseReference() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for start in 0..<9 {
            for length in stride(from: 0, through: data.count - start, by: 7) {
                let slice = Array(data[start..<(start + length)])
                #expect(slice.withUnsafeBytes { CRC32C.checksum($0) } == bitwiseCRC32C(slice), "start \(start) length \(length)")
            }
        }
    }

    @Test func checksumOfByteBufferRangeUsesAbsoluteIndices() {
        var buffer = ByteBuffer(string: "xx123456789yy")
        buffer.moveReaderIndex(forwardBy: 1)
        #expect(CRC32C.checksum(buffer, at: 2, length: 9) == 0xE306_9283)
    }

    private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
