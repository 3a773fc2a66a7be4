import NIOCore
import ZooKeeperWire

@testable import ZNodeTree

// Shared helpers for the DataTree tests: explicit zxids and times, never a clock (STYLE.md §7.2).

let alice = SessionID(0x0100_0000_0000_0001)
let bob = SessionID(0x0100_0000_0000_0002)
/// A session that never had a createSession transaction.
let stranger = SessionID(0x0100_0000_0000_0099)

/// `base64(sha1("user1:pw"))`, also what kazoo's `make_digest_acl_credential("user1", "pw")` gives.
let user1Digest = "user1:UwFvtt99nn7zVDmU1KK5F5q3Zg4="
let user1 = ZKId(scheme: "digest", id: user1Digest)
let superUser = ACLEvaluator.superID

func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func createRequest(
    _ path: String,
    _ data: String? = "",
    mode: CreateMode = .persistent,
    acl: [ACL] = ACL.openUnsafe,
    ttl: Int64? = nil
) -> CreateRequest {
    CreateRequest(path: path, data: data.map(bytes), acl: acl, flags: mode.rawValue, ttl: ttl)
}

/// Feeds a `DataTree` transactions with zxids 1, 2, 3, … and time `1_000_000 + 1_000 * zxid`.
struct TreeDriver {
    var tree: DataTree
    /// zxid (counter) the next transaction gets.
    var next: Int64 = 1

    init(config: TreeConfig = TreeConfig(), sessions: [SessionID] = [alice, bob]) {
        tree = DataTree(config: config)
        for session in sessions {
            apply(.createSession(timeout: 10_000, password: Array(repeating: 7, count: 16)), session: session)
        }
        _ = tree.takeDirty()
    }

    static func time(of zxid: Int64) -> Int64 { 1_000_000 + 1_000 * zxid }

    /// zxid of the last applied transaction.
    var last: Int64 { next - 1 }
    var lastTime: Int64 { Self.time(of: last) }

    func txn(_ op: TxnOp, session: SessionID = alice, auth: [ZKId] = []) -> Txn {
        Txn(
            zxid: Zxid(next),
            time: Self.time(of: next),
            session: session,
            xid: Xid(Int32(truncatingIfNeeded: next)),
            auth: auth,
            op: op
        )
    }

    @discardableResult
    mutating func apply(_ op: TxnOp, session: SessionID = alice, auth: [ZKId] = []) -> TxnResult {
        let result = tree.apply(txn(op, session: session, auth: auth))
        next += 1
        return result
    }

    @discardableResult
    mutating func write(_ request: ZKRequest, session: SessionID = alice, auth: [ZKId] = []) -> TxnResult {
        apply(.request(request), session: session, auth: auth)
    }

    /// create2 with the given mode; returns the result.
    @discardableResult
    mutating func create(
        _ path: String,
        _ data: String? = "",
        mode: CreateMode = .persistent,
        acl: [ACL] = ACL.openUnsafe,
        session: SessionID = alice,
        auth: [ZKId] = []
    ) -> TxnResult {
        write(.create2(createRequest(path, data, mode: mode, acl: acl)), session: session, auth: auth)
    }

    /// Creates `path` and requires success.
    mutating func mustCreate(
        _ path: String,
        _ data: String? = "",
        mode: CreateMode = .persistent,
        acl: [ACL] = ACL.openUnsafe,
        session: SessionID = alice,
        auth: [ZKId] = []
    ) {
        let result = create(path, data, mode: mode, acl: acl, session: session, auth: auth)
        precondition(result.err == .ok, "setup create \(path) failed: \(result.err)")
    }

    func stat(_ path: String) -> Stat? { tree.node(path)?.stat }

    func read(_ request: ZKRequest, session: SessionID = alice, auth: [ZKId] = []) -> (ZKErrorCode, ZKResponse?) {
        tree.read(request, session: session, auth: auth)
    }
}


