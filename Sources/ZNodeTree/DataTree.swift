import NIOCore
package import ZooKeeperWire

/// Settings that change how transactions apply; identical on every member.
package struct TreeConfig: Hashable, Sendable {
    /// `zookeeper.extendedTypesEnabled`: TTL nodes allowed.
    package var extendedTypesEnabled: Bool
    /// `skipACL=yes`: no ACL checks at all.
    package var skipACL: Bool

    package init(extendedTypesEnabled: Bool = false, skipACL: Bool = false) {
        self.extendedTypesEnabled = extendedTypesEnabled
        self.skipACL = skipACL
    }
}

/// The znode tree with ZooKeeper's semantics, plus the replicated session table.
///
/// Pure: transactions come in with their zxid and time; results and events go out. Two trees fed
/// the same transactions are equal. Changes are also recorded as dirty paths and sessions so the
/// storage layer can write them out in batches.
///
/// Txns, snapshots and stored rows are input (a peer, a file): their times, versions, counts and
/// zxids meet only saturating or wrapping arithmetic and checked conversions, and a txn no correct
/// leader writes is refused with an error result, the same on every member, never a trap
/// (ByteBuffer+Jute.swift states the rule).
package struct DataTree: Sendable {
    package private(set) var nodes: [String: ZNode]
    package private(set) var sessions: [SessionID: SessionRecord]
    /// Paths of ephemeral nodes per owning session.
    package private(set) var ephemerals: [SessionID: Set<String>]
    /// Paths of container nodes and of TTL nodes (candidates for the leader's cleanup).
    package private(set) var containers: Set<String>
    package private(set) var ttlNodes: Set<String>
    /// zxid of the last applied transaction.
    package private(set) var lastZxid: Zxid
    package var config: TreeConfig

    /// Paths changed (created, updated or deleted) since the last `takeDirty()`.
    package private(set) var dirtyPaths: Set<String> = []
    /// Sessions created or closed since the last `takeDirty()`.
    package private(set) var dirtySessions: Set<SessionID> = []

    /// Undo records while a multi is being applied.
    private var journal: [(path: String, old: ZNode?)]? = nil
    private var sessionJournal: [(SessionID, SessionRecord?)]? = nil

    /// A new tree holding `/`, `/zookeeper`, `/zookeeper/quota` and `/zookeeper/config`, as every
    /// ZooKeeper database starts.
    package init(config: TreeConfig = TreeConfig()) {
        self.nodes = [:]
        self.sessions = [:]
        self.ephemerals = [:]
        self.containers = []
        self.ttlNodes = []
        self.lastZxid = .zero
        self.config = config
        let open = ACL.openUnsafe
        nodes["/"] = ZNode(data: ByteBuffer(), acl: open, czxid: 0, mzxid: 0, ctime: 0, mtime: 0, pzxid: 0, children: ["zookeeper"])
        // ZooKeeper's built-in nodes hold empty (not null) data.
        nodes["/zookeeper"] = ZNode(
            data: ByteBuffer(), acl: open, czxid: 0, mzxid: 0, ctime: 0, mtime: 0, pzxid: 0, children: ["quota", "config"]
        )
        nodes["/zookeeper/quota"] = ZNode(data: ByteBuffer(), acl: open, czxid: 0, mzxid: 0, ctime: 0, mtime: 0, pzxid: 0)
        nodes["/zookeeper/config"] = ZNode(
            data: ByteBuffer(), acl: ACL.readUnsafe, czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: -1, aversion: -1, pzxid: 0
        )
    }

    /// Rebuilds a tree from persisted rows (storage load). Children sets and indexes are derived.
    package init(
        restoring rows: [(path: String, node: ZNode)], sessions: [SessionID: SessionRecord], lastZxid: Zxid,
        config: TreeConfig
    ) {
        var builder = Restore(config: config, capacity: rows.count)
        for (path, node) in rows { builder.add(path, node) }
        self = builder.finish(sessions: sessions, lastZxid: lastZxid)
    }

    /// Builds a tree row by row as storage reads them, without holding them all in an array
    /// first: a restart of a member with a million znodes copied each row twice before (into the
    /// array, then into the tree) and hashed every path three times.
    package struct Restore {
        private var tree: DataTree
        /// Each parent's child names, in the order their rows came (a checkpoint's are in path
        /// order, so already sorted).
        private var children: [String: [String]] = [:]
        /// Whether any row was added (a fresh member, with none, keeps its new tree).
        private var anyRow = false

        package init(config: TreeConfig, capacity: Int) {
            tree = DataTree(config: config)
            tree.nodes = Dictionary(minimumCapacity: max(capacity, 4))
        }

        /// Adds one row (its `children` are ignored: they are derived). A later row for a path
        /// replaces an earlier one.
        package mutating func add(_ path: String, _ node: consuming ZNode) {
            anyRow = true
            node.children = []
            let kind = node.kind
            if let replaced = tree.nodes.updateValue(node, forKey: path) {
                tree.index(path, old: replaced.kind, new: nil)
            } else if path != "/" {
                children[PathValidation.parent(of: path), default: []].append(PathValidation.name(of: path))
            }
            tree.index(path, old: nil, new: kind)
        }

        /// The tree. Unless there were no rows at all (a fresh member keeps its new tree), the
        /// built-in nodes (/, /zookeeper, /zookeeper/quota, /zookeeper/config) that got no row
        /// (they get one only once they change) come from a fresh tree.
        package mutating func finish(sessions: [SessionID: SessionRecord], lastZxid: Zxid) -> DataTree {
            let fresh = DataTree(config: tree.config)
            if !anyRow {
                tree.nodes = fresh.nodes
                children = [:]
            } else {
                for (path, node) in fresh.nodes.sorted(by: { $0.key < $1.key }) where tree.nodes[path] == nil {
                    add(path, node)
                }
            }
            for (parent, names) in children where tree.nodes[parent] != nil {
                tree.nodes[parent]!.children = ChildNames(names)
            }
            children = [:]
            tree.sessions = sessions
            tree.lastZxid = lastZxid
            // Moved out, not copied: the builder is left with an empty tree.
            var built = DataTree(config: tree.config)
            swap(&built, &tree)
            return built
        }
    }

    package var nodeCount: Int { nodes.count }

    /// Sets `/zookeeper/config` to the ensemble membership (done by each member at start-up from
    /// its own configuration; not a transaction, as reconfig is not supported).
    package mutating func setConfigData(_ bytes: [UInt8]) {
        nodes["/zookeeper/config"]?.data = ByteBuffer(bytes: bytes)
    }

    package func node(_ path: String) -> ZNode? { nodes[path] }

    /// The node as storage keeps it: without its children (derived again on load). Holding a
    /// row while the tree changes never shares the children array, so the next create or delete
    /// under the parent edits it in place instead of copying every name.
    package func row(_ path: String) -> ZNode? {
        guard var node = nodes[path] else { return nil }
        node.children = []
        return node
    }

    /// Hands the dirty sets to the caller (storage flush) and clears them.
    package mutating func takeDirty() -> (paths: Set<String>, sessions: Set<SessionID>) {
        defer {
            dirtyPaths = []
            dirtySessions = []
        }
        return (dirtyPaths, dirtySessions)
    }

    /// Approximate bytes of data + paths (`zk_approximate_data_size`).
    package var approximateDataSize: Int {
        nodes.reduce(0) { $0 + $1.key.utf8.count + Int($1.value.dataLength) }
    }

    // MARK: - Apply

    /// Applies one committed transaction. Deterministic: depends only on the tree and `txn`.
    ///
    /// A txn whose zxid is not above the last one applied changes nothing and answers
    /// RUNTIMEINCONSISTENCY. A correct leader never commits one, but the log is input (a forged peer
    /// could commit one across appends, which `ReplicaNode.receive` checks only within one), and every
    /// member refusing it the same way keeps the trees equal where a trap would stop them all.
    package mutating func apply(_ txn: Txn) -> TxnResult {
        guard txn.zxid > lastZxid || txn.zxid == .zero else { return TxnResult(err: .runtimeInconsistency) }
        if txn.zxid != .zero { lastZxid = txn.zxid }
        switch txn.op {
        case .createSession(let timeout, let password):
            setSession(
                txn.session, SessionRecord(timeout: timeout, password: password, owner: txn.origin?.member ?? 0))
            return TxnResult(err: .ok)
        case .moveSession:
            guard var record = sessions[txn.session] else { return TxnResult(err: .sessionExpired) }
            if let member = txn.origin?.member, member != record.owner {
                record.owner = member
                setSession(txn.session, record)
            }
            return TxnResult(err: .ok)
        case .closeSession:
            if isFromFormerOwner(txn) { return TxnResult(err: .sessionMoved) }
            var events: [TreeEvent] = []
            for path in (ephemerals[txn.session] ?? []).sorted(by: >) {
                events += removeNode(path, zxid: txn.zxid.rawValue)
            }
            setSession(txn.session, nil)
            return TxnResult(err: .ok, response: .empty, events: events)
        case .deleteContainer(let path):
            guard let node = nodes[path] else { return TxnResult(err: .noNode) }
            guard node.children.isEmpty else { return TxnResult(err: .notEmpty) }
            guard node.kind == .container || { if case .ttl = node.kind { return true } else { return false } }()
            else { return TxnResult(err: .badArguments) }
            let events = removeNode(path, zxid: txn.zxid.rawValue)
            return TxnResult(err: .ok, response: .empty, events: events)
        case .request(let request):
            guard sessions[txn.session] != nil else { return TxnResult(err: .sessionExpired) }
            if isFromFormerOwner(txn) { return TxnResult(err: .sessionMoved) }
            if case .multi(let ops) = request { return applyMulti(ops, txn) }
            var events: [TreeEvent] = []
            do {
                let response = try applyOne(request, txn, events: &events)
                return TxnResult(err: .ok, response: response, events: events)
            } catch {
                return TxnResult(err: error)
            }
        }
    }

    /// A client request sent through a member that no longer holds the session's connection.
    private func isFromFormerOwner(_ txn: Txn) -> Bool {
        guard let member = txn.origin?.member, let owner = sessions[txn.session]?.owner, owner != 0 else {
            return false
        }
        return member != owner
    }

    private mutating func applyMulti(_ ops: [ZKRequest], _ txn: Txn) -> TxnResult {
        journal = []
        sessionJournal = []
        defer {
            journal = nil
            sessionJournal = nil
        }
        var events: [TreeEvent] = []
        var results: [MultiResult] = []
        for (index, op) in ops.enumerated() {
            do throws(ZKErrorCode) {
                // Only the ops `MultiOperationRecord` carries; the wire decoder refuses the others,
                // but a txn is a value anyone can build, and setACL would apply with no multi result.
                switch op {
                case .create, .create2, .createContainer, .createTTL, .delete, .setData, .check: break
                default: throw .badArguments
                }
                let response = try applyOne(op, txn, events: &events)
                results.append(Self.multiResult(op, response))
            } catch {
                rollback()
                var failed = [MultiResult](repeating: .error(.ok), count: index)
                failed.append(.error(error))
                failed += [MultiResult](repeating: .error(.runtimeInconsistency), count: ops.count - index - 1)
                return TxnResult(err: .ok, response: .multi(failed))
            }
        }
        return TxnResult(err: .ok, response: .multi(results), events: events)
    }

    private static func multiResult(_ op: ZKRequest, _ response: ZKResponse) -> MultiResult {
        switch (op, response) {
        case (.create, .create(let path)): return .create(path: path)
        // ZooKeeper 3.8 answers a create2 inside a multi as a plain create (type 1, path only).
        case (.create2, .create2(let path, _)): return .create(path: path)
        case (_, .create2(let path, let stat)): return .create2(op: op.opCode, path: path, stat: stat)
        case (.delete, _): return .delete
        case (.setData, .stat(let stat)): return .setData(stat)
        case (.check, _): return .check
        default: preconditionFailure("no multi result for \(op.opCode) answered by \(response)")
        }
    }

    private mutating func rollback() {
        guard let undo = journal, let sessionUndo = sessionJournal else { return }
        journal = nil
        sessionJournal = nil
        for (path, old) in undo.reversed() { setNode(path, old) }
        for (id, old) in sessionUndo.reversed() { setSession(id, old) }
    }

    /// Applies one non-multi write; throws the client-visible error code.
    private mutating func applyOne(
        _ request: ZKRequest, _ txn: Txn, events: inout [TreeEvent]
    ) throws(ZKErrorCode) -> ZKResponse {
        switch request {
        case .create(let r):
            let (path, _) = try create(r, op: .create, txn, events: &events)
            return .create(path: path)
        case .create2(let r), .createContainer(let r), .createTTL(let r):
            let (path, stat) = try create(r, op: request.opCode, txn, events: &events)
            return .create2(path: path, stat: stat)
        case .delete(let r):
            try delete(r, txn, events: &events)
            return .empty
        case .setData(let r):
            return .stat(try setData(r, txn, events: &events))
        case .setACL(let r):
            return .stat(try setACL(r, txn))
        case .check(let r):
            guard PathValidation.validate(r.path) == nil else { throw .badArguments }
            guard let node = nodes[r.path] else { throw .noNode }
            try checkACL(node.acl, .read, txn.auth)
            guard r.version == -1 || r.version == node.version else { throw .badVersion }
            return .stat(node.stat)
        default:
            throw .badArguments
        }
    }

    // MARK: - Operations

    private mutating func create(
        _ r: CreateRequest, op: OpCode, _ txn: Txn, events: inout [TreeEvent]
    ) throws(ZKErrorCode) -> (String, Stat) {
        guard let mode = CreateMode(rawValue: r.flags) else { throw .badArguments }
        // `validateCreateRequest` for every create op: a TTL mode needs extended types, then a TTL
        // in 1...2^40-1, which only createTTL carries (the others count as ttl -1). createTTL with
        // another mode is refused too. createContainer makes a container whatever the (non-TTL)
        // flags say; container flags on a plain create make an ordinary persistent node.
        if mode.isTTL {
            guard config.extendedTypesEnabled else { throw .unimplemented }
            guard op == .createTTL, let ttl = r.ttl, ttl > 0, ttl <= EphemeralOwner.maxTTL else {
                throw .badArguments
            }
        } else if op == .createTTL {
            throw .badArguments
        }
        // `validatePathForCreate`: only a slash and no NUL are checked before the parent lookup,
        // so "/a//b" answers NONODE and "/a/." BADARGUMENTS, as in ZooKeeper.
        guard let parentPath = Self.parentForWrite(r.path) else { throw .badArguments }
        guard let acl = ACLEvaluator.fixup(r.acl, auth: txn.auth) else { throw .invalidACL }
        // Only the fields: a copy of the parent kept alive here would share its child list with
        // the tree's, and the insert below would copy every name.
        guard let parent = nodes[parentPath].map({ (acl: $0.acl, cversion: $0.cversion, kind: $0.kind) }) else {
            throw .noNode
        }
        try checkACL(parent.acl, .create, txn.auth)
        var path = r.path
        if mode.isSequential { path += Self.sequenceSuffix(parent.cversion) }
        // "/" passes and answers NODEEXISTS, as in ZooKeeper.
        guard PathValidation.validate(path) == nil else { throw .badArguments }
        guard nodes[path] == nil else { throw .nodeExists }
        if case .ephemeral = parent.kind { throw .noChildrenForEphemerals }

        let owner: Int64
        if op == .createContainer {
            owner = EphemeralOwner.container
        } else if mode.isEphemeral {
            owner = txn.session.rawValue
        } else if mode.isTTL {
            owner = EphemeralOwner.ttl(r.ttl ?? 0)
        } else {
            owner = 0
        }
        let zxid = txn.zxid.rawValue
        // Siblings usually carry their parent's ACL: share its array rather than hold a copy each.
        let node = ZNode(
            data: r.data, acl: acl == parent.acl ? parent.acl : acl, czxid: zxid, mzxid: zxid, ctime: txn.time,
            mtime: txn.time,
            ephemeralOwner: owner, pzxid: zxid
        )
        updateParent(parentPath) { parent in
            parent.cversion &+= 1
            parent.pzxid = zxid
            parent.children.insert(PathValidation.name(of: path))
        }
        setNode(path, node)
        events.append(TreeEvent(.nodeCreated, path))
        events.append(TreeEvent(.nodeChildrenChanged, parentPath))
        return (path, node.stat)
    }

    private mutating func delete(_ r: DeleteRequest, _ txn: Txn, events: inout [TreeEvent]) throws(ZKErrorCode) {
        guard let parentPath = Self.parentForWrite(r.path), !Self.specialPaths.contains(r.path) else {
            throw .badArguments
        }
        guard let parent = nodes[parentPath] else { throw .noNode }
        try checkACL(parent.acl, .delete, txn.auth)
        guard let node = nodes[r.path] else { throw .noNode }
        guard r.version == -1 || r.version == node.version else { throw .badVersion }
        guard node.children.isEmpty else { throw .notEmpty }
        events += removeNode(r.path, zxid: txn.zxid.rawValue)
    }

    private mutating func setData(
        _ r: SetDataRequest, _ txn: Txn, events: inout [TreeEvent]
    ) throws(ZKErrorCode) -> Stat {
        guard PathValidation.validate(r.path) == nil else { throw .badArguments }
        guard var node = nodes[r.path] else { throw .noNode }
        try checkACL(node.acl, .write, txn.auth)
        guard r.version == -1 || r.version == node.version else { throw .badVersion }
        node.data = r.data
        node.version &+= 1
        node.mzxid = txn.zxid.rawValue
        node.mtime = txn.time
        setNode(r.path, node)
        events.append(TreeEvent(.nodeDataChanged, r.path))
        return node.stat
    }

    private mutating func setACL(_ r: SetACLRequest, _ txn: Txn) throws(ZKErrorCode) -> Stat {
        guard PathValidation.validate(r.path) == nil else { throw .badArguments }
        guard let acl = ACLEvaluator.fixup(r.acl, auth: txn.auth) else { throw .invalidACL }
        guard var node = nodes[r.path] else { throw .noNode }
        try checkACL(node.acl, .admin, txn.auth)
        guard r.version == -1 || r.version == node.aversion else { throw .badVersion }
        node.acl = acl
        node.aversion &+= 1
        setNode(r.path, node)
        return node.stat
    }

    /// Removes a node and updates its parent; returns the events.
    private mutating func removeNode(_ path: String, zxid: Int64) -> [TreeEvent] {
        let parentPath = PathValidation.parent(of: path)
        guard nodes[path] != nil else { return [] }
        setNode(path, nil)
        updateParent(parentPath) { parent in
            parent.children.remove(PathValidation.name(of: path))
            // A delete does not count in the persisted cversion (creates only); pzxid moves.
            parent.pzxid = zxid
        }
        return [TreeEvent(.nodeDeleted, path), TreeEvent(.nodeChildrenChanged, parentPath)]
    }

    private func checkACL(_ acl: [ACL], _ perm: Perms, _ auth: [ZKId]) throws(ZKErrorCode) {
        if config.skipACL { return }
        guard ACLEvaluator.permits(acl, perm, auth: auth) else { throw .noAuth }
    }

    /// Nodes that exist from the start and can never be deleted (`ZKDatabase.isSpecialPath`).
    package static let specialPaths: Set<String> = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]

    /// The parent of a path named by a create or delete, after ZooKeeper's cheap checks
    /// (`validatePathForCreate`, `getParentPathAndValidate`): it has a slash and no NUL.
    static func parentForWrite(_ path: String) -> String? {
        guard path.utf8.contains(UInt8(ascii: "/")), !path.utf8.contains(0) else { return nil }
        return PathValidation.parent(of: path)
    }

    /// `String.format("%010d", cversion)`, including Java's rendering of negative values.
    package static func sequenceSuffix(_ value: Int32) -> String {
        let digits = String(value.magnitude)
        let width = value < 0 ? 9 : 10
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }

    // MARK: - Primitive mutations (journaled, indexed, dirty-tracked)

    /// Changes a parent's stats and child list in place: the tree holds the only reference to
    /// the list, so adding or removing a name moves the names after it instead of copying them all
    /// (a multi's journal keeps the old node, and pays for that copy). A parent's kind never
    /// changes here, so the kind indexes stay as they are.
    private mutating func updateParent(_ path: String, _ change: (inout ZNode) -> Void) {
        guard nodes[path] != nil else { return }
        journal?.append((path, nodes[path]))
        change(&nodes[path]!)
        dirtyPaths.insert(path)
    }

    private mutating func setNode(_ path: String, _ new: ZNode?) {
        let old = nodes[path]
        journal?.append((path, old))
        nodes[path] = new
        index(path, old: old, new: new)
        dirtyPaths.insert(path)
    }

    private mutating func index(_ path: String, old: ZNode?, new: ZNode?) {
        index(path, old: old?.kind, new: new?.kind)
    }

    private mutating func index(_ path: String, old oldKind: ZNode.Kind?, new newKind: ZNode.Kind?) {
        if oldKind == newKind { return }
        switch oldKind {
        case .ephemeral(let session)?:
            ephemerals[session]?.remove(path)
            if ephemerals[session]?.isEmpty == true { ephemerals[session] = nil }
        case .container?: containers.remove(path)
        case .ttl?: ttlNodes.remove(path)
        case .persistent?, nil: break
        }
        switch newKind {
        case .ephemeral(let session)?: ephemerals[session, default: []].insert(path)
        case .container?: containers.insert(path)
        case .ttl?: ttlNodes.insert(path)
        case .persistent?, nil: break
        }
    }

    private mutating func setSession(_ id: SessionID, _ record: SessionRecord?) {
        sessionJournal?.append((id, sessions[id]))
        sessions[id] = record
        dirtySessions.insert(id)
    }
}
