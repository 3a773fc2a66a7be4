import KafkaWire
import NIOCore
import Testing

/// InitProducerId bodies (no header) as kafka-python 3.0.12 encodes them: a throwaway script built each
/// message with `kafka.protocol.producer.transaction` (generated from Kafka's JSON specs), called
/// `encode(version=…)`, checked that `decode` read it back, and printed `bytes.hex()`. Values: timeout
/// 60,000 ms, transactional id "paddock-txn", producer 4000 at epoch 2 (v3+), an answer of producer 4000
/// at epoch 3 with throttle 1, and an error answer INVALID_PRODUCER_EPOCH (47) with id and epoch -1.
/// The script is not kept.
enum InitProducerIDFixtures {
    static let idempotentRequest: [Int16: String] = [
        0: "ffff0000ea60",
        1: "ffff0000ea60",
        2: "000000ea6000",
        3: "000000ea600000000000000fa0000200",
        4: "000000ea600000000000000fa0000200",
    ]
    static let transactionalRequest: [Int16: String] = [
        0: "000b706164646f636b2d74786e0000ea60",
        1: "000b706164646f636b2d74786e0000ea60",
        2: "0c706164646f636b2d74786e0000ea6000",
        3: "0c706164646f636b2d74786e0000ea60ffffffffffffffffffff00",
        4: "0c706164646f636b2d74786e0000ea60ffffffffffffffffffff00",
    ]
    static let response: [Int16: String] = [
        0: "0000000100000000000000000fa00003",
        1: "0000000100000000000000000fa00003",
        2: "0000000100000000000000000fa0000300",
        3: "0000000100000000000000000fa0000300",
        4: "0000000100000000000000000fa0000300",
    ]
    static let errorResponse: [Int16: String] = [
        0: "00000000002fffffffffffffffffffff",
        1: "00000000002fffffffffffffffffffff",
        2: "00000000002fffffffffffffffffffff00",
        3: "00000000002fffffffffffffffffffff00",
        4: "00000000002fffffffffffffffffffff00",
    ]
}

/// InitProducerId 0–4: kafka-python's bytes decode to the values it was given and encode back byte for
/// byte at every version, v3's producer id and epoch default to -1 below v3, and cut input throws.
@Suite struct InitProducerIDTests {
    private static let versions: [Int16] = [0, 1, 2, 3, 4]

    @Test(arguments: versions)
    func idempotentRequestMatchesKafkaPython(version: Int16) throws {
        let hex = try #require(InitProducerIDFixtures.idempotentRequest[version])
        let request = InitProducerIDRequest(
            transactionalID: nil, transactionTimeoutMs: 60_000, producerID: version >= 3 ? 4000 : -1,
            producerEpoch: version >= 3 ? 2 : -1)
        try GroupMessagesTests.checkGolden(request, hex: hex, version: version)
        GroupMessagesTests.expectEveryCutThrows(as: request, whole: buffer(hex: hex), version: version)
    }

    @Test(arguments: versions)
    func transactionalRequestMatchesKafkaPython(version: Int16) throws {
        let hex = try #require(InitProducerIDFixtures.transactionalRequest[version])
        let request = InitProducerIDRequest(transactionalID: "paddock-txn", transactionTimeoutMs: 60_000)
        try GroupMessagesTests.checkGolden(request, hex: hex, version: version)
        GroupMessagesTests.expectEveryCutThrows(as: request, whole: buffer(hex: hex), version: version)
    }

    @Test(arguments: versions)
    func responsesMatchKafkaPython(version: Int16) throws {
        let answer = InitProducerIDResponse(throttleTimeMs: 1, errorCode: .noError, producerID: 4000, producerEpoch: 3)
        let hex = try #require(InitProducerIDFixtures.response[version])
        try GroupMessagesTests.checkGolden(answer, hex: hex, version: version)
        GroupMessagesTests.expectEveryCutThrows(as: answer, whole: buffer(hex: hex), version: version)
        let error = InitProducerIDResponse(errorCode: .invalidProducerEpoch, producerID: -1, producerEpoch: -1)
        try GroupMessagesTests.checkGolden(
            error, hex: try #require(InitProducerIDFixtures.errorResponse[version]), version: version)
    }

    /// Below v3 the request has no producer id or epoch: they are not written, and read back as -1.
    @Test(arguments: [Int16(0), 1, 2])
    func producerIDAndEpochAreAbsentBelowVersion3(version: Int16) throws {
        let request = InitProducerIDRequest(
            transactionalID: nil, transactionTimeoutMs: 60_000, producerID: 4000, producerEpoch: 2)
        let bytes = GroupMessagesTests.encode(request, version: version)
        #expect(bytes.hex == InitProducerIDFixtures.idempotentRequest[version])
        let decoded = try GroupMessagesTests.decode(InitProducerIDRequest.self, from: bytes, version: version)
        #expect(decoded.producerID == -1 && decoded.producerEpoch == -1)
    }

    /// A v2+ request with tagged fields it does not know is read past them.
    @Test func unknownTaggedFieldsAreSkipped() throws {
        let hex = String(InitProducerIDFixtures.idempotentRequest[3]!.dropLast(2)) + "010203616263"
        let decoded = try GroupMessagesTests.decode(InitProducerIDRequest.self, from: buffer(hex: hex), version: 3)
        #expect(
            decoded
                == InitProducerIDRequest(
                    transactionalID: nil, transactionTimeoutMs: 60_000, producerID: 4000, producerEpoch: 2))
    }
}
