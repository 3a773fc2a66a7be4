internal import CLZ4
internal import CSnappy
internal import CZlib
internal import CZstd
package import NIOCore

extension RecordCompression {
    /// `input` compressed as a Java client would write it: a gzip stream, snappy in xerial framing
    /// (32 KiB blocks, `SnappyOutputStream`'s default), one LZ4 frame, one zstd frame (level 3). The
    /// broker never compresses; tests and tools build compressed batches with this.
    package static func compress(_ input: ByteBuffer, codec: CompressionCodec) -> ByteBuffer {
        input.withUnsafeReadableBytes { source in
            switch codec {
            case .gzip: gzip(source)
            case .snappy: xerialSnappy(source)
            case .lz4: lz4Frame(source)
            case .zstd: zstdFrame(source)
            }
        }
    }

    private static func gzip(_ source: UnsafeRawBufferPointer) -> ByteBuffer {
        var stream = z_stream()
        let initialised = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        precondition(initialised == Z_OK, "deflateInit2 failed: \(initialised)")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(source.count)))
        stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(source.count)
        return ByteBuffer(bytesWrittenBy: bound) { out in
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            let status = deflate(&stream, Z_FINISH)
            precondition(status == Z_STREAM_END, "deflate into its bound failed: \(status)")
            return out.count - Int(stream.avail_out)
        }
    }

    private static func xerialSnappy(_ source: UnsafeRawBufferPointer) -> ByteBuffer {
        let blockSize = 32 << 10
        var output = ByteBuffer(bytes: xerialMagic)
        output.writeInteger(Int32(1))  // version
        output.writeInteger(Int32(1))  // compatible version
        for start in stride(from: 0, to: source.count, by: blockSize) {
            let block = UnsafeRawBufferPointer(rebasing: source[start..<min(start + blockSize, source.count)])
            let compressed = ByteBuffer(bytesWrittenBy: snappy_max_compressed_length(block.count)) { out in
                var length = out.count
                let status = snappy_compress(
                    block.baseAddress?.assumingMemoryBound(to: CChar.self), block.count,
                    out.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                precondition(status == SNAPPY_OK, "snappy_compress into its bound failed")
                return length
            }
            output.writeInteger(Int32(compressed.readableBytes))
            output.writeImmutableBuffer(compressed)
        }
        return output
    }

    private static func lz4Frame(_ source: UnsafeRawBufferPointer) -> ByteBuffer {
        ByteBuffer(bytesWrittenBy: LZ4F_compressFrameBound(source.count, nil)) { out in
            let written = LZ4F_compressFrame(out.baseAddress, out.count, source.baseAddress, source.count, nil)
            precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame into its bound failed")
            return written
        }
    }

    private static func zstdFrame(_ source: UnsafeRawBufferPointer) -> ByteBuffer {
        ByteBuffer(bytesWrittenBy: ZSTD_compressBound(source.count)) { out in
            let written = ZSTD_compress(out.baseAddress, out.count, source.baseAddress, source.count, 3)
            precondition(ZSTD_isError(written) == 0, "ZSTD_compress into its bound failed")
            return written
        }
    }
}

extension ByteBuffer {
    /// A buffer of the bytes `body` writes into `capacity` uninitialised ones (it returns the count).
    fileprivate init(bytesWrittenBy capacity: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) {
        self.init()
        writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { body(UnsafeMutableRawBufferPointer(rebasing: $0.prefix(capacity))) }
    }
}
