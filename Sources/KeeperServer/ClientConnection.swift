import DequeModule
package import Foundation
package import KeeperCore
package import Logging
package import NIOCore
package import ZooKeeperWire

/// One client connection: handshake, four-letter words, and per-session request ordering.
///
/// Replies leave in request order (ZooKeeper's FIFO client order): writes are submitted to the
/// replica at once (pipelined) and leave a slot in `queue`; a read is executed only when every
/// write ahead of it has been applied, which gives read-your-writes.
///
/// Bounded per connection (`ClientLimits`): queued requests (`globalOutstandingLimit`) and unread
/// output (the channel's write-buffer water marks) both stop reading from the socket until they
/// drain; reads are not answered while the channel is not writable; a connection without a session
/// is closed after `zookeeper.nio.sessionlessCnxnTimeout`.
package final class ClientConnection: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ZKServerInbound
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    private enum Slot {
        case write(Xid, reply: (ReplyHeader, ZKResponse?)?)
        case read(Xid, ZKRequest)
    }

    private enum State {
        case awaitingConnect
        case sessionPending
        case active
        case closing
    }

    private let driver: ReplicaDriver
    private var logger: Logger
    private let fourLetterWords: FourLetterWords
    private let limits: ClientLimits
    /// A `read` the pipeline asked for while reading was paused.
    private var readPending = false
    private var sessionlessTimer: Scheduled<Void>?
    package private(set) var id = WatcherID(rawValue: 0)
    private var context: ChannelHandlerContext?
    private var state = State.awaitingConnect
    private var queue = Deque<Slot>()
    private var needsFlush = false
    /// Set once a request broke a limit (a reply over `paddock.maxReplyBytes`, too many watches)
    /// and the connection is closing because of it: nothing more is answered or sent.
    private var replyRefused = false

    package private(set) var sessionID: SessionID?
    package private(set) var auth: [ZKId] = []
    package let remoteHost: String
    package let remoteDescription: String
    package let established = Date()
    package private(set) var received: Int64 = 0
    package private(set) var sent: Int64 = 0
    package private(set) var lastOp = "NA"
    package private(set) var lastXid: Int32 = -1
    package private(set) var lastZxid: Zxid = .zero
    package private(set) var latency = LatencyStats()
    package var queuedCount: Int { queue.count }

    package init(
        driver: ReplicaDriver, remote: SocketAddress?, fourLetterWords: FourLetterWords,
        limits: ClientLimits = KeeperConfiguration().clientLimits, logger: Logger
    ) {
        self.driver = driver
        self.limits = limits
        self.fourLetterWords = fourLetterWords
        self.remoteHost = remote?.ipAddress ?? "unknown"
        self.remoteDescription = remote.map { "/\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "/unknown"
        self.logger = logger
        self.logger[metadataKey: "client"] = "\(remoteDescription)"
        // ZooKeeper gives every connection its address as an "ip" identity.
        self.auth = [ZKId(scheme: "ip", id: remoteHost)]
    }

    // MARK: - Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        id = driver.register(self)
        let timeout = TimeAmount.milliseconds(Int64(limits.sessionlessTimeoutMillis))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        sessionlessTimer = context.eventLoop.scheduleTask(in: timeout) { bound.value.sessionlessTimeout() }
    }

    private func sessionlessTimeout() {
        guard sessionID == nil, context != nil else { return }
        logger.info(
            "closing client connection: no session after zookeeper.nio.sessionlessCnxnTimeout",
            metadata: ["timeout_ms": "\(limits.sessionlessTimeoutMillis)"])
        close()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        sessionlessTimer?.cancel()
        sessionlessTimer = nil
        state = .closing
        driver.connectionClosed(id)
        self.context = nil
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.info("closing client connection after bad input", metadata: ["error": "\(error)"])
        close()
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
    }

    // MARK: - Backpressure

    /// Reading pauses while too many requests are queued or the client is not reading its replies.
    private var readingPaused: Bool {
        guard let context else { return false }
        return queue.count >= limits.outstandingRequests || !context.channel.isWritable
    }

    package func read(context: ChannelHandlerContext) {
        if readingPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            drain()
            flushIfNeeded()
            resumeReadingIfPossible()
        }
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfPossible() {
        guard readPending, !readingPaused, let context else { return }
        readPending = false
        context.read()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state != .closing else { return }
        switch unwrapInboundIn(data) {
        case .fourLetterWord(let word):
            let text = fourLetterWords.respond(to: word, driver: driver)
            var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            state = .closing
            context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .frame(var frame):
            received += 1
            driver.stats.packetsReceived += 1
            if state == .awaitingConnect {
                handleConnect(&frame)
            } else {
                handleRequest(frame)
            }
        }
    }

    private func handleConnect(_ frame: inout ByteBuffer) {
        let request: ConnectRequest
        do {
            request = try ConnectRequest(from: &frame)
        } catch {
            logger.info("closing client connection: malformed connect request", metadata: ["error": "\(error)"])
            close()
            return
        }
        driver.handshake(self, request)
    }

    private func handleRequest(_ frame: ByteBuffer) {
        guard state == .active || state == .sessionPending, let session = sessionID else {
            logger.info("closing client connection: request before session established")
            close()
            return
        }
        let xid: Xid
        let request: ZKRequest
        do {
            (xid, request) = try ZKRequestFrame.decode(frame)
        } catch .unknownOpCode(let rawXid, let opCode) {
            // ZooKeeper answers server-internal op codes with its own errors, and anything else
            // with UNIMPLEMENTED followed by closing the connection.
            switch OpCode(rawValue: opCode) {
            case .createSession?:
                enqueueImmediate(Xid(rawXid), ReplyHeader(xid: Xid(rawXid), zxid: driver.lastZxid, err: .marshallingError), nil)
            case .deleteContainer?:
                enqueueImmediate(Xid(rawXid), ReplyHeader(xid: Xid(rawXid), zxid: driver.lastZxid, err: .badArguments), nil)
            default:
                logger.info("closing client connection: unknown op code", metadata: ["zk.op": "\(opCode)"])
                enqueueImmediate(Xid(rawXid), ReplyHeader(xid: Xid(rawXid), zxid: Zxid(-1), err: .unimplemented), nil)
                closeAfterFlush()
            }
            return
        } catch {
            if frame.readableBytes >= 8, let rawXid = frame.getInteger(at: frame.readerIndex, as: Int32.self) {
                logger.debug("malformed request", metadata: ["error": "\(error)"])
                enqueueImmediate(Xid(rawXid), ReplyHeader(xid: Xid(rawXid), zxid: driver.lastZxid, err: .marshallingError), nil)
            } else {
                logger.info("closing client connection: malformed request header", metadata: ["error": "\(error)"])
                close()
            }
            return
        }
        lastOp = Self.shortName(request.opCode)
        lastXid = xid.rawValue
        guard state == .sessionPending || driver.touch(session) else {
            // The session expired or is closing: ZooKeeper closes such connections.
            if case .closeSession = request {} else {
                enqueueImmediate(xid, ReplyHeader(xid: xid, zxid: driver.lastZxid, err: .sessionExpired), nil)
                closeAfterFlush()
                return
            }
            return
        }
        switch request {
        case .auth(let packet):
            // Processed on arrival, outside the ordered queue (ClientCnxn matches xid -4 apart).
            if let ids = driver.authenticate(packet) {
                var merged = auth
                for id in ids where !merged.contains(id) { merged.append(id) }
                let bytes = merged.reduce(0) { $0 + $1.scheme.utf8.count + $1.id.utf8.count }
                guard merged.count <= limits.maxAuthIds, bytes <= limits.maxAuthBytes else {
                    // Every write copies these ids into its replicated txn: keep them small.
                    logger.info(
                        "closing client connection: auth ids over paddock.maxAuthIds / paddock.maxAuthBytes",
                        metadata: ["ids": "\(merged.count)", "bytes": "\(bytes)"])
                    write(header: ReplyHeader(xid: xid, zxid: .zero, err: .authFailed), response: nil)
                    closeAfterFlush()
                    return
                }
                auth = merged
                write(header: ReplyHeader(xid: xid, zxid: .zero, err: .ok), response: nil)
            } else {
                logger.info("authentication failed", metadata: ["scheme": "\(packet.scheme)"])
                write(header: ReplyHeader(xid: xid, zxid: .zero, err: .authFailed), response: nil)
                closeAfterFlush()
            }
        case _ where request.isWrite:
            queue.append(.write(xid, reply: nil))
            driver.submitWrite(request, xid: xid, from: self)
        case .sync(let path):
            // Ordered like a write: answered once the member caught up with the leader.
            queue.append(.write(xid, reply: nil))
            driver.submitSync(path: path, xid: xid, from: self)
        default:
            queue.append(.read(xid, request))
            drain()
        }
    }

    private func enqueueImmediate(_ xid: Xid, _ header: ReplyHeader, _ response: ZKResponse?) {
        queue.append(.write(xid, reply: (header, response)))
        drain()
    }

    // MARK: - From the driver

    package func sessionPending(_ session: SessionID) {
        sessionID = session
        state = .sessionPending
    }

    package func sessionEstablished(_ session: SessionID) {
        sessionID = session
        state = .active
        logger[metadataKey: "zk.session_id"] = "\(session)"
    }

    /// Called right after the ConnectResponse is written: answers what queued up behind it.
    package func handshakeAnswered() {
        drain()
        flushIfNeeded()
    }

    package func sendConnectResponse(_ response: ConnectResponse) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 48)
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        let bodyLength = response.write(to: &buffer)
        // The password is the session's stored one; a damaged record must not trap the member.
        guard let length = Int32(exactly: bodyLength) else {
            logger.warning("closing client connection: connect response too long", metadata: ["bytes": "\(bodyLength)"])
            close()
            return
        }
        buffer.setInteger(length, at: lengthIndex)
        context.write(wrapOutboundOut(buffer), promise: nil)
        context.flush()
        sent += 1
    }

    /// The result of a write or sync this connection submitted. Results may arrive in any order
    /// (a sync can finish before an earlier write); replies still leave in request order.
    package func writeCompleted(xid: Xid, header: ReplyHeader, response: ZKResponse?) {
        guard let index = queue.firstIndex(where: { if case .write(xid, nil) = $0 { true } else { false } }) else {
            return
        }
        queue[index] = .write(xid, reply: (header, response))
        drain()
        flushIfNeeded()
    }

    package func sendNotification(_ event: WatcherEvent, zxid: Zxid) {
        guard let context, state != .closing else { return }
        var buffer = context.channel.allocator.buffer(capacity: 32 + event.path.utf8.count)
        do {
            try ZKReplyFrame.encodeNotification(event, zxid: zxid, into: &buffer)
        } catch {
            logger.info("closing client connection: notification too long", metadata: ["error": "\(error)"])
            close()
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
        sent += 1
        driver.stats.packetsSent += 1
        scheduleFlush()
    }

    /// Answers everything at the head of the queue that can be answered now.
    private func drain() {
        // Nothing is answered before the ConnectResponse of a new session has gone out.
        guard state == .active || state == .closing else { return }
        defer { resumeReadingIfPossible() }
        while let head = queue.first {
            // A client that does not read gets no more answers until it does (its requests stay
            // queued, and past `globalOutstandingLimit` nothing more is read from it).
            if replyRefused { return }
            if let context, !context.channel.isWritable { return }
            switch head {
            case .write(_, nil):
                return
            case .write(_, let reply?):
                queue.removeFirst()
                write(header: reply.0, response: reply.1)
            case .read(let xid, let request):
                queue.removeFirst()
                let start = DispatchTime.now().uptimeNanoseconds
                // nil: the request broke a limit and the connection was aborted (no reply).
                guard let (header, response) = driver.executeRead(request, xid: xid, from: self) else { return }
                write(header: header, response: response)
                let millis = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
                latency.record(millis)
                driver.stats.latency.record(millis)
            }
        }
    }

    private func write(header: ReplyHeader, response: ZKResponse?) {
        guard let context, !replyRefused else { return }
        let size = ReplyHeader.encodedSize + (header.err == .ok ? response?.encodedSize ?? 0 : 0)
        guard size <= driver.config.maxReplyBytes else {
            // Reads share the tree's bytes, so the reply's size is known before it is copied into a frame.
            logger.warning(
                "closing client connection: reply too large",
                metadata: [
                    "zk.xid": "\(header.xid.rawValue)", "bytes": "\(size)",
                    "max_reply_bytes": "\(driver.config.maxReplyBytes)",
                ])
            replyRefused = true
            closeAfterFlush()
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try ZKReplyFrame.encode(
                header: header, response: response, maxLength: driver.config.maxReplyBytes, into: &buffer)
        } catch {
            // Not reached (checked above); the encoder sizes every reply itself, so none can trap.
            logger.warning("closing client connection: reply not encodable", metadata: ["error": "\(error)"])
            replyRefused = true
            closeAfterFlush()
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
        sent += 1
        driver.stats.packetsSent += 1
        if header.zxid.rawValue > 0 { lastZxid = header.zxid }
        scheduleFlush()
    }

    private var flushScheduled = false

    /// Coalesces flushes: everything written during one loop tick leaves in one syscall.
    private func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            flushIfNeeded()
        }
    }

    private func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    /// Closes the connection now.
    package func close() {
        guard let context else { return }
        state = .closing
        context.close(promise: nil)
    }

    /// Closes now because this client broke a limit: logs `message` once, answers nothing more
    /// (the request that broke it included) and stops executing what it has queued.
    package func abort(_ message: Logger.Message, metadata: Logger.Metadata) {
        guard !replyRefused else { return }
        logger.info(message, metadata: metadata)
        replyRefused = true
        close()
    }

    /// Closes once everything written so far has left.
    package func closeAfterFlush() {
        guard let context else { return }
        state = .closing
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }

    /// ZooKeeper's short op names in `cons` (`Request.op2String`).
    static func shortName(_ op: OpCode) -> String {
        switch op {
        case .ping: "PING"
        case .getData: "GETD"
        case .setData: "SETD"
        case .create, .create2, .createContainer, .createTTL: "CREA"
        case .delete: "DELE"
        case .exists: "EXIS"
        case .getChildren, .getChildren2: "GETC"
        case .sync: "SYNC"
        case .multi: "MULT"
        case .closeSession: "CLOS"
        case .setWatches, .setWatches2: "SETW"
        default: op.description.uppercased()
        }
    }
}

@available(*, unavailable)
extension ClientConnection: Sendable {}
