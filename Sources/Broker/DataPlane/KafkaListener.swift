import KafkaWire
import KafkaZooKeeper
import Logging
import NIOCore
import NIOPosix

/// One Kafka listener (`listeners` entry, PLAINTEXT): accepts connections and serves each in its own
/// child task (STYLE.md §2: `NIOAsyncChannel` per connection in a discarding task group).
///
/// A connection's requests are handled one at a time, in arrival order, so responses go out in
/// request order even while a Fetch waits for data (Kafka mutes a connection the same way until its
/// response is sent). A frame over `socket.request.max.bytes`, a malformed request, an unknown API key
/// or an unsupported version closes the connection with one log line, as Kafka does; the only
/// exception is ApiVersions above our range, answered with the KIP-511 v0 response. Kafka has no
/// response layout for a version it does not know, so neither do we. A response that cannot be encoded
/// (over 2 GiB) also closes the connection with one log line.
///
/// Bounded per connection (issue 11): one request handled at a time and at most `inboundFrames` more
/// decoded ahead of it; the next frame is not taken while the channel is not writable, so a client that
/// does not read holds one response; a connection idle for `connections.max.idle.ms` is closed;
/// `queued.max.requests` bounds the requests being handled across all connections; and
/// `queued.max.request.bytes` bounds the bytes of frames being received, queued or handled across all
/// connections (`RequestBytesGate`: a connection whose next frame does not fit is not read until it does).
struct KafkaListener: Sendable {
    let endpoint: Endpoint
    let handler: KafkaRequestHandler
    let maxFrameSize: Int
    let idleTimeout: TimeAmount
    let permits: RequestPermits
    let requestBytes: RequestByteBudget
    let logger: Logger

    /// Decoded frames a connection buffers ahead of the one being handled before NIO stops reading it.
    static let inboundFrames = 2

    init(
        endpoint: Endpoint, handler: KafkaRequestHandler, maxFrameSize: Int, idleTimeout: TimeAmount,
        permits: RequestPermits, requestBytes: RequestByteBudget, logger: Logger
    ) {
        self.endpoint = endpoint
        self.handler = handler
        self.maxFrameSize = maxFrameSize
        self.idleTimeout = idleTimeout
        self.permits = permits
        self.requestBytes = requestBytes
        self.logger = logger
    }

