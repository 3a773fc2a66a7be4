import Logging
import NIOCore
import NIOPosix
import ZooKeeperWire

/// Runs a `ClientConnectionStateMachine` (STYLE.md §2 "thin driver"): feeds it channel events, caller
/// requests and timer ticks, and executes the actions it returns with one `switch`.
///
/// The state machine outlives connections (a session reconnects), so the driver is not itself a
/// channel handler: each connection gets a `ClientChannelHandler` that forwards its events here,
/// tagged with the connection's generation so that late events from a closed channel are dropped.
/// Per-request continuations live here, keyed by `RequestID`, never inside actions.
///
/// Loop-bound: every method runs on `eventLoop` (callers hop there; `NIOLoopBoundBox` checks).
final class ClientConnectionDriver {
    /// A caller waiting for a `.succeed` / `.fail`.
    enum Waiter {
        case single(UnsafeContinuation<ZKResponse, any Error>, path: String?)
        case batch(BatchCollector, index: Int)
    }

    /// Collects the results of `submitBatch` and resumes its caller once all are in.
    final class BatchCollector {
        var results: [Result<ZKResponse, ZooKeeperError>?]
        var remaining: Int
        let continuation: UnsafeContinuation<[Result<ZKResponse, ZooKeeperError>], Never>

        init(count: Int, continuation: UnsafeContinuation<[Result<ZKResponse, ZooKeeperError>], Never>) {
            self.results = Array(repeating: nil, count: count)
            self.remaining = count
            self.continuation = continuation
        }

        func complete(_ index: Int, _ result: Result<ZKResponse, ZooKeeperError>) {
            results[index] = result
            remaining -= 1
            if remaining == 0 { continuation.resume(returning: results.map { $0! }) }
        }
    }

    let eventLoop: any EventLoop
    private var stateMachine: ClientConnectionStateMachine
    private var waiters: [RequestID: Waiter] = [:]
    private var nextRequestID: UInt64 = 0
    private let shared: ClientSharedState
    private var logger: Logger

    /// The handler of the current connection, once it is active.
    private var handler: ClientChannelHandler?
    /// Bumped for every connect attempt and every close: events from older channels are ignored.
    private var generation: UInt64 = 0
    private var timer: Scheduled<Void>?
    /// The member of the latest connect attempt: the one a session established next is on.
    private var attemptHost: HostAndPort?
    /// Frames written since the last flush; flushed once per event-loop tick so pipelined requests
    /// leave in one syscall.
    private var outbound: ByteBuffer
    private var flushScheduled = false

    init(stateMachine: ClientConnectionStateMachine, eventLoop: any EventLoop, shared: ClientSharedState, logger: Logger) {
        self.stateMachine = stateMachine
        self.eventLoop = eventLoop
        self.shared = shared
        self.logger = logger
        self.outbound = ByteBufferAllocator().buffer(capacity: 1024)
    }

    // MARK: - From callers

    private func makeRequestID() -> RequestID {
        nextRequestID += 1
        return RequestID(nextRequestID)
    }

    func connect(timeout: TimeAmount, _ continuation: UnsafeContinuation<ZKResponse, any Error>) {
        let id = makeRequestID()
        waiters[id] = .single(continuation, path: nil)
        run(stateMachine.connectRequested(id: id, now: .now(), timeout: timeout))
    }

    func close(_ continuation: UnsafeContinuation<ZKResponse, any Error>?) {
        var id: RequestID? = nil
        if let continuation {
            id = makeRequestID()
            waiters[id!] = .single(continuation, path: nil)
        }
        run(stateMachine.closeRequested(id: id, now: .now()))
    }

    func submit(_ request: ZKRequest, path: String?, _ continuation: UnsafeContinuation<ZKResponse, any Error>) {
        let id = makeRequestID()
        waiters[id] = .single(continuation, path: path)
        run(stateMachine.requestSubmitted(request, id: id, now: .now()))
    }

