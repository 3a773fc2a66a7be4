import KafkaWire
import NIOCore
import Testing

/// Decodes the request frames real clients sent (`ClientFixtures`) and checks their fields; encodes the
/// responses they accepted and compares the bytes.
@Suite struct ClientGoldenTests {
    /// Decodes a captured request payload, which must be a supported request.
    private func decode(_ hex: String) throws -> (RequestHeader, KafkaRequest) {
        let result = KafkaRequestFrame.decode(buffer(hex: hex))
        guard case .request(let header, let request) = result else {
            Issue.record("not a supported request: \(result)")
            throw KafkaWireError.invalidValue(field: "test", value: 0)
        }
        return (header, request)
    }

    private func encoded(_ response: KafkaResponse, version: Int16, correlationID: Int32) throws -> String {
        var frame = ByteBuffer()
        KafkaResponseFrame.encode(response, version: version, correlationID: correlationID, into: &frame)
        return try payload(ofFrame: frame).hex
    }

    private let golden = "paddock-golden"

    /// Every request payload captured from a client that the broker serves.
    static let capturedRequests: [String] = [
        ClientFixtures.kcatApiVersionsV0, ClientFixtures.kcatMetadataV4, ClientFixtures.kcatMetadataV4NoTopics,
        ClientFixtures.kcatProduceV7, ClientFixtures.kcatListOffsetsV2Earliest, ClientFixtures.kcatListOffsetsV2Time,
        ClientFixtures.kcatFetchV11, ClientFixtures.kcatFindCoordinatorV2, ClientFixtures.kafkaPython3ApiVersionsV2,
        ClientFixtures.kafkaPython3MetadataV7, ClientFixtures.kafkaPython3InitProducerIDV1,
        ClientFixtures.kafkaPython3ProduceV8, ClientFixtures.kafkaPython3ListOffsetsV5,
        ClientFixtures.kafkaPython3FetchV11, ClientFixtures.kafkaPython3CreateTopicsV4,
        ClientFixtures.kafkaPython3DescribeConfigsV3, ClientFixtures.kafkaPython3DeleteTopicsV3,
        ClientFixtures.kafkaPython3FindCoordinatorV2, ClientFixtures.kafkaPython2ApiVersionsV0,
        ClientFixtures.kafkaPython2MetadataV0, ClientFixtures.kafkaPython2MetadataV1AllTopics,
        ClientFixtures.kafkaPython2ProduceV7, ClientFixtures.kafkaPython2ListOffsetsV1,
        ClientFixtures.kafkaPython2FetchV4,
    ]

    /// Cutting a real client's request short at any byte never traps and is malformed; with one extra
    /// byte it is malformed too (leftover bytes).
    @Test(arguments: capturedRequests)
    func cutOrPaddedClientRequestsAreMalformed(hex: String) {
        let whole = buffer(hex: hex)
        for length in 0..<whole.readableBytes {
            let result = KafkaRequestFrame.decode(whole.getSlice(at: 0, length: length)!)
            guard case .malformed = result else {
                Issue.record("cut to \(length) bytes: \(result)")
                continue
            }
        }
        var padded = whole
        padded.writeInteger(UInt8(0))
        guard case .malformed(_, .trailingBytes(_, count: 1)) = KafkaRequestFrame.decode(padded) else {
            Issue.record("padded request was not rejected for its trailing byte")
            return
        }
    }

    // MARK: - ApiVersions and KIP-511

    /// librdkafka 2.0.2 and kafka-python 3.0.12 open with a flexible ApiVersions (v3, v4). The header is
    /// still readable (v2, with its tagged fields), the body is not parsed, and the answer is the v0
    /// UNSUPPORTED_VERSION response both clients accepted.
    @Test(arguments: [
        (ClientFixtures.kcatApiVersionsV3, Int16(3), "rdkafka"),
        (ClientFixtures.kafkaPython3ApiVersionsV4, 4, "paddock-golden"),
    ])
    func flexibleApiVersionsIsUnsupportedAndAnsweredPerKIP511(hex: String, version: Int16, clientID: String) throws {
        let header = RequestHeader(apiKey: .apiVersions, apiVersion: version, correlationID: 1, clientID: clientID)
        #expect(KafkaRequestFrame.decode(buffer(hex: hex)) == .unsupportedVersion(header))
        let answer = try encoded(.apiVersions(.unsupportedVersion()), version: 0, correlationID: header.correlationID)
        #expect(answer == ClientFixtures.apiVersionsUnsupportedV0Response)
    }

