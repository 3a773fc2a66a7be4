package import NIOCore

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum RecordBatch v2 carries
/// over its attributes..end region (KIP-98, `DefaultRecordBatch.java`; RFC 3720 appendix B.4).
///
/// Slicing-by-8: eight 256-entry tables let the loop fold eight input bytes per step. No library
/// on this platform provides CRC-32C (zlib's `crc32` is the IEEE polynomial), hence hand-written.
package enum CRC32C {
    /// `tables[k * 256 + b]`: the CRC contribution of byte `b` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[byte] = crc
        }
        for byte in 0..<256 {
            for slice in 1..<8 {
                let previous = tables[(slice - 1) * 256 + byte]
                tables[slice * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32C of `bytes`.
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ~update(0xFFFF_FFFF, with: bytes)
    }

    /// The CRC-32C of `length` bytes of `buffer` starting at absolute index `index`.
    package static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int) -> UInt32 {
        precondition(
            index >= buffer.readerIndex && length >= 0 && index + length <= buffer.writerIndex,
            "CRC range \(index)..<\(index + length) outside readable \(buffer.readerIndex)..<\(buffer.writerIndex)")
        return buffer.withUnsafeReadableBytes { readable in
            let start = index - buffer.readerIndex
            return checksum(UnsafeRawBufferPointer(rebasing: readable[start..<(start + length)]))
        }
    }

    /// Folds `bytes` into a running (not yet inverted) CRC state.
    private static func update(_ state: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = state
        let count = bytes.count
        var index = 0
        tables.withUnsafeBufferPointer { table in
            while count - index >= 8 {
                let low = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc =
                    table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = table[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return crc
    }
}
