import KafkaWire
import NIOCore
import Testing

/// Every message at every supported version: encode a frame, split it with the frame decoder, decode it,
/// and get the same value back.
@Suite struct RoundTripTests {
    @Test(arguments: everySupportedVersion)
    func requestRoundTrips(apiKey: APIKey, version: Int16) throws {
        let request = sampleRequest(apiKey, version: version)
        var frame = ByteBuffer()
        KafkaRequestFrame.encode(request, version: version, correlationID: 0x0102_0304, clientID: "rt", into: &frame)
        let decoded = KafkaRequestFrame.decode(try payload(ofFrame: frame))
        let header = RequestHeader(apiKey: apiKey, apiVersion: version, correlationID: 0x0102_0304, clientID: "rt")
        #expect(decoded == .request(header, request))
    }

    @Test(arguments: everySupportedVersion)
    func responseRoundTrips(apiKey: APIKey, version: Int16) throws {
        let response = sampleResponse(apiKey, version: version)
        var frame = ByteBuffer()
        KafkaResponseFrame.encode(response, version: version, correlationID: -5, into: &frame)
        let decoded = try KafkaResponseFrame.decode(try payload(ofFrame: frame), apiKey: apiKey, version: version)
        #expect(decoded.correlationID == -5)
        #expect(decoded.response == response)
    }

    /// Encoding appends: two frames written into one buffer come out of the frame decoder in order.
    @Test func framesAppendToTheBuffer() throws {
        var stream = ByteBuffer(string: "x")
        stream.moveReaderIndex(forwardBy: 1)
        KafkaRequestFrame.encode(
            .apiVersions(APIVersionsRequest()),
            version: 0,
            correlationID: 1,
            clientID: nil,
            into: &stream
        )
        KafkaResponseFrame.encode(.apiVersions(.supported()), version: 1, correlationID: 1, into: &stream)
        var decoder = KafkaFrameDecoder()
        let first = try #require(try decoder.decode(buffer: &stream))
        let second = try #require(try decoder.decode(buffer: &stream))
        #expect(stream.readableBytes == 0)
        #expect(
            KafkaRequestFrame.decode(first)
                == .request(
                    RequestHeader(apiKey: .apiVersions, apiVersion: 0, correlationID: 1, clientID: nil),
                    .apiVersions(APIVersionsRequest())
                )
        )
        #expect(
            try KafkaResponseFrame.decode(second, apiKey: .apiVersions, version: 1).response
                == .apiVersions(.supported())
        )
    }

    /// Cutting a valid request short at any byte never traps: the header or the body is malformed.
    @Test(arguments: everySupportedVersion)
    func truncatedRequestsAreMalformed(apiKey: APIKey, version: Int16) throws {
        var frame = ByteBuffer()
        KafkaRequestFrame.encode(
            sampleRequest(apiKey, version: version),
            version: version,
            correlationID: 1,
            clientID: nil,
            into: &frame
        )
        let whole = try payload(ofFrame: frame)
        for length in 0..<whole.readableBytes {
            guard case .malformed(let header, _) = KafkaRequestFrame.decode(whole.getSlice(at: 0, length: length)!)
            else {
                Issue.record("\(apiKey) v\(version) cut to \(length) bytes was not malformed")
                continue
            }
            // The header (api key, version, correlation id, null client id) is 10 bytes; v2 (flexible
            // versions) adds its tagged-field count.
            let headerSize = RequestHeader.version(apiKey: apiKey, apiVersion: version) >= 2 ? 11 : 10
            #expect((header == nil) == (length < headerSize), "cut to \(length) bytes")
        }
    }

    /// Cutting a valid response short at any byte throws instead of trapping.
    @Test(arguments: everySupportedVersion)
    func truncatedResponsesThrow(apiKey: APIKey, version: Int16) throws {
        var frame = ByteBuffer()
        KafkaResponseFrame.encode(
            sampleResponse(apiKey, version: version),
            version: version,
            correlationID: 1,
            into: &frame
        )
        let whole = try payload(ofFrame: frame)
        for length in 0..<whole.readableBytes {
            #expect(throws: KafkaWireError.self, "cut to \(length) bytes") {
                try KafkaResponseFrame.decode(whole.getSlice(at: 0, length: length)!, apiKey: apiKey, version: version)
            }
        }
    }
}