    /// The v3 body the KIP-511 path skips, read with the compact primitives: header v2 and compact strings
    /// as librdkafka writes them.
    @Test func kcatApiVersionsV3BodyReadsWithCompactPrimitives() throws {
        var reader = KafkaReader(buffer(hex: ClientFixtures.kcatApiVersionsV3))
        let header = try RequestHeader(from: &reader)
        #expect(header.version == 2)
        #expect(try reader.readCompactString(field: "ClientSoftwareName") == "librdkafka")
        #expect(try reader.readCompactString(field: "ClientSoftwareVersion") == "2.0.2")
        try reader.skipTaggedFields(field: "_tagged_fields")
        try reader.expectEnd(context: "ApiVersions v3")
    }

    @Test func apiVersionsRetriesDecode() throws {
        let (kcat, kcatBody) = try decode(ClientFixtures.kcatApiVersionsV0)
        #expect(kcat == RequestHeader(apiKey: .apiVersions, apiVersion: 0, correlationID: 2, clientID: "rdkafka"))
        #expect(kcatBody == .apiVersions(APIVersionsRequest()))
        let (python3, _) = try decode(ClientFixtures.kafkaPython3ApiVersionsV2)
        #expect(python3.apiVersion == 2)
        #expect(python3.clientID == golden)
        let (python2, _) = try decode(ClientFixtures.kafkaPython2ApiVersionsV0)
        #expect(python2.apiVersion == 0)
        #expect(
            try encoded(.apiVersions(.supported()), version: 2, correlationID: 2)
                == ClientFixtures.apiVersionsV2Response
        )
    }

    // MARK: - Metadata

    @Test func metadataRequestsDecode() throws {
        let (header, kcat) = try decode(ClientFixtures.kcatMetadataV4)
        #expect(header == RequestHeader(apiKey: .metadata, apiVersion: 4, correlationID: 3, clientID: "rdkafka"))
        #expect(kcat == .metadata(MetadataRequest(topics: [.init(name: golden)], allowAutoTopicCreation: true)))
        let (_, noTopics) = try decode(ClientFixtures.kcatMetadataV4NoTopics)
        #expect(noTopics == .metadata(MetadataRequest(topics: [], allowAutoTopicCreation: false)))
        let (_, python3) = try decode(ClientFixtures.kafkaPython3MetadataV7)
        #expect(python3 == .metadata(MetadataRequest(topics: [], allowAutoTopicCreation: true)))
        // kafka-python 2.0.2 asks for all topics with an empty v0 array and a null v1 array: both are nil.
        let (_, python2V0) = try decode(ClientFixtures.kafkaPython2MetadataV0)
        #expect(python2V0 == .metadata(MetadataRequest(topics: nil)))
        let (_, python2V1) = try decode(ClientFixtures.kafkaPython2MetadataV1AllTopics)
        #expect(python2V1 == .metadata(MetadataRequest(topics: nil)))
    }

    @Test func metadataResponsesMatchWhatClientsAccepted() throws {
        func response(version: Int16) -> KafkaResponse {
            .metadata(
                MetadataResponse(
                    throttleTimeMs: 0,
                    brokers: [.init(nodeID: 0, host: "127.0.0.1", port: 39093, rack: nil)],
                    clusterID: "paddock-capture",
                    controllerID: 0,
                    topics: [
                        .init(
                            errorCode: .noError,
                            name: golden,
                            isInternal: false,
                            partitions: [
                                .init(
                                    errorCode: .noError,
                                    partitionIndex: 0,
                                    leaderID: 0,
                                    leaderEpoch: 0,
                                    replicaNodes: [0],
                                    isrNodes: [0],
                                    offlineReplicas: []
                                )
                            ]
                        )
                    ]
                )
            )
        }
        #expect(try encoded(response(version: 4), version: 4, correlationID: 3) == ClientFixtures.metadataV4Response)
        #expect(try encoded(response(version: 7), version: 7, correlationID: 3) == ClientFixtures.metadataV7Response)
    }

    // MARK: - Produce

    @Test func kcatProduceV7Decodes() throws {
        let (header, request) = try decode(ClientFixtures.kcatProduceV7)
        #expect(header == RequestHeader(apiKey: .produce, apiVersion: 7, correlationID: 4, clientID: "rdkafka"))
        guard case .produce(let produce) = request else { return #expect(Bool(false), "\(request)") }
        #expect(produce.transactionalID == nil)
        #expect(produce.acks == -1)
        #expect(produce.timeoutMs == 30_000)
        #expect(produce.topicData.map(\.name) == [golden])
        let partition = try #require(produce.topicData.first?.partitionData.first)
        #expect(partition.index == 0)
        let records = try #require(partition.records)
        #expect(records.readableBytes == 85)
        // RecordBatch v2: magic byte at offset 16; the batch ends with the record's value.
        #expect(records.getInteger(at: records.readerIndex + 16, as: UInt8.self) == 2)
        #expect(records.hex.hasSuffix(ByteBuffer(string: "hello paddock").hex + "00"))
    }

    @Test func kafkaPythonProducesDecode() throws {
        let (header3, request3) = try decode(ClientFixtures.kafkaPython3ProduceV8)
        #expect(header3.apiVersion == 8)
        guard case .produce(let produce3) = request3 else { return #expect(Bool(false), "\(request3)") }
        #expect(produce3.acks == -1)
        #expect(produce3.topicData.first?.partitionData.first?.records?.readableBytes == 87)
        let (header2, request2) = try decode(ClientFixtures.kafkaPython2ProduceV7)
        #expect(header2.apiVersion == 7)
        guard case .produce(let produce2) = request2 else { return #expect(Bool(false), "\(request2)") }
        #expect(produce2.acks == 1)
        #expect(produce2.transactionalID == nil)
        #expect(produce2.topicData.first?.partitionData.first?.records?.readableBytes == 89)
    }

    @Test func produceResponsesMatchWhatClientsAccepted() throws {
        func response(baseOffset: Int64) -> KafkaResponse {
            .produce(
                ProduceResponse(
                    responses: [
                        .init(
                            name: golden,
                            partitionResponses: [
                                .init(
                                    index: 0,
                                    errorCode: .noError,
                                    baseOffset: baseOffset,
                                    logAppendTimeMs: -1,
                                    logStartOffset: 0
                                )
                            ]
                        )
                    ],
                    throttleTimeMs: 0
                )
            )
        }
        #expect(try encoded(response(baseOffset: 0), version: 7, correlationID: 4) == ClientFixtures.produceV7Response)
        #expect(try encoded(response(baseOffset: 1), version: 8, correlationID: 3) == ClientFixtures.produceV8Response)
    }

    @Test func initProducerIDRoundTripsWithKafkaPython() throws {
        let (header, request) = try decode(ClientFixtures.kafkaPython3InitProducerIDV1)
        #expect(header.apiVersion == 1)
        #expect(request == .initProducerID(InitProducerIDRequest(transactionalID: nil, transactionTimeoutMs: 0)))
        let response = InitProducerIDResponse(errorCode: .noError, producerID: 1000, producerEpoch: 0)
        #expect(
            try encoded(.initProducerID(response), version: 1, correlationID: 2)
                == ClientFixtures.initProducerIDV1Response
        )
    }

    // MARK: - Consuming

    @Test func listOffsetsRequestsDecode() throws {
        func expected(isolation: Int8, epoch: Int32 = -1, timestamp: Int64) -> KafkaRequest {
            .listOffsets(
                ListOffsetsRequest(
                    replicaID: -1,
                    isolationLevel: isolation,
                    topics: [
                        .init(
                            name: golden,
                            partitions: [.init(partitionIndex: 0, currentLeaderEpoch: epoch, timestamp: timestamp)]
                        )
                    ]
                )
            )
        }
        #expect(try decode(ClientFixtures.kcatListOffsetsV2Earliest).1 == expected(isolation: 1, timestamp: -2))
        #expect(
            try decode(ClientFixtures.kcatListOffsetsV2Time).1 == expected(isolation: 1, timestamp: 1_700_000_000_000)
        )
        #expect(try decode(ClientFixtures.kafkaPython3ListOffsetsV5).1 == expected(isolation: 0, timestamp: -2))
        #expect(try decode(ClientFixtures.kafkaPython2ListOffsetsV1).1 == expected(isolation: 0, timestamp: -2))
    }

    @Test func fetchRequestsDecode() throws {
        func expected(isolation: Int8, sessionEpoch: Int32, logStartOffset: Int64 = -1) -> KafkaRequest {
            .fetch(
                FetchRequest(
                    replicaID: -1,
                    maxWaitMs: 500,
                    minBytes: 1,
                    maxBytes: 52_428_800,
                    isolationLevel: isolation,
                    sessionID: 0,
                    sessionEpoch: sessionEpoch,
                    topics: [
                        .init(
                            topic: golden,
                            partitions: [
                                .init(
                                    partition: 0,
                                    currentLeaderEpoch: -1,
                                    fetchOffset: 0,
                                    logStartOffset: logStartOffset,
                                    partitionMaxBytes: 1_048_576
                                )
                            ]
                        )
                    ],
                    forgottenTopicsData: [],
                    rackID: ""
                )
            )
        }
        let (kcatHeader, kcat) = try decode(ClientFixtures.kcatFetchV11)
        #expect(kcatHeader.apiVersion == 11)
        #expect(kcat == expected(isolation: 1, sessionEpoch: -1))
        #expect(try decode(ClientFixtures.kafkaPython3FetchV11).1 == expected(isolation: 0, sessionEpoch: 0))
        let (python2Header, python2) = try decode(ClientFixtures.kafkaPython2FetchV4)
        #expect(python2Header.apiVersion == 4)
        #expect(python2 == expected(isolation: 0, sessionEpoch: -1))
    }

    @Test func fetchResponseMatchesWhatKcatAccepted() throws {
        let fixture = buffer(hex: ClientFixtures.fetchV11Response)
        // The record batch is the last 85 bytes of the captured response.
        let records = fixture.getSlice(at: fixture.writerIndex - 85, length: 85)
        let response = FetchResponse(
            throttleTimeMs: 0,
            errorCode: .noError,
            sessionID: 0,
            responses: [
                .init(
                    topic: golden,
                    partitions: [
                        .init(
                            partitionIndex: 0,
                            errorCode: .noError,
                            highWatermark: 1,
                            lastStableOffset: 1,
                            logStartOffset: 0,
                            abortedTransactions: nil,
                            preferredReadReplica: -1,
                            records: records
                        )
                    ]
                )
            ]
        )
        #expect(try encoded(.fetch(response), version: 11, correlationID: 6) == fixture.hex)
    }

    @Test func findCoordinatorRequestsDecode() throws {
        let expected = KafkaRequest.findCoordinator(FindCoordinatorRequest(key: "paddock-group", keyType: 0))
        #expect(try decode(ClientFixtures.kcatFindCoordinatorV2).1 == expected)
        #expect(try decode(ClientFixtures.kafkaPython3FindCoordinatorV2).1 == expected)
    }

    // MARK: - Admin

    @Test func createTopicsRoundTripsWithKafkaPython() throws {
        let (header, request) = try decode(ClientFixtures.kafkaPython3CreateTopicsV4)
        #expect(header.apiVersion == 4)
        let topic = CreateTopicsRequest.Topic(
            name: "paddock-new",
            numPartitions: 3,
            replicationFactor: 1,
            assignments: [],
            configs: [.init(name: "cleanup.policy", value: "compact")]
        )
        #expect(request == .createTopics(CreateTopicsRequest(topics: [topic], timeoutMs: 30_000, validateOnly: false)))
        let response = CreateTopicsResponse(topics: [.init(name: "paddock-new", errorCode: .noError)])
        #expect(
            try encoded(.createTopics(response), version: 4, correlationID: 3) == ClientFixtures.createTopicsV4Response
        )
    }

    @Test func describeConfigsRoundTripsWithKafkaPython() throws {
        let (header, request) = try decode(ClientFixtures.kafkaPython3DescribeConfigsV3)
        #expect(header.apiVersion == 3)
        let resource = DescribeConfigsRequest.Resource(resourceType: 2, resourceName: golden, configurationKeys: nil)
        #expect(
            request
                == .describeConfigs(
                    DescribeConfigsRequest(resources: [resource], includeSynonyms: false, includeDocumentation: false)
                )
        )
        let config = DescribeConfigsResponse.Config(
            name: "cleanup.policy",
            value: "delete",
            readOnly: false,
            configSource: 5,
            isSensitive: false,
            synonyms: [],
            configType: 2,
            documentation: nil
        )
        let response = DescribeConfigsResponse(
            results: [.init(errorCode: .noError, resourceType: 2, resourceName: golden, configs: [config])])
        #expect(
            try encoded(.describeConfigs(response), version: 3, correlationID: 4)
                == ClientFixtures.describeConfigsV3Response
        )
    }

    @Test func deleteTopicsDecodes() throws {
        let (header, request) = try decode(ClientFixtures.kafkaPython3DeleteTopicsV3)
        #expect(header.apiVersion == 3)
        #expect(request == .deleteTopics(DeleteTopicsRequest(topicNames: ["paddock-new"], timeoutMs: 30_000)))
    }
}
