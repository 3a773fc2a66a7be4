package import ZooKeeperWire

/// Decides when sessions expire (`SessionTrackerImpl` / `ExpiryQueue`). Time is an input in
/// milliseconds on a monotonic clock. Pure.
///
/// Deadlines are rounded up to the next multiple of `tickMillis`, as ZooKeeper's expiry buckets
/// are, so expiry is checked once per tick rather than per session.
package struct SessionExpiryTracker: Sendable {
    package let tickMillis: Int64
    private var deadlines: [SessionID: Int64] = [:]
    private var timeouts: [SessionID: Int64] = [:]
    /// Sessions reported as expired whose closeSession is not applied yet.
    private var closing: Set<SessionID> = []

    package init(tickMillis: Int64) {
        precondition(tickMillis > 0, "tickMillis must be positive, got \(tickMillis)")
        self.tickMillis = tickMillis
    }

    package var count: Int { timeouts.count }

    /// Starts tracking a session, or gives a known one a fresh deadline.
    package mutating func track(_ id: SessionID, timeoutMillis: Int64, now: Int64) {
        timeouts[id] = timeoutMillis
        deadlines[id] = roundUp(now + timeoutMillis)
    }

    /// Any request or ping from the session's client renews it. False when the session is unknown
    /// or already closing (the caller answers SESSIONEXPIRED).
    @discardableResult
    package mutating func touch(_ id: SessionID, now: Int64) -> Bool {
        guard let timeout = timeouts[id], !closing.contains(id) else { return false }
        deadlines[id] = max(deadlines[id] ?? 0, roundUp(now + timeout))
        return true
    }

    package func isLive(_ id: SessionID) -> Bool { timeouts[id] != nil && !closing.contains(id) }

    /// Marks the session as closing (a closeSession was proposed) so it is not expired twice.
    package mutating func markClosing(_ id: SessionID) {
        if timeouts[id] != nil { closing.insert(id) }
    }

    /// Stops tracking (its closeSession applied).
    package mutating func remove(_ id: SessionID) {
        timeouts[id] = nil
        deadlines[id] = nil
        closing.remove(id)
    }

    /// Sessions whose deadline has passed, sorted; they are marked closing.
    package mutating func expired(now: Int64) -> [SessionID] {
        var result: [SessionID] = []
        for (id, deadline) in deadlines where deadline <= now && !closing.contains(id) {
            result.append(id)
        }
        result.sort()
        for id in result { closing.insert(id) }
        return result
    }

    /// Milliseconds until `id` expires (for `cons`/`dump`), nil when unknown.
    package func remaining(_ id: SessionID, now: Int64) -> Int64? {
        deadlines[id].map { $0 - now }
    }

    private func roundUp(_ time: Int64) -> Int64 {
        (time / tickMillis + 1) * tickMillis
    }
}
