public import NIOCore

/// Splits a byte stream into ZooKeeper frames: `int32 length` (big-endian) + `length` bytes.
///
/// Emits each frame's payload (without the length prefix) as a slice of the inbound buffer. A negative
/// length, or one above `maxFrameLength`, throws `.frameLengthInvalid` as soon as the 4 length bytes are
/// there, before waiting for or allocating the body (ZooKeeper's `NIOServerCnxn.readLength` closes the
/// connection with "Len error" in the same case). Until a whole frame has arrived `decode` returns nil
/// and leaves the reader index where it was.
///
/// Used on both sides: `ByteToMessageHandler(ZKFrameDecoder())`. Servers use `ZKServerFrameDecoder`,
/// which also recognises four-letter words.
public struct ZKFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    /// ZooKeeper's default `jute.maxbuffer`: 0xfffff = 1,048,575 bytes.
    public static let defaultMaxFrameLength = 1_048_575

    /// The largest payload length accepted (the length prefix itself is not counted).
    public let maxFrameLength: Int

    public init(maxFrameLength: Int = ZKFrameDecoder.defaultMaxFrameLength) {
        precondition(maxFrameLength >= 0, "maxFrameLength must not be negative, got \(maxFrameLength)")
        self.maxFrameLength = maxFrameLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws(ZooKeeperWireError) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard length >= 0, Int(length) <= self.maxFrameLength else {
            throw .frameLengthInvalid(length: Int64(length), limit: self.maxFrameLength)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        // Cannot fail: checked above.
        return buffer.readSlice(length: Int(length))!
    }

    /// Emits the frames that are complete; a partial frame left at end of stream is dropped without
    /// an error (the peer went away mid-frame; there is nobody to answer).
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws(ZooKeeperWireError) -> ByteBuffer? {
        if let frame = try self.decode(buffer: &buffer) {
            return frame
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return nil
    }
}

/// What a server connection reads: a four-letter-word command or a regular frame payload.
public enum ZKServerInbound: Hashable, Sendable {
    /// One of `FourLetterWord.all`, sent as the first 4 bytes of the connection.
    case fourLetterWord(String)
    /// A frame payload (the handshake's `ConnectRequest` first, then request frames).
    case frame(ByteBuffer)
}

/// ZooKeeper's four-letter-word admin commands (`server/command/FourLetterCommands.java`).
public enum FourLetterWord {
    public static let all: [String] = [
        "ruok", "stat", "srvr", "mntr", "conf", "cons", "crst", "srst", "envi", "dump", "wchs", "wchc", "wchp",
        "dirs", "isro", "gtmk", "stmk", "hash",
    ]

    /// Each word as the big-endian `int32` a frame decoder would read as its length.
    static let byCode: [UInt32: String] = Dictionary(
        uniqueKeysWithValues: all.map { word in
            (word.utf8.reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }, word)
        }
    )
}

/// The server-side frame decoder: `ZKFrameDecoder`, except that the first 4 bytes of a connection may
/// be a four-letter word.
///
/// As in ZooKeeper's `NIOServerCnxn.checkFourLetterWord`, the first length field is compared with the
/// known words before it is checked as a length. On a match the decoder emits `.fourLetterWord` once and
/// then discards everything that follows (the server answers in plain text and closes). Otherwise every
/// frame is emitted as `.frame(payload)`. Every word starts with a lowercase letter, so as a length it
/// would be over 1.6 GB and could never be a valid frame: the check cannot misread a real frame.
public struct ZKServerFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = ZKServerInbound

    private enum State: Sendable {
        case awaitingFirstLength
        case frames
        case fourLetterWordReceived
    }

    private var state: State = .awaitingFirstLength
    private var frames: ZKFrameDecoder

    public init(maxFrameLength: Int = ZKFrameDecoder.defaultMaxFrameLength) {
        self.frames = ZKFrameDecoder(maxFrameLength: maxFrameLength)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws(ZooKeeperWireError) -> ZKServerInbound? {
        switch self.state {
        case .awaitingFirstLength:
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
            if let word = FourLetterWord.byCode[first] {
                self.state = .fourLetterWordReceived
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return .fourLetterWord(word)
            }
            self.state = .frames
            return try self.frames.decode(buffer: &buffer).map(ZKServerInbound.frame)
        case .frames:
            return try self.frames.decode(buffer: &buffer).map(ZKServerInbound.frame)
        case .fourLetterWordReceived:
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
    }

    /// Emits what is complete; a partial frame (or partial first word) at end of stream is dropped.
    public mutating func decodeLast(
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws(ZooKeeperWireError) -> ZKServerInbound? {
        if let message = try self.decode(buffer: &buffer) {
            return message
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return nil
    }
}
