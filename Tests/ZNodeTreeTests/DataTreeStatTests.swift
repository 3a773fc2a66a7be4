import NIOCore
import TestSupport
import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Stat fields after each kind of write (protocol reference §1.5; `DataTree.createNode`, `deleteNode`,
/// `setData`, `setACL`; `DataNode.copyStat`).
@Suite("DataTree Stat semantics")
struct DataTreeStatTests {
    @Test func freshTreeHoldsTheSystemNodes() {
        let tree = DataTree()
        #expect(tree.nodeCount == 4)
        #expect(tree.node("/")?.children == ["zookeeper"])
        #expect(tree.node("/zookeeper")?.children == ["quota", "config"])
        #expect(tree.node("/zookeeper/config")?.acl == ACL.readUnsafe)
        // ZooKeeper stores child *creates*; the root holds "zookeeper" without a create, so a
        // client sees cversion 0 * 2 - 1 = -1 on a fresh server, as `stat /` shows.
        #expect(tree.node("/")?.stat.cversion == -1)
        #expect(tree.node("/")?.stat.numChildren == 1)
        #expect(tree.lastZxid == .zero)
    }

    @Test func createSetsEveryStatField() throws {
        var d = TreeDriver()
        let result = d.create("/a", "hi")
        let zxid = d.last
        let time = d.lastTime
        let expected = Stat(
            czxid: zxid,
            mzxid: zxid,
            ctime: time,
            mtime: time,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeralOwner: 0,
            dataLength: 2,
            numChildren: 0,
            pzxid: zxid
        )
        #expect(
            result
                == TxnResult(
                    err: .ok,
                    response: .create2(path: "/a", stat: expected),
                    events: [TreeEvent(.nodeCreated, "/a"), TreeEvent(.nodeChildrenChanged, "/")]
                )
        )
        #expect(d.stat("/a") == expected)
        #expect(d.tree.lastZxid == Zxid(zxid))
        // The parent: one more create, pzxid moves, its own data fields do not.
        let root = try #require(d.stat("/"))
        #expect(root.cversion == 0)  // stored creates 1, children 2: 1 * 2 - 2
        #expect(root.numChildren == 2)
        #expect(root.pzxid == zxid)
        #expect(root.mzxid == 0 && root.version == 0)
    }

    @Test func plainCreateAnswersWithThePathOnly() {
        var d = TreeDriver()
        let result = d.write(.create(createRequest("/plain", "x")))
        #expect(result.err == .ok)
        #expect(result.response == .create(path: "/plain"))
    }

    @Test func nullAndEmptyDataBothHaveLengthZero() {
        var d = TreeDriver()
        d.mustCreate("/null", nil)
        d.mustCreate("/empty", "")
        #expect(d.tree.node("/null")?.data == nil)
        #expect(d.tree.node("/empty")?.data == ByteBuffer())
        #expect(d.stat("/null")?.dataLength == 0)
        #expect(d.stat("/empty")?.dataLength == 0)
    }

    @Test func setDataChangesVersionMzxidMtimeOnly() throws {
        var d = TreeDriver()
        d.mustCreate("/a", "hi")
        let created = try #require(d.stat("/a"))
        let result = d.write(.setData(SetDataRequest(path: "/a", data: bytes("hello"), version: 0)))
        var expected = created
        expected.mzxid = d.last
        expected.mtime = d.lastTime
        expected.version = 1
        expected.dataLength = 5
        #expect(result == TxnResult(err: .ok, response: .stat(expected), events: [TreeEvent(.nodeDataChanged, "/a")]))
        #expect(d.stat("/a") == expected)
        #expect(d.tree.node("/a")?.data == bytes("hello"))

        d.write(.setData(SetDataRequest(path: "/a", data: nil, version: -1)))
        #expect(d.stat("/a")?.version == 2)
        #expect(d.stat("/a")?.dataLength == 0)
        #expect(d.stat("/a")?.czxid == created.czxid)
        #expect(d.stat("/a")?.ctime == created.ctime)
    }

    @Test func childCreateAndDeleteMoveParentCversionAndPzxid() throws {
        var d = TreeDriver()
        d.mustCreate("/p", "data")
        let p0 = try #require(d.stat("/p"))

        d.mustCreate("/p/c1")
        let c1Zxid = d.last
        var p1 = try #require(d.stat("/p"))
        #expect((p1.cversion, p1.numChildren, p1.pzxid) == (1, 1, c1Zxid))
        #expect((p1.mzxid, p1.mtime, p1.version) == (p0.mzxid, p0.mtime, 0))

        d.mustCreate("/p/c2")
        // A child's setData does not touch the parent.
        d.write(.setData(SetDataRequest(path: "/p/c2", data: bytes("child"), version: -1)))
        p1 = try #require(d.stat("/p"))
        #expect((p1.cversion, p1.numChildren, p1.pzxid) == (2, 2, d.last - 1))

        let deleted = d.write(.delete(DeleteRequest(path: "/p/c1", version: -1)))
        #expect(
            deleted
                == TxnResult(
                    err: .ok,
                    response: .empty,
                    events: [TreeEvent(.nodeDeleted, "/p/c1"), TreeEvent(.nodeChildrenChanged, "/p")]
                )
        )
        let p2 = try #require(d.stat("/p"))
        // Client-visible cversion counts creates and deletes; pzxid is the delete's zxid.
        #expect((p2.cversion, p2.numChildren, p2.pzxid) == (3, 1, d.last))
        #expect((p2.mzxid, p2.version) == (p0.mzxid, 0))
        #expect(d.tree.node("/p")?.children == ["c2"])
        // What is stored is the create count (ZooKeeper's StatPersisted.cversion).
        #expect(d.tree.node("/p")?.cversion == 2)
    }

    @Test func setACLBumpsAversionOnly() throws {
        var d = TreeDriver()
        d.mustCreate("/a", "x")
        let before = try #require(d.stat("/a"))
        let acl = [ACL(perms: .read, id: .anyone), ACL(perms: .all, id: user1)]
        let result = d.write(.setACL(SetACLRequest(path: "/a", acl: acl, version: 0)))
        var expected = before
        expected.aversion = 1
        #expect(result == TxnResult(err: .ok, response: .stat(expected), events: []))
        #expect(d.stat("/a") == expected)
        #expect(d.tree.node("/a")?.acl == acl)
    }

    @Test func standaloneCheckAnswersWithTheStatAndChangesNothing() throws {
        var d = TreeDriver()
        d.mustCreate("/a", "x")
        let before = TreeSnapshot(d.tree)
        let result = d.write(.check(CheckVersionRequest(path: "/a", version: 0)))
        #expect(result == TxnResult(err: .ok, response: .stat(try #require(d.stat("/a"))), events: []))
        var after = TreeSnapshot(d.tree)
        after.lastZxid = before.lastZxid
        #expect(after == before)
    }

    @Test func opsInsideOneMultiShareTheZxidButCountSeparately() throws {
        var d = TreeDriver()
        let zxid = d.last + 1
        let multi = d.write(
            .multi([
                .create(createRequest("/m", "0")),
                .create(createRequest("/m/x")),
                .setData(SetDataRequest(path: "/m", data: bytes("1"), version: 0)),
                .setData(SetDataRequest(path: "/m", data: bytes("22"), version: 1)),
                .delete(DeleteRequest(path: "/m/x", version: 0)),
                .create(createRequest("/m/y")),
                .check(CheckVersionRequest(path: "/m", version: 2)),
            ])
        )
        let m = try #require(d.stat("/m"))
        let y = try #require(d.stat("/m/y"))
        #expect((m.czxid, m.mzxid, m.pzxid) == (zxid, zxid, zxid))
        #expect(m.version == 2)
        #expect(m.cversion == 3)  // x created, x deleted, y created
        #expect(m.numChildren == 1)
        #expect(m.dataLength == 2)
        #expect((y.czxid, y.mzxid) == (zxid, zxid))
        #expect(d.stat("/")?.pzxid == zxid)
        let setStat1 = Stat(
            czxid: zxid,
            mzxid: zxid,
            ctime: d.lastTime,
            mtime: d.lastTime,
            version: 1,
            cversion: 1,
            dataLength: 1,
            numChildren: 1,
            pzxid: zxid
        )
        guard case .multi(let sub)? = multi.response else {
            Issue.record("expected a multi response")
            return
        }
        #expect(sub.count == 7)
        #expect(sub[0] == .create(path: "/m"))
        #expect(sub[2] == .setData(setStat1))
        #expect(sub[4] == .delete)
        #expect(sub[6] == .check)
        #expect(
            multi.events == [
                TreeEvent(.nodeCreated, "/m"), TreeEvent(.nodeChildrenChanged, "/"),
                TreeEvent(.nodeCreated, "/m/x"), TreeEvent(.nodeChildrenChanged, "/m"),
                TreeEvent(.nodeDataChanged, "/m"), TreeEvent(.nodeDataChanged, "/m"),
                TreeEvent(.nodeDeleted, "/m/x"), TreeEvent(.nodeChildrenChanged, "/m"),
                TreeEvent(.nodeCreated, "/m/y"), TreeEvent(.nodeChildrenChanged, "/m"),
            ]
        )
    }

    @Test func ephemeralOwnerIsTheSessionForEphemeralsAndZeroOtherwise() {
        var d = TreeDriver()
        d.mustCreate("/e", mode: .ephemeral, session: bob)
        d.mustCreate("/p")
        #expect(d.stat("/e")?.ephemeralOwner == bob.rawValue)
        #expect(d.stat("/p")?.ephemeralOwner == 0)
    }
}
