/// When an inbound quorum link has been silent too long: ZooKeeper gives a learner's socket a
/// read timeout of `syncLimit × tickTime` (`Learner.connectToLeader`, `LearnerHandler`); any
/// bytes read renew it, a partial frame included. Peers send a keep-alive on their outbound
/// links well within the limit, so a link reaching it is silent or half-open.
///
/// Pure: the driver reports bytes read and calls `check(now:)` every `checkIntervalMillis`, with
/// its monotonic clock in milliseconds.
///
/// Silence is only counted while this member was observing: a check that runs late (this
/// member's own event loop was busy) credits at most one interval. The late check may run before
/// the loop has read what arrived in the meantime (NIO runs every task that is due before it
/// polls sockets again), so it must not judge the peer by reads not yet done.
struct PeerLinkIdleStateMachine: Sendable {
    enum Action: Equatable, Sendable {
        case keepOpen
        /// Nothing was read for at least `idleMillis` of observed time.
        case close
    }

    let idleMillis: Int64
    /// How often the driver checks: a quarter of the limit, so a silent link is closed between
    /// `idleMillis` and `idleMillis + checkIntervalMillis` after its last byte.
    let checkIntervalMillis: Int64
    private var lastCheck: Int64
    private var heard = false
    private var silentMillis: Int64 = 0

    init(idleMillis: Int64, now: Int64) {
        self.idleMillis = max(1, idleMillis)
        self.checkIntervalMillis = max(1, self.idleMillis / 4)
        self.lastCheck = now
    }

    /// Bytes arrived on the link (any bytes: a frame still incomplete counts).
    mutating func bytesReceived() {
        heard = true
    }

    /// The periodic check.
    mutating func check(now: Int64) -> Action {
        let (elapsed, overflow) = now.subtractingReportingOverflow(lastCheck)
        lastCheck = now
        if heard {
            heard = false
            silentMillis = 0
            return .keepOpen
        }
        let credited = overflow ? 0 : min(max(0, elapsed), checkIntervalMillis)
        silentMillis = min(silentMillis + credited, idleMillis)
        return silentMillis >= idleMillis ? .close : .keepOpen
    }
}
