import KafkaWire
import NIOCore
import Testing

/// What `KafkaRequestFrame.decode` makes of requests the broker cannot serve.
@Suite struct RequestDecodingTests {
    @Test func unknownAPIKeyKeepsTheHeader() {
        // SaslHandshake (17) v1, correlation id 9, client "c": not implemented.
        let result = KafkaRequestFrame.decode(buffer(hex: "00110001" + "00000009" + "000163" + "deadbeef"))
        let header = RequestHeader(apiKey: APIKey(rawValue: 17), apiVersion: 1, correlationID: 9, clientID: "c")
        #expect(result == .unknownAPIKey(header))
        #expect(header.apiKey.description == "ApiKey(17)")
    }

    /// Versions outside the advertised range are refused without looking at the body: Fetch below 4 and
    /// above 11 (a flexible version: header v2), Produce above 8, OffsetForLeaderEpoch below 2.
    @Test(arguments: [(APIKey.fetch, Int16(3)), (.fetch, 12), (.produce, 9), (.offsetForLeaderEpoch, 1)])
    func unsupportedVersionKeepsTheHeader(apiKey: APIKey, version: Int16) {
        let header = RequestHeader(apiKey: apiKey, apiVersion: version, correlationID: 77, clientID: nil)
        var frame = written { header.write(to: &$0) }
        frame.writeString("garbage that is never parsed")
        #expect(KafkaRequestFrame.decode(frame) == .unsupportedVersion(header))
    }

    /// Produce v0–2 decode (the broker answers them UNSUPPORTED_VERSION per partition): the range
    /// advertises 0 for librdkafka's compression check.
    @Test func produceV0DecodesWithoutTransactionalID() throws {
        let hex =
            "00000000" + "00000001" + "ffff" + "0001" + "000003e8" + "00000001" + "000161" + "00000001"
            + "00000000" + "ffffffff"
        guard case .request(_, .produce(let produce)) = KafkaRequestFrame.decode(buffer(hex: hex)) else {
            Issue.record("Produce v0 did not decode")
            return
        }
        #expect(
            produce
                == ProduceRequest(
                    acks: 1,
                    timeoutMs: 1000,
                    topicData: [.init(name: "a", partitionData: [.init(index: 0, records: nil)])]
                )
        )
    }

    @Test func negativeCountsInsideABodyAreMalformed() {
        // Metadata v1 with topic count -2; DeleteTopics v0 with a null topic array.
        let metadata = KafkaRequestFrame.decode(buffer(hex: "00030001" + "00000001" + "ffff" + "fffffffe"))
        guard case .malformed(let header?, .invalidLength(field: "MetadataRequest.Topics", value: -2)) = metadata
        else {
            Issue.record("\(metadata)")
            return
        }
        #expect(header.correlationID == 1)
        let deleteTopics = KafkaRequestFrame.decode(
            buffer(hex: "00140000" + "00000002" + "ffff" + "ffffffff" + "00000000")
        )
        guard case .malformed(_, .invalidLength(field: "DeleteTopicsRequest.TopicNames", value: -1)) = deleteTopics
        else {
            Issue.record("\(deleteTopics)")
            return
        }
    }

    @Test func negativeRecordsLengthIsMalformed() {
        // Produce v3, one topic "a", partition 0 with records length -5.
        let hex =
            "00000003" + "00000001" + "ffff" + "ffff" + "0001" + "000003e8" + "00000001" + "000161"
            + "00000001" + "00000000" + "fffffffb"
        let result = KafkaRequestFrame.decode(buffer(hex: hex))
        guard
            case .malformed(_, .invalidLength(field: "ProduceRequest.TopicData.PartitionData.Records", value: -5)) =
                result
        else {
            Issue.record("\(result)")
            return
        }
    }

    /// Metadata v0 cannot say null: "all topics" is an empty array there, decoded as nil like v1's null.
    @Test func metadataV0AllTopicsIsAnEmptyArray() throws {
        var frame = ByteBuffer()
        KafkaRequestFrame.encode(
            .metadata(MetadataRequest(topics: nil)),
            version: 0,
            correlationID: 1,
            clientID: nil,
            into: &frame
        )
        #expect(try payload(ofFrame: frame).hex == "00030000" + "00000001" + "ffff" + "00000000")
        var v1 = ByteBuffer()
        KafkaRequestFrame.encode(
            .metadata(MetadataRequest(topics: [])),
            version: 1,
            correlationID: 1,
            clientID: nil,
            into: &v1
        )
        #expect(try payload(ofFrame: v1).hex == "00030001" + "00000001" + "ffff" + "00000000")
    }
}

