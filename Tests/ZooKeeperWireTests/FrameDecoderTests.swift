import NIOCore
import NIOTestUtils
import Testing
import ZooKeeperWire

@Suite struct FrameDecoderTests {
    static func frame(_ payloadHex: String) -> ByteBuffer {
        let payload = buffer(hex: payloadHex)
        var frame = ByteBuffer()
        frame.writeInteger(Int32(payload.readableBytes))
        frame.writeImmutableBuffer(payload)
        return frame
    }

    static let connectPayload = KazooFixtures.connect
    static let pingPayload = "fffffffe0000000b"

    @Test func frameDecoderPassesTheDripFeedVerifier() throws {
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (Self.frame(Self.connectPayload), [buffer(hex: Self.connectPayload)]),
            (Self.frame(Self.pingPayload), [buffer(hex: Self.pingPayload)]),
            (Self.frame(""), [ByteBuffer()]),
            (Self.frame(KazooFixtures.multi), [buffer(hex: KazooFixtures.multi)]),
            // Two frames in one input.
            (
                Self.frame(Self.pingPayload).withAppended(Self.frame(KazooFixtures.getData)),
                [buffer(hex: Self.pingPayload), buffer(hex: KazooFixtures.getData)]
            ),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { ZKFrameDecoder() }
    }

