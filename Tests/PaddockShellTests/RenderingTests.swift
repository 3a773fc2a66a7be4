import KeeperClient
import JSON
import Testing
import ZooKeeperWire

@testable import PaddockShell

@Suite struct RenderingTests {
    @Test func datesPrintLikeJavaDateInUTC() {
        #expect(Render.javaDate(milliseconds: 0) == "Thu Jan 01 00:00:00 UTC 1970")
        #expect(Render.javaDate(milliseconds: 1_700_000_000_000) == "Tue Nov 14 22:13:20 UTC 2023")
        #expect(Render.javaDate(milliseconds: 951_782_400_000) == "Tue Feb 29 00:00:00 UTC 2000")
        #expect(Render.javaDate(milliseconds: -1000) == "Wed Dec 31 23:59:59 UTC 1969")
    }

    @Test func statPrintsZkCliFieldsInZkCliOrder() {
        let stat = Stat(
            czxid: 0x1_0000_0002, mzxid: 0x1_0000_0003, ctime: 0, mtime: 1_700_000_000_000, version: 1, cversion: 2,
            aversion: 0, ephemeralOwner: 0x1_0000_9b30_a000_00, dataLength: 5, numChildren: 0, pzxid: 0x1_0000_0002)
        #expect(
            Render.statText(stat) == """
                cZxid = 0x100000002
                ctime = Thu Jan 01 00:00:00 UTC 1970
                mZxid = 0x100000003
                mtime = Tue Nov 14 22:13:20 UTC 2023
                pZxid = 0x100000002
                cversion = 2
                dataVersion = 1
                aclVersion = 0
                ephemeralOwner = 0x100009b30a00000
                dataLength = 5
                numChildren = 0
                """)
        #expect(Render.statJSON(stat)["ephemeralOwner"] == .string("0x100009b30a00000"))
        #expect(Render.statJSON(stat)["dataVersion"] == .int(1))
    }

    @Test func ephemeralOwnerIgnoresContainerAndTTLMarkers() {
        #expect(Render.ephemeralOwner(Stat(ephemeralOwner: 0)) == nil)
        #expect(Render.ephemeralOwner(Stat(ephemeralOwner: EphemeralOwner.container)) == nil)
        #expect(Render.ephemeralOwner(Stat(ephemeralOwner: EphemeralOwner.ttl(500))) == nil)
        #expect(Render.ephemeralOwner(Stat(ephemeralOwner: 0x42)) == SessionID(0x42))
    }

    @Test func jsonDataIsIndentedOtherTextIsVerbatimBinaryIsHex() {
        #expect(Render.data(Array(#"{"version":1,"brokerid":2}"#.utf8)) == "{\n  \"version\": 1,\n  \"brokerid\": 2\n}")
        #expect(Render.data(Array("7".utf8)) == "7")
        #expect(Render.data(Array("plain text".utf8)) == "plain text")
        #expect(Render.data([0xFF, 0x00, 0x0A]) == "<3 bytes> ff000a")
        #expect(Render.dataJSON([]) == .null)
        #expect(Render.dataJSON(Array("hi".utf8)) == .string("hi"))
        #expect(Render.dataJSON([0xFF, 0x00]) == .object([("base64", .string("/wA="))]))
    }

    @Test func aclsPrintLikeZkCli() {
        #expect(Render.aclText(ACL.openUnsafe) == "'world,'anyone\n: cdrwa")
        #expect(Render.perms([.read, .admin]) == "ra")
    }

    @Test func tablesPadColumnsToTheWidestCell() {
        let table = Render.table(["A", "LONGER"], [["1", "x"], ["22222", "yy"]])
        #expect(table == "A      LONGER\n1      x\n22222  yy")
    }

    @Test func errorsReadAsSentences() {
        #expect(ShellError.zookeeper(ZooKeeperError(code: .noNode, path: "/a/b")).description == "Node does not exist: /a/b")
        #expect(ShellError.versionMismatch(path: "/a", expected: 3, found: 4).description == "Version mismatch: expected 3, found 4 (/a)")
        #expect(ShellError.versionMismatch(path: "/a", expected: 3, found: nil).description == "Version mismatch: expected 3, but /a no longer exists")
        #expect(ShellError.zookeeper(ZooKeeperError(code: .notEmpty, path: "/a")).description == "Node not empty: /a")
        #expect(ShellError.zookeeper(ZooKeeperError(code: .connectionLoss)).description.hasPrefix("Connection lost"))
        for code in ZKErrorCode.allCases {
            let sentence = ShellError.sentence(code, path: "/p")
            #expect(!sentence.isEmpty && !sentence.contains("ZooKeeperError"))
        }
    }

    @Test func watchEventsPrintInZkCliWords() {
        #expect(
            Render.watchEvent(type: .nodeDataChanged, path: "/a")
                == "WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged path:/a")
    }

    @Test func treesShowSizesChildCountsAndEphemeralOwners() {
        let tree = TreeNode(
            path: "/brokers", stat: Stat(dataLength: 0, numChildren: 2),
            children: [
                TreeNode(
                    path: "/brokers/ids", stat: Stat(numChildren: 1),
                    children: [TreeNode(path: "/brokers/ids/1", stat: Stat(ephemeralOwner: 0x7, dataLength: 42))]),
                TreeNode(path: "/brokers/topics", stat: Stat(numChildren: 3), truncated: true),
            ])
        #expect(
            tree.rendered() == """
                /brokers  (0 B, 2 children)
                ├── ids  (0 B, 1 child)
                │   └── 1  (42 B, ephemeral 0x7)
                └── topics  (0 B, 3 children)
                    └── … 3 more
                """)
        #expect(tree.json["children"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 2)
    }
}
