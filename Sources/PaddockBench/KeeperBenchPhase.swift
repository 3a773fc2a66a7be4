/// One measured phase of `paddock bench keeper`, as `zkbench.py` (shared/bench) defines them, so the
/// numbers of both tools are comparable.
package enum KeeperBenchPhase: String, Sendable, CaseIterable, Hashable {
    /// Persistent create (op 1) of `--size` bytes under the session's own parent node.
    case create
    /// setData of the nodes the create phase made (cycling over them).
    case set
    /// getData of those nodes; every reply is checked against the bytes written.
    case get
    /// exists of those nodes; the Stat must be there with the right data length.
    case exists
    /// getChildren of one node with `--children` children; the count is checked.
    case children
    /// delete of every node the create phase made.
    case delete
    /// A whole session life: connect, ephemeral create, closeSession.
    case ephemeral
    /// setData on one session until NodeDataChanged reaches another session on another member.
    case watch

    /// Share of `--ops` this phase gets (zkbench's `PHASE_SCALE`): the heavier phases get fewer.
    package var opsScale: Double {
        switch self {
        case .create, .set, .get, .exists, .delete: 1
        case .children, .watch: 0.2
        case .ephemeral: 0.1
        }
    }

    /// The op budget of this phase for a run with `ops` as `--ops` (zkbench: `max(1, int(ops * scale))`).
    package func opsBudget(forOps ops: Int) -> Int {
        max(1, Int(Double(ops) * opsScale))
    }

    /// Phases that work on the nodes the create phase made: without it every op would fail NONODE.
    package var needsCreate: Bool {
        switch self {
        case .set, .get, .exists, .delete: true
        case .create, .children, .ephemeral, .watch: false
        }
    }
}