@Suite struct SupportedAPIsTests {
    /// Phase 1 of reference/kafka.md §3.5, the KIP-455 APIs (flexible only), and the group coordinator's
    /// APIs with their flexible versions; the other ranges stay below Kafka's first flexible version.
    @Test func advertisedRanges() {
        let ranges = SupportedAPIs.all.map { [$0.key.rawValue, $0.minVersion, $0.maxVersion] }
        #expect(
            ranges == [
                [0, 0, 8], [1, 4, 11], [2, 1, 5], [3, 0, 7], [7, 1, 2], [8, 0, 8], [9, 0, 8], [10, 0, 4], [11, 0, 9],
                [12, 0, 4], [13, 0, 5], [14, 0, 5], [15, 0, 5], [16, 0, 4], [18, 0, 2], [19, 0, 4], [20, 0, 3],
                [22, 0, 4], [23, 2, 3], [32, 0, 3], [37, 0, 1], [42, 0, 2], [43, 0, 1], [45, 0, 0], [46, 0, 0],
                [47, 0, 0],
            ]
        )
        let flexible: [APIKey: Int16] = [
            .offsetCommit: 8, .offsetFetch: 6, .findCoordinator: 3, .joinGroup: 6, .heartbeat: 4, .leaveGroup: 4,
            .syncGroup: 4, .describeGroups: 5, .listGroups: 3, .deleteGroups: 2, .alterPartitionReassignments: 0,
            .listPartitionReassignments: 0, .initProducerID: 2,
        ]
        for api in SupportedAPIs.all {
            #expect(api.key.description == api.name)
            if let first = flexible[api.key] {
                #expect(api.firstFlexibleVersion == first, "\(api.name)")
            } else {
                #expect(api.maxVersion < api.firstFlexibleVersion, "\(api.name)")
            }
        }
    }

    @Test func apiVersionsResponseListsTheTable() {
        let response = APIVersionsResponse.supported()
        #expect(response.errorCode == .noError)
        #expect(response.apiKeys.map(\.apiKey) == SupportedAPIs.all.map(\.key))
        #expect(APIVersionsResponse.unsupportedVersion().errorCode == .unsupportedVersion)
    }

    /// Header versions: requests use v2 only from the API's first flexible version; ApiVersions responses
    /// always use v0.
    @Test func headerVersionsFollowFlexibility() {
        #expect(RequestHeader.version(apiKey: .metadata, apiVersion: 8) == 1)
        #expect(RequestHeader.version(apiKey: .metadata, apiVersion: 9) == 2)
        #expect(RequestHeader.version(apiKey: .joinGroup, apiVersion: 5) == 1)
        #expect(RequestHeader.version(apiKey: .joinGroup, apiVersion: 6) == 2)
        #expect(RequestHeader.version(apiKey: APIKey(rawValue: 17), apiVersion: 9) == 1)
        #expect(ResponseHeader.version(apiKey: .fetch, apiVersion: 12) == 1)
        #expect(ResponseHeader.version(apiKey: .fetch, apiVersion: 11) == 0)
        #expect(ResponseHeader.version(apiKey: .apiVersions, apiVersion: 3) == 0)
    }

    @Test func flexibleHeadersRoundTrip() throws {
        let header = RequestHeader(apiKey: .metadata, apiVersion: 12, correlationID: 5, clientID: nil)
        let bytes = written { header.write(to: &$0) }
        #expect(bytes.hex == "0003000c" + "00000005" + "ffff" + "00")
        var reader = KafkaReader(bytes)
        #expect(try RequestHeader(from: &reader) == header)
        try reader.expectEnd(context: "header")
        let response = written { ResponseHeader.write(correlationID: 5, version: 1, to: &$0) }
        #expect(response.hex == "00000005" + "00")
        var responseReader = KafkaReader(response)
        #expect(try ResponseHeader.read(version: 1, from: &responseReader) == 5)
    }
}
