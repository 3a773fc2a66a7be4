import KafkaWire
import NIOCore
import NIOPosix

/// A minimal Kafka client for loopback tests, built on KafkaWire's client-direction codecs: one
/// connection, one request at a time, responses matched by correlation id.
final class KafkaTestClient {
    enum Failure: Error, CustomStringConvertible {
        case connectionClosed
        case correlationMismatch(expected: Int32, got: Int32)
        case unexpectedResponse(String)

        var description: String {
            switch self {
            case .connectionClosed: "the broker closed the connection"
            case .correlationMismatch(let expected, let got): "expected correlation id \(expected), got \(got)"
            case .unexpectedResponse(let what): "unexpected response: \(what)"
            }
        }
    }

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var nextCorrelationID: Int32 = 1

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Connects to `127.0.0.1:port`, runs `body`, and closes the connection.
    static func with<Result: Sendable>(
        port: Int, _ body: (KafkaTestClient) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(KafkaTestClient(inbound: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }

    /// Sends `request` at `version` and returns the broker's response.
    func send(_ request: KafkaRequest, version: Int16) async throws -> KafkaResponse {
        let correlationID = try await write(request, version: version)
        guard let frame = try await inbound.next() else { throw Failure.connectionClosed }
        let (received, response) = try KafkaResponseFrame.decode(frame, apiKey: request.apiKey, version: version)
        guard received == correlationID else {
            throw Failure.correlationMismatch(expected: correlationID, got: received)
        }
        return response
    }

    /// Sends `request` without waiting for a response (Produce with acks=0).
    func sendWithoutResponse(_ request: KafkaRequest, version: Int16) async throws {
        _ = try await write(request, version: version)
    }

    /// Sends raw bytes (malformed input); then `isClosedByBroker()` tells whether the broker hung up.
    func sendRaw(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
    }

    /// Reads the next response frame as `apiKey` at `version` (after `sendRaw`).
    func receive(apiKey: APIKey, version: Int16) async throws -> (correlationID: Int32, response: KafkaResponse) {
        guard let frame = try await inbound.next() else { throw Failure.connectionClosed }
        return try KafkaResponseFrame.decode(frame, apiKey: apiKey, version: version)
    }

    /// Waits for the next frame; true when the broker closed the connection instead of answering.
    func isClosedByBroker() async -> Bool {
        do {
            return try await inbound.next() == nil
        } catch {
            return true  // a reset is a close too
        }
    }

    private func write(_ request: KafkaRequest, version: Int16) async throws -> Int32 {
        let correlationID = nextCorrelationID
        nextCorrelationID += 1
        var buffer = ByteBuffer()
        KafkaRequestFrame.encode(
            request, version: version, correlationID: correlationID, clientID: "paddock-test", into: &buffer)
        try await outbound.write(buffer)
        return correlationID
    }

    // MARK: - Typed helpers

    func metadata(
        _ topics: [String]?, version: Int16 = 7, allowAutoCreation: Bool = true
    ) async throws -> MetadataResponse {
        let request = MetadataRequest(
            topics: topics?.map { .init(name: $0) }, allowAutoTopicCreation: allowAutoCreation)
        guard case .metadata(let response) = try await send(.metadata(request), version: version) else {
            throw Failure.unexpectedResponse("not Metadata")
        }
        return response
    }

    /// Produces `batch` to one partition; the partition's response.
    func produce(
        _ batch: ByteBuffer, topic: String, partition: Int32 = 0, acks: Int16 = 1, version: Int16 = 8
    ) async throws -> ProduceResponse.PartitionResponse {
        let request = ProduceRequest(
            acks: acks, timeoutMs: 5000,
            topicData: [.init(name: topic, partitionData: [.init(index: partition, records: batch)])])
        guard case .produce(let response) = try await send(.produce(request), version: version),
            let answer = response.responses.first?.partitionResponses.first
        else { throw Failure.unexpectedResponse("not a Produce answer for \(topic)-\(partition)") }
        return answer
    }

    /// Fetches one partition from `offset`; the partition's data.
    func fetch(
        topic: String, partition: Int32 = 0, offset: Int64, maxWaitMs: Int32 = 0, minBytes: Int32 = 0,
        partitionMaxBytes: Int32 = 1 << 20, version: Int16 = 11
    ) async throws -> FetchResponse.PartitionData {
        let request = FetchRequest(
            maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 50 << 20,
            topics: [
                .init(
                    topic: topic,
                    partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: partitionMaxBytes)]
                )
            ])
        guard case .fetch(let response) = try await send(.fetch(request), version: version),
            let answer = response.responses.first?.partitions.first
        else { throw Failure.unexpectedResponse("not a Fetch answer for \(topic)-\(partition)") }
        return answer
    }

    /// ListOffsets for one partition at `timestamp` (-1 latest, -2 earliest).
    func listOffset(
        topic: String, partition: Int32 = 0, timestamp: Int64, version: Int16 = 5
    ) async throws -> ListOffsetsResponse.Partition {
        let request = ListOffsetsRequest(topics: [
            .init(name: topic, partitions: [.init(partitionIndex: partition, timestamp: timestamp)])
        ])
        guard case .listOffsets(let response) = try await send(.listOffsets(request), version: version),
            let answer = response.topics.first?.partitions.first
        else { throw Failure.unexpectedResponse("not a ListOffsets answer") }
        return answer
    }
}

/// Record batches for tests.
enum TestBatches {
    /// An uncompressed batch of `values`, one record each, stamped `timestamp`.
    static func batch(_ values: [String], timestamp: Int64 = 1_700_000_000_000) -> ByteBuffer {
        UncompressedRecordBatch.encode(
            records: values.enumerated().map {
                BatchRecord(offsetDelta: Int32($0.offset), value: ByteBuffer(string: $0.element))
            },
            baseTimestamp: timestamp)
    }

    /// The record values of every batch in `records`, with each record's offset.
    static func values(in records: ByteBuffer?) throws -> [(offset: Int64, value: String)] {
        guard let records else { return [] }
        var result: [(Int64, String)] = []
        var position = records.readerIndex
        while position < records.writerIndex {
            let header = try RecordBatchHeader(verifying: records, at: position)
            for record in try UncompressedRecordBatch.records(in: records, at: position) {
                result.append(
                    (header.baseOffset + Int64(record.offsetDelta), record.value.map { String(buffer: $0) } ?? ""))
            }
            position += header.totalSize
        }
        return result
    }
}