    /// Submits `requests` back to back in this order (consecutive xids when connected).
    func submitBatch(
        _ requests: [ZKRequest],
        _ continuation: UnsafeContinuation<[Result<ZKResponse, ZooKeeperError>], Never>
    ) {
        guard !requests.isEmpty else {
            continuation.resume(returning: [])
            return
        }
        let collector = BatchCollector(count: requests.count, continuation: continuation)
        let now = NIODeadline.now()
        for (index, request) in requests.enumerated() {
            let id = makeRequestID()
            waiters[id] = .batch(collector, index: index)
            run(stateMachine.requestSubmitted(request, id: id, now: now))
        }
    }

    func addAuth(_ packet: AuthPacket, _ continuation: UnsafeContinuation<ZKResponse, any Error>) {
        let id = makeRequestID()
        waiters[id] = .single(continuation, path: nil)
        run(stateMachine.authAdded(packet, id: id, now: .now()))
    }

    // MARK: - From channels

    func channelActive(_ handler: ClientChannelHandler) {
        guard handler.generation == generation, self.handler == nil else {
            handler.close()
            return
        }
        self.handler = handler
        outbound.clear()
        logger.debug("connected", metadata: ["zk.server": "\(handler.remoteDescription)"])
        run(stateMachine.connectionEstablished(now: .now()))
    }

    func channelInactive(_ handler: ClientChannelHandler) {
        guard handler.generation == generation else { return }
        logger.debug("connection closed", metadata: stateMachine.logMetadata)
        self.handler = nil
        generation += 1
        outbound.clear()
        run(stateMachine.connectionClosed(now: .now()))
    }

    func frameReceived(_ handler: ClientChannelHandler, _ frame: ByteBuffer) {
        guard handler.generation == generation else { return }
        run(stateMachine.frameReceived(frame, now: .now()))
    }

    func errorCaught(_ handler: ClientChannelHandler, _ error: any Error) {
        guard handler.generation == generation else { return }
        logger.debug("connection error", metadata: ["error": "\(error)"])
        // Closing makes channelInactive report the loss to the state machine.
        handler.close()
    }

    private func connectFailed(generation: UInt64, error: any Error) {
        guard generation == self.generation else { return }
        logger.debug("connect failed", metadata: ["error": "\(error)"])
        self.generation += 1
        run(stateMachine.connectionFailed(now: .now()))
    }

    private func timerFired() {
        timer = nil
        run(stateMachine.timerFired(now: .now()))
    }

    // MARK: - Actions