    @Test func serverFrameDecoderPassesTheDripFeedVerifier() throws {
        // The first input the verifier feeds is a frame, never a four-letter word, so every input
        // comes out as `.frame`.
        let pairs: [(ByteBuffer, [ZKServerInbound])] = [
            (Self.frame(Self.connectPayload), [.frame(buffer(hex: Self.connectPayload))]),
            (Self.frame(Self.pingPayload), [.frame(buffer(hex: Self.pingPayload))]),
            (Self.frame(KazooFixtures.create), [.frame(buffer(hex: KazooFixtures.create))]),
            (Self.frame(""), [.frame(ByteBuffer())]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { ZKServerFrameDecoder() }
    }

    @Test func partialFrameReturnsNilAndLeavesTheReaderIndex() throws {
        var decoder = ZKFrameDecoder()
        var input = Self.frame("0102030405")
        input.moveWriterIndex(to: input.writerIndex - 1)
        let before = input.readerIndex
        #expect(try decoder.decode(buffer: &input) == nil)
        #expect(input.readerIndex == before)
        var lengthOnly = buffer(hex: "000000")
        #expect(try decoder.decode(buffer: &lengthOnly) == nil)
        #expect(lengthOnly.readableBytes == 3)
    }

    @Test func maximalLengthPrefixThrowsBeforeTheBodyArrives() {
        var decoder = ZKFrameDecoder()
        // 2 GiB - 1, the largest Int32, with no body at all.
        var input = buffer(hex: "7fffffff")
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: Int64(Int32.max), limit: 1_048_575)) {
            try decoder.decode(buffer: &input)
        }
        // jute.maxbuffer + 1.
        var justOver = buffer(hex: "00100000")
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: 0x10_0000, limit: 1_048_575)) {
            try decoder.decode(buffer: &justOver)
        }
    }

    @Test func negativeLengthThrowsAtOnce() {
        var decoder = ZKFrameDecoder()
        var input = buffer(hex: "80000000")
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: Int64(Int32.min), limit: 1_048_575)) {
            try decoder.decode(buffer: &input)
        }
        var minusOne = buffer(hex: "ffffffff")
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: -1, limit: 1_048_575)) {
            try decoder.decode(buffer: &minusOne)
        }
    }

    @Test func configuredLimitIsInclusive() throws {
        var decoder = ZKFrameDecoder(maxFrameLength: 4)
        var atLimit = Self.frame("01020304")
        #expect(try decoder.decode(buffer: &atLimit) == buffer(hex: "01020304"))
        var overLimit = Self.frame("0102030405")
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: 5, limit: 4)) {
            try decoder.decode(buffer: &overLimit)
        }
    }

    @Test func decodeLastDropsAPartialFrameWithoutError() throws {
        var decoder = ZKFrameDecoder()
        var input = Self.frame(Self.pingPayload).withAppended(buffer(hex: "00000010 0102"))
        #expect(try decoder.decodeLast(buffer: &input, seenEOF: true) == buffer(hex: Self.pingPayload))
        #expect(try decoder.decodeLast(buffer: &input, seenEOF: true) == nil)
        #expect(input.readableBytes == 0)
    }

    /// Feeds `input` one byte at a time the way `ByteToMessageHandler` would and collects the output.
    static func dripFeed(_ input: ByteBuffer, into decoder: inout ZKServerFrameDecoder) throws -> [ZKServerInbound] {
        var accumulated = ByteBuffer()
        var out: [ZKServerInbound] = []
        for byte in input.readableBytesView {
            accumulated.writeInteger(byte)
            while accumulated.readableBytes > 0, let message = try decoder.decode(buffer: &accumulated) {
                out.append(message)
            }
        }
        while let message = try decoder.decodeLast(buffer: &accumulated, seenEOF: true) {
            out.append(message)
        }
        return out
    }

    @Test(arguments: FourLetterWord.all)
    func fourLetterWordIsRecognisedOnlyAsTheFirstBytes(_ word: String) throws {
        var decoder = ZKServerFrameDecoder()
        // Telnet sends "ruok\r\n"; whatever follows the word is ignored.
        let output = try Self.dripFeed(buffer(word + "\r\n").withAppended(Self.frame(Self.pingPayload)), into: &decoder)
        #expect(output == [.fourLetterWord(word)])
    }

    @Test func fourLetterWordInAllAtOnceInput() throws {
        var decoder = ZKServerFrameDecoder()
        var input = buffer("mntr")
        #expect(try decoder.decode(buffer: &input) == .fourLetterWord("mntr"))
        #expect(input.readableBytes == 0)
        var more = buffer("stat")
        #expect(try decoder.decode(buffer: &more) == nil)
    }

    @Test func fourLetterWordAfterTheFirstFrameIsJustABadLength() throws {
        var decoder = ZKServerFrameDecoder()
        var input = Self.frame(Self.connectPayload).withAppended(buffer("ruok"))
        #expect(try decoder.decode(buffer: &input) == .frame(buffer(hex: Self.connectPayload)))
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: 0x7275_6f6b, limit: 1_048_575)) {
            try decoder.decode(buffer: &input)
        }
    }

    @Test func unknownWordAndTelnetCloseAreInvalidLengths() throws {
        var decoder = ZKServerFrameDecoder()
        var notAWord = buffer("ruol")
        #expect(throws: ZooKeeperWireError.frameLengthInvalid(length: 0x7275_6f6c, limit: 1_048_575)) {
            try decoder.decode(buffer: &notAWord)
        }
        var telnet = ZKServerFrameDecoder()
        var close = buffer(hex: "fff4fffd")
        #expect(
            throws: ZooKeeperWireError.frameLengthInvalid(
                length: Int64(Int32(bitPattern: 0xfff4_fffd)),
                limit: 1_048_575
            )
        ) {
            try telnet.decode(buffer: &close)
        }
    }

    @Test func serverDecoderDripFeedsRealFramesAfterTheFirstLength() throws {
        var decoder = ZKServerFrameDecoder()
        let input = Self.frame(Self.connectPayload).withAppended(Self.frame(KazooFixtures.create))
            .withAppended(buffer(hex: "000000"))
        let output = try Self.dripFeed(input, into: &decoder)
        #expect(output == [.frame(buffer(hex: Self.connectPayload)), .frame(buffer(hex: KazooFixtures.create))])
    }

    @Test func frameEncoderPassesFramesThrough() throws {
        let frame = try encoded { try ZKRequestFrame.encode(xid: .ping, request: .ping, into: &$0) }
        var out = ByteBuffer()
        ZKFrameEncoder().encode(data: frame, out: &out)
        #expect(out == frame)
    }
}

extension ByteBuffer {
    fileprivate func withAppended(_ other: ByteBuffer) -> ByteBuffer {
        var copy = self
        copy.writeImmutableBuffer(other)
        return copy
    }
}
