package import Consensus
package import ZNodeTree
package import KeeperReplica
package import ZooKeeperWire

/// The keeper-level invariants of a `KeeperSimulation` (STYLE.md §7.3), on top of the consensus
/// ones `InvariantChecker` keeps: a reference `DataTree` fed the committed sequence once, against
/// which every member's applied transactions, results and trees, and every client reply, are
/// compared. The first violation is kept.
package struct KeeperChecker: Sendable {
    /// The committed sequence as first observed (index -> txn and its result).
    private var committed: [Int64: (txn: Txn, result: TxnResult)] = [:]
    /// The index of each committed txn, by zxid (replies name their txn by zxid).
    private var indexByZxid: [Zxid: Int64] = [:]
    /// The reference tree: every committed txn through `referenceIndex` applied once.
    package private(set) var reference = DataTree()
    package private(set) var referenceIndex: LogIndex = .zero
    /// The highest index any member applied, no-ops included.
    package private(set) var highestApplied: LogIndex = .zero
    /// Per member (this incarnation): the last applied index and zxid.
    private var lastApplied: [Int32: (index: LogIndex, zxid: Zxid)] = [:]
    /// Per session: the last client xid seen in the committed sequence.
    private var lastSessionXid: [SessionID: Int32] = [:]
    /// Client requests handed to consensus: (session, xid) -> connection, and per connection the
    /// xids submitted and not yet seen committed, in submission order.
    private var submittedOn: [RequestKey: Int] = [:]
    private var unappliedByConnection: [Int: [Int32]] = [:]
    /// Requests passed over by a later request of their connection (an order violation already
    /// reported); should one still commit, that is reported as such, not as a duplicate.
    private var skipped: Set<RequestKey> = []
    /// Highest log index whose txn a client saw acknowledged.
    package private(set) var highestAcknowledged: LogIndex = .zero
    package private(set) var acknowledged = 0
    package private(set) var violation: String?
    /// See `KeeperSimulationOptions.sessionOrderViolationsAreFatal`.
    package var orderViolationsAreFatal = true
    /// Order violations met while they are not fatal (the first few).
    package private(set) var orderViolations: [String] = []

    package struct RequestKey: Hashable, Sendable {
        var session: SessionID
        var xid: Int32
    }

    package init() {}

    package mutating func fail(_ message: String) {
        if violation == nil { violation = message }
    }

    package var committedCount: Int { committed.count }

    package func committedTxn(at index: LogIndex) -> Txn? { committed[index.rawValue]?.txn }

    /// The first committed change after `zxid` that fires a data watch on `path` (created, data
    /// changed, deleted), as far as the reference has seen: its index, zxid and event type.
    package func firstDataEvent(on path: String, after zxid: Zxid) -> (index: LogIndex, zxid: Zxid, type: EventType)? {
        var i = zxid == .zero ? 0 : (indexByZxid[zxid] ?? referenceIndex.rawValue)
        while i < referenceIndex.rawValue {
            i += 1
            guard let known = committed[i] else { continue }
            for event in known.result.events where event.path == path {
                switch event.type {
                case .nodeCreated, .nodeDataChanged, .nodeDeleted: return (LogIndex(i), known.txn.zxid, event.type)
                default: continue
                }
            }
        }
        return nil
    }

    /// The committed txn with `zxid`, if any.
    package func committedTxn(zxid: Zxid) -> Txn? { indexByZxid[zxid].flatMap { committed[$0]?.txn } }

    // MARK: - Observations

    /// A client request was handed to consensus (`ReplicaNode.submit`) on `connection`.
    package mutating func observeSubmitted(session: SessionID, xid: Int32, connection: Int) {
        submittedOn[RequestKey(session: session, xid: xid)] = connection
        unappliedByConnection[connection, default: []].append(xid)
    }

    /// `member` restarted from its disk, applied through `index`/`zxid`.
    package mutating func observeRestart(_ member: Int32, appliedIndex: LogIndex, zxid: Zxid) {
        lastApplied[member] = (appliedIndex, zxid)
        if appliedIndex > highestApplied {
            fail("\(member) restarted applied through \(appliedIndex), beyond anything applied (\(highestApplied))")
        }
    }

    /// A member's core applied through `index` (no-ops included).
    package mutating func observeAppliedThrough(_ index: LogIndex) {
        highestApplied = max(highestApplied, index)
    }

    /// The zxid of the last committed txn at or below `index` (zero when there is none).
    package func zxid(through index: LogIndex) -> Zxid {
        var i = min(index, referenceIndex).rawValue
        while i > 0 {
            if let known = committed[i] { return known.txn.zxid }
            i -= 1
        }
        return .zero
    }

    /// `member` installed a snapshot from its leader, standing at `zxid`.
    package mutating func observeSnapshotInstalled(_ member: Int32, metadata: SnapshotMetadata, zxid: Zxid) {
        let previous = lastApplied[member] ?? (.zero, .zero)
        if metadata.index <= previous.index {
            fail("\(member) installed snapshot \(metadata.index) at applied \(previous.index): applied must increase")
        }
        if metadata.index > highestApplied {
            fail("\(member) installed snapshot \(metadata.index), beyond anything applied (\(highestApplied))")
        }
        lastApplied[member] = (metadata.index, max(zxid, previous.zxid))
    }

    /// `member` applied `applied` (at `takeOutput` time: its tree changed then).
    package mutating func observeApplied(_ member: Int32, _ applied: AppliedTxn) {
        let previous = lastApplied[member] ?? (.zero, .zero)
        let index = applied.index
        let txn = applied.txn
        if index <= previous.index {
            fail("\(member) applied \(index) after \(previous.index): applied indices must increase")
        }
        if txn.zxid <= previous.zxid {
            fail("\(member) applied zxid \(txn.zxid) at \(index) after zxid \(previous.zxid): zxids must increase")
        }
        lastApplied[member] = (index, txn.zxid)
        if index > referenceIndex {
            feedReference(index, txn)
        }
        guard let known = committed[index.rawValue] else {
            fail("\(member) applied \(Self.describe(txn)) at \(index), where the committed sequence has a no-op")
            return
        }
        if known.txn != txn {
            fail(
                "\(member) applied \(Self.describe(txn)) at \(index), committed as \(Self.describe(known.txn)): "
                    + "applied sequences diverge")
        } else if known.result != applied.result {
            fail(
                "\(member) got \(applied.result.err)/\(String(describing: applied.result.response)) for \(Self.describe(txn)) at \(index); "
                    + "the reference tree got \(known.result.err)/\(String(describing: known.result.response))")
        }
    }

    private mutating func feedReference(_ index: LogIndex, _ txn: Txn) {
        let result = reference.apply(txn)
        committed[index.rawValue] = (txn, result)
        indexByZxid[txn.zxid] = index.rawValue
        referenceIndex = index
        switch txn.op {
        case .closeSession where result.err != .sessionMoved:
            if reference.sessions[txn.session] != nil || reference.ephemerals[txn.session] != nil {
                fail("closeSession \(txn.session) at \(index) left the session or its ephemerals behind")
            }
            for (path, node) in reference.nodes where node.ephemeralOwner == txn.session.rawValue {
                fail("ephemeral \(path) of \(txn.session) survived its closeSession at \(index)")
            }
        case .request:
            for event in result.events where event.type == .nodeCreated {
                if case .ephemeral(let owner)? = reference.node(event.path)?.kind, reference.sessions[owner] == nil {
                    fail("ephemeral \(event.path) created at \(index) for session \(owner), which does not exist")
                }
            }
        default:
            break
        }
        // A request refused because its session had moved was never applied: no order to check.
        if result.err != .sessionMoved { checkSessionOrder(index, txn) }
    }

    /// Client FIFO order in the committed sequence: a session's xids strictly increase, and within
    /// one connection nothing is skipped (a later request is never applied while an earlier one
    /// of the same connection is lost or still to come).
    private mutating func checkSessionOrder(_ index: LogIndex, _ txn: Txn) {
        guard txn.origin != nil, txn.xid.rawValue > 0 else { return }
        switch txn.op {
        case .request, .closeSession: break
        default: return
        }
        let xid = txn.xid.rawValue
        if let last = lastSessionXid[txn.session], xid <= last {
            orderViolation(
                "session \(txn.session): xid \(xid) committed at \(index) after xid \(last) "
                    + "(a session's requests must be applied in the order they were sent)")
        }
        lastSessionXid[txn.session] = xid
        guard let connection = submittedOn[RequestKey(session: txn.session, xid: xid)] else {
            fail("session \(txn.session): xid \(xid) committed at \(index) was never submitted")
            return
        }
        var pending = unappliedByConnection[connection] ?? []
        guard let position = pending.firstIndex(of: xid) else {
            let key = RequestKey(session: txn.session, xid: xid)
            if skipped.remove(key) != nil {
                orderViolation(
                    "session \(txn.session): xid \(xid) committed at \(index), after later xids of its connection \(connection)")
                return
            }
            fail("session \(txn.session): xid \(xid) committed twice (again at \(index) as \(Self.describe(txn)))")
            return
        }
        if position > 0 {
            orderViolation(
                "session \(txn.session): xid \(xid) committed at \(index) while earlier xids \(pending[..<position].map { $0 }) "
                    + "of the same connection \(connection) were not (lost or reordered behind it)")
            for earlier in pending[..<position] { skipped.insert(RequestKey(session: txn.session, xid: earlier)) }
        }
        pending.removeSubrange(...position)
        unappliedByConnection[connection] = pending
    }

    private mutating func orderViolation(_ message: String) {
        if orderViolationsAreFatal {
            fail(message)
        } else if orderViolations.count < 5 {
            orderViolations.append(message)
        }
    }

    /// A client saw `err`/`response` for its request committed at `index`.
    package mutating func observeReply(session: SessionID, xid: Int32, zxid: Zxid, err: ZKErrorCode, response: ZKResponse?) {
        guard let raw = indexByZxid[zxid], let known = committed[raw] else {
            fail("reply to \(session)/xid \(xid) names zxid \(zxid), which is not in the committed sequence")
            return
        }
        let index = LogIndex(raw)
        if known.txn.session != session || known.txn.xid.rawValue != xid || known.txn.zxid != zxid {
            fail("reply to \(session)/xid \(xid) at \(index) carries \(Self.describe(known.txn))")
        }
        let expected = known.result
        let expectedResponse = expected.err == .ok ? expected.response : nil
        let actualResponse = err == .ok ? response : nil
        if expected.err != err || expectedResponse != actualResponse {
            fail(
                "reply to \(session)/xid \(xid) at \(index): \(err)/\(String(describing: actualResponse)), "
                    + "the reference tree says \(expected.err)/\(String(describing: expectedResponse))")
        }
        acknowledged += 1
        highestAcknowledged = max(highestAcknowledged, index)
    }

    // MARK: - Tree checks

    /// A member's tree, compared in full with the reference when both stand at the same zxid, and
    /// checked for ephemerals without a session.
    package mutating func checkTree(_ member: Int32, _ tree: DataTree) {
        for (path, node) in tree.nodes {
            if case .ephemeral(let owner) = node.kind, tree.sessions[owner] == nil {
                fail("\(member): ephemeral \(path) outlives its session \(owner)")
                return
            }
        }
        guard tree.lastZxid == reference.lastZxid else { return }
        if tree.sessions != reference.sessions {
            fail(
                "\(member) at \(tree.lastZxid): sessions \(tree.sessions.keys.sorted()) differ from the reference's "
                    + "\(reference.sessions.keys.sorted())")
            return
        }
        if tree.nodes != reference.nodes {
            let paths = Set(tree.nodes.keys).union(reference.nodes.keys).sorted()
            let differing = paths.filter { tree.nodes[$0] != reference.nodes[$0] }
            fail("\(member) at \(tree.lastZxid): nodes \(differing.prefix(6)) differ from the reference tree")
        }
    }

    // MARK: - Formatting

    package static func describe(_ txn: Txn) -> String {
        let op: String
        switch txn.op {
        case .createSession: op = "createSession"
        case .closeSession: op = "closeSession"
        case .moveSession: op = "moveSession"
        case .deleteContainer(let path): op = "deleteContainer \(path)"
        case .request(let request): op = describe(request)
        }
        let origin = txn.origin.map { " from \($0.member)#\($0.request)" } ?? ""
        return "\(txn.zxid) \(txn.session)/\(txn.xid) \(op)\(origin)"
    }

    package static func describe(_ request: ZKRequest) -> String {
        switch request {
        case .create(let r), .create2(let r): return "create(\(r.path), mode \(r.flags))"
        case .delete(let r): return "delete(\(r.path), v\(r.version))"
        case .setData(let r): return "setData(\(r.path), v\(r.version))"
        case .check(let r): return "check(\(r.path), v\(r.version))"
        case .multi(let ops): return "multi[" + ops.map(describe).joined(separator: ", ") + "]"
        case .closeSession: return "closeSession"
        default: return "\(request.opCode)"
        }
    }
}
