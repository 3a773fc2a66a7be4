import KeeperClient
import NIOCore
import Synchronization

/// Watch notifications of one session, stamped on arrival, for one waiter at a time, with a timeout.
///
/// The watch phase measures from the setData call to the NodeDataChanged at the other session. The
/// event may arrive before setData's own reply does, so it is stamped when it arrives (as zkbench
/// stamps it in `data_received`), not when the waiter gets to it.
final class WatchMailbox: Sendable {
    struct Arrival: Sendable {
        var event: WatchEvent
        var at: ContinuousClock.Instant
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Arrival?, Never>
        var timer: Scheduled<Void>
    }

    private struct State {
        var queue: [Arrival] = []
        var waiter: Waiter?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Runs the timeouts.
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Called by the task draining the session's `watchEvents()`.
    func deliver(_ arrival: Arrival) {
        let waiter: Waiter? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.queue.append(arrival)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        if let waiter {
            waiter.timer.cancel()
            waiter.continuation.resume(returning: arrival)
        }
    }

    /// Drops events that arrived late for an earlier wait (one that timed out, say).
    func discardQueued() {
        state.withLock { $0.queue.removeAll() }
    }

    /// The next event, or nil when none arrived within `timeout`. One waiter at a time.
    func next(timeout: TimeAmount) async -> Arrival? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Arrival?, Never>) in
            let ready: Arrival? = state.withLock { state in
                if !state.queue.isEmpty { return state.queue.removeFirst() }
                precondition(state.waiter == nil, "WatchMailbox has one waiter at a time")
                state.nextID += 1
                let id = state.nextID
                // Scheduled under the lock so that deliver() always finds the timer to cancel; the
                // timer itself takes the lock only when it fires, on the event loop.
                let timer = eventLoop.scheduleTask(in: timeout) { [self] in self.expire(id) }
                state.waiter = Waiter(id: id, continuation: continuation, timer: timer)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.continuation.resume(returning: nil)
    }
}
