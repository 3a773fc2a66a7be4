import NIOCore
import TestSupport
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Client-visible error codes and their precedence, as `PrepRequestProcessor` checks them:
/// create: flags → TTL/extended types → "has a slash, no NUL" → fixupACL → parent exists → CREATE
/// on parent → full path validation → NODEEXISTS → NOCHILDRENFOREPHEMERALS.
/// delete: "has a slash, not special" → parent → DELETE on parent → node → version → NOTEMPTY.
/// setData: path → node → WRITE → version. setACL: path → fixupACL → node → ADMIN → aversion.
@Suite("DataTree error codes")
struct DataTreeErrorTests {
    // MARK: - create

    @Test func createOnMissingParentIsNoNode() {
        var d = TreeDriver()
        #expect(d.create("/missing/child").err == .noNode)
    }

    @Test func createOfExistingNodeIsNodeExists() {
        var d = TreeDriver()
        d.mustCreate("/a")
        #expect(d.create("/a").err == .nodeExists)
        #expect(d.create("/zookeeper").err == .nodeExists)
        // "/" is a valid path that exists (ZooKeeper's answer too)
        #expect(d.create("/").err == .nodeExists)
        #expect(
            d.write(.create(createRequest("/", mode: .persistentSequential))).response == .create(path: "/0000000001")
        )
    }

    @Test(arguments: [CreateMode.persistent, .ephemeral, .persistentSequential, .ephemeralSequential])
    func childOfEphemeralIsNoChildrenForEphemerals(mode: CreateMode) {
        var d = TreeDriver()
        d.mustCreate("/e", mode: .ephemeral)
        #expect(d.create("/e/child", mode: mode).err == .noChildrenForEphemerals)
    }

    @Test func noAuthWinsOverNoChildrenForEphemerals() {
        var d = TreeDriver()
        d.mustCreate("/e", mode: .ephemeral, acl: [ACL(perms: .read, id: .anyone)])
        #expect(d.create("/e/child").err == .noAuth)
    }

    /// Paths every check refuses: no slash, empty, or a bad final name under an existing parent.
    @Test(arguments: [
        "", "a", "a-b", "/a/", "/a/.", "/a/..", "/.", "/..", "/a\u{1}", "/a\u{7F}", "/a\u{9F}",
        "/a\u{FFF5}", "/a\u{E000}", "/a\u{0}b", "//b",
    ])
    func invalidPathsAreBadArguments(path: String) {
        var d = TreeDriver()
        d.mustCreate("/a")
        #expect(d.create(path).err == .badArguments, "create \(path.debugDescription)")
        #expect(d.write(.create(createRequest(path))).err == .badArguments)
    }

    /// ZooKeeper looks the parent up before validating the name, so an empty or "." component in
    /// the parent part answers NONODE (the parent "/a/" does not exist), not BADARGUMENTS.
    @Test(arguments: ["/a//b", "/a/./b", "/a/../b", "/missing/"])
    func invalidParentPartIsNoNode(path: String) {
        var d = TreeDriver()
        d.mustCreate("/a")
        #expect(d.create(path).err == .noNode, "create \(path.debugDescription)")
    }

    @Test func sequentialCreateMayEndWithSlashOrDot() {
        var d = TreeDriver()
        d.mustCreate("/a")
        #expect(
            d.write(.create(createRequest("/a/", mode: .persistentSequential))).response
                == .create(path: "/a/0000000000")
        )
        #expect(
            d.write(.create(createRequest("/a/.", mode: .persistentSequential))).response
                == .create(path: "/a/.0000000001")
        )
    }

    @Test(arguments: [Int32(-1), 7, 99, Int32.min])
    func unknownCreateFlagsAreBadArguments(flags: Int32) {
        var d = TreeDriver()
        var request = createRequest("/x")
        request.flags = flags
        #expect(d.write(.create2(request)).err == .badArguments)
        #expect(d.tree.node("/x") == nil)
    }

    @Test func flagErrorsComeBeforePathErrors() {
        var d = TreeDriver()
        var request = createRequest("no-slash")
        request.flags = 42
        #expect(d.write(.create(request)).err == .badArguments)
        // and the TTL check before the parent lookup
        #expect(
            d.write(.createTTL(createRequest("/missing/x", mode: .persistentWithTTL, ttl: 1))).err == .unimplemented
        )
    }

    @Test func emptyACLIsInvalidACL() {
        var d = TreeDriver()
        #expect(d.create("/a", acl: []).err == .invalidACL)
    }

    @Test func invalidACLWinsOverNoNodeAndNoAuth() {
        var d = TreeDriver()
        // fixupACL runs before the parent lookup
        #expect(d.create("/missing/a", acl: []).err == .invalidACL)
        d.mustCreate("/locked", acl: [ACL(perms: .read, id: .anyone)])
        #expect(d.create("/locked/a", acl: []).err == .invalidACL)
    }

    @Test func authSchemeWithoutDigestAuthIsInvalidACL() {
        var d = TreeDriver()
        #expect(d.create("/a", acl: ACL.creatorAll).err == .invalidACL)
        // an ip id is not an authenticated id for the auth scheme
        #expect(d.create("/a", acl: ACL.creatorAll, auth: [ZKId(scheme: "ip", id: "127.0.0.1")]).err == .invalidACL)
        // with digest auth, "auth" becomes the caller's digest ids
        #expect(d.create("/a", acl: ACL.creatorAll, auth: [user1]).err == .ok)
        #expect(d.tree.node("/a")?.acl == [ACL(perms: .all, id: user1)])
    }

    @Test(arguments: [
        ACL(perms: .all, id: ZKId(scheme: "world", id: "someone")),
        ACL(perms: .all, id: ZKId(scheme: "digest", id: "no-colon")),
        ACL(perms: .all, id: ZKId(scheme: "ip", id: "10.0.0.0/33")),
        ACL(perms: .all, id: ZKId(scheme: "ip", id: "not-an-address")),
        ACL(perms: .all, id: ZKId(scheme: "nosuchscheme", id: "x")),
        ACL(perms: .all, id: ZKId(scheme: "super", id: "")),
    ])
    func malformedACLEntriesAreInvalidACL(entry: ACL) {
        var d = TreeDriver()
        #expect(d.create("/a", acl: [entry]).err == .invalidACL)
        d.mustCreate("/b")
        #expect(d.write(.setACL(SetACLRequest(path: "/b", acl: [entry], version: -1))).err == .invalidACL)
    }

    @Test func createNeedsCreateOnTheParent() {
        var d = TreeDriver()
        let allButCreate: Perms = [.read, .write, .delete, .admin]
        d.mustCreate("/p", acl: [ACL(perms: allButCreate, id: .anyone), ACL(perms: .all, id: user1)])
        #expect(d.create("/p/c").err == .noAuth)
        #expect(d.create("/p/c", auth: [user1]).err == .ok)
        // The node's own ACL is irrelevant for the create; the parent's decides.
        #expect(d.create("/p/c2", acl: [ACL(perms: .read, id: user1)], auth: [user1]).err == .ok)
    }

    @Test func noAuthWinsOverBadPathNameAndNodeExists() {
        var d = TreeDriver()
        d.mustCreate("/p", acl: [ACL(perms: .read, id: .anyone)])
        d.mustCreate("/p/x", auth: [superUser])
        #expect(d.create("/p/.").err == .noAuth)
        #expect(d.create("/p/x").err == .noAuth)
    }

    // MARK: - delete

    @Test func deleteOfNonEmptyNodeIsNotEmpty() {
        var d = TreeDriver()
        d.mustCreate("/a")
        d.mustCreate("/a/b")
        #expect(d.write(.delete(DeleteRequest(path: "/a", version: -1))).err == .notEmpty)
        #expect(d.tree.node("/a") != nil)
    }

    @Test func badVersionWinsOverNotEmpty() {
        var d = TreeDriver()
        d.mustCreate("/a")
        d.mustCreate("/a/b")
        #expect(d.write(.delete(DeleteRequest(path: "/a", version: 5))).err == .badVersion)
    }

    @Test(arguments: ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"])
    func systemNodesCannotBeDeleted(path: String) {
        var d = TreeDriver()
        #expect(d.write(.delete(DeleteRequest(path: path, version: -1))).err == .badArguments)
        #expect(d.tree.node(path) != nil)
    }

    @Test func deleteErrors() {
        var d = TreeDriver()
        d.mustCreate("/a")
        #expect(d.write(.delete(DeleteRequest(path: "/nope", version: -1))).err == .noNode)
        #expect(d.write(.delete(DeleteRequest(path: "/nope/deeper", version: -1))).err == .noNode)
        #expect(d.write(.delete(DeleteRequest(path: "no-slash", version: -1))).err == .badArguments)
        #expect(d.write(.delete(DeleteRequest(path: "/a", version: 1))).err == .badVersion)
        #expect(d.write(.delete(DeleteRequest(path: "/a", version: 0))).err == .ok)
    }

    @Test func deleteNeedsDeleteOnTheParentNotTheNode() {
        var d = TreeDriver()
        d.mustCreate("/p", acl: [ACL(perms: [.read, .create], id: .anyone), ACL(perms: .all, id: user1)])
        d.mustCreate("/p/c", acl: ACL.openUnsafe)
        #expect(d.write(.delete(DeleteRequest(path: "/p/c", version: -1))).err == .noAuth)
        // NOAUTH comes before NONODE for the node and before the version check
        #expect(d.write(.delete(DeleteRequest(path: "/p/missing", version: -1))).err == .noAuth)
        #expect(d.write(.delete(DeleteRequest(path: "/p/c", version: 9))).err == .noAuth)
        #expect(d.write(.delete(DeleteRequest(path: "/p/c", version: -1)), auth: [user1]).err == .ok)
        // A node whose own ACL denies everything is deleted through an open parent.
        d.mustCreate("/closed", acl: [ACL(perms: .read, id: user1)])
        #expect(d.write(.delete(DeleteRequest(path: "/closed", version: -1))).err == .ok)
    }

    // MARK: - setData, setACL, check

    @Test func setDataErrors() {
        var d = TreeDriver()
        d.mustCreate("/a")
        #expect(d.write(.setData(SetDataRequest(path: "/nope", data: nil, version: -1))).err == .noNode)
        #expect(d.write(.setData(SetDataRequest(path: "/a/", data: nil, version: -1))).err == .badArguments)
        #expect(d.write(.setData(SetDataRequest(path: "/a", data: nil, version: 3))).err == .badVersion)
        #expect(d.stat("/a")?.version == 0)
    }

    @Test func setDataNeedsWriteAndNoAuthWinsOverBadVersion() {
        var d = TreeDriver()
        d.mustCreate(
            "/a",
            acl: [ACL(perms: [.read, .create, .delete, .admin], id: .anyone), ACL(perms: .write, id: user1)]
        )
        #expect(d.write(.setData(SetDataRequest(path: "/a", data: nil, version: -1))).err == .noAuth)
        #expect(d.write(.setData(SetDataRequest(path: "/a", data: nil, version: 99))).err == .noAuth)
        #expect(d.write(.setData(SetDataRequest(path: "/a", data: nil, version: 0)), auth: [user1]).err == .ok)
    }

    @Test func setACLUsesAversionAndNeedsAdmin() {
        var d = TreeDriver()
        d.mustCreate(
            "/a",
            acl: [ACL(perms: [.read, .write, .create, .delete], id: .anyone), ACL(perms: .admin, id: user1)]
        )
        d.write(.setData(SetDataRequest(path: "/a", data: bytes("v"), version: -1)))  // version 1, aversion 0
        #expect(d.write(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: -1))).err == .noAuth)
        #expect(d.write(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: 7))).err == .noAuth)
        #expect(
            d.write(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: 1)), auth: [user1]).err
                == .badVersion
        )
        #expect(d.write(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: 0)), auth: [user1]).err == .ok)
        #expect(d.stat("/a")?.aversion == 1)
        #expect(d.write(.setACL(SetACLRequest(path: "/nope", acl: ACL.openUnsafe, version: -1))).err == .noNode)
        // fixupACL comes before the node lookup
        #expect(d.write(.setACL(SetACLRequest(path: "/nope", acl: [], version: -1))).err == .invalidACL)
        #expect(d.write(.setACL(SetACLRequest(path: "bad", acl: ACL.openUnsafe, version: -1))).err == .badArguments)
    }

    @Test func checkErrors() {
        var d = TreeDriver()
        d.mustCreate("/a")
        d.mustCreate("/secret", acl: [ACL(perms: .write, id: .anyone)])
        #expect(d.write(.check(CheckVersionRequest(path: "/a", version: 1))).err == .badVersion)
        #expect(d.write(.check(CheckVersionRequest(path: "/a", version: 0))).err == .ok)
        #expect(d.write(.check(CheckVersionRequest(path: "/a", version: -1))).err == .ok)
        #expect(d.write(.check(CheckVersionRequest(path: "/nope", version: -1))).err == .noNode)
        #expect(d.write(.check(CheckVersionRequest(path: "a", version: -1))).err == .badArguments)
        // check needs READ, and NOAUTH wins over BADVERSION
        #expect(d.write(.check(CheckVersionRequest(path: "/secret", version: 9))).err == .noAuth)
    }

    @Test func configNodeIsReadOnly() {
        var d = TreeDriver()
        #expect(
            d.write(.setData(SetDataRequest(path: "/zookeeper/config", data: bytes("x"), version: -1))).err == .noAuth
        )
        #expect(d.stat("/zookeeper/config")?.version == -1)
        #expect(d.stat("/zookeeper/config")?.aversion == -1)
    }

    // MARK: - super, skipACL, sessions

    @Test func superBypassesEveryACL() {
        var d = TreeDriver()
        let nobody = [ACL(perms: .read, id: ZKId(scheme: "digest", id: "nobody:x"))]
        d.mustCreate("/locked", "v", acl: nobody)
        d.mustCreate("/locked/child", auth: [superUser])
        #expect(
            d.write(.setData(SetDataRequest(path: "/locked", data: nil, version: -1)), auth: [superUser]).err == .ok
        )
        #expect(d.write(.delete(DeleteRequest(path: "/locked/child", version: -1)), auth: [superUser]).err == .ok)
        #expect(
            d.write(.setACL(SetACLRequest(path: "/locked", acl: nobody, version: -1)), auth: [superUser]).err == .ok
        )
        #expect(d.read(.getData(PathWatchRequest(path: "/locked")), auth: [superUser]).0 == .ok)
        #expect(d.read(.getData(PathWatchRequest(path: "/locked"))).0 == .noAuth)
    }

    @Test func skipACLDisablesChecks() {
        var d = TreeDriver(config: TreeConfig(skipACL: true))
        d.mustCreate("/locked", acl: [ACL(perms: .read, id: user1)])
        #expect(d.create("/locked/child").err == .ok)
        #expect(d.read(.getChildren(PathWatchRequest(path: "/locked"))).0 == .ok)
    }

    @Test func writeFromUnknownSessionIsSessionExpired() {
        var d = TreeDriver()
        let before = TreeSnapshot(d.tree)
        let result = d.create("/a", session: stranger)
        #expect(result == TxnResult(err: .sessionExpired))
        #expect(d.write(.multi([.create(createRequest("/b"))]), session: stranger).err == .sessionExpired)
        var after = TreeSnapshot(d.tree)
        after.lastZxid = before.lastZxid
        #expect(after == before)
    }

    @Test func writeAfterCloseSessionIsSessionExpired() {
        var d = TreeDriver()
        d.apply(.closeSession, session: bob)
        #expect(d.create("/a", session: bob).err == .sessionExpired)
        #expect(d.tree.sessions[bob] == nil)
        #expect(d.tree.sessions[alice] != nil)
    }

    @Test func failedWritesStillConsumeTheirZxid() {
        var d = TreeDriver()
        let zxid = d.next
        #expect(d.create("/missing/x").err == .noNode)
        #expect(d.tree.lastZxid == Zxid(zxid))
    }

    @Test func readOnlyRequestsAreNotTransactions() {
        var d = TreeDriver()
        #expect(d.write(.getData(PathWatchRequest(path: "/"))).err == .badArguments)
        #expect(d.write(.multi([.getData(PathWatchRequest(path: "/"))])).response == .multi([.error(.badArguments)]))
    }
}
