/// A record batch's compression codec: bits 0–2 of its attributes (`CompressionType.java`); 0 is
/// "none" and has no case here.
package enum CompressionCodec: Int16, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A standard gzip stream (RFC 1952).
    case gzip = 1
    /// Snappy: raw (librdkafka) or in snappy-java's xerial stream framing (Java clients, kafka-python).
    case snappy = 2
    /// An LZ4 frame (magic 0x184D2204).
    case lz4 = 3
    /// A zstd frame, with or without its content size.
    case zstd = 4

    package var description: String {
        switch self {
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// Why a compressed payload could not be decompressed, naming the codec.
package enum DecompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The payload is not a valid `codec` stream, or it ends mid-stream; `detail` says which.
    case malformed(codec: CompressionCodec, detail: String)
    /// The payload decompresses to more than `limit` bytes (a decompression bomb, or a corrupt length).
    case tooLarge(codec: CompressionCodec, limit: Int)

    package var description: String {
        switch self {
        case .malformed(let codec, let detail): "malformed \(codec) payload: \(detail)"
        case .tooLarge(let codec, let limit): "\(codec) payload decompresses to more than \(limit) bytes"
        }
    }
}
