import NIOCore

/// The in-memory log of one member: a snapshot marker followed by the entries after it, with the
/// bookkeeping of what is durable, committed and applied (etcd's `raftLog` + `unstable`).
///
/// Invariants: `snapshotIndex <= applied <= applying <= committed <= lastIndex`, and
/// `snapshotIndex + 1 <= unstableOffset <= inProgressOffset <= lastIndex + 1`.
struct RaftLog: Sendable {
    /// The index and term the log was compacted (or a snapshot installed) through.
    private(set) var snapshotIndex: LogIndex
    private(set) var snapshotTerm: Term
    /// `entries[k].index == snapshotIndex + 1 + k`.
    private(set) var entries: [LogEntry]
    /// The first index not yet known durable.
    private(set) var unstableOffset: LogIndex
    /// The first index not yet handed to the driver in a `Ready` (entries from `unstableOffset`
    /// up to here are being written; etcd's `offsetInProgress`).
    private(set) var inProgressOffset: LogIndex
    /// A received snapshot not yet handed to the driver in a `Ready`.
    var pendingSnapshot: SnapshotMetadata?
    private(set) var committed: LogIndex
    /// Applied by the application (acknowledged through `advance()`).
    var applied: LogIndex
    /// Handed out in `Ready.committed` (possibly not acknowledged yet).
    var applying: LogIndex

    init(snapshot: SnapshotMetadata?, entries: [LogEntry], committed: LogIndex, applied: LogIndex?) {
        // `PersistedRaftState.validate(members:)` has checked what a file could break.
        let snapshotIndex = snapshot?.index ?? .zero
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshot?.term ?? .zero
        for (k, entry) in entries.enumerated() {
            precondition(
                entry.index == snapshotIndex + Int64(k + 1),
                "persisted entries not contiguous after snapshot \(snapshotIndex): entry \(k) has index \(entry.index)")
        }
        self.entries = entries
        let last = snapshotIndex + Int64(entries.count)
        self.unstableOffset = last.next
        self.inProgressOffset = last.next
        let commit = max(committed, snapshotIndex)
        precondition(commit <= last, "persisted commit \(committed) beyond the last persisted entry \(last)")
        self.committed = commit
        let applied = applied ?? snapshotIndex
        precondition(
            applied >= snapshotIndex && applied <= commit,
            "applied \(applied) outside snapshot \(snapshotIndex) ... commit \(commit)")
        self.applied = applied
        self.applying = applied
    }

    // MARK: - Queries

    var firstIndex: LogIndex { snapshotIndex.next }
    var lastIndex: LogIndex { snapshotIndex + Int64(entries.count) }
    var lastTerm: Term { entries.last?.term ?? snapshotTerm }
    /// The last index known durable.
    var stableIndex: LogIndex { unstableOffset.previous }

    /// The term of the entry at `index`: the snapshot term at the snapshot index, `nil` when
    /// compacted away or beyond the end.
    func term(at index: LogIndex) -> Term? {
        if index == snapshotIndex { return snapshotTerm }
        if index < snapshotIndex || index > lastIndex { return nil }
        return entries[Int(index - snapshotIndex) - 1].term
    }

    func matchTerm(_ index: LogIndex, _ term: Term) -> Bool {
        self.term(at: index) == term
    }

    /// Raft §5.4.1: a candidate's log is at least as up to date as ours.
    func isUpToDate(lastIndex: LogIndex, lastTerm: Term) -> Bool {
        lastTerm > self.lastTerm || (lastTerm == self.lastTerm && lastIndex >= self.lastIndex)
    }

    /// Entries in `from ..< min(from + maxCount, lastIndex + 1)`; empty when `from` is compacted.
    /// With `maxBytes`, stops before the entry that would take the payloads past it, but always
    /// returns at least one entry (an entry larger than the limit goes alone).
    func entries(from: LogIndex, maxCount: Int, maxBytes: Int = .max) -> [LogEntry] {
        guard from >= firstIndex, from <= lastIndex, maxCount > 0 else { return [] }
        let start = Int(from - snapshotIndex) - 1
        var end = min(entries.count, start + maxCount)
        var bytes = 0
        for k in start..<end {
            let (sum, overflow) = bytes.addingReportingOverflow(entries[k].payload.readableBytes)
            bytes = overflow ? .max : sum
            if bytes > maxBytes && k > start {
                end = k
                break
            }
        }
        return Array(entries[start..<end])
    }

