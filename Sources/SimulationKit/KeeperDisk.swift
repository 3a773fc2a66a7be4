package import Consensus
package import KeeperCore
package import KeeperReplica
import NIOCore
package import ZooKeeperWire

/// What a restarting keeper member reads back (`KeeperStorage.LoadedState`).
package struct KeeperLoadedState: Sendable {
    package var tree: DataTree
    package var appliedIndex: LogIndex
    package var appliedTerm: Term
    package var hardState: HardState
    /// Log entries after the applied index, contiguous.
    package var tail: [LogEntry]
}

/// A keeper member's simulated database (`KeeperDatabase` without SQLite): log rows, hard state,
/// tree rows and session rows, and the applied mark. Only committed batches survive a crash;
/// `load()` rebuilds exactly what `KeeperDatabase.load(config:)` would.
package struct KeeperDisk: Sendable {
    package private(set) var hardState = HardState()
    /// Log rows, sorted by index (not necessarily contiguous: `load()` refuses a gap, as the
    /// database does).
    package private(set) var log: [LogEntry] = []
    package private(set) var nodes: [String: ZNode] = [:]
    package private(set) var sessions: [SessionID: SessionRecord] = [:]
    package private(set) var appliedIndex: LogIndex = .zero
    package private(set) var appliedTerm: Term = .zero
    package private(set) var appliedZxid: Zxid = .zero
    /// Batches committed (for reports).
    package private(set) var commits = 0

    package init() {}

    package var lastIndex: LogIndex { max(log.last?.index ?? .zero, appliedIndex) }

    /// Commits `batch` atomically, in `KeeperDatabase.commit`'s order.
    package mutating func commit(_ batch: ReplicaWrite) {
        guard !batch.isEmpty else { return }
        commits += 1
        if batch.replaceTree {
            nodes = [:]
            sessions = [:]
            log = []
        }
        if let first = batch.entries.first {
            log.removeAll { $0.index >= first.index }
            log.append(contentsOf: batch.entries)
        }
        if let hard = batch.hardState { hardState = hard }
        for (path, node) in batch.nodes { nodes[path] = node }
        for (id, record) in batch.sessions { sessions[id] = record }
        if let applied = batch.applied {
            appliedIndex = applied.index
            appliedTerm = applied.term
            appliedZxid = applied.zxid
        }
        if let through = batch.compactThrough {
            log.removeAll { $0.index <= through }
        }
    }

    /// What a member starting on this disk loads; a description of the damage if it would refuse
    /// to start (a log gap, an undecodable row).
    package func load() -> Result<KeeperLoadedState, KeeperDiskError> {
        var rows = nodes.keys.sorted().map { (path: $0, node: nodes[$0]!) }
        if !rows.isEmpty {
            // As `KeeperDatabase.load`: built-in nodes without a row come from a fresh tree.
            let fresh = DataTree()
            let present = Set(rows.map(\.path))
            for path in fresh.nodes.keys.sorted() where !present.contains(path) {
                rows.append((path, fresh.nodes[path]!))
            }
        }
        var tail: [LogEntry] = []
        var last = appliedIndex
        for entry in log where entry.index > appliedIndex {
            guard entry.index == last.next else {
                return .failure(KeeperDiskError(description: "log gap: entry \(entry.index) follows \(last)"))
            }
            if entry.payload.readableBytes > 0 {
                var payload = entry.payload
                do {
                    _ = try Txn(from: &payload)
                } catch {
                    return .failure(KeeperDiskError(description: "log entry \(entry.index): \(error)"))
                }
            }
            tail.append(entry)
            last = entry.index
        }
        let tree = DataTree(restoring: rows, sessions: sessions, lastZxid: appliedZxid, config: TreeConfig())
        return .success(
            KeeperLoadedState(
                tree: tree, appliedIndex: appliedIndex, appliedTerm: appliedTerm, hardState: hardState, tail: tail))
    }
}

/// Durable state a member refuses to start from.
package struct KeeperDiskError: Error, CustomStringConvertible, Sendable {
    package var description: String
}
