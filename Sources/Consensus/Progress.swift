/// What a leader knows about one follower's log (etcd `tracker.Progress`).
struct Progress: Sendable {
    /// etcd's progress states: probe one append at a time until a match is found, then stream
    /// optimistically, or wait while a snapshot is in transit.
    enum State: Hashable, Sendable { case probe, replicate, snapshot }

    var match: LogIndex = .zero
    var next: LogIndex
    var state: State = .probe
    /// Probe: an append is outstanding. Replicate: the in-flight window is full.
    var paused = false
    /// Snapshot state: the index of the snapshot in transit.
    var pendingSnapshot: LogIndex = .zero
    /// Heard from within the current check-quorum period.
    var recentActive = false
    /// Last indices of in-flight appends, oldest first.
    var inflights: [LogIndex] = []
    let maxInflight: Int

    init(next: LogIndex, maxInflight: Int) {
        self.next = next
        self.maxInflight = max(1, maxInflight)
    }

    var isPaused: Bool {
        switch state {
        case .probe, .replicate: paused
        case .snapshot: true
        }
    }

    mutating func becomeProbe() {
        if state == .snapshot {
            next = max(match.next, pendingSnapshot.next)
            pendingSnapshot = .zero
        } else {
            next = match.next
        }
        state = .probe
        paused = false
        inflights = []
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match.next
        paused = false
        inflights = []
    }

    mutating func becomeSnapshot(_ index: LogIndex) {
        state = .snapshot
        pendingSnapshot = index
        paused = false
        inflights = []
    }

    /// An append carrying entries through `last` (or none) was just sent.
    mutating func sentEntries(last: LogIndex?) {
        switch state {
        case .replicate:
            if let last {
                next = last.next
                inflights.append(last)
            }
            paused = inflights.count >= maxInflight
        case .probe:
            paused = true
        case .snapshot:
            preconditionFailure("sent an append in snapshot state")
        }
    }

    /// A success for `index` arrived; returns whether it was news.
    mutating func maybeUpdate(_ index: LogIndex) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            paused = false
        }
        next = max(next, index.next)
        return updated
    }

    /// The follower no longer holds entries it acknowledged: its storage was wiped (or restored
    /// from an old copy). Raft assumes that never happens; ZooKeeper operators delete a member's
    /// dataDir to rebuild it. Forget the old match and probe from the follower's last index; if
    /// those entries are compacted away, it gets a snapshot. Lowering a match only makes commit
    /// more conservative (the commit index itself never moves back).
    mutating func restart(from lastIndex: LogIndex) {
        if state == .snapshot { pendingSnapshot = .zero }
        match = lastIndex
        next = lastIndex.next
        state = .probe
        paused = false
        inflights = []
    }

    /// A rejection of the append at `rejected` arrived with the follower's `hint`; returns
    /// whether `next` moved (false for stale rejections).
    mutating func maybeDecrease(rejected: LogIndex, hint: LogIndex) -> Bool {
        if state == .replicate {
            if rejected <= match { return false }
            next = match.next
            return true
        }
        if next.previous != rejected { return false }
        next = max(min(rejected, hint.next), match.next)
        paused = false
        return true
    }

    /// Acknowledged appends through `index` leave the window.
    mutating func freeInflights(through index: LogIndex) {
        let keep = inflights.drop { $0 <= index }
        inflights = Array(keep)
        if state == .replicate { paused = inflights.count >= maxInflight }
    }
}