    /// Entries in `from ... through`, all of which must be held.
    func entries(from: LogIndex, through: LogIndex) -> [LogEntry] {
        guard from <= through else { return [] }
        precondition(
            from >= firstIndex && through <= lastIndex,
            "entries \(from)...\(through) not held (first \(firstIndex), last \(lastIndex))")
        let start = Int(from - snapshotIndex) - 1
        return Array(entries[start..<(start + Int(through - from) + 1)])
    }

    /// Entries not yet handed to the driver.
    var entriesToPersist: [LogEntry] {
        entries(from: inProgressOffset, through: lastIndex)
    }

    /// The driver now holds every entry through the last one (in a `Ready` being written).
    mutating func acceptInProgress() {
        inProgressOffset = lastIndex.next
    }

    /// The first entry whose term disagrees with ours (or that we lack), if any.
    func findConflict(_ incoming: [LogEntry]) -> LogIndex? {
        for entry in incoming where !matchTerm(entry.index, entry.term) {
            return entry.index
        }
        return nil
    }

    /// The largest index `<= index` whose term is `<= term` (etcd `findConflictByTerm`): every
    /// entry after it in our log has a larger term than the leader's entry at `index`, so none of
    /// them can match.
    func findConflictByTerm(index: LogIndex, term: Term) -> LogIndex {
        var i = min(index, lastIndex)
        while i > snapshotIndex {
            if let t = self.term(at: i), t <= term { return i }
            i = i.previous
        }
        return i
    }

    // MARK: - Mutations

    /// Follower side of AppendEntries (§5.3): if our log holds `prevIndex` with `prevTerm`, append
    /// the new entries (truncating a conflicting suffix), advance the commit index, and return
    /// the index of the last entry the message covers.
    mutating func maybeAppend(
        prevIndex: LogIndex, prevTerm: Term, entries incoming: [LogEntry], leaderCommit: LogIndex
    ) -> LogIndex? {
        guard matchTerm(prevIndex, prevTerm) else { return nil }
        let lastNew = prevIndex + Int64(incoming.count)
        if let conflict = findConflict(incoming) {
            precondition(
                conflict > committed,
                "entry \(conflict) conflicts with the committed prefix (commit \(committed))")
            append(Array(incoming[(Int(conflict - prevIndex) - 1)...]))
        }
        commit(to: min(leaderCommit, lastNew))
        return lastNew
    }

    /// Appends `newEntries`, first dropping any entries at or after `newEntries[0].index`.
    mutating func append(_ newEntries: [LogEntry]) {
        guard let first = newEntries.first else { return }
        precondition(
            first.index > committed && first.index <= lastIndex.next,
            "append at \(first.index) with commit \(committed), last \(lastIndex)")
        if first.index <= lastIndex {
            entries.removeSubrange((Int(first.index - snapshotIndex) - 1)...)
            unstableOffset = min(unstableOffset, first.index)
            inProgressOffset = min(inProgressOffset, first.index)
        }
        entries.append(contentsOf: newEntries)
    }

    mutating func commit(to index: LogIndex) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
        committed = index
    }

    /// Entries up to `index` with term `term` are durable (the `Ready` holding them was advanced).
    /// Ignored if the log changed under that `Ready` (the entry at `index` was replaced).
    mutating func stable(through index: LogIndex, term: Term) {
        guard matchTerm(index, term), index >= unstableOffset else { return }
        unstableOffset = index.next
        inProgressOffset = max(inProgressOffset, unstableOffset)
    }

    /// Drops entries through `index`, which the application holds in a snapshot.
    mutating func compact(through index: LogIndex) {
        guard index > snapshotIndex else { return }
        precondition(index <= applied, "compact through \(index) beyond applied \(applied)")
        guard let term = term(at: index) else { preconditionFailure("compact through \(index): no entry") }
        entries.removeFirst(Int(index - snapshotIndex))
        snapshotIndex = index
        snapshotTerm = term
        unstableOffset = max(unstableOffset, index.next)
        inProgressOffset = max(inProgressOffset, unstableOffset)
    }

    /// Replaces the whole log by a received snapshot (§7).
    mutating func restore(_ snapshot: SnapshotMetadata) {
        entries = []
        snapshotIndex = snapshot.index
        snapshotTerm = snapshot.term
        unstableOffset = snapshot.index.next
        inProgressOffset = unstableOffset
        committed = snapshot.index
        applying = max(applying, snapshot.index)
        pendingSnapshot = snapshot
    }
}
