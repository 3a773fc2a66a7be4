import KafkaWire
import NIOCore
import NIOPosix

/// A broker's own Kafka client connection to another broker (a follower's fetcher to its leader):
/// one request at a time, each answered within `timeout` or the connection is closed. Frames are
/// bounded by `maxFrameSize`; an answer that does not decode, or carries the wrong correlation id,
/// fails the connection.
final class KafkaClientConnection {
    enum Failure: Error, CustomStringConvertible {
        case closedOrTimedOut(Duration)
        case correlationMismatch(expected: Int32, got: Int32)
        case unexpectedResponse
        case refused(String)
        case requestTooLarge

        var description: String {
            switch self {
            case .closedOrTimedOut(let timeout): "connection closed, or no answer within \(timeout)"
            case .correlationMismatch(let expected, let got): "answer \(got) to request \(expected)"
            case .unexpectedResponse: "unexpected response type"
            case .refused(let code): "refused: \(code)"
            case .requestTooLarge: "request over 2 GiB"
            }
        }
    }

    private let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let clientID: String
    private let timeout: Duration
    private var nextCorrelationID: Int32 = 0

    private init(
        channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, clientID: String, timeout: Duration
    ) {
        self.channel = channel
        self.outbound = outbound
        self.inbound = inbound.makeAsyncIterator()
        self.clientID = clientID
        self.timeout = timeout
    }

    /// Connects, runs `body` with the connection, and closes it however `body` ends.
    static func withConnection(
        host: String, port: Int, group: any EventLoopGroup, clientID: String, timeout: Duration, maxFrameSize: Int,
        _ body: (KafkaClientConnection) async throws -> Void
    ) async throws {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(Int64(timeout.components.seconds * 1000)))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            let connection = KafkaClientConnection(
                channel: channel.channel, outbound: outbound, inbound: inbound, clientID: clientID, timeout: timeout)
            try await body(connection)
        }
    }

    /// Sends `request` at `version` and returns the answer.
    func send(_ request: KafkaRequest, version: Int16) async throws -> KafkaResponse {
        let correlationID = nextCorrelationID
        nextCorrelationID = correlationID == Int32.max ? 0 : correlationID + 1
        var frame = channel.allocator.buffer(capacity: 256)
        guard
            KafkaRequestFrame.encode(
                request, version: version, correlationID: correlationID, clientID: clientID, into: &frame)
        else { throw Failure.requestTooLarge }
        try await outbound.write(frame)
        // A late answer closes the connection, which ends the wait below.
        let channel = self.channel
        let timeout = self.timeout
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        guard let answer = try await inbound.next() else { throw Failure.closedOrTimedOut(timeout) }
        let (answeredID, response) = try KafkaResponseFrame.decode(answer, apiKey: request.apiKey, version: version)
        guard answeredID == correlationID else {
            throw Failure.correlationMismatch(expected: correlationID, got: answeredID)
        }
        return response
    }
}
