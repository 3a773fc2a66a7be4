package import Consensus

/// One member's durable storage. Only what a processed `Ready` wrote survives a crash: a `Ready`
/// taken but not yet persisted is lost with the process (Kafka's `MockLog`, etcd's
/// `MemoryStorage` behind a crashable driver).
package struct FakeDisk: Sendable {
    package private(set) var hardState = HardState()
    /// The log is compacted through this snapshot (taken locally or installed from a leader).
    package private(set) var snapshot: SnapshotMetadata?
    /// Entries after `snapshot`, contiguous.
    package private(set) var entries: [LogEntry] = []
    /// The application's durable state.
    package var app = AppState()
    /// Application snapshots held, oldest first; the one `snapshot` names is always among them.
    package private(set) var appSnapshots: [AppSnapshot] = []

    package init() {}

    package var lastIndex: LogIndex { entries.last?.index ?? snapshot?.index ?? .zero }

    /// What a restarting member reads back.
    package func load() -> PersistedRaftState {
        PersistedRaftState(hardState: hardState, snapshot: snapshot, entries: entries, applied: app.appliedIndex)
    }

    /// Writes a `Ready`'s snapshot, entries and hard state, in that order. Returns a description
    /// of a contract violation (a gap in the log), if any.
    package mutating func persist(_ ready: Ready, snapshotData: AppSnapshot?) -> String? {
        if let meta = ready.snapshot {
            guard let data = snapshotData, data.metadata == meta else {
                return "Ready.snapshot \(meta) without its data"
            }
            snapshot = meta
            entries = []
            app = data.state
            appSnapshots.append(data)
        }
        if let first = ready.entries.first {
            if first.index <= lastIndex {
                let base = snapshot?.index ?? .zero
                guard first.index > base else {
                    return "Ready.entries start at \(first.index), inside the snapshot at \(base)"
                }
                entries.removeSubrange(Int(first.index - base - 1)...)
            } else if first.index != lastIndex.next {
                return "Ready.entries start at \(first.index), leaving a gap after \(lastIndex)"
            }
            entries.append(contentsOf: ready.entries)
        }
        if let hs = ready.hardState {
            hardState = hs
        }
        return nil
    }

    /// Records an application snapshot at the applied index.
    package mutating func saveAppSnapshot(_ data: AppSnapshot) {
        appSnapshots.append(data)
    }

    /// Drops the log through `data`'s index (which must be one of `appSnapshots`) and keeps only
    /// the snapshots from it on.
    package mutating func compact(to data: AppSnapshot) {
        let base = snapshot?.index ?? .zero
        guard data.metadata.index > base else { return }
        let drop = min(entries.count, Int(data.metadata.index - base))
        entries.removeFirst(drop)
        snapshot = data.metadata
        appSnapshots.removeAll { $0.metadata.index < data.metadata.index }
    }

    package func appSnapshot(at index: LogIndex) -> AppSnapshot? {
        appSnapshots.last { $0.metadata.index == index }
    }
}
