import Consensus
import Foundation
import ZNodeTree
import KeeperReplica
import KeeperStorage
import NIOCore
import ZooKeeperWire

/// A fresh directory under the system temp dir, removed after `body` whatever happens.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "paddock-storage-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer {
        // Best effort: a leftover temp dir must not fail the test that made it.
        try? FileManager.default.removeItem(atPath: path)
    }
    return try body(path)
}

func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

func directoryListing(_ path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
}

let alice = SessionID(0x0100_0000_0000_0001)
let bob = SessionID(0x0100_0000_0000_0002)
let user1 = ZKId(scheme: "digest", id: "user1:UwFvtt99nn7zVDmU1KK5F5q3Zg4=")

func create(
    _ path: String,
    _ data: String?,
    mode: CreateMode = .persistent,
    acl: [ACL] = ACL.openUnsafe,
    ttl: Int64? = nil
)
    -> ZKRequest
{
    let request = CreateRequest(
        path: path,
        data: data.map { ByteBuffer(string: $0) },
        acl: acl,
        flags: mode.rawValue,
        ttl: ttl
    )
    return ttl == nil ? .create2(request) : .createTTL(request)
}

/// Log entries with indexes 1... and zxids (epoch 2, counter = index), and the tree they produce.
struct History {
    var entries: [LogEntry] = []
    var txns: [Txn] = []
    var tree = DataTree(config: TreeConfig(extendedTypesEnabled: true))

    mutating func append(_ op: TxnOp, session: SessionID = alice, auth: [ZKId] = []) {
        let index = Int64(entries.count + 1)
        let txn = Txn(
            zxid: Zxid(epoch: 2, counter: UInt32(index)),
            time: 1_700_000_000_000 + index * 1_000,
            session: session,
            xid: Xid(Int32(index)),
            auth: auth,
            op: op
        )
        entries.append(LogEntry(index: index, term: 2, txn: txn))
        txns.append(txn)
        let result = tree.apply(txn)
        precondition(result.err == .ok, "history entry \(index) failed: \(result.err)")
    }

    /// The rows a storage flush writes for everything changed since the last call.
    mutating func flush() -> (
        nodes: [(path: String, node: ZNode?)], sessions: [(id: SessionID, record: SessionRecord?)]
    ) {
        let dirty = tree.takeDirty()
        return (
            dirty.paths.sorted().map { ($0, tree.node($0)) }, dirty.sessions.sorted().map { ($0, tree.sessions[$0]) }
        )
    }

    /// A history touching every column: data (null, empty, binary), ACLs with ':' and '/',
    /// ephemeral/container/TTL owners, versions, cversions, aversions, two sessions.
    static func standard() -> History {
        var h = History()
        h.append(.createSession(timeout: 30_000, password: Array(0..<16)))
        h.append(.createSession(timeout: 4_000, password: []), session: bob)
        h.append(.request(create("/app", "config")))
        h.append(.request(create("/app/worker-", nil, mode: .ephemeralSequential)))
        h.append(.request(create("/app/empty", "")))
        h.append(.request(create("/app/lock", "x", mode: .ephemeral)), session: bob)
        h.append(.request(.createContainer(CreateRequest(path: "/jobs", data: nil, acl: ACL.openUnsafe, flags: 4))))
        h.append(.request(create("/jobs/j1", "job")))
        h.append(.request(create("/ttl", "t", mode: .persistentWithTTL, ttl: 60_000)))
        h.append(
            .request(.setData(SetDataRequest(path: "/app", data: ByteBuffer(bytes: [0, 255, 10, 13, 0]), version: 0)))
        )
        h.append(
            .request(
                .setACL(
                    SetACLRequest(
                        path: "/app/empty",
                        acl: [
                            ACL(perms: [.read, .admin], id: user1),
                            ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
                            ACL(perms: .read, id: ZKId(scheme: "ip", id: "fe80::1/64")),
                        ],
                        version: 0
                    )
                )
            )
        )
        h.append(.request(create("/gone", "g")))
        h.append(.request(.delete(DeleteRequest(path: "/gone", version: 0))))
        h.append(
            .request(
                .multi([
                    .create(CreateRequest(path: "/m", data: nil, acl: ACL.openUnsafe, flags: 0)),
                    .setData(SetDataRequest(path: "/app", data: nil, version: 1)),
                ])
            )
        )
        return h
    }
}

// The database stores SQLite integers; these build the replica's typed values from the plain
// numbers the tests read best in.
extension LogEntry {
    init(index: Int64, term: UInt64, txn: Txn?) {
        var payload = ByteBuffer()
        txn?.write(to: &payload)
        self.init(index: LogIndex(index), term: Term(term), payload: payload)
    }

    /// The transaction this entry carries (nil for a no-op).
    func decodeTxn() throws -> Txn? {
        guard payload.readableBytes > 0 else { return nil }
        var copy = payload
        return try Txn(from: &copy)
    }
}

extension HardState {
    init(term: UInt64, vote: Int, commit: Int64) {
        self.init(term: Term(term), vote: vote == 0 ? nil : NodeID(vote), commit: LogIndex(commit))
    }
}

extension AppliedMark {
    init(index: Int64, term: UInt64, zxid: Zxid) {
        self.init(index: LogIndex(index), term: Term(term), zxid: zxid)
    }
}
