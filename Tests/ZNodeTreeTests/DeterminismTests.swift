import NIOCore
import TestSupport
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Every member applies the same log to the same tree: the results and the trees must be equal
/// (STYLE.md §7.2). Also the log record of a `Txn` round-trips.
@Suite("DataTree determinism and Txn log records")
struct DeterminismTests {
    /// A random but replayable workload: sessions come and go; creates of every kind, setData,
    /// delete, setACL, check, multis (some failing), closeSession, deleteContainer.
    static func workload(seed: UInt64, count: Int) -> [Txn] {
        var rng = SplitMix64(seed: seed)
        var txns: [Txn] = []
        var sessions: [SessionID] = []
        let names = ["a", "b", "c", "q-"]
        func randomPath() -> String {
            // now and then a path ZooKeeper refuses
            if Int.random(in: 0..<20, using: &rng) == 0 {
                return ["", "/", "a", "/a//b", "/a/.", "/b/"].randomElement(using: &rng)!
            }
            let depth = Int.random(in: 1...3, using: &rng)
            var path = ""
            for _ in 0..<depth { path += "/" + names.randomElement(using: &rng)! }
            return path
        }
        func randomMode() -> CreateMode { CreateMode.allCases.randomElement(using: &rng)! }
        /// Only what the wire can carry: a TTL exactly on createTTL, no setACL inside a multi.
        func randomWrite(inMulti: Bool = false) -> ZKRequest {
            switch Int.random(in: 0..<(inMulti ? 9 : 10), using: &rng) {
            case 0, 1, 2:
                var request = createRequest(randomPath(), "d\(rng.next() % 100)", mode: randomMode())
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: return .create(request)
                case 1: return .create2(request)
                case 2: return .createContainer(request)
                default:
                    request.ttl = Int64.random(in: 0...50, using: &rng)
                    return .createTTL(request)
                }
            case 3, 4:
                return .setData(
                    SetDataRequest(
                        path: randomPath(),
                        data: bytes("v\(rng.next() % 1000)"),
                        version: Int32.random(in: -1...2, using: &rng)
                    )
                )
            case 5, 6:
                return .delete(DeleteRequest(path: randomPath(), version: Int32.random(in: -1...1, using: &rng)))
            case 7, 8:
                return .check(CheckVersionRequest(path: randomPath(), version: Int32.random(in: -1...1, using: &rng)))
            default:
                let acl = Bool.random(using: &rng) ? ACL.openUnsafe : [ACL(perms: [.read, .write], id: .anyone)]
                return .setACL(SetACLRequest(path: randomPath(), acl: acl, version: -1))
            }
        }
        for counter in 1...count {
            let zxid = Zxid(epoch: 1, counter: UInt32(counter))
            let time = 1_700_000_000_000 + Int64(counter) * 7
            // mostly live sessions, sometimes one that never existed or has been closed
            var session =
                Int.random(in: 0..<30, using: &rng) == 0
                ? SessionID(1) : sessions.randomElement(using: &rng) ?? SessionID(1)
            let op: TxnOp
            switch counter <= 3 ? 0 : Int.random(in: 0..<30, using: &rng) {
            case 0, 1:
                session = SessionID(Int64(counter) << 8)
                sessions.append(session)
                op = .createSession(
                    timeout: 4_000,
                    password: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
                )
            case 2:
                if let index = sessions.indices.randomElement(using: &rng) { session = sessions.remove(at: index) }
                op = .closeSession
            case 3:
                op = .deleteContainer(path: randomPath())
            case 4, 5, 6:
                op = .request(.multi((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomWrite(inMulti: true) }))
            default:
                op = .request(randomWrite())
            }
            let auth: [ZKId] = Bool.random(using: &rng) ? [] : [user1]
            txns.append(Txn(zxid: zxid, time: time, session: session, xid: Xid(Int32(counter)), auth: auth, op: op))
        }
        return txns
    }

    @Test(arguments: [UInt64(1), 2, 3, 42, 0xDEAD_BEEF])
    func twoTreesFedTheSameTransactionsAreEqual(seed: UInt64) {
        let txns = Self.workload(seed: seed, count: 600)
        let config = TreeConfig(extendedTypesEnabled: true)
        var first = DataTree(config: config)
        var second = DataTree(config: config)
        var firstResults: [TxnResult] = []
        var secondResults: [TxnResult] = []
        for txn in txns { firstResults.append(first.apply(txn)) }
        for txn in txns { secondResults.append(second.apply(txn)) }
        #expect(firstResults == secondResults)
        #expect(TreeSnapshot(first) == TreeSnapshot(second))
        #expect(first.lastZxid == txns.last?.zxid)
        // The workload must actually do things, or the test proves little.
        let succeeded = firstResults.filter { $0.err == .ok && !$0.events.isEmpty }.count
        #expect(succeeded >= 30, "only \(succeeded) transactions changed the tree")
        let codes = Set(firstResults.map(\.err))
        #expect(
            codes.isSuperset(of: [.ok, .noNode, .nodeExists, .badVersion, .badArguments, .sessionExpired]),
            "\(codes)"
        )
        #expect(first.nodeCount > 4)
    }

    @Test(arguments: [UInt64(7), 99])
    func replayingDecodedLogRecordsGivesTheSameTree(seed: UInt64) throws {
        let txns = Self.workload(seed: seed, count: 300)
        var direct = DataTree(config: TreeConfig(extendedTypesEnabled: true))
        var replayed = DataTree(config: TreeConfig(extendedTypesEnabled: true))
        var directResults: [TxnResult] = []
        var replayedResults: [TxnResult] = []
        for txn in txns {
            directResults.append(direct.apply(txn))
            var buffer = ByteBuffer()
            txn.write(to: &buffer)
            let decoded = try Txn(from: &buffer)
            #expect(decoded == txn)
            replayedResults.append(replayed.apply(decoded))
        }
        #expect(directResults == replayedResults)
        #expect(TreeSnapshot(direct) == TreeSnapshot(replayed))
    }

    @Test func treeInvariantsHoldAfterARandomWorkload() {
        var tree = DataTree(config: TreeConfig(extendedTypesEnabled: true))
        for txn in Self.workload(seed: 5, count: 800) { _ = tree.apply(txn) }
        for (path, node) in tree.nodes {
            for child in node.children {
                #expect(tree.nodes[PathValidation.join(path, child)] != nil, "\(path) lists missing child \(child)")
            }
            if path != "/" {
                #expect(
                    tree.nodes[PathValidation.parent(of: path)]?.children.contains(PathValidation.name(of: path))
                        == true
                )
                #expect(PathValidation.validate(path) == nil)
            }
            if case .ephemeral(let session) = node.kind {
                #expect(tree.ephemerals[session]?.contains(path) == true)
                #expect(tree.sessions[session] != nil, "ephemeral \(path) outlived its session")
                #expect(node.children.isEmpty)
            }
            if path != "/" && path != "/zookeeper" {
                // stored cversion counts child creates: never fewer than the children present
                #expect(Int(node.cversion) >= node.children.count)
            }
        }
        for (session, paths) in tree.ephemerals {
            for path in paths { #expect(tree.nodes[path]?.kind == .ephemeral(session)) }
        }
        #expect(tree.containers == Set(tree.nodes.filter { $0.value.kind == .container }.keys))
        #expect(tree.ttlNodes == Set(tree.nodes.filter { if case .ttl = $0.value.kind { true } else { false } }.keys))
    }

    // MARK: - Txn log record

    static let everyOp: [TxnOp] = [
        .createSession(timeout: 30_000, password: Array(0..<16)),
        .createSession(timeout: 0, password: []),
        .closeSession,
        .deleteContainer(path: "/containers/c1"),
        .request(.create(createRequest("/a", "data", mode: .ephemeralSequential, acl: [ACL(perms: .all, id: user1)]))),
        .request(.create(createRequest("/null-data", nil))),
        .request(.create2(createRequest("/b", "", acl: ACL.creatorAll))),
        .request(.createContainer(createRequest("/c", mode: .container))),
        .request(
            .createTTL(createRequest("/t", "ttl", mode: .persistentSequentialWithTTL, ttl: EphemeralOwner.maxTTL))
        ),
        .request(.delete(DeleteRequest(path: "/a", version: 3))),
        .request(.setData(SetDataRequest(path: "/a", data: bytes("new"), version: -1))),
        .request(.setData(SetDataRequest(path: "/a", data: nil, version: 0))),
        .request(
            .setACL(
                SetACLRequest(
                    path: "/a",
                    acl: ACL.readUnsafe + [ACL(perms: .admin, id: ZKId(scheme: "ip", id: "10.0.0.0/8"))],
                    version: 2
                )
            )
        ),
        .request(.check(CheckVersionRequest(path: "/a", version: 7))),
        .request(.multi([])),
        .request(
            .multi([
                .create(createRequest("/m")),
                .create2(createRequest("/m/x", "x")),
                .createContainer(createRequest("/m/c", mode: .container)),
                .createTTL(createRequest("/m/t", mode: .persistentWithTTL, ttl: 10)),
                .setData(SetDataRequest(path: "/m", data: bytes("1"), version: 0)),
                .check(CheckVersionRequest(path: "/m", version: 1)),
                .delete(DeleteRequest(path: "/m/x", version: -1)),
            ])
        ),
    ]

    @Test(arguments: everyOp)
    func logRecordRoundTrips(op: TxnOp) throws {
        let txn = Txn(
            zxid: Zxid(epoch: 3, counter: 17),
            time: 1_700_000_123_456,
            session: SessionID(-0x0100_0000_0000_0001),
            xid: Xid(-8),
            auth: [user1, ZKId(scheme: "ip", id: "127.0.0.1"), superUser],
            op: op
        )
        var buffer = ByteBuffer()
        txn.write(to: &buffer)
        let encoded = buffer
        #expect(try Txn(from: &buffer) == txn)
        #expect(buffer.readableBytes == 0)

        // Fixed header: version 1, zxid, time, session, xid, auth count.
        var header = encoded
        #expect(header.readInteger(as: Int32.self) == 1)
        #expect(header.readInteger(as: Int64.self) == Zxid(epoch: 3, counter: 17).rawValue)
        #expect(header.readInteger(as: Int64.self) == 1_700_000_123_456)
        #expect(header.readInteger(as: Int64.self) == -0x0100_0000_0000_0001)
        #expect(header.readInteger(as: Int32.self) == -8)
        #expect(header.readInteger(as: Int32.self) == 3)

        // Every strict prefix is refused, never misread.
        for length in stride(from: 0, to: encoded.readableBytes, by: max(1, encoded.readableBytes / 16)) {
            var prefix = encoded.getSlice(at: encoded.readerIndex, length: length)!
            #expect(throws: ZooKeeperWireError.self) { try Txn(from: &prefix) }
        }
        // Trailing bytes are refused too.
        var longer = encoded
        longer.writeInteger(UInt8(0))
        #expect(throws: ZooKeeperWireError.self) { try Txn(from: &longer) }
    }

    /// A committed txn whose zxid is not above the last applied one (only a forged log has one)
    /// changes nothing and answers RUNTIMEINCONSISTENCY on every member alike, instead of trapping.
    @Test func aTxnBelowTheLastZxidIsRefusedWithoutChange() {
        var tree = DataTree()
        let session = SessionID(0x51)
        _ = tree.apply(Txn(zxid: Zxid(epoch: 1, counter: 1), time: 1, session: session, op: .createSession(timeout: 30_000, password: [UInt8](repeating: 0, count: 16))))
        let create = ZKRequest.create(CreateRequest(path: "/a", data: ByteBuffer(bytes: [1]), acl: ACL.openUnsafe, flags: 0))
        #expect(tree.apply(Txn(zxid: Zxid(epoch: 1, counter: 5), time: 2, session: session, op: .request(create))).err == .ok)
        let before = TreeSnapshot(tree)
        let late = ZKRequest.create(CreateRequest(path: "/b", data: ByteBuffer(bytes: [2]), acl: ACL.openUnsafe, flags: 0))
        for zxid in [Zxid(epoch: 1, counter: 5), Zxid(epoch: 1, counter: 3)] {
            let result = tree.apply(Txn(zxid: zxid, time: 3, session: session, op: .request(late)))
            #expect(result.err == .runtimeInconsistency)
            #expect(result.events.isEmpty)
        }
        #expect(TreeSnapshot(tree) == before)
        #expect(tree.lastZxid == Zxid(epoch: 1, counter: 5))
    }

    @Test func logRecordKindsAreNumberedAsDocumented() {
        func kind(_ op: TxnOp) -> Int32? {
            var buffer = ByteBuffer()
            Txn(zxid: Zxid(1), time: 0, session: alice, op: op).write(to: &buffer)
            buffer.moveReaderIndex(forwardBy: 4 + 8 + 8 + 8 + 4 + 4 + 1)  // ... auth count, hasOrigin=false
            return buffer.readInteger(as: Int32.self)
        }
        #expect(kind(.createSession(timeout: 1, password: [])) == 0)
        #expect(kind(.closeSession) == 1)
        #expect(kind(.request(.check(CheckVersionRequest(path: "/", version: 1)))) == 2)
        #expect(kind(.deleteContainer(path: "/c")) == 3)
    }

    @Test func unknownVersionKindOrOpCodeIsRefused() {
        let txn = Txn(
            zxid: Zxid(1),
            time: 2,
            session: alice,
            op: .request(.delete(DeleteRequest(path: "/x", version: -1)))
        )
        var good = ByteBuffer()
        txn.write(to: &good)
        // version, zxid, time, session, xid, auth count (0), hasOrigin (false)
        let headerLength = 4 + 8 + 8 + 8 + 4 + 4 + 1

        var badVersion = good
        badVersion.setInteger(Int32(2), at: badVersion.readerIndex)
        #expect(throws: ZooKeeperWireError.invalidValue(field: "txn.version", value: 2)) { try Txn(from: &badVersion) }

        var badKind = good
        badKind.setInteger(Int32(9), at: badKind.readerIndex + headerLength)
        #expect(throws: ZooKeeperWireError.invalidValue(field: "txn.kind", value: 9)) { try Txn(from: &badKind) }

        var badOpCode = good
        badOpCode.setInteger(Int32(77), at: badOpCode.readerIndex + headerLength + 4)
        #expect(throws: ZooKeeperWireError.invalidValue(field: "txn.opCode", value: 77)) { try Txn(from: &badOpCode) }

        var hugeAuth = good
        hugeAuth.setInteger(Int32.max, at: hugeAuth.readerIndex + headerLength - 5)
        #expect(throws: ZooKeeperWireError.self) { try Txn(from: &hugeAuth) }
    }
}
