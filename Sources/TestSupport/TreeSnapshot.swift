package import ZNodeTree
package import ZooKeeperWire

/// Everything observable about a tree, for equality checks: two trees with equal snapshots answer
/// every read alike and fire the same watches (across a restart, a snapshot install, a replay).
package struct TreeSnapshot: Equatable, Sendable {
    package var nodes: [String: ZNode]
    package var sessions: [SessionID: SessionRecord]
    package var ephemerals: [SessionID: Set<String>]
    package var containers: Set<String>
    package var ttlNodes: Set<String>
    package var lastZxid: Zxid

    package init(_ tree: DataTree) {
        nodes = tree.nodes
        sessions = tree.sessions
        ephemerals = tree.ephemerals
        containers = tree.containers
        ttlNodes = tree.ttlNodes
        lastZxid = tree.lastZxid
    }
}