    /// Binds and serves until cancelled; throws when the address cannot be bound.
    func run(on group: any EventLoopGroup) async throws {
        let maxFrameSize = self.maxFrameSize
        let idleTimeout = self.idleTimeout
        let requestBytes = self.requestBytes
        let logger = self.logger
        let host = endpoint.host.isEmpty ? "0.0.0.0" : endpoint.host
        // Accepted channels reach the accept loop unwrapped and not reading (autoRead off): one accepted
        // while the loop ends at shutdown is dropped with nothing to finish, where a dropped, unfinished
        // NIOAsyncChannel traps. Each is wrapped, and starts reading, in its own task (`serve`).
        let server: NIOAsyncChannel<any Channel, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                .bind(host: host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                        try pipeline.addHandler(IdleCloser(logger: logger))
                        try pipeline.addHandler(WritabilityGate())
                        try pipeline.addHandler(RequestBytesGate(budget: requestBytes, maxFrameSize: maxFrameSize))
                        try pipeline.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
                        return channel
                    }
                }
        } catch {
            throw BrokerError.listenerFailed(endpoint: endpoint.description, reason: "\(error)")
        }
        logger.info("kafka listener started", metadata: ["listener": "\(endpoint)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await serve(connection) }
                }
            }
        }
    }

    private func serve(_ channel: any Channel) async {
        var logger = self.logger
        logger[metadataKey: "kafka.remote"] = "\(channel.remoteAddress?.description ?? "unknown")"
        // Kafka shows a member's host as `/` and its address (DescribeGroups, kafka-consumer-groups).
        let clientHost = "/" + (channel.remoteAddress?.ipAddress ?? "")
        let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            // On the event loop, in one go: reading starts no earlier than the next loop tick, after the
            // handlers are in place; nothing that must be finished exists until the last step succeeds.
            connection = try await channel.eventLoop.submit {
                try channel.syncOptions?.setOption(.autoRead, value: true)
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: Self.inboundFrames)))
            }.get()
        } catch {
            // Closed before it could be served (the peer went away, or shutdown).
            channel.close(promise: nil)
            return
        }
        do {
            let budgetID = try await Self.requestBytesConnection(channel)
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    guard await permits.acquire() else { return }
                    let outcome = await respond(to: frame, clientHost: clientHost, logger: logger)
                    permits.release()
                    // The request is handled: its frame's bytes no longer count (a response is not a request).
                    if let budgetID { requestBytes.frameHandled(on: budgetID) }
                    switch outcome {
                    case .send(let response):
                        try await outbound.write(response)
                        try await Self.whenWritable(channel)
                    case .nothing: continue
                    case .close: return
                    }
                }
            }
        } catch let error as KafkaWireError {
            logger.warning("closing kafka connection: bad frame", metadata: ["error": "\(error)"])
        } catch {
            logger.debug("kafka connection failed", metadata: ["error": "\(error)"])
        }
    }

    /// The connection's id in the `queued.max.request.bytes` budget (nil once it has closed).
    private static func requestBytesConnection(
        _ channel: any Channel
    ) async throws -> RequestByteBudget.ConnectionID? {
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: RequestBytesGate.self).connection
        }.get()
    }

    /// Returns once `channel` is writable again (or closed): see `WritabilityGate`.
    private static func whenWritable(_ channel: any Channel) async throws {
        try await channel.eventLoop.flatSubmit {
            do {
                return try channel.pipeline.syncOperations.handler(type: WritabilityGate.self).whenWritable(channel)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// What a connection does with one frame.
    private enum Outcome {
        case send(ByteBuffer)
        case nothing
        case close
    }

    private func respond(to frame: ByteBuffer, clientHost: String, logger: Logger) async -> Outcome {
        func encode(_ response: KafkaResponse, version: Int16, correlationID: Int32) -> ByteBuffer? {
            var buffer = ByteBuffer()
            guard KafkaResponseFrame.encode(response, version: version, correlationID: correlationID, into: &buffer)
            else { return nil }
            return buffer
        }
        switch KafkaRequestFrame.decode(frame) {
        case .request(let header, let request):
            logger.trace("kafka request", metadata: Self.metadata(header))
            let started = ContinuousClock.now
            let reply = await handler.handle(request, header: header, clientHost: clientHost)
            handler.server.metrics.requestCompleted(
                names: Self.requestMetricNames(request, header: header), version: header.apiVersion,
                milliseconds: Self.milliseconds(ContinuousClock.now - started))
            switch reply {
            case .respond(let response):
                guard let encoded = encode(response, version: header.apiVersion, correlationID: header.correlationID)
                else {
                    logger.warning(
                        "closing kafka connection: response does not fit a frame", metadata: Self.metadata(header))
                    return .close
                }
                return .send(encoded)
            case .noResponse:
                return .nothing
            case .close(let reason):
                logger.info(
                    "closing kafka connection", metadata: Self.metadata(header).merging(["reason": "\(reason)"]) { $1 })
                return .close
            }
        case .unsupportedVersion(let header) where header.apiKey == .apiVersions:
            // KIP-511: the client retries with a version from the ranges in this v0 answer.
            let answer = KafkaResponse.apiVersions(.unsupportedVersion())
            guard let encoded = encode(answer, version: 0, correlationID: header.correlationID) else { return .close }
            return .send(encoded)
        case .unsupportedVersion(let header):
            logger.warning("closing kafka connection: unsupported api version", metadata: Self.metadata(header))
            return .close
        case .unknownAPIKey(let header):
            logger.warning("closing kafka connection: unknown api key", metadata: Self.metadata(header))
            return .close
        case .malformed(let header, let error):
            var metadata = header.map(Self.metadata) ?? [:]
            metadata["error"] = "\(error)"
            logger.warning("closing kafka connection: malformed request", metadata: metadata)
            return .close
        }
    }

    /// Kafka's `RequestMetrics` names for a request (`RequestChannel.updateRequestMetrics`): the API's
    /// name, and for Fetch first `FetchFollower` (replica id ≥ 0) or `FetchConsumer`.
    static func requestMetricNames(_ request: KafkaRequest, header: RequestHeader) -> [String] {
        let name = header.apiKey.description
        guard case .fetch(let body) = request else { return [name] }
        return [body.replicaID >= 0 ? "FetchFollower" : "FetchConsumer", name]
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    private static func metadata(_ header: RequestHeader) -> Logger.Metadata {
        [
            "kafka.api_key": "\(header.apiKey)", "kafka.api_version": "\(header.apiVersion)",
            "kafka.correlation_id": "\(header.correlationID)", "kafka.client_id": "\(header.clientID ?? "")",
        ]
    }
}
