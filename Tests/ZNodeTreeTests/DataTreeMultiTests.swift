import NIOCore
import TestSupport
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// multi (op 14): one zxid, all or nothing (`PrepRequestProcessor` multi, `DataTree.processTxn`,
/// `MultiResponse`).
@Suite("DataTree multi")
struct DataTreeMultiTests {
    /// A tree with some history, so a rollback has something to get wrong.
    static func seeded() -> TreeDriver {
        var d = TreeDriver()
        d.mustCreate("/a", "a0")
        d.mustCreate("/b", "b0")
        d.mustCreate("/b/child")
        d.mustCreate("/e", mode: .ephemeral, session: bob)
        d.write(.createContainer(createRequest("/c", mode: .container)))
        _ = d.tree.takeDirty()
        return d
    }

    @Test func failedMultiAppliesNothingAndReportsPerOpResults() {
        var d = Self.seeded()
        let before = TreeSnapshot(d.tree)
        let zxid = d.next
        let result = d.write(
            .multi([
                .create(createRequest("/new", "n")),
                .setData(SetDataRequest(path: "/a", data: bytes("a1"), version: 0)),
                .delete(DeleteRequest(path: "/b/child", version: -1)),
                .create(createRequest("/c/x", mode: .ephemeral)),
                .check(CheckVersionRequest(path: "/b", version: 5)),
                .setData(SetDataRequest(path: "/b", data: bytes("b1"), version: -1)),
                .delete(DeleteRequest(path: "/a", version: -1)),
            ])
        )
        #expect(
            result
                == TxnResult(
                    err: .ok,
                    response: .multi([
                        .error(.ok), .error(.ok), .error(.ok), .error(.ok), .error(.badVersion),
                        .error(.runtimeInconsistency), .error(.runtimeInconsistency),
                    ]),
                    events: []
                )
        )
        var after = TreeSnapshot(d.tree)
        #expect(after.lastZxid == Zxid(zxid), "the failed multi still consumed its zxid")
        after.lastZxid = before.lastZxid
        #expect(after == before)
    }

    @Test(arguments: [
        // (ops, index of the failing op, its code)
        ([ZKRequest.create(createRequest("/a"))], 0, ZKErrorCode.nodeExists),
        ([.create(createRequest("/x")), .delete(DeleteRequest(path: "/nope", version: -1))], 1, .noNode),
        ([.create(createRequest("/x")), .create(createRequest("/x"))], 1, .nodeExists),
        ([.delete(DeleteRequest(path: "/b", version: -1)), .create(createRequest("/y"))], 0, .notEmpty),
        ([.create(createRequest("/e/x")), .create(createRequest("/y"))], 0, .noChildrenForEphemerals),
        ([.create(createRequest("/y")), .create(createRequest("/z", acl: []))], 1, .invalidACL),
        ([.create(createRequest("/y")), .setData(SetDataRequest(path: "/y", data: nil, version: 1))], 1, .badVersion),
        (
            [.create(createRequest("/y")), .createTTL(createRequest("/t", mode: .persistentWithTTL, ttl: 5))], 1,
            .unimplemented
        ),
        (
            [
                .delete(DeleteRequest(path: "/b/child", version: -1)), .delete(DeleteRequest(path: "/b", version: -1)),
                .check(CheckVersionRequest(path: "/b", version: -1)),
            ], 2, .noNode
        ),
    ])
    func failingOpGetsItsCodeOthersOkOrRuntimeInconsistency(ops: [ZKRequest], failing: Int, code: ZKErrorCode) {
        var d = Self.seeded()
        let before = TreeSnapshot(d.tree)
        let result = d.write(.multi(ops))
        var expected = [MultiResult](repeating: .error(.ok), count: failing)
        expected.append(.error(code))
        expected += [MultiResult](repeating: .error(.runtimeInconsistency), count: ops.count - failing - 1)
        #expect(result == TxnResult(err: .ok, response: .multi(expected), events: []))
        var after = TreeSnapshot(d.tree)
        after.lastZxid = before.lastZxid
        #expect(after == before)
    }

    @Test func failedMultiRestoresIndexesAndSessionTable() {
        var d = Self.seeded()
        let before = TreeSnapshot(d.tree)
        // creates an ephemeral, a container and deletes an ephemeral before failing
        let result = d.write(
            .multi([
                .create(createRequest("/e2", mode: .ephemeral)),
                .createContainer(createRequest("/c2", mode: .container)),
                .delete(DeleteRequest(path: "/e", version: -1)),
                .delete(DeleteRequest(path: "/c", version: -1)),
                .create(createRequest("/missing/x")),
            ])
        )
        #expect(result.response == .multi([.error(.ok), .error(.ok), .error(.ok), .error(.ok), .error(.noNode)]))
        var after = TreeSnapshot(d.tree)
        after.lastZxid = before.lastZxid
        #expect(after == before)
        #expect(d.tree.ephemerals == [bob: ["/e"]])
        #expect(d.tree.containers == ["/c"])
    }

    @Test func successfulMultiReportsEachOpAndAppliesAll() throws {
        var d = Self.seeded()
        let zxid = d.next
        let result = d.write(
            .multi([
                .create(createRequest("/new", "fresh")),
                .create2(createRequest("/new2")),
                .createContainer(createRequest("/cc", mode: .container)),
                .setData(SetDataRequest(path: "/a", data: bytes("updated"), version: 0)),
                .check(CheckVersionRequest(path: "/a", version: 1)),
                .create(createRequest("/seq-", mode: .persistentSequential)),
                .delete(DeleteRequest(path: "/new", version: -1)),
            ])
        )
        #expect(result.err == .ok)
        let a = try #require(d.stat("/a"))
        let cc = try #require(d.stat("/cc"))
        #expect(
            result.response
                == .multi([
                    .create(path: "/new"),
                    // ZooKeeper 3.8 answers a create2 inside a multi like a create (type 1, path only).
                    .create(path: "/new2"),
                    .create2(op: .createContainer, path: "/cc", stat: cc),
                    .setData(a),
                    .check,
                    .create(path: "/seq-0000000007"),
                    .delete,
                ])
        )
        #expect(a.mzxid == zxid && a.version == 1)
        #expect(d.stat("/seq-0000000007")?.czxid == zxid)
        #expect(d.tree.node("/new") == nil)
        #expect(d.tree.lastZxid == Zxid(zxid))
    }

    @Test func laterOpsSeeEarlierOps() {
        var d = TreeDriver()
        let result = d.write(
            .multi([
                .create(createRequest("/p")),
                .create(createRequest("/p/c", "child")),
                .check(CheckVersionRequest(path: "/p/c", version: 0)),
                .delete(DeleteRequest(path: "/p/c", version: -1)),
                .delete(DeleteRequest(path: "/p", version: -1)),
            ])
        )
        #expect(result.response == .multi([.create(path: "/p"), .create(path: "/p/c"), .check, .delete, .delete]))
        #expect(d.tree.node("/p") == nil)
        #expect(d.stat("/")?.cversion == 1)  // one create and one delete of /p (stored creates 1, children 1)
    }

    @Test func twoSequentialCreatesUnderOneParentGetConsecutiveSuffixes() {
        var d = TreeDriver()
        d.mustCreate("/q")
        d.mustCreate("/q/x")
        let result = d.write(
            .multi([
                .create(createRequest("/q/n-", mode: .persistentSequential)),
                .create(createRequest("/q/n-", mode: .ephemeralSequential)),
            ])
        )
        #expect(result.response == .multi([.create(path: "/q/n-0000000001"), .create(path: "/q/n-0000000002")]))
    }

    /// setACL, reads or a nested multi cannot come off the wire inside a multi (the decoder refuses
    /// them); a hand-built txn carrying one fails that op instead of crashing the member.
    @Test(arguments: [
        ZKRequest.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: -1)),
        .getData(PathWatchRequest(path: "/a")),
        .multi([.create(createRequest("/nested"))]),
        .sync(path: "/a"),
    ])
    func opsThatAMultiCannotCarryFailTheMulti(op: ZKRequest) {
        var d = Self.seeded()
        let before = TreeSnapshot(d.tree)
        let result = d.write(
            .multi([.create(createRequest("/n")), op, .delete(DeleteRequest(path: "/n", version: -1))])
        )
        #expect(
            result
                == TxnResult(
                    err: .ok,
                    response: .multi([.error(.ok), .error(.badArguments), .error(.runtimeInconsistency)]),
                    events: []
                )
        )
        var after = TreeSnapshot(d.tree)
        after.lastZxid = before.lastZxid
        #expect(after == before)
    }

    @Test func emptyMultiSucceedsWithNoResults() {
        var d = TreeDriver()
        let before = TreeSnapshot(d.tree)
        #expect(d.write(.multi([])) == TxnResult(err: .ok, response: .multi([]), events: []))
        var after = TreeSnapshot(d.tree)
        after.lastZxid = before.lastZxid
        #expect(after == before)
    }

    @Test func successfulMultiMarksDirtyPathsForStorage() {
        var d = Self.seeded()
        d.write(.multi([.create(createRequest("/n")), .setData(SetDataRequest(path: "/a", data: nil, version: -1))]))
        #expect(d.tree.takeDirty().paths == ["/", "/n", "/a"])
        #expect(d.tree.takeDirty().paths.isEmpty)
    }
}
