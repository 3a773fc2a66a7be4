/// The identity of one ensemble member (ZooKeeper's `myid`, Raft's server id).
package struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    package var rawValue: Int

    package init(rawValue: Int) { self.rawValue = rawValue }
    package init(_ value: Int) { self.rawValue = value }

    package static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { "n\(rawValue)" }
}

/// A Raft term (Raft §5.1): a logical clock that increases with every election. Keeper uses it as
/// the zxid epoch.
package struct Term: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    package var rawValue: UInt64

    package init(rawValue: UInt64) { self.rawValue = rawValue }
    package init(_ value: UInt64) { self.rawValue = value }

    package static let zero = Term(0)
    package static func < (lhs: Term, rhs: Term) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { "t\(rawValue)" }

    /// The term after this one.
    package var next: Term { Term(rawValue + 1) }
}

/// A position in the replicated log. Index 0 is the empty prefix; the first entry is at 1.
package struct LogIndex: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    package var rawValue: Int64

    package init(rawValue: Int64) { self.rawValue = rawValue }
    package init(_ value: Int64) { self.rawValue = value }

    package static let zero = LogIndex(0)
    package static func < (lhs: LogIndex, rhs: LogIndex) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { "i\(rawValue)" }

    /// The index after this one.
    package var next: LogIndex { LogIndex(rawValue + 1) }
    /// The index before this one.
    package var previous: LogIndex { LogIndex(rawValue - 1) }

    package static func + (lhs: LogIndex, rhs: Int64) -> LogIndex { LogIndex(lhs.rawValue + rhs) }
    package static func - (lhs: LogIndex, rhs: Int64) -> LogIndex { LogIndex(lhs.rawValue - rhs) }
    /// The number of positions from `rhs` to `lhs`.
    package static func - (lhs: LogIndex, rhs: LogIndex) -> Int64 { lhs.rawValue - rhs.rawValue }
}
