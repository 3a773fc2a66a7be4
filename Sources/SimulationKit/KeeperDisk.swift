package import Consensus
package import ZNodeTree
package import KeeperReplica
import NIOCore
package import ZooKeeperWire

/// A keeper member's simulated storage (`KeeperDatabase` without SQLite): log rows, hard state,
/// tree rows and session rows, and the applied mark, behind the same `ReplicaStorage` contract.
/// Only committed batches survive a crash; `load(config:)` rebuilds what `KeeperDatabase` would.
package struct KeeperDisk: ReplicaStorage, Sendable {
    package private(set) var hardState = HardState()
    /// Log rows, sorted by index (not necessarily contiguous: `load()` refuses a gap, as the
    /// database does).
    package private(set) var log: [LogEntry] = []
    package private(set) var nodes: [String: ZNode] = [:]
    package private(set) var sessions: [SessionID: SessionRecord] = [:]
    package private(set) var applied = AppliedMark.zero
    /// Batches committed and checkpoints kept (for reports).
    package private(set) var commits = 0
    package private(set) var checkpoints = 0

    package init() {}

    package var appliedIndex: LogIndex { applied.index }
    package var lastIndex: LogIndex { max(log.last?.index ?? .zero, applied.index) }

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
        if let mark = batch.applied { applied = mark }
        if let through = batch.compactThrough {
            log.removeAll { $0.index <= through }
        }
    }

    /// Keeps `checkpoint` unless the disk holds rows of a later mark (a snapshot installed while
    /// it was in flight), as `KeeperDatabase.checkpoint` does; the log is compacted by a later
    /// commit (`ReplicaWrite.compactThrough`).
    package mutating func checkpoint(_ checkpoint: ReplicaCheckpoint) {
        guard checkpoint.applied.index > applied.index else { return }
        checkpoints += 1
        for (path, node) in checkpoint.nodes { nodes[path] = node }
        for (id, record) in checkpoint.sessions { sessions[id] = record }
        applied = checkpoint.applied
    }

    /// What a member starting on this disk loads; throws a description of the damage if it would
    /// refuse to start (a log gap, an undecodable row).
    package func load(config: TreeConfig) throws(KeeperDiskError) -> LoadedState {
        var rows = nodes.keys.sorted().map { (path: $0, node: nodes[$0]!) }
        if !rows.isEmpty {
            // As `KeeperDatabase.load`: built-in nodes without a row come from a fresh tree.
            let fresh = DataTree(config: config)
            let present = Set(rows.map(\.path))
            for path in fresh.nodes.keys.sorted() where !present.contains(path) {
                rows.append((path, fresh.nodes[path]!))
            }
        }
        var tail: [LogEntry] = []
        var last = applied.index
        for entry in log where entry.index > applied.index {
            guard entry.index == last.next else {
                throw KeeperDiskError(description: "log gap: entry \(entry.index) follows \(last)")
            }
            if entry.payload.readableBytes > 0 {
                var payload = entry.payload
                do {
                    _ = try Txn(from: &payload)
                } catch {
                    throw KeeperDiskError(description: "log entry \(entry.index): \(error)")
                }
            }
            tail.append(entry)
            last = entry.index
        }
        let tree = DataTree(restoring: rows, sessions: sessions, lastZxid: applied.zxid, config: config)
        return LoadedState(tree: tree, applied: applied, hardState: hardState, tail: tail, lastIndex: lastIndex)
    }
}

/// Durable state a member refuses to start from.
package struct KeeperDiskError: Error, CustomStringConvertible, Sendable {
    package var description: String
}
