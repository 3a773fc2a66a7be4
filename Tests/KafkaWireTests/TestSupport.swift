import KafkaWire
import NIOCore

/// A buffer holding the bytes spelled by `hex` (spaces allowed).
func buffer(hex: String) -> ByteBuffer {
    do {
        return try ByteBuffer(plainHexEncodedBytes: hex)
    } catch {
        preconditionFailure("bad hex in test: \(hex)")
    }
}

extension ByteBuffer {
    /// The readable bytes as lowercase hex without separators.
    var hex: String {
        self.readableBytesView.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}

/// What `body` writes to a fresh writer.
func written(_ body: (inout KafkaWriter) -> Void) -> ByteBuffer {
    var writer = KafkaWriter()
    body(&writer)
    return writer.buffer
}

/// A reader over the bytes spelled by `hex`.
func reader(hex: String) -> KafkaReader {
    KafkaReader(buffer(hex: hex))
}

/// Splits one complete frame (size + payload) with `KafkaFrameDecoder`, requiring nothing left over.
func payload(ofFrame frame: ByteBuffer) throws -> ByteBuffer {
    var frame = frame
    var decoder = KafkaFrameDecoder()
    let payload = try decoder.decode(buffer: &frame)
    guard let payload, frame.readableBytes == 0 else {
        throw KafkaWireError.trailingBytes(context: "test frame", count: frame.readableBytes)
    }
    return payload
}

/// Every (API, version) pair of `SupportedAPIs`, for parameterised tests.
let everySupportedVersion: [(APIKey, Int16)] = SupportedAPIs.all.flatMap { api in
    (api.minVersion...api.maxVersion).map { (api.key, $0) }
}
