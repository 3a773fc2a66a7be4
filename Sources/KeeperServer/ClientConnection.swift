package import Foundation
package import ZNodeTree
import KeeperReplica
package import Logging
package import NIOCore
package import ZooKeeperWire

/// One client connection's I/O: framing, four-letter words, backpressure and writing what
/// the server rules (`ServerCore`, through `ReplicaDriver`) answer.
///
/// The rules, FIFO reply order included, live in the core: this handler decodes frames into
/// core inputs and writes replies, notifications and ConnectResponses as the driver hands them
/// over. Bounded per connection (`ClientLimits`): queued requests (`globalOutstandingLimit`) and
/// unread output (the channel's write-buffer water marks) both stop reading from the socket until
/// they drain; replies wait while the channel is not writable; a connection without a session
/// is closed after `zookeeper.nio.sessionlessCnxnTimeout`.
package final class ClientConnection: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ZKServerInbound
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    private let driver: ReplicaDriver
    package private(set) var logger: Logger
    private let fourLetterWords: FourLetterWords
    private let limits: ClientLimits
    /// A `read` the pipeline asked for while reading was paused.
    private var readPending = false
    private var sessionlessTimer: Scheduled<Void>?
    package private(set) var id = WatcherID(rawValue: 0)
    private var context: ChannelHandlerContext?
    /// Set once this handler closes the connection: nothing more is read or written.
    private var closing = false
    private var needsFlush = false
    /// Set once a reply broke `paddock.maxReplyBytes` and the connection is closing because of
    /// it: nothing more is sent.
    private var replyRefused = false

    package let remoteHost: String
    package let remoteDescription: String
    package let established = Date()
    package private(set) var received: Int64 = 0
    package private(set) var sent: Int64 = 0
    package private(set) var lastOp = "NA"
    package private(set) var lastXid: Int32 = -1
    package private(set) var lastZxid: Zxid = .zero
    package private(set) var latency = LatencyStats()
    package var sessionID: SessionID? { driver.core.client(id)?.session }
    package var queuedCount: Int { driver.core.client(id)?.queuedCount ?? 0 }

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
        guard context != nil else { return }
        driver.sessionlessTimeout(id)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        sessionlessTimer?.cancel()
        sessionlessTimer = nil
        closing = true
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
        return queuedCount >= limits.outstandingRequests || !context.channel.isWritable
    }

    package func read(context: ChannelHandlerContext) {
        if readingPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        driver.writabilityChanged(id, writable: context.channel.isWritable)
        flushIfNeeded()
        resumeReadingIfPossible()
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfPossible() {
        guard readPending, !readingPaused, let context else { return }
        readPending = false
        context.read()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .fourLetterWord(let word):
            let text = fourLetterWords.respond(to: word, driver: driver)
            var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            closing = true
            context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .frame(var frame):
            received += 1
            driver.stats.packetsReceived += 1
            if driver.expectsConnect(id) {
                do {
                    driver.connectReceived(id, try ConnectRequest(from: &frame))
                } catch {
                    logger.info("malformed connect request", metadata: ["error": "\(error)"])
                    driver.malformedConnect(id)
                }
            } else {
                handleRequest(frame)
            }
            resumeReadingIfPossible()
        }
    }

    private func handleRequest(_ frame: ByteBuffer) {
        let xid: Xid
        let request: ZKRequest
        do {
            (xid, request) = try ZKRequestFrame.decode(frame)
        } catch .unknownOpCode(let rawXid, let opCode) {
            driver.unknownOpCode(id, xid: Xid(rawXid), opCode: opCode)
            return
        } catch {
            if frame.readableBytes >= 8, let rawXid = frame.getInteger(at: frame.readerIndex, as: Int32.self) {
                logger.debug("malformed request", metadata: ["error": "\(error)"])
                driver.malformedRequest(id, xid: Xid(rawXid))
            } else {
                logger.info("malformed request header", metadata: ["error": "\(error)"])
                driver.malformedRequest(id, xid: nil)
            }
            return
        }
        lastOp = Self.shortName(request.opCode)
        lastXid = xid.rawValue
        driver.requestReceived(id, xid: xid, request)
    }

    // MARK: - From the driver

    package func sendConnectResponse(_ response: ConnectResponse) {
        guard let context else { return }
        if response.sessionID != .none { logger[metadataKey: "zk.session_id"] = "\(response.sessionID)" }
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

    package func sendNotification(_ event: WatcherEvent, zxid: Zxid) {
        guard let context, !closing, !replyRefused else { return }
        var buffer = context.channel.allocator.buffer(capacity: 32 + event.path.utf8.count)
        do {
            try ZKReplyFrame.encodeNotification(event, zxid: zxid, into: &buffer)
        } catch {
            logger.info("closing client connection: notification too long", metadata: ["error": "\(error)"])
            refuse()
            close()
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
        sent += 1
        driver.stats.packetsSent += 1
        scheduleFlush()
    }

    package func sendReply(header: ReplyHeader, response: ZKResponse?, latencyMillis: Int64?) {
        guard let context, !replyRefused else { return }
        let maxReplyBytes = driver.config.maxReplyBytes
        let size = ReplyHeader.encodedSize + (header.err == .ok ? response?.encodedSize ?? 0 : 0)
        guard size <= maxReplyBytes else {
            // Reads share the tree's bytes, so the reply's size is known before it is copied into a frame.
            logger.warning(
                "closing client connection: reply too large",
                metadata: [
                    "zk.xid": "\(header.xid.rawValue)", "bytes": "\(size)", "max_reply_bytes": "\(maxReplyBytes)",
                ])
            refuse()
            closeAfterFlush()
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try ZKReplyFrame.encode(header: header, response: response, maxLength: maxReplyBytes, into: &buffer)
        } catch {
            // Not reached (checked above); the encoder sizes every reply itself, so none can trap.
            logger.warning("closing client connection: reply not encodable", metadata: ["error": "\(error)"])
            refuse()
            closeAfterFlush()
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
        sent += 1
        driver.stats.packetsSent += 1
        if header.zxid.rawValue > 0 { lastZxid = header.zxid }
        if let latencyMillis {
            latency.record(latencyMillis)
            driver.stats.latency.record(latencyMillis)
        }
        scheduleFlush()
        resumeReadingIfPossible()
    }

    private func refuse() {
        replyRefused = true
        driver.connectionRefused(id)
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
        closing = true
        context.close(promise: nil)
    }

    /// Closes once everything written so far has left.
    package func closeAfterFlush() {
        guard let context else { return }
        closing = true
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