    private func run(_ actions: [ClientConnectionStateMachine.Action]) {
        // A caller resumed by this batch (close() returning) must already see the connection gone.
        if actions.contains(where: { if case .deliverSessionEvent(let event) = $0 { event != .connected } else { false } }) {
            shared.publishDisconnected()
        }
        for action in actions {
            switch action {
            case .connect(let host, let timeout):
                startConnection(to: host, timeout: timeout)
            case .sendConnectRequest(let request):
                outbound.writeZKHandshake(request)
            case .send(let xid, let request):
                logger.trace("send", metadata: ["zk.xid": "\(xid)", "zk.op": "\(request.opCode)"])
                do {
                    try ZKRequestFrame.encode(xid: xid, request: request, into: &outbound)
                } catch {
                    // Over 2 GiB: no server takes it (ZooKeeper closes on its jute.maxbuffer). The
                    // request is already pending under its xid, so drop the connection: closing
                    // makes channelInactive report the loss, and the pending requests fail with
                    // CONNECTIONLOSS, as when a server closes on an oversized request.
                    logger.debug("request too long to send, closing the connection", metadata: ["error": "\(error)"])
                    handler?.close()
                }
            case .closeChannel:
                closeChannel()
            case .scheduleTimer(let deadline):
                timer?.cancel()
                let bound = NIOLoopBound(self, eventLoop: eventLoop)
                timer = eventLoop.scheduleTask(deadline: deadline) { bound.value.timerFired() }
            case .succeed(let id, let response):
                guard let waiter = waiters.removeValue(forKey: id) else { continue }
                switch waiter {
                case .single(let continuation, _): continuation.resume(returning: response)
                case .batch(let collector, let index): collector.complete(index, .success(response))
                }
            case .fail(let id, let code):
                logger.trace("request failed", metadata: ["request": "\(id)", "error": "\(code)"])
                guard let waiter = waiters.removeValue(forKey: id) else { continue }
                switch waiter {
                case .single(let continuation, let path):
                    continuation.resume(throwing: ZooKeeperError(code: code, path: path))
                case .batch(let collector, let index):
                    collector.complete(index, .failure(ZooKeeperError(code: code)))
                }
            case .deliverWatchEvent(let event):
                shared.deliver(event)
            case .deliverSessionEvent(let event):
                logger.debug("session event", metadata: ["event": "\(event)", "zk.session_id": "\(stateMachine.sessionID)"])
                if event != .connected { shared.publishDisconnected() }
                shared.deliver(event)
            case .sessionEstablished(let id, let password, let timeout):
                logger[metadataKey: "zk.session_id"] = "\(id)"
                shared.publish(
                    sessionID: id, password: password, timeout: .nanoseconds(timeout.nanoseconds), server: attemptHost)
            case .terminate:
                timer?.cancel()
                timer = nil
                shared.finish()
                // The state machine answered every caller; anything left is a bug, but never leak a continuation.
                let leftovers = waiters
                waiters = [:]
                for (_, waiter) in leftovers.sorted(by: { $0.key < $1.key }) {
                    switch waiter {
                    case .single(let continuation, let path):
                        continuation.resume(throwing: ZooKeeperError(code: .sessionExpired, path: path))
                    case .batch(let collector, let index):
                        collector.complete(index, .failure(ZooKeeperError(code: .sessionExpired)))
                    }
                }
            }
        }
        if outbound.readableBytes > 0 { scheduleFlush() }
    }

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute { bound.value.flush() }
    }

    private func flush() {
        flushScheduled = false
        guard outbound.readableBytes > 0 else { return }
        guard let handler else {
            outbound.clear()
            return
        }
        let frames = outbound
        outbound = handler.allocator.buffer(capacity: max(1024, frames.readableBytes))
        handler.writeAndFlush(frames)
    }

    private func closeChannel() {
        generation += 1
        outbound.clear()
        if let handler {
            self.handler = nil
            handler.close()
        }
    }

    private func startConnection(to host: HostAndPort, timeout: TimeAmount) {
        generation += 1
        attemptHost = host
        let generation = self.generation
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        logger.debug("connecting", metadata: ["zk.server": "\(host)"])
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZKFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        ClientChannelHandler(driver: bound.value, generation: generation)
                    )
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: host.host, port: host.port)
            .whenComplete { result in
                let driver = bound.value
                switch result {
                case .success(let channel):
                    if generation != driver.generation { channel.close(promise: nil) }
                case .failure(let error):
                    driver.connectFailed(generation: generation, error: error)
                }
            }
    }
}

extension ByteBuffer {
    /// The handshake frame: length + ConnectRequest (no RequestHeader).
    fileprivate mutating func writeZKHandshake(_ request: ConnectRequest) {
        let lengthIndex = writerIndex
        writeInteger(Int32(0))
        let length = request.write(to: &self)
        setInteger(Int32(length), at: lengthIndex)
    }
}

@available(*, unavailable)
extension ClientConnectionDriver: Sendable {}

/// The per-connection handler: forwards reads and life-cycle events to the driver and writes the
/// frames the driver hands it.
final class ClientChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let driver: ClientConnectionDriver
    let generation: UInt64
    private var context: ChannelHandlerContext?
    private(set) var remoteDescription = "?"

    init(driver: ClientConnectionDriver, generation: UInt64) {
        self.driver = driver
        self.generation = generation
    }

    var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { activate(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    private var activated = false

    private func activate(_ context: ChannelHandlerContext) {
        guard !activated else { return }
        activated = true
        remoteDescription = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        driver.channelActive(self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.channelInactive(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.frameReceived(self, unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        driver.errorCaught(self, error)
    }

    func writeAndFlush(_ frames: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(frames), promise: nil)
    }

    func close() {
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension ClientChannelHandler: Sendable {}
