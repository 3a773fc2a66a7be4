import KeeperClient
import Testing
import ZooKeeperWire

@Suite("Connect strings, chroot, watch registry")
struct ConnectStringTests {
    @Test func parsesHostsPortsAndChroot() throws {
        let parsed = try ConnectString(parsing: "zk1:2181, zk2:2182,[::1]:2183,zk4/app/x")
        #expect(parsed.hosts == [
            HostAndPort(host: "zk1", port: 2181), HostAndPort(host: "zk2", port: 2182),
            HostAndPort(host: "::1", port: 2183), HostAndPort(host: "zk4", port: 2181),
        ])
        #expect(parsed.chroot == Chroot("/app/x"))
        #expect(try ConnectString(parsing: "h:1/").chroot == .none)
    }

    @Test func rejectsMalformedStrings() {
        for bad in ["", "/app", "h:0", "h:99999", "h:x", "h:1/app/", "h:1/a//b", "h:1/a/../b", "[::1", ":2181"] {
            #expect(throws: ZooKeeperError.self, "\(bad)") { try ConnectString(parsing: bad) }
        }
    }

    @Test func chrootMapsPathsBothWays() {
        let chroot = Chroot("/app")
        #expect(chroot.serverPath("/") == "/app")
        #expect(chroot.serverPath("/a/b") == "/app/a/b")
        #expect(chroot.clientPath("/app") == "/")
        #expect(chroot.clientPath("/app/a") == "/a")
        #expect(chroot.clientPath("/apple") == "/apple")
        #expect(chroot.clientPath("/other") == "/other")
        #expect(Chroot.none.serverPath("/a") == "/a")
        #expect(chroot.outbound(.sync(path: "a")) == nil)
        #expect(Chroot.none.outbound(.multi([.delete(DeleteRequest(path: "x"))])) == nil)
        #expect(chroot.inbound(.getEphemerals(["/app/e1", "/app/d/e2"])) == .getEphemerals(["/e1", "/d/e2"]))
    }

    @Test func setWatchesIsSplitBelowThePacketLimit() {
        var registry = ClientWatchRegistry()
        let paths = (0..<300).map { "/node-\(String(repeating: "x", count: 100))-\($0)" }
        for path in paths { _ = registry.apply(.data(path), err: .ok) }
        _ = registry.apply(.persistent("/p"), err: .ok)
        _ = registry.apply(.exists("/e"), err: .noNode)
        let requests = registry.setWatchesRequests(relativeZxid: Zxid(42), maxPacketSize: 8 * 1024)
        #expect(requests.count > 3)
        var data: [String] = []
        var sawPersistent = false
        for request in requests {
            let body: SetWatchesRequest
            switch request {
            case .setWatches(let r):
                body = r
                #expect(r.persistentWatches.isEmpty)
            case .setWatches2(let r):
                body = r
                sawPersistent = true
            default:
                Issue.record("unexpected \(request)")
                continue
            }
            #expect(body.relativeZxid == Zxid(42))
            let size = (body.dataWatches + body.existWatches + body.childWatches + body.persistentWatches
                + body.persistentRecursiveWatches).reduce(40) { $0 + 4 + $1.utf8.count }
            #expect(size <= 8 * 1024)
            data += body.dataWatches
        }
        #expect(data == paths.sorted())
        #expect(sawPersistent)
        // Only the last packet carries the persistent watch: op 105 only where needed.
        if case .setWatches2 = requests.last {} else { Issue.record("last packet should be SetWatches2") }
        #expect(ClientWatchRegistry().setWatchesRequests(relativeZxid: .zero).isEmpty)
    }

    @Test func notificationsConsumeOneShotWatchesLikeZooKeeper() {
        var registry = ClientWatchRegistry()
        _ = registry.apply(.data("/a"), err: .ok)
        _ = registry.apply(.child("/a"), err: .ok)
        _ = registry.apply(.persistentRecursive("/"), err: .ok)
        registry.notificationReceived(WatcherEvent(type: .nodeChildrenChanged, path: "/a"))
        #expect(registry.child.isEmpty)
        #expect(registry.data == ["/a"])
        _ = registry.apply(.child("/a"), err: .ok)
        registry.notificationReceived(WatcherEvent(type: .nodeDeleted, path: "/a"))
        #expect(registry.data.isEmpty && registry.child.isEmpty)
        #expect(registry.persistentRecursive == ["/"])
        #expect(registry.apply(.remove("/", .persistentRecursive), err: .ok) == [
            WatcherEvent(type: .persistentWatchRemoved, path: "/")
        ])
        #expect(registry.isEmpty)
    }
}
