import NIOCore
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Reads answered from the tree (`FinalRequestProcessor`): exists, getData, getChildren(2), getACL,
/// getAllChildrenNumber, multiRead.
@Suite("DataTree reads")
struct DataTreeReadTests {
    static func tree() -> TreeDriver {
        var d = TreeDriver()
        d.mustCreate("/a", "A")
        d.mustCreate("/a/x", "X")
        d.mustCreate("/a/y")
        d.mustCreate("/a/x/deep")
        d.mustCreate("/secret", "S", acl: [ACL(perms: .all, id: user1)])
        return d
    }

    @Test func readsAnswerDataStatAndSortedChildren() throws {
        let d = Self.tree()
        let a = try #require(d.stat("/a"))
        #expect(d.read(.exists(PathWatchRequest(path: "/a"))) == (.ok, .stat(a)))
        #expect(d.read(.getData(PathWatchRequest(path: "/a"))) == (.ok, .getData(data: bytes("A"), stat: a)))
        #expect(d.read(.getChildren(PathWatchRequest(path: "/a"))) == (.ok, .getChildren(["x", "y"])))
        #expect(
            d.read(.getChildren2(PathWatchRequest(path: "/a"))) == (.ok, .getChildren2(children: ["x", "y"], stat: a))
        )
        #expect(d.read(.getAllChildrenNumber(path: "/a")) == (.ok, .allChildrenNumber(3)))
        // "/" counts every node but itself: zookeeper, quota, config, a, x, y, deep, secret
        #expect(d.read(.getAllChildrenNumber(path: "/")) == (.ok, .allChildrenNumber(8)))
        #expect(d.read(.getChildren(PathWatchRequest(path: "/"))) == (.ok, .getChildren(["a", "secret", "zookeeper"])))
    }

    /// Storage rows carry no children (they are derived on load), and a tree rebuilt from rows
    /// has the same children again.
    @Test func rowsLeaveChildrenOutAndRestoreThem() throws {
        let d = Self.tree()
        let row = try #require(d.tree.row("/a"))
        var expected = try #require(d.tree.node("/a"))
        #expect(expected.children.count == 2)
        expected.children = []
        #expect(row == expected)
        #expect(d.tree.row("/nope") == nil)
        let rows = d.tree.nodes.keys.sorted().map { (path: $0, node: d.tree.row($0)!) }
        let restored = DataTree(restoring: rows, sessions: [:], lastZxid: d.tree.lastZxid, config: TreeConfig())
        #expect(restored.node("/a")?.children == d.tree.node("/a")?.children)
        #expect(restored.node("/a") == d.tree.node("/a"))
    }

    @Test(arguments: [
        ZKRequest.exists(PathWatchRequest(path: "/nope")), .getData(PathWatchRequest(path: "/nope")),
        .getChildren(PathWatchRequest(path: "/nope")), .getChildren2(PathWatchRequest(path: "/nope")),
        .getACL(path: "/nope"), .getAllChildrenNumber(path: "/nope"),
    ])
    func readsOfMissingNodesAreNoNode(request: ZKRequest) {
        let d = Self.tree()
        #expect(d.read(request) == (.noNode, nil))
    }

    @Test(arguments: [
        ZKRequest.exists(PathWatchRequest(path: "/secret")), .getData(PathWatchRequest(path: "/secret")),
        .getChildren(PathWatchRequest(path: "/secret")), .getChildren2(PathWatchRequest(path: "/secret")),
        .getACL(path: "/secret"), .getAllChildrenNumber(path: "/secret"),
    ])
    func readsNeedReadPermission(request: ZKRequest) {
        let d = Self.tree()
        #expect(d.read(request).0 == .noAuth)
        #expect(d.read(request, auth: [ZKId(scheme: "digest", id: "user2:zzz")]).0 == .noAuth)
        #expect(d.read(request, auth: [user1]).0 == .ok)
        #expect(d.read(request, auth: [superUser]).0 == .ok)
    }

    @Test func readsOfNodesReadableByWorldNeedNoAuth() {
        var d = TreeDriver()
        d.mustCreate("/r", "v", acl: ACL.readUnsafe)
        #expect(d.read(.getData(PathWatchRequest(path: "/r"))).0 == .ok)
        d.mustCreate("/w", "v", acl: [ACL(perms: [.write, .create, .delete, .admin], id: .anyone)])
        #expect(d.read(.getData(PathWatchRequest(path: "/w"))).0 == .noAuth)
    }

    @Test func getACLMasksDigestsForReadOnlyCallers() throws {
        var d = TreeDriver()
        let acl = [
            ACL(perms: .read, id: .anyone), ACL(perms: .all, id: user1),
            ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
        ]
        d.mustCreate("/p", acl: acl)
        let stat = try #require(d.stat("/p"))
        let masked = [
            ACL(perms: .read, id: .anyone), ACL(perms: .all, id: ZKId(scheme: "digest", id: "user1:x")),
            ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
        ]
        #expect(d.read(.getACL(path: "/p")) == (.ok, .getACL(acl: masked, stat: stat)))
        #expect(d.read(.getACL(path: "/p"), auth: [user1]) == (.ok, .getACL(acl: acl, stat: stat)))
        #expect(d.read(.getACL(path: "/p"), auth: [superUser]) == (.ok, .getACL(acl: acl, stat: stat)))
    }

    @Test func getACLNeedsReadOrAdmin() throws {
        var d = TreeDriver()
        let adminOnly = [ACL(perms: .admin, id: .anyone), ACL(perms: .read, id: user1)]
        d.mustCreate("/adm", acl: adminOnly)
        let stat = try #require(d.stat("/adm"))
        #expect(d.read(.getACL(path: "/adm")) == (.ok, .getACL(acl: adminOnly, stat: stat)))
        d.mustCreate("/none", acl: [ACL(perms: [.write, .create, .delete], id: .anyone)])
        #expect(d.read(.getACL(path: "/none")) == (.noAuth, nil))
    }

    @Test func readOnlyDigestCallerSeesItsOwnDigestMasked() throws {
        var d = TreeDriver()
        d.mustCreate("/r", acl: [ACL(perms: .read, id: user1)])
        let stat = try #require(d.stat("/r"))
        #expect(
            d.read(.getACL(path: "/r"), auth: [user1])
                == (.ok, .getACL(acl: [ACL(perms: .read, id: ZKId(scheme: "digest", id: "user1:x"))], stat: stat))
        )
    }

    @Test func multiReadAnswersEachOpIndependently() throws {
        let d = Self.tree()
        let x = try #require(d.stat("/a/x"))
        let result = d.read(
            .multiRead([
                .getData(PathWatchRequest(path: "/a/x")),
                .getChildren(PathWatchRequest(path: "/nope")),
                .getChildren(PathWatchRequest(path: "/a")),
                .getData(PathWatchRequest(path: "/secret")),
                .getData(PathWatchRequest(path: "/nope")),
                .exists(PathWatchRequest(path: "/a")),
            ])
        )
        #expect(result.0 == .ok)
        #expect(
            result.1
                == .multi([
                    .getData(data: bytes("X"), stat: x),
                    .error(.noNode),
                    .getChildren(["x", "y"]),
                    .error(.noAuth),
                    .error(.noNode),
                    .error(.badArguments),
                ])
        )
        #expect(d.read(.multiRead([])) == (.ok, .multi([])))
    }

    @Test func writeRequestsAreNotReads() {
        let d = Self.tree()
        #expect(d.read(.create(createRequest("/z"))) == (.badArguments, nil))
    }
}
