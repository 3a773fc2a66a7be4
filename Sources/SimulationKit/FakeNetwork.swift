package import Consensus

/// The simulated network between members (etcd's test `network`): per-message loss, duplication
/// and random delay (which reorders), plus partitions.
package struct FakeNetwork: Sendable {
    /// Probability (per mille) that a message is lost.
    package var dropPerMille = 0
    /// Probability (per mille) that a message is delivered twice.
    package var duplicatePerMille = 0
    /// Delivery delay in simulation steps (a tick is `RaftSimulation.stepsPerTick` steps).
    package var minDelay: Int64 = 1
    package var maxDelay: Int64 = 8
    /// Probability (per mille) that a message is held back much longer (up to `longDelay`).
    package var longDelayPerMille = 0
    package var longDelay: Int64 = 60

    /// Partition group per member; members in different groups can't talk.
    private var groups: [NodeID: Int] = [:]
    /// Individually cut directed links.
    private var cut: Set<Link> = []

    private struct Link: Hashable, Sendable {
        var from: NodeID
        var to: NodeID
    }

    package init() {}

    package func connected(_ a: NodeID, _ b: NodeID) -> Bool {
        (groups[a] ?? 0) == (groups[b] ?? 0) && !cut.contains(Link(from: a, to: b))
    }

    /// Splits the members into groups that can't reach each other; unlisted members join group 0.
    package mutating func partition(_ partition: [[NodeID]]) {
        groups = [:]
        for (g, members) in partition.enumerated() {
            for m in members { groups[m] = g + 1 }
        }
    }

    /// Cuts `node` off from everybody.
    package mutating func isolate(_ node: NodeID) {
        groups[node] = -1 - node.rawValue
    }

    /// Cuts the directed link `from -> to`.
    package mutating func cut(from: NodeID, to: NodeID) {
        cut.insert(Link(from: from, to: to))
    }

    /// Restores full connectivity.
    package mutating func heal() {
        groups = [:]
        cut = []
    }

    package var isHealed: Bool { groups.isEmpty && cut.isEmpty }
}
