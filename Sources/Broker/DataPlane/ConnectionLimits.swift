import Logging
import NIOCore
import Synchronization

/// `queued.max.requests`: permits for requests being handled, shared by every connection of a broker.
/// A connection takes one before it handles a frame and gives it back before it writes the response, so
/// a client that never reads holds none; while none is left, connections are not read (their inbound
/// buffers fill and NIO stops reading the socket).
final class RequestPermits: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(count: Int) {
        precondition(count > 0, "queued.max.requests is validated to be at least 1, got \(count)")
        self.state = Mutex(State(available: count))
    }

    /// Permits not taken.
    var available: Int { state.withLock { $0.available } }

    /// Waits for a permit; false (without one) when the task is cancelled first.
    func acquire() async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let granted: Bool? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return false }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let granted { continuation.resume(returning: granted) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Gives a permit back, to the longest waiter if there is one.
    func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: true)
    }
}

/// Lets a connection wait, before it reads its next request, until its channel is writable again: a
/// client that does not read its responses is not read either (Kafka mutes a channel until its response
/// is sent), so at most one response is buffered for it.
final class WritabilityGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var waiters: [EventLoopPromise<Void>] = []

    /// Succeeds once the channel is writable or closed. Call on the channel's event loop.
    func whenWritable(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard channel.isActive, !channel.isWritable else { return channel.eventLoop.makeSucceededVoidFuture() }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        waiters.append(promise)
        return promise.futureResult
    }

    private func resumeAll() {
        let waiting = waiters
        waiters = []
        for promise in waiting { promise.succeed() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { resumeAll() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        resumeAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resumeAll()
    }
}

/// Closes a connection, with one log line, on `IdleStateHandler`'s event (`connections.max.idle.ms`).
final class IdleCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else { return context.fireUserInboundEventTriggered(event) }
        logger.info(
            "closing idle kafka connection",
            metadata: ["kafka.remote": "\(context.channel.remoteAddress?.description ?? "unknown")"])
        context.close(promise: nil)
    }
}
