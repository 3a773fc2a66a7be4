public import Logging
public import NIOCore
public import NIOPosix
public import ZooKeeperWire

/// An asynchronous ZooKeeper client for Paddock (and any ZooKeeper 3.5+ server).
///
/// ```swift
/// let client = try ZooKeeperClient(connectString: "10.0.0.1:2181,10.0.0.2:2181/app")
/// try await client.connect()
/// let path = try await client.create("/lock-", data: [], mode: .ephemeralSequential)
/// try await client.close()
/// ```
///
/// Semantics follow the Java client (`ClientCnxn`):
/// - Requests are pipelined on one connection; replies come back in order.
/// - When the connection drops, requests in flight fail with `.connectionLoss` (they may or may not
///   have been applied) and the client reconnects to the next host with the same session; watches
///   set with `watch: true` and by `addWatch` are re-registered, credentials added with `addAuth`
///   are replayed. Requests submitted while reconnecting are sent once connected.
/// - If the cluster expired the session, every request fails with `.sessionExpired`, the session
///   stream yields `.expired`, and the client stops: create a new client for a new session.
/// - Watch notifications for every watch this client set go to every `watchEvents()` stream.
///
/// Thread-safe. Swift task cancellation does not cancel a request already submitted (ZooKeeper has
/// no way to recall one).
public final class ZooKeeperClient: Sendable {
    /// The connect string as given.
    public let connectString: String
    /// The session timeout asked for; the server may negotiate another (`negotiatedTimeout`).
    public let requestedSessionTimeout: Duration

    private let eventLoop: any EventLoop
    private let driver: NIOLoopBoundBox<ClientConnectionDriver>
    private let shared: ClientSharedState

    /// - Parameters:
    ///   - connectString: `host:port[,host:port…][/chroot]`. Hosts are tried in a random order, fixed
    ///     once here, as ZooKeeper's `StaticHostProvider` does.
    ///   - sessionTimeout: requested session timeout; the server clamps it to its
    ///     [minSessionTimeout, maxSessionTimeout].
    /// - Throws: `ZooKeeperError(.badArguments)` for a malformed connect string.
    public convenience init(
        connectString: String,
        sessionTimeout: Duration = .seconds(10),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "KeeperClient")
    ) throws {
        let parsed = try ConnectString(parsing: connectString)
        var hosts = parsed.hosts
        var random = SystemRandomNumberGenerator()
        hosts.shuffle(using: &random)
        try self.init(
            connectString: connectString,
            hosts: hosts,
            chroot: parsed.chroot,
            sessionTimeout: sessionTimeout,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    /// Hosts in the given order (no shuffle): for tests that need a deterministic order.
    package init(
        connectString: String,
        hosts: [HostAndPort],
        chroot: Chroot,
        sessionTimeout: Duration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        reconnectBackoff: TimeAmount = .milliseconds(250)
    ) throws {
        let timeoutNanos = Self.nanoseconds(sessionTimeout)
        guard timeoutNanos >= 1_000_000 else { throw ZooKeeperError(code: .badArguments) }
        self.connectString = connectString
        self.requestedSessionTimeout = sessionTimeout
        let eventLoop = eventLoopGroup.next()
        self.eventLoop = eventLoop
        let shared = ClientSharedState()
        self.shared = shared
        let stateMachine = ClientConnectionStateMachine(
            configuration: .init(
                hosts: hosts,
                chroot: chroot,
                sessionTimeout: .nanoseconds(timeoutNanos),
                reconnectBackoff: reconnectBackoff
            )
        )
        var logger = logger
        logger[metadataKey: "zk.connect_string"] = "\(connectString)"
        self.driver = NIOLoopBoundBox.makeBoxSendingValue(
            ClientConnectionDriver(stateMachine: stateMachine, eventLoop: eventLoop, shared: shared, logger: logger),
            as: ClientConnectionDriver.self,
            eventLoop: eventLoop
        )
    }

    deinit {
        // A client dropped without close() stops reconnecting and releases its connection; the
        // session then expires on the server.
        let driver = self.driver
        eventLoop.execute { driver.value.close(nil) }
    }

    // MARK: - Session

    /// The session id, once a session was established.
    public var sessionID: SessionID? { shared.session.id }
    /// The session password (16 bytes), once a session was established. Needed only to resume a
    /// session from another process, which this client does not offer.
    public var sessionPassword: [UInt8] { shared.session.password }
    /// The session timeout the server granted, once a session was established.
    public var negotiatedTimeout: Duration? { shared.session.negotiatedTimeout }
    /// The member (`host:port`) this client is connected to; nil while connecting or reconnecting.
    public var connectedServer: String? { shared.session.server?.description }

    /// Connects and establishes the session. Returns once the handshake succeeded (on any host),
    /// trying the hosts in turn (each for session timeout / #hosts) until `timeout` has passed.
    ///
    /// - Parameter timeout: how long to keep trying; nil means the session timeout, but at least 10 s.
    /// - Throws: `.connectionLoss` when no session could be established in time (the client is then
    ///   closed), `.sessionExpired` when the client was closed.
    public func connect(timeout: Duration? = nil) async throws {
        let limit = timeout ?? max(requestedSessionTimeout, .seconds(10))
        let nanoseconds = Self.nanoseconds(limit)
        _ = try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ZKResponse, any Error>) in
            onLoop { $0.connect(timeout: .nanoseconds(nanoseconds), continuation) }
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Closes the session (closeSession: the server deletes its ephemerals and watches) and the
    /// connection. Requests submitted afterwards fail with `.sessionExpired`. Idempotent.
    public func close() async throws {
        _ = try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ZKResponse, any Error>) in
            onLoop { $0.close(continuation) }
        }
    }

    /// Watch notifications (for every watch this client set) from now on, one stream per call.
    /// The stream ends when the client closes or its session expires.
    public func watchEvents() -> AsyncStream<WatchEvent> {
        shared.watchEvents()
    }

    /// Connection and session state changes from now on, one stream per call. The stream ends after
    /// the terminal event (`.closed`, `.expired`, `.authFailed`).
    public func sessionEvents() -> AsyncStream<SessionEvent> {
        shared.sessionEvents()
    }

    // MARK: - Plumbing

    private func onLoop(_ body: @escaping @Sendable (ClientConnectionDriver) -> Void) {
        if eventLoop.inEventLoop {
            body(driver.value)
        } else {
            let driver = self.driver
            eventLoop.execute { body(driver.value) }
        }
    }

    /// Sends `request` (client paths) and waits for its reply. Errors carry `path`.
    func execute(_ request: ZKRequest, path: String?) async throws -> ZKResponse {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ZKResponse, any Error>) in
            onLoop { $0.submit(request, path: path, continuation) }
        }
    }

    /// Submits `requests` back to back, in order, in one event-loop turn (consecutive xids when
    /// connected), and waits for all replies. For pipelining benchmarks and tests.
    package func submitBatch(_ requests: [ZKRequest]) async -> [Result<ZKResponse, ZooKeeperError>] {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<[Result<ZKResponse, ZooKeeperError>], Never>) in
            onLoop { $0.submitBatch(requests, continuation) }
        }
    }

    func addAuthPacket(_ packet: AuthPacket) async throws {
        _ = try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ZKResponse, any Error>) in
            onLoop { $0.addAuth(packet, continuation) }
        }
    }
}
