import NIOCore
import TestSupport
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Counters and times at the edges of their ranges (issue 11: input never reaches a trap). Values
/// like these come from txns, snapshots and the database, so the tree must take any of them.
@Suite("DataTree at range edges")
struct DataTreeOverflowTests {
    /// A driver whose tree also holds `extra` rows, as a snapshot or the database would give them.
    func restored(_ extra: [(path: String, node: ZNode)], config: TreeConfig = TreeConfig()) -> TreeDriver {
        var d = TreeDriver(config: config)
        let rows = d.tree.nodes.map { (path: $0.key, node: $0.value) } + extra
        d.tree = DataTree(restoring: rows, sessions: d.tree.sessions, lastZxid: d.tree.lastZxid, config: config)
        return d
    }

    func node(version: Int32 = 0, cversion: Int32 = 0, aversion: Int32 = 0, mtime: Int64 = 0, owner: Int64 = 0) -> ZNode {
        ZNode(
            data: ByteBuffer(), acl: ACL.openUnsafe, czxid: 1, mzxid: 1, ctime: 0, mtime: mtime, version: version,
            cversion: cversion, aversion: aversion, ephemeralOwner: owner, pzxid: 1)
    }

    // MARK: - Versions wrap as Java ints do

    /// `PrepRequestProcessor.checkAndIncVersion` returns `currentVersion + 1` on a Java int: past
    /// Int32.max the version is Int32.min, and a conditional write names that new value.
    @Test func dataVersionWrapsPastInt32Max() throws {
        var d = restored([("/v", node(version: .max))])
        let first = d.write(.setData(SetDataRequest(path: "/v", data: bytes("a"), version: .max)))
        #expect(first.err == .ok)
        #expect(d.stat("/v")?.version == .min)
        #expect(d.write(.setData(SetDataRequest(path: "/v", data: nil, version: .max))).err == .badVersion)
        #expect(d.write(.setData(SetDataRequest(path: "/v", data: nil, version: .min))).err == .ok)
        #expect(d.stat("/v")?.version == Int32.min + 1)
        #expect(d.write(.delete(DeleteRequest(path: "/v", version: .min + 1))).err == .ok)
    }

    @Test func aclVersionWrapsPastInt32Max() {
        var d = restored([("/a", node(aversion: .max))])
        #expect(d.write(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: .max))).err == .ok)
        #expect(d.stat("/a")?.aversion == .min)
    }

    /// ZooKeeper's programmer's guide (ZOOKEEPER-2944): the sequence counter is a signed int that
    /// overflows past 2147483647 to "-2147483648". The client-visible cversion wraps with it.
    @Test func sequenceSuffixWrapsPastInt32MaxLikeZooKeeper() {
        var d = restored([("/q", node(cversion: .max))])
        let names = (0..<3).map { _ in d.write(.create(createRequest("/q/n-", mode: .persistentSequential))).response }
        #expect(names == [.create(path: "/q/n-2147483647"), .create(path: "/q/n--2147483648"), .create(path: "/q/n--2147483647")])
        #expect(d.tree.node("/q")?.cversion == Int32.min + 2)
        _ = d.tree.node("/q")?.stat  // client-visible cversion 2 * creates - children wraps, no trap
    }

    // MARK: - Container and TTL cleanup

    /// A TTL node's mtime comes from a txn (or a snapshot, or the database): `now - mtime` must not
    /// trap for any pair of values. A node from the far past is expired; one from the future is not.
    @Test(arguments: [
        (Int64.min, Int64(1_700_000_000_000), true), (Int64.min, Int64.max, true), (Int64.max, Int64.min, false),
        (Int64.max, Int64(0), false), (Int64(-1), Int64.max, true), (Int64(1), Int64.min, false),
    ])
    func ttlAgeNeverOverflows(mtime: Int64, now: Int64, expired: Bool) {
        let config = TreeConfig(extendedTypesEnabled: true)
        let d = restored([("/t", node(mtime: mtime, owner: EphemeralOwner.ttl(1_000)))], config: config)
        #expect(d.tree.cleanupCandidates(now: now) == (expired ? ["/t"] : []))
    }

    @Test func ttlOfATxnWithAnExtremeTimeIsCleanedWithoutTrapping() {
        var d = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        let txn = Txn(
            zxid: Zxid(d.next), time: .min, session: alice,
            op: .request(.createTTL(createRequest("/t", mode: .persistentWithTTL, ttl: 5))))
        #expect(d.tree.apply(txn).err == .ok)
        #expect(d.tree.cleanupCandidates(now: 1_700_000_000_000) == ["/t"])
        #expect(d.tree.cleanupCandidates(now: .min) == [])
    }

    @Test(arguments: [(Int64.max, Int64.min, Int64.max), (Int64.min, Int64.max, Int64.min), (Int64(5), Int64(3), Int64(2))])
    func ageSaturates(now: Int64, then: Int64, expected: Int64) {
        #expect(DataTree.age(now: now, since: then) == expected)
    }

    /// The stored create count wraps negative after 2^31 child creates; the container still had
    /// children and is removed once empty.
    @Test func containerWhoseCreateCountWrappedIsStillCleaned() {
        var d = restored([("/c", node(cversion: .max, owner: EphemeralOwner.container))])
        d.mustCreate("/c/child")
        #expect(d.tree.node("/c")?.cversion == .min)
        d.write(.delete(DeleteRequest(path: "/c/child")))
        #expect(d.tree.cleanupCandidates(now: 0) == ["/c"])
    }

    // MARK: - ephemeralOwner encodings

    /// Validated creates never pass other TTLs, but the encoder is public: it masks instead of
    /// trapping on a negative value or spilling into the type bits.
    @Test(arguments: [Int64(-1), .min, .max, EphemeralOwner.maxTTL + 1])
    func ttlOwnerEncodingNeverTraps(ttl: Int64) {
        let owner = EphemeralOwner.ttl(ttl)
        #expect(UInt64(bitPattern: owner) & EphemeralOwner.ttlMask == EphemeralOwner.ttlMask)
        #expect(EphemeralOwner.ttl(of: owner) == ttl & EphemeralOwner.maxTTL)
    }

    // MARK: - Snapshot images

    /// An image is sized first: past its limit (a `ByteBuffer` holds at most 4 GiB, and clients can
    /// grow a tree past that) nothing is written and the send fails instead of trapping.
    @Test func snapshotPastItsLimitIsRefusedWithoutWriting() throws {
        var d = TreeDriver()
        d.mustCreate("/big", String(repeating: "x", count: 10_000))
        let size = try #require(d.tree.snapshotSize)
        var image = ByteBuffer()
        #expect(
            throws: ZooKeeperWireError.encodingTooLong(context: "tree snapshot", length: size, limit: size - 1)
        ) {
            try d.tree.writeSnapshot(to: &image, maxBytes: size - 1)
        }
        #expect(image.writerIndex == 0)
        try d.tree.writeSnapshot(to: &image, maxBytes: size)
        #expect(image.readableBytes == size)
        let restored = try DataTree(snapshot: &image, config: d.tree.config)
        #expect(TreeSnapshot(restored) == TreeSnapshot(d.tree))
    }
}
