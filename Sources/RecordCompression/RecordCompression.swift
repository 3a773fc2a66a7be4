internal import CLZ4
internal import CSnappy
internal import CZlib
internal import CZstd
package import NIOCore

/// Decompresses (and, for tests and tools, compresses) the records section of a RecordBatch v2
/// with the system's zlib, snappy, liblz4 and libzstd, in the framings Kafka clients write
/// (`clients/.../common/compress/*`). Pure: no I/O beyond the libraries' memory.
package enum RecordCompression {
    /// The decompressed bytes of `input`, a whole `codec` payload. Throws `tooLarge` as soon as the
    /// output would pass `maxOutputBytes`, before allocating for it.
    package static func decompress(
        _ input: ByteBuffer, codec: CompressionCodec, maxOutputBytes: Int
    ) throws(DecompressionError) -> ByteBuffer {
        let result = input.withUnsafeReadableBytes { source in
            Result { () throws(DecompressionError) -> ByteBuffer in
                var output = BoundedOutput(codec: codec, limit: maxOutputBytes)
                switch codec {
                case .gzip: try gunzip(source, into: &output)
                case .snappy: try unsnappy(source, into: &output)
                case .lz4: try unlz4(source, into: &output)
                case .zstd: try unzstd(source, into: &output)
                }
                return output.buffer
            }
        }
        return try result.get()
    }

    /// Bytes each streaming decoder step may produce.
    private static let chunkSize = 64 << 10

    // MARK: - gzip

    /// zlib's inflate with automatic gzip/zlib header detection (windowBits 15 + 32). Like Java's
    /// `GZIPInputStream`, a further gzip member after the first is read too.
    private static func gunzip(_ source: UnsafeRawBufferPointer, into output: inout BoundedOutput) throws(DecompressionError) {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .malformed(codec: .gzip, detail: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(source.count)
        var scratch = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let (status, produced) = scratch.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.avail_out))
            }
            try output.append(scratch[..<produced])
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if stream.avail_in == 0 { return }
                guard inflateReset(&stream) == Z_OK else { throw .malformed(codec: .gzip, detail: "inflateReset failed") }
            case Z_BUF_ERROR:
                throw .malformed(codec: .gzip, detail: "stream ends before its trailer")
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .malformed(codec: .gzip, detail: reason)
            }
        }
    }

    // MARK: - snappy

    /// snappy-java's stream header: this magic, then int32 version and int32 compatible version.
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSize = 16

    /// Xerial framing (`SnappyInputStream`: header, then blocks of int32 big-endian length + raw
    /// snappy) when the payload starts with its magic, else one raw snappy block, as librdkafka
    /// accepts both (`rdkafka_msgset_reader.c`).
    private static func unsnappy(_ source: UnsafeRawBufferPointer, into output: inout BoundedOutput) throws(DecompressionError) {
        guard source.count >= xerialHeaderSize, source.prefix(xerialMagic.count).elementsEqual(xerialMagic) else {
            return try unsnappyBlock(source, into: &output)
        }
        var position = xerialHeaderSize
        while position < source.count {
            guard source.count - position >= 4 else {
                throw .malformed(codec: .snappy, detail: "xerial block length cut short at byte \(position)")
            }
            let length = Int(UInt32(bigEndian: source.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
            position += 4
            guard length <= source.count - position else {
                throw .malformed(
                    codec: .snappy, detail: "xerial block of \(length) bytes with \(source.count - position) left")
            }
            try unsnappyBlock(UnsafeRawBufferPointer(rebasing: source[position..<position + length]), into: &output)
            position += length
        }
    }

    private static func unsnappyBlock(_ block: UnsafeRawBufferPointer, into output: inout BoundedOutput) throws(DecompressionError) {
        let compressed = block.baseAddress?.assumingMemoryBound(to: CChar.self)
        var length = 0
        guard snappy_uncompressed_length(compressed, block.count, &length) == SNAPPY_OK else {
            throw .malformed(codec: .snappy, detail: "block of \(block.count) bytes has no valid length preamble")
        }
        try output.ensureRoom(for: length)
        var scratch = [UInt8](repeating: 0, count: length)
        let status = scratch.withUnsafeMutableBufferPointer { out in
            out.withMemoryRebound(to: CChar.self) { snappy_uncompress(compressed, block.count, $0.baseAddress, &length) }
        }
        guard status == SNAPPY_OK else {
            throw .malformed(codec: .snappy, detail: "block of \(block.count) bytes is not valid snappy")
        }
        try output.append(scratch[..<length])
    }

    // MARK: - lz4

    /// One or more LZ4 frames, through liblz4's streaming `LZ4F_decompress`.
    private static func unlz4(_ source: UnsafeRawBufferPointer, into output: inout BoundedOutput) throws(DecompressionError) {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0 else {
            throw .malformed(codec: .lz4, detail: "LZ4F_createDecompressionContext failed")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var position = 0
        var scratch = [UInt8](repeating: 0, count: chunkSize)
        while true {
            var consumed = source.count - position
            var produced = scratch.count
            let hint = scratch.withUnsafeMutableBytes { out in
                LZ4F_decompress(context, out.baseAddress, &produced, source.baseAddress.map { $0 + position }, &consumed, nil)
            }
            if LZ4F_isError(hint) != 0 {
                throw .malformed(codec: .lz4, detail: String(cString: LZ4F_getErrorName(hint)))
            }
            position += consumed
            try output.append(scratch[..<produced])
            if position == source.count {
                if hint == 0 { return }
                if produced == 0 { throw .malformed(codec: .lz4, detail: "frame ends before its end mark") }
            }
        }
    }

    // MARK: - zstd

    /// One or more zstd frames through `ZSTD_decompressStream`, which needs no content size.
    private static func unzstd(_ source: UnsafeRawBufferPointer, into output: inout BoundedOutput) throws(DecompressionError) {
        guard let stream = ZSTD_createDStream() else { throw .malformed(codec: .zstd, detail: "ZSTD_createDStream failed") }
        defer { ZSTD_freeDStream(stream) }
        var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
        var scratch = [UInt8](repeating: 0, count: chunkSize)
        while true {
            var produced = 0
            let hint = scratch.withUnsafeMutableBytes { out in
                var target = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                defer { produced = target.pos }
                return ZSTD_decompressStream(stream, &target, &input)
            }
            if ZSTD_isError(hint) != 0 {
                throw .malformed(codec: .zstd, detail: String(cString: ZSTD_getErrorName(hint)))
            }
            try output.append(scratch[..<produced])
            if input.pos == input.size {
                if hint == 0 { return }
                if produced == 0 { throw .malformed(codec: .zstd, detail: "frame ends before its last block") }
            }
        }
    }
}

/// Decompressed bytes, refusing to grow past `limit`.
private struct BoundedOutput {
    let codec: CompressionCodec
    let limit: Int
    var buffer = ByteBuffer()

    init(codec: CompressionCodec, limit: Int) {
        self.codec = codec
        self.limit = limit
    }

    /// Throws `tooLarge` unless `count` more bytes fit under the limit.
    func ensureRoom(for count: Int) throws(DecompressionError) {
        guard count <= limit - buffer.readableBytes else { throw .tooLarge(codec: codec, limit: limit) }
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) throws(DecompressionError) {
        try ensureRoom(for: bytes.count)
        buffer.writeBytes(bytes)
    }
}
