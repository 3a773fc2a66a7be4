import NIOCore
import Synchronization

/// `queued.max.request.bytes` shared by every connection of a broker: `QueuedRequestBytes` under a
/// lock, plus a way to wake each connection's `RequestBytesGate` on its event loop when one of its
/// waiting frames is admitted. Actions run after the lock is released.
final class RequestByteBudget: Sendable {
    typealias ConnectionID = QueuedRequestBytes.ConnectionID

    private struct State {
        var account: QueuedRequestBytes
        /// How to tell a connection that `n` of its waiting frames stopped waiting.
        var wakers: [ConnectionID: @Sendable (Int) -> Void] = [:]
    }

    private let state: Mutex<State>

    init(limit: Int, unchargedFrameSize: Int = QueuedRequestBytes.defaultUnchargedFrameSize) {
        state = Mutex(State(account: QueuedRequestBytes(limit: limit, unchargedFrameSize: unchargedFrameSize)))
    }

    /// Bytes charged now.
    var charged: Int { state.withLock { $0.account.charged } }
    /// Frames waiting for admission now.
    var waitingFrames: Int { state.withLock { $0.account.waitingFrames } }
    var limit: Int { state.withLock { $0.account.limit } }

    func connectionOpened(waker: @escaping @Sendable (Int) -> Void) -> ConnectionID {
        state.withLock { state in
            let id = state.account.connectionOpened()
            state.wakers[id] = waker
            return id
        }
    }

    func frameStarted(on connection: ConnectionID, size: Int) -> QueuedRequestBytes.Admission {
        state.withLock { $0.account.frameStarted(on: connection, size: size) }
    }

    func frameHandled(on connection: ConnectionID) {
        wake(state.withLock { state in Self.wakers(for: state.account.frameHandled(on: connection), in: state) })
    }

    func connectionClosed(_ connection: ConnectionID) {
        wake(
            state.withLock { state in
                state.wakers[connection] = nil
                return Self.wakers(for: state.account.connectionClosed(connection), in: state)
            })
    }

    private static func wakers(for resolved: [ConnectionID], in state: State) -> [(@Sendable (Int) -> Void, Int)] {
        var counts: [ConnectionID: Int] = [:]
        var order: [ConnectionID] = []
        for id in resolved {
            if counts[id] == nil { order.append(id) }
            counts[id, default: 0] += 1
        }
        return order.compactMap { id in state.wakers[id].map { ($0, counts[id] ?? 0) } }
    }

    private func wake(_ wakers: [(@Sendable (Int) -> Void, Int)]) {
        for (waker, count) in wakers { waker(count) }
    }
}

/// The NIO side of `queued.max.request.bytes`, placed between the socket and the frame decoder: it
/// charges each frame to the `RequestByteBudget` as soon as the frame's size has arrived
/// (`KafkaFrameBoundaries`), and while a frame of this connection waits for budget it holds back
/// `read()`, so NIO stops reading the socket (backpressure: the client's sends block in TCP, nothing
/// is closed). Bytes already read pass on to the decoder. When the budget admits the frame, reading
/// resumes. `KafkaListener` reports each handled frame (`RequestByteBudget.frameHandled`); closing the
/// connection releases whatever it held.
final class RequestBytesGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let budget: RequestByteBudget
    private var boundaries: KafkaFrameBoundaries
    private var connectionID: RequestByteBudget.ConnectionID?
    private var context: ChannelHandlerContext?
    /// Frames of this connection waiting for budget.
    private var waitingFrames = 0
    /// A `read()` held back while frames wait.
    private var readHeld = false

    init(budget: RequestByteBudget, maxFrameSize: Int) {
        self.budget = budget
        self.boundaries = KafkaFrameBoundaries(maxFrameSize: maxFrameSize)
    }

    /// This connection's id in the budget, once the handler is in a pipeline. Call on the event loop.
    var connection: RequestByteBudget.ConnectionID? { connectionID }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        connectionID = budget.connectionOpened { count in
            eventLoop.execute { bound.value.admitted(count) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let connectionID {
            for size in boundaries.framesStarted(in: unwrapInboundIn(data))
            where budget.frameStarted(on: connectionID, size: size) == .waiting {
                waitingFrames += 1
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if waitingFrames > 0 {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// `count` of this connection's waiting frames stopped waiting.
    private func admitted(_ count: Int) {
        waitingFrames = max(0, waitingFrames - count)
        guard waitingFrames == 0, readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    private func release() {
        guard let id = connectionID else { return }
        connectionID = nil
        waitingFrames = 0
        budget.connectionClosed(id)
    }
}

@available(*, unavailable)
extension RequestBytesGate: Sendable {}
