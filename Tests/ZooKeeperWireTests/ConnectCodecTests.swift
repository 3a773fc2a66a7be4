import NIOCore
import Testing
import ZooKeeperWire

@Suite struct ConnectCodecTests {
    static let password: [UInt8] = Array(0..<16)

    /// protocolVersion 0 | lastZxidSeen 0x100000005 | timeOut 30000 | sessionId 0x0123456789abcdef |
    /// passwd (len 16) 00..0f: 4 + 8 + 4 + 8 + 4 + 16 = 44 bytes.
    static let request44Hex =
        "00000000" + "0000000100000005" + "00007530" + "0123456789abcdef" + "00000010"
        + "000102030405060708090a0b0c0d0e0f"

    static func request(readOnly: Bool?) -> ConnectRequest {
        ConnectRequest(
            protocolVersion: 0,
            lastZxidSeen: Zxid(epoch: 1, counter: 5),
            timeout: 30_000,
            sessionID: SessionID(0x0123_4567_89ab_cdef),
            password: password,
            readOnly: readOnly
        )
    }

    @Test func connectRequestWithoutReadOnlyIs44GoldenBytes() throws {
        let bytes = encoded { #expect(Self.request(readOnly: nil).write(to: &$0) == 44) }
        #expect(bytes.readableBytes == 44)
        #expect(bytes.hex == Self.request44Hex)
        var input = bytes
        let decoded = try ConnectRequest(from: &input)
        #expect(decoded == Self.request(readOnly: nil))
        #expect(decoded.readOnly == nil)
        #expect(input.readableBytes == 0)
    }

    @Test func connectRequestWithReadOnlyIs45GoldenBytes() throws {
        let bytes = encoded { #expect(Self.request(readOnly: true).write(to: &$0) == 45) }
        #expect(bytes.hex == Self.request44Hex + "01")
        var input = bytes
        #expect(try ConnectRequest(from: &input) == Self.request(readOnly: true))
        var falseInput = buffer(hex: Self.request44Hex + "00")
        #expect(try ConnectRequest(from: &falseInput).readOnly == false)
    }

    @Test func connectRequestNullPasswordReadsAsEmpty() throws {
        var input = buffer(hex: "00000000" + "0000000000000000" + "00002710" + "0000000000000000" + "ffffffff")
        let decoded = try ConnectRequest(from: &input)
        #expect(decoded.password == [])
        #expect(decoded.timeout == 10_000)
        #expect(decoded.sessionID == .none)
        #expect(decoded.readOnly == nil)
    }

    @Test func truncatedConnectRequestThrows() {
        var input = buffer(hex: String(Self.request44Hex.prefix(2 * 20)))
        #expect(throws: ZooKeeperWireError.truncated(field: "connect.sessionId", needed: 8, available: 4)) {
            try ConnectRequest(from: &input)
        }
        var shortPassword = buffer(hex: String(Self.request44Hex.dropLast(2)))
        #expect(throws: ZooKeeperWireError.invalidLength(field: "connect.passwd", length: 16)) {
            try ConnectRequest(from: &shortPassword)
        }
    }

    /// protocolVersion 0 | timeOut 30000 | sessionId 0x0123456789abcdef | passwd (len 16) 00..0f
    /// [| readOnly]: 36 or 37 bytes.
    static let response36Hex =
        "00000000" + "00007530" + "0123456789abcdef" + "00000010" + "000102030405060708090a0b0c0d0e0f"

    @Test func connectResponseGoldenBytesWithAndWithoutReadOnly() throws {
        var response = ConnectResponse(
            timeout: 30_000,
            sessionID: SessionID(0x0123_4567_89ab_cdef),
            password: Self.password,
            readOnly: false
        )
        var bytes = encoded { #expect(response.write(to: &$0) == 37) }
        #expect(bytes.hex == Self.response36Hex + "00")
        #expect(try ConnectResponse(from: &bytes) == response)

        response.readOnly = nil
        bytes = encoded { #expect(response.write(to: &$0) == 36) }
        #expect(bytes.hex == Self.response36Hex)
        let decoded = try ConnectResponse(from: &bytes)
        #expect(decoded == response)
        #expect(decoded.readOnly == nil)
    }

    @Test func invalidSessionResponseHasZeroTimeoutAndSession() throws {
        var bytes = encoded { ConnectResponse.invalidSession(readOnly: true).write(to: &$0) }
        #expect(
            bytes.hex == "00000000" + "00000000" + "0000000000000000" + "00000010" + String(repeating: "00", count: 16)
                + "01"
        )
        let decoded = try ConnectResponse(from: &bytes)
        #expect(decoded.timeout == 0)
        #expect(decoded.sessionID == .none)
        #expect(decoded.readOnly == true)
    }
}
