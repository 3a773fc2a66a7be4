package import ZooKeeperWire

extension DataTree {
    /// Answers a read against the current tree (`FinalRequestProcessor`). Watches are registered by
    /// the caller, which knows the connection; this only computes the reply.
    package func read(_ request: ZKRequest, session: SessionID, auth: [ZKId]) -> (ZKErrorCode, ZKResponse?) {
        do {
            return (.ok, try readOne(request, session: session, auth: auth))
        } catch {
            return (error, nil)
        }
    }

    private func readOne(_ request: ZKRequest, session: SessionID, auth: [ZKId]) throws(ZKErrorCode) -> ZKResponse {
        switch request {
        case .exists(let r):
            guard let node = lookup(r.path) else { throw .noNode }
            try check(node, .read, auth)
            return .stat(node.stat)
        case .getData(let r):
            guard let node = lookup(r.path) else { throw .noNode }
            try check(node, .read, auth)
            return .getData(data: node.data, stat: node.stat)
        case .getChildren(let r):
            guard let node = lookup(r.path) else { throw .noNode }
            try check(node, .read, auth)
            return .getChildren(node.children.sortedNames)
        case .getChildren2(let r):
            guard let node = lookup(r.path) else { throw .noNode }
            try check(node, .read, auth)
            return .getChildren2(children: node.children.sortedNames, stat: node.stat)
        case .getACL(let path):
            guard let node = lookup(path) else { throw .noNode }
            if config.skipACL || ACLEvaluator.permits(node.acl, .admin, auth: auth) {
                return .getACL(acl: node.acl, stat: node.stat)
            }
            try check(node, .read, auth)
            return .getACL(acl: ACLEvaluator.masked(node.acl), stat: node.stat)
        case .getAllChildrenNumber(let path):
            guard let node = lookup(path) else { throw .noNode }
            try check(node, .read, auth)
            return .allChildrenNumber(Int32(clamping: descendantCount(path)))
        case .getEphemerals(let prefix):
            let mine = ephemerals[session] ?? []
            let matching = prefix == "/" || prefix.isEmpty ? Array(mine) : mine.filter { $0.hasPrefix(prefix) }
            return .getEphemerals(matching.sorted())
        case .multiRead(let ops):
            var results: [MultiResult] = []
            for op in ops {
                switch read(op, session: session, auth: auth) {
                case (.ok, .getData(let data, let stat)?): results.append(.getData(data: data, stat: stat))
                case (.ok, .getChildren(let children)?): results.append(.getChildren(children))
                case (let err, _): results.append(.error(err == .ok ? .badArguments : err))
                }
            }
            return .multi(results)
        default:
            throw .badArguments
        }
    }

    /// ZooKeeper's tree also files the root under "" (`DataTree.nodes`), so reads of "" see it.
    private func lookup(_ path: String) -> ZNode? {
        nodes[path.isEmpty ? "/" : path]
    }

    private func check(_ node: ZNode, _ perm: Perms, _ auth: [ZKId]) throws(ZKErrorCode) {
        if config.skipACL { return }
        guard ACLEvaluator.permits(node.acl, perm, auth: auth) else { throw .noAuth }
    }

    /// Number of nodes below `path` (`DataTree.getAllChildrenNumber`).
    package func descendantCount(_ path: String) -> Int {
        var count = 0
        var stack = [path]
        while let current = stack.popLast() {
            guard let node = nodes[current] else { continue }
            count += node.children.count
            for child in node.children { stack.append(PathValidation.join(current, child)) }
        }
        return count
    }

    /// Container and TTL nodes the leader should remove now (`ContainerManager.getCandidates`):
    /// containers that had children and have none left; TTL nodes without children whose mtime is
    /// older than their TTL. Sorted, so the proposals are deterministic.
    ///
    /// mtime comes from a txn, a snapshot or the database and may be any `Int64`, so the age is
    /// computed without overflow. A container "had children" when its stored create count is not
    /// 0: after 2^31 child creates it wraps negative (as in ZooKeeper) and must still count.
    package func cleanupCandidates(now: Int64) -> [String] {
        var result: [String] = []
        for path in containers {
            if let node = nodes[path], node.children.isEmpty, node.cversion != 0 { result.append(path) }
        }
        for path in ttlNodes {
            if let node = nodes[path], node.children.isEmpty, case .ttl(let ttl) = node.kind,
                Self.age(now: now, since: node.mtime) > ttl
            {
                result.append(path)
            }
        }
        return result.sorted()
    }

    /// `now - then`, saturating at the `Int64` bounds instead of trapping.
    static func age(now: Int64, since then: Int64) -> Int64 {
        let (age, overflow) = now.subtractingReportingOverflow(then)
        if overflow { return now > then ? .max : .min }
        return age
    }
}
