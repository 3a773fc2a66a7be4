/// An offset in a partition log: the position of a record, counted from 0 over the partition's life.
package struct LogOffset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    package var rawValue: Int64

    package init(rawValue: Int64) { self.rawValue = rawValue }
    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package init(integerLiteral value: Int64) { self.rawValue = value }

    package static func < (lhs: LogOffset, rhs: LogOffset) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { String(rawValue) }
}

/// A partition leader epoch (KIP-101): bumped by the controller at each leader change and stamped
/// into every batch the leader appends.
package struct LeaderEpoch: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    package var rawValue: Int32

    package init(rawValue: Int32) { self.rawValue = rawValue }
    package init(_ rawValue: Int32) { self.rawValue = rawValue }
    package init(integerLiteral value: Int32) { self.rawValue = value }

    package static func < (lhs: LeaderEpoch, rhs: LeaderEpoch) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { String(rawValue) }
}

/// A topic partition (Kafka's `TopicPartition`), shared by the logs and the broker: a log dir names it
/// as directory `<topic>-<partition>`, checkpoint entries as `topic partition offset`.
package struct TopicPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var topic: String
    package var partition: Int32

    package init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    package init(_ topic: String, _ partition: Int32) {
        self.init(topic: topic, partition: partition)
    }

    /// Parses `<topic>-<partition>`; the topic may itself contain `-`, so the last one splits.
    package init?(directoryName: String) {
        guard let dash = directoryName.lastIndex(of: "-") else { return nil }
        let topic = directoryName[..<dash]
        guard !topic.isEmpty, let partition = Int32(directoryName[directoryName.index(after: dash)...]),
            partition >= 0
        else { return nil }
        self.init(topic: String(topic), partition: partition)
    }

    /// The partition's directory name inside a log dir.
    package var directoryName: String { "\(topic)-\(partition)" }
    package var description: String { directoryName }

    package static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}
