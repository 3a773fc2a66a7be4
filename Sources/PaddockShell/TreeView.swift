package import JSON
package import ZooKeeperWire

/// A subtree as `tree` shows it: every node with its data size, child count and ephemeral owner.
package struct TreeNode: Sendable {
    package var path: String
    package var stat: Stat
    package var children: [TreeNode]
    /// Children exist below the depth limit (or the node budget) but were not read.
    package var truncated: Bool

    package init(path: String, stat: Stat, children: [TreeNode] = [], truncated: Bool = false) {
        self.path = path
        self.stat = stat
        self.children = children
        self.truncated = truncated
    }

    var name: String {
        path == "/" ? "/" : String(path[path.index(after: path.lastIndex(of: "/")!)...])
    }

    /// The subtree drawn with box characters, one node a line:
    /// `├── 1  (42 B, ephemeral 0x1000...)`.
    package func rendered() -> String {
        var lines = [path + "  " + summary]
        appendChildren(to: &lines, indent: "")
        return lines.joined(separator: "\n")
    }

    private func appendChildren(to lines: inout [String], indent: String) {
        for (index, child) in children.enumerated() {
            let last = index == children.count - 1 && !truncated
            lines.append(indent + (last ? "└── " : "├── ") + child.name + "  " + child.summary)
            child.appendChildren(to: &lines, indent: indent + (last ? "    " : "│   "))
        }
        if truncated {
            lines.append(indent + "└── … \(Int(stat.numChildren) - children.count) more")
        }
    }

    private var summary: String {
        var parts = ["\(stat.dataLength) B"]
        if stat.numChildren > 0 { parts.append(stat.numChildren == 1 ? "1 child" : "\(stat.numChildren) children") }
        if let owner = Render.ephemeralOwner(stat) { parts.append("ephemeral \(owner)") }
        if stat.ephemeralOwner == EphemeralOwner.container { parts.append("container") }
        if let ttl = EphemeralOwner.ttl(of: stat.ephemeralOwner) { parts.append("ttl \(ttl)ms") }
        return "(" + parts.joined(separator: ", ") + ")"
    }

    package var json: JSONValue {
        .object([
            ("path", .string(path)), ("dataLength", .int(stat.dataLength)),
            ("numChildren", .int(stat.numChildren)),
            ("ephemeralOwner", .optional(Render.ephemeralOwner(stat)?.description)),
            ("children", .array(children.map(\.json))), ("truncated", .bool(truncated)),
        ])
    }
}
