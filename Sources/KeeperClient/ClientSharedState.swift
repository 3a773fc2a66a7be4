import Synchronization
import ZooKeeperWire

/// What the driver (on its event loop) publishes and callers (anywhere) read: the session's identity
/// and the event subscribers. Locked, because both sides touch it from different threads.
final class ClientSharedState: Sendable {
    struct Session {
        var id: SessionID?
        var password: [UInt8] = []
        var negotiatedTimeout: Duration?
        /// The member the current connection goes to; nil while disconnected.
        var server: HostAndPort?
    }

    private struct Subscribers {
        var nextID: UInt64 = 0
        var watch: [UInt64: AsyncStream<WatchEvent>.Continuation] = [:]
        var session: [UInt64: AsyncStream<SessionEvent>.Continuation] = [:]
        var finished = false
    }

    private let sessionState = Mutex(Session())
    private let subscribers = Mutex(Subscribers())

    var session: Session {
        sessionState.withLock { $0 }
    }

    func publish(sessionID: SessionID, password: [UInt8], timeout: Duration, server: HostAndPort?) {
        sessionState.withLock {
            $0 = Session(id: sessionID, password: password, negotiatedTimeout: timeout, server: server)
        }
    }

    /// The connection is gone (reconnecting or closed): no member to name.
    func publishDisconnected() {
        sessionState.withLock { $0.server = nil }
    }

    // MARK: - Streams

    func watchEvents() -> AsyncStream<WatchEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .unbounded)
        let id: UInt64? = subscribers.withLock { state in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.watch[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { _ = $0.watch.removeValue(forKey: id) }
        }
        return stream
    }

    func sessionEvents() -> AsyncStream<SessionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SessionEvent.self, bufferingPolicy: .unbounded)
        let id: UInt64? = subscribers.withLock { state in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.session[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { _ = $0.session.removeValue(forKey: id) }
        }
        return stream
    }

    func deliver(_ event: WatchEvent) {
        // Yield outside the lock: a consumer's onTermination takes it.
        let targets = subscribers.withLock { Array($0.watch.values) }
        for continuation in targets { continuation.yield(event) }
    }

    func deliver(_ event: SessionEvent) {
        let targets = subscribers.withLock { Array($0.session.values) }
        for continuation in targets { continuation.yield(event) }
    }

    /// Ends every stream; later subscriptions get finished streams.
    func finish() {
        let (watch, session) = subscribers.withLock { state in
            state.finished = true
            let result = (Array(state.watch.values), Array(state.session.values))
            state.watch = [:]
            state.session = [:]
            return result
        }
        for continuation in watch { continuation.finish() }
        for continuation in session { continuation.finish() }
    }
}
