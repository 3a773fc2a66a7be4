package import Consensus
package import ZNodeTree
package import ZooKeeperWire

/// How far a member's tree reflects its log: the last applied entry and the zxid it left.
package struct AppliedMark: Hashable, Sendable {
    package var index: LogIndex
    package var term: Term
    package var zxid: Zxid

    package init(index: LogIndex, term: Term, zxid: Zxid) {
        self.index = index
        self.term = term
        self.zxid = zxid
    }

    /// A member that never applied anything.
    package static let zero = AppliedMark(index: .zero, term: .zero, zxid: .zero)
}

/// What a member finds in its storage at start-up, in the replica's own types.
package struct LoadedState: Sendable {
    /// The tree as of `applied`.
    package var tree: DataTree
    package var applied: AppliedMark
    package var hardState: HardState
    /// Log entries after `applied.index`, contiguous and in order.
    package var tail: [LogEntry]
    /// The highest log index storage holds (at least `applied.index`).
    package var lastIndex: LogIndex

    package init(tree: DataTree, applied: AppliedMark, hardState: HardState, tail: [LogEntry], lastIndex: LogIndex) {
        self.tree = tree
        self.applied = applied
        self.hardState = hardState
        self.tail = tail
        self.lastIndex = lastIndex
    }
}

/// A member's durable storage, as the replica sees it: `KeeperDatabase` (SQLite) in the server,
/// `KeeperDisk` in the simulator. Both take the same `ReplicaWrite`s and load the same
/// `LoadedState`, so the simulator's crashes and restarts exercise the server's storage contract.
///
/// Blocking: a driver calls it off its event loop (`StorageDriver`), one call at a time.
package protocol ReplicaStorage {
    /// What a member starting on this storage begins from. Throws when the stored state is one no
    /// correct member writes (a log gap, an undecodable row, a negative term): refusing to start
    /// beats trapping later.
    func load(config: TreeConfig) throws -> LoadedState

    /// Makes `write` durable, atomically: after a crash either all of it or none of it is there.
    /// Entries replace the log from the first one's index on (conflict truncation); a
    /// `replaceTree` write replaces every tree row, session and log row.
    mutating func commit(_ write: ReplicaWrite) throws

    /// Makes `checkpoint`'s rows and mark durable, atomically, unless storage already holds rows
    /// of a later mark (a snapshot installed meanwhile). Runs beside `commit`, never in front of
    /// it, and leaves the log alone: a later commit drops the rows it covers.
    mutating func checkpoint(_ checkpoint: ReplicaCheckpoint) throws
}

extension ReplicaNode {
    /// A member starting from what its storage loaded.
    package init(
        configuration: ReplicaConfiguration, loaded: LoadedState, sessionTickMillis: Int64, monotonicMillis: Int64
    ) throws(MalformedConsensusInput) {
        try self.init(
            configuration: configuration, tree: loaded.tree, appliedIndex: loaded.applied.index,
            appliedTerm: loaded.applied.term, hardState: loaded.hardState, entries: loaded.tail,
            sessionTickMillis: sessionTickMillis, monotonicMillis: monotonicMillis)
    }
}
