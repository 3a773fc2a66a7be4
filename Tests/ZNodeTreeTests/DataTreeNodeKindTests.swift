import NIOCore
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Sequential, ephemeral, container and TTL nodes (protocol reference §1.4; `CreateMode`,
/// `EphemeralType`, `ContainerManager.getCandidates`, `DataTree.killSession`).
@Suite("DataTree node kinds")
struct DataTreeNodeKindTests {
    // MARK: - Sequential

    @Test(arguments: [
        (Int32(0), "0000000000"), (1, "0000000001"), (42, "0000000042"), (1_234_567_890, "1234567890"),
        (Int32.max, "2147483647"), (-5, "-000000005"), (-1, "-000000001"), (-123_456_789, "-123456789"),
        (-1_234_567_890, "-1234567890"), (Int32.min, "-2147483648"),
    ])
    func sequenceSuffixFormatsLikeJavaPercent010d(value: Int32, expected: String) {
        #expect(DataTree.sequenceSuffix(value) == expected)
    }

    /// The suffix is the parent's *stored* cversion, the count of child creates
    /// (`PrepRequestProcessor`: `String.format("%010d", parentRecord.stat.getCversion())`). Creates of any
    /// child advance it; deletes advance the client-visible cversion but not the suffix (ZooKeeper 3.8).
    @Test func sequenceSuffixCountsChildCreatesOfTheParent() throws {
        var d = TreeDriver()
        d.mustCreate("/q")
        let names = (0..<3).map { _ in
            d.write(.create(createRequest("/q/job-", mode: .persistentSequential))).response
        }
        #expect(
            names == [
                .create(path: "/q/job-0000000000"), .create(path: "/q/job-0000000001"),
                .create(path: "/q/job-0000000002"),
            ]
        )
        #expect(d.stat("/q")?.cversion == 3)

        d.write(.delete(DeleteRequest(path: "/q/job-0000000001", version: -1)))
        #expect(d.stat("/q").map { ($0.cversion, $0.numChildren) } ?? (0, 0) == (4, 2))
        #expect(
            d.write(.create(createRequest("/q/job-", mode: .persistentSequential))).response
                == .create(path: "/q/job-0000000003")
        )
        #expect(d.stat("/q")?.cversion == 5)

        // A plain child advances the counter too; it is per parent, not per prefix.
        d.mustCreate("/q/plain")
        #expect(
            d.write(.create(createRequest("/q/other-", mode: .persistentSequential))).response
                == .create(path: "/q/other-0000000005")
        )
        d.write(.delete(DeleteRequest(path: "/q/job-0000000000", version: -1)))
        d.write(.delete(DeleteRequest(path: "/q/plain", version: -1)))
        let q = try #require(d.stat("/q"))
        #expect((q.cversion, q.numChildren) == (9, 3))
        #expect(
            d.write(.create(createRequest("/q/job-", mode: .persistentSequential))).response
                == .create(path: "/q/job-0000000006")
        )
        #expect(
            d.tree.node("/q")?.children == ["job-0000000002", "job-0000000003", "job-0000000006", "other-0000000005"]
        )
    }

    @Test func sequentialNumberingIsPerParent() {
        var d = TreeDriver()
        d.mustCreate("/a")
        d.mustCreate("/b")
        d.mustCreate("/a/x")
        #expect(
            d.write(.create(createRequest("/a/s-", mode: .persistentSequential))).response
                == .create(path: "/a/s-0000000001")
        )
        #expect(
            d.write(.create(createRequest("/b/s-", mode: .persistentSequential))).response
                == .create(path: "/b/s-0000000000")
        )
    }

    @Test func ephemeralSequentialIsOwnedAndNumbered() {
        var d = TreeDriver()
        d.mustCreate("/lock")
        let first = d.create("/lock/n-", mode: .ephemeralSequential, session: bob)
        let second = d.create("/lock/n-", mode: .ephemeralSequential, session: alice)
        #expect(first.response.flatMap(Self.path) == "/lock/n-0000000000")
        #expect(second.response.flatMap(Self.path) == "/lock/n-0000000001")
        #expect(d.stat("/lock/n-0000000000")?.ephemeralOwner == bob.rawValue)
        #expect(d.stat("/lock/n-0000000001")?.ephemeralOwner == alice.rawValue)
        #expect(d.tree.ephemerals == [bob: ["/lock/n-0000000000"], alice: ["/lock/n-0000000001"]])
    }

    @Test func sequentialNameThatAlreadyExistsIsNodeExists() {
        var d = TreeDriver()
        d.mustCreate("/q")
        d.mustCreate("/q/s-0000000001")  // cversion is now 1
        #expect(d.create("/q/s-", mode: .persistentSequential).err == .nodeExists)
        #expect(d.stat("/q")?.cversion == 1, "a failed create leaves the counter alone")
    }

    static func path(_ response: ZKResponse) -> String? {
        switch response {
        case .create(let path), .create2(let path, _): path
        default: nil
        }
    }

    // MARK: - Ephemerals and closeSession

    @Test func closeSessionDeletesExactlyThatSessionsEphemeralsInOrder() {
        var d = TreeDriver()
        d.mustCreate("/app")
        d.mustCreate("/app/b", mode: .ephemeral, session: bob)
        d.mustCreate("/app/a", mode: .ephemeral, session: bob)
        d.mustCreate("/top", mode: .ephemeral, session: bob)
        d.mustCreate("/app/mine", mode: .ephemeral, session: alice)
        d.mustCreate("/app/persistent", session: bob)
        #expect(d.tree.ephemerals[bob] == ["/app/a", "/app/b", "/top"])

        let result = d.apply(.closeSession, session: bob)
        let zxid = d.last
        // Paths in descending order: deterministic on every member.
        #expect(
            result
                == TxnResult(
                    err: .ok,
                    response: .empty,
                    events: [
                        TreeEvent(.nodeDeleted, "/top"), TreeEvent(.nodeChildrenChanged, "/"),
                        TreeEvent(.nodeDeleted, "/app/b"), TreeEvent(.nodeChildrenChanged, "/app"),
                        TreeEvent(.nodeDeleted, "/app/a"), TreeEvent(.nodeChildrenChanged, "/app"),
                    ]
                )
        )
        #expect(d.tree.node("/app")?.children == ["mine", "persistent"])
        #expect(d.tree.node("/top") == nil)
        #expect(d.tree.ephemerals == [alice: ["/app/mine"]])
        #expect(d.tree.sessions[bob] == nil)
        #expect(d.stat("/app")?.pzxid == zxid)
        #expect(d.stat("/")?.pzxid == zxid)
        #expect(d.tree.takeDirty().sessions.contains(bob))
    }

    @Test func closeSessionWithoutEphemeralsOrUnknownSessionIsHarmless() {
        var d = TreeDriver()
        #expect(d.apply(.closeSession, session: stranger) == TxnResult(err: .ok, response: .empty, events: []))
        #expect(d.apply(.closeSession, session: alice) == TxnResult(err: .ok, response: .empty, events: []))
        #expect(d.tree.sessions.keys.sorted() == [bob])
    }

    @Test func deletingAnEphemeralByHandUpdatesTheIndex() {
        var d = TreeDriver()
        d.mustCreate("/e", mode: .ephemeral, session: bob)
        d.write(.delete(DeleteRequest(path: "/e", version: -1)), session: alice)
        #expect(d.tree.ephemerals[bob] == nil)
        #expect(d.apply(.closeSession, session: bob).events == [])
    }

    @Test func getEphemeralsListsTheCallersOwnByPrefix() {
        var d = TreeDriver()
        d.mustCreate("/a")
        d.mustCreate("/a/1", mode: .ephemeral)
        d.mustCreate("/b", mode: .ephemeral)
        d.mustCreate("/a/2", mode: .ephemeral, session: bob)
        #expect(d.read(.getEphemerals(prefixPath: "/")).1 == .getEphemerals(["/a/1", "/b"]))
        #expect(d.read(.getEphemerals(prefixPath: "")).1 == .getEphemerals(["/a/1", "/b"]))
        #expect(d.read(.getEphemerals(prefixPath: "/a")).1 == .getEphemerals(["/a/1"]))
        #expect(d.read(.getEphemerals(prefixPath: "/a"), session: bob).1 == .getEphemerals(["/a/2"]))
        #expect(d.read(.getEphemerals(prefixPath: "/"), session: stranger).1 == .getEphemerals([]))
    }

    // MARK: - Containers

    @Test func createContainerMakesAContainerWhateverTheFlags() {
        var d = TreeDriver()
        #expect(d.write(.createContainer(createRequest("/c", mode: .container))).err == .ok)
        #expect(d.write(.createContainer(createRequest("/c0", mode: .persistent))).err == .ok)
        #expect(d.tree.node("/c")?.ephemeralOwner == EphemeralOwner.container)
        #expect(d.tree.node("/c")?.kind == .container)
        #expect(d.tree.node("/c0")?.kind == .container)
        #expect(d.tree.containers == ["/c", "/c0"])
        // Clients see ephemeralOwner 0 (`DataNode.getClientEphemeralOwner`).
        #expect(d.stat("/c")?.ephemeralOwner == 0)
        // A plain create with flags=4 makes an ordinary persistent node.
        #expect(d.write(.create2(createRequest("/p4", mode: .container))).err == .ok)
        #expect(d.tree.node("/p4")?.kind == .persistent)
    }

    @Test func cleanupReturnsEmptiedContainersButNotNeverUsedOnes() {
        var d = TreeDriver()
        d.write(.createContainer(createRequest("/used", mode: .container)))
        d.write(.createContainer(createRequest("/never", mode: .container)))
        d.write(.createContainer(createRequest("/busy", mode: .container)))
        d.mustCreate("/used/a")
        d.mustCreate("/busy/a")
        #expect(d.tree.cleanupCandidates(now: .max) == [])
        d.write(.delete(DeleteRequest(path: "/used/a", version: -1)))
        #expect(d.tree.cleanupCandidates(now: 0) == ["/used"])

        #expect(d.apply(.deleteContainer(path: "/busy")) == TxnResult(err: .notEmpty))
        let removed = d.apply(.deleteContainer(path: "/used"))
        #expect(
            removed
                == TxnResult(
                    err: .ok,
                    response: .empty,
                    events: [
                        TreeEvent(.nodeDeleted, "/used"), TreeEvent(.nodeChildrenChanged, "/"),
                    ]
                )
        )
        #expect(d.tree.containers == ["/busy", "/never"])
        #expect(d.tree.cleanupCandidates(now: .max) == [])
    }

    @Test func deleteContainerRefusesOtherKindsAndMissingNodes() {
        var d = TreeDriver()
        d.mustCreate("/plain")
        d.mustCreate("/eph", mode: .ephemeral)
        #expect(d.apply(.deleteContainer(path: "/plain")).err == .badArguments)
        #expect(d.apply(.deleteContainer(path: "/eph")).err == .badArguments)
        #expect(d.apply(.deleteContainer(path: "/gone")).err == .noNode)
        #expect(d.tree.node("/plain") != nil && d.tree.node("/eph") != nil)
    }

    @Test func containerAcceptsEphemeralChildrenAndEmptiesOnCloseSession() {
        var d = TreeDriver()
        d.write(.createContainer(createRequest("/c", mode: .container)))
        d.mustCreate("/c/e", mode: .ephemeral, session: bob)
        #expect(d.tree.cleanupCandidates(now: 0) == [])
        d.apply(.closeSession, session: bob)
        #expect(d.tree.cleanupCandidates(now: 0) == ["/c"])
    }

    // MARK: - TTL

    @Test func createTTLNeedsExtendedTypes() {
        var d = TreeDriver()
        let result = d.write(.createTTL(createRequest("/t", mode: .persistentWithTTL, ttl: 1000)))
        #expect(result == TxnResult(err: .unimplemented))
        #expect(d.tree.node("/t") == nil)
    }

    @Test(arguments: [Int64(0), -1, EphemeralOwner.maxTTL + 1, 1 << 41, .max])
    func outOfRangeTTLIsBadArguments(ttl: Int64) {
        var d = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        #expect(d.write(.createTTL(createRequest("/t", mode: .persistentWithTTL, ttl: ttl))).err == .badArguments)
    }

    @Test(arguments: [CreateMode.persistent, .ephemeral, .container, .persistentSequential])
    func createTTLWithNonTTLModeIsBadArguments(mode: CreateMode) {
        var d = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        #expect(d.write(.createTTL(createRequest("/t", mode: mode, ttl: 1000))).err == .badArguments)
    }

    /// `validateCreateRequest` runs for every create op: a TTL mode without createTTL has no TTL
    /// (ttl -1), so it is BADARGUMENTS, or UNIMPLEMENTED when extended types are off.
    @Test(arguments: [CreateMode.persistentWithTTL, .persistentSequentialWithTTL])
    func otherCreatesWithTTLModeAreRefused(mode: CreateMode) {
        var on = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        var off = TreeDriver()
        for request in [
            ZKRequest.create(createRequest("/t", mode: mode)), .create2(createRequest("/t", mode: mode, ttl: 1000)),
            .createContainer(createRequest("/t", mode: mode)),
        ] {
            #expect(on.write(request).err == .badArguments, "\(request)")
            #expect(off.write(request).err == .unimplemented, "\(request)")
        }
        #expect(on.tree.node("/t") == nil && off.tree.node("/t") == nil)
    }

    @Test func ttlNodeEncodesItsTTLInTheOwnerAndShowsZero() throws {
        var d = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        let result = d.write(.createTTL(createRequest("/t", "v", mode: .persistentWithTTL, ttl: 5_000)))
        guard case .create2(let path, let stat)? = result.response else {
            Issue.record("expected create2, got \(result)")
            return
        }
        #expect(path == "/t")
        #expect(stat.ephemeralOwner == 0)
        let owner = try #require(d.tree.node("/t")?.ephemeralOwner)
        #expect(UInt64(bitPattern: owner) == 0xFF00_0000_0000_1388)
        #expect(owner == EphemeralOwner.ttl(5_000))
        #expect(EphemeralOwner.ttl(of: owner) == 5_000)
        #expect(d.tree.node("/t")?.kind == .ttl(5_000))
        #expect(d.tree.ttlNodes == ["/t"])

        let max = d.write(.createTTL(createRequest("/max", mode: .persistentWithTTL, ttl: EphemeralOwner.maxTTL)))
        #expect(max.err == .ok)
        #expect(UInt64(bitPattern: try #require(d.tree.node("/max")?.ephemeralOwner)) == 0xFF00_00FF_FFFF_FFFF)

        let seq = d.write(.createTTL(createRequest("/s-", mode: .persistentSequentialWithTTL, ttl: 10)))
        #expect(seq.response.flatMap(Self.path) == "/s-0000000002")
    }

    @Test func ttlNodeIsACandidateOnlyAfterMtimePlusTTLAndWhileChildless() throws {
        var d = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        d.write(.createTTL(createRequest("/t", mode: .persistentWithTTL, ttl: 5_000)))
        let created = try #require(d.stat("/t")).mtime
        #expect(d.tree.cleanupCandidates(now: created + 5_000) == [])
        #expect(d.tree.cleanupCandidates(now: created + 5_001) == ["/t"])

        // setData moves mtime and so the deadline
        d.write(.setData(SetDataRequest(path: "/t", data: nil, version: -1)))
        let touched = try #require(d.stat("/t")).mtime
        #expect(touched > created)
        #expect(d.tree.cleanupCandidates(now: created + 5_001) == [])
        #expect(d.tree.cleanupCandidates(now: touched + 5_001) == ["/t"])

        // a child keeps it
        d.mustCreate("/t/child")
        #expect(d.tree.cleanupCandidates(now: .max) == [])
        #expect(d.apply(.deleteContainer(path: "/t")).err == .notEmpty)
        d.write(.delete(DeleteRequest(path: "/t/child", version: -1)))
        #expect(d.tree.cleanupCandidates(now: touched + 5_001) == ["/t"])
        #expect(d.apply(.deleteContainer(path: "/t")).err == .ok)
        #expect(d.tree.ttlNodes.isEmpty)
        #expect(d.tree.node("/t") == nil)
    }

    @Test func cleanupCandidatesAreSorted() {
        var d = TreeDriver(config: TreeConfig(extendedTypesEnabled: true))
        for name in ["/z", "/m", "/a"] {
            d.write(.createContainer(createRequest(name, mode: .container)))
            d.mustCreate(name + "/x")
            d.write(.delete(DeleteRequest(path: name + "/x", version: -1)))
        }
        for name in ["/y", "/b"] {
            d.write(.createTTL(createRequest(name, mode: .persistentWithTTL, ttl: 1)))
        }
        #expect(d.tree.cleanupCandidates(now: .max / 2) == ["/a", "/b", "/m", "/y", "/z"])
    }
}
