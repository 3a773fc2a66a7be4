import Foundation
import KeeperClient
import Logging
import PaddockTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing
import ZooKeeperWire

/// Loopback tests against a real `paddock keeper` (STYLE.md §7.5). Most share one server and work
/// under their own root; the restart tests own theirs.
@Suite("ZooKeeperClient against paddock keeper")
struct ZooKeeperClientIntegrationTests {
    @Test func binaryIsAvailable() throws {
        // Fails (does not skip) when there is no server to test against.
        _ = try PaddockProcess.binary()
    }

    @Test func crudAndStat() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("crud")
        try await withClient(server) { client in
            #expect(client.sessionID != nil)
            #expect(client.sessionPassword.count == 16)
            #expect(client.negotiatedTimeout == .seconds(6))

            let (created, stat) = try await client.createReturningStat(root, data: Array("hello".utf8))
            #expect(created == root)
            #expect(stat.version == 0)
            #expect(stat.dataLength == 5)
            #expect(stat.czxid == stat.mzxid)

            let exists = try #require(try await client.exists(root))
            #expect(exists == stat)
            #expect(try await client.exists(root + "/missing") == nil)

            let (data, readStat) = try await client.getData(root)
            #expect(data == Array("hello".utf8))
            #expect(readStat == stat)

            let updated = try await client.setData(root, data: Array("bye".utf8), version: 0)
            #expect(updated.version == 1)
            #expect(updated.dataLength == 3)
            #expect(updated.mzxid > stat.mzxid)
            await expectError(.badVersion) { try await client.setData(root, data: [], version: 0) }

            #expect(try await client.create(root + "/a") == root + "/a")
            #expect(try await client.create(root + "/b", data: [1, 2, 3]) == root + "/b")
            await expectError(.nodeExists) { try await client.create(root + "/a") }
            await expectError(.noNode) { try await client.create(root + "/x/y") }
            #expect(Set(try await client.getChildren(root)) == ["a", "b"])
            let (children, parentStat) = try await client.getChildren2(root)
            #expect(Set(children) == ["a", "b"])
            #expect(parentStat.numChildren == 2)
            #expect(parentStat.cversion == 2)
            #expect(try await client.getAllChildrenNumber(root) == 2)

            await expectError(.notEmpty) { try await client.delete(root) }
            await expectError(.badVersion) { try await client.delete(root + "/a", version: 5) }
            try await client.delete(root + "/a", version: 0)
            try await client.delete(root + "/b")
            try await client.sync(root)
            try await client.delete(root)
            #expect(try await client.exists(root) == nil)
            await expectError(.noNode) { try await client.getData(root) }
        }
    }

    @Test func errorsCarryThePath() async throws {
        let server = try await SharedPaddock.get()
        try await withClient(server) { client in
            do {
                _ = try await client.getData("/no/such/node")
                Issue.record("expected NONODE")
            } catch let error as ZooKeeperError {
                #expect(error == ZooKeeperError(code: .noNode, path: "/no/such/node"))
            }
            await expectError(.badArguments) { try await client.create("relative") }
            await expectError(.badArguments) { try await client.create("/ttl", mode: .persistentWithTTL) }
        }
    }

    @Test func sequentialNodesGetIncreasingSuffixes() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("seq")
        try await withClient(server) { client in
            _ = try await client.create(root)
            var paths: [String] = []
            for _ in 0..<3 {
                paths.append(try await client.create(root + "/n-", mode: .persistentSequential))
            }
            #expect(paths == [root + "/n-0000000000", root + "/n-0000000001", root + "/n-0000000002"])
        }
    }

    @Test func ttlAndContainerNodes() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("ttl")
        try await withClient(server) { client in
            let (_, stat) = try await client.createReturningStat(root, mode: .persistentWithTTL, ttl: 60_000)
            // ZooKeeper hides the TTL/container encoding from clients (`DataNode.getClientEphemeralOwner`).
            #expect(stat.ephemeralOwner == 0)
            #expect(try await client.exists(root) == stat)
            let sequential = try await client.create(root + "-s-", mode: .persistentSequentialWithTTL, ttl: 1000)
            #expect(sequential.hasPrefix(root + "-s-"))
            let (_, container) = try await client.createReturningStat(root + "-c", mode: .container)
            #expect(container.ephemeralOwner == 0)
            _ = try await client.create(root + "-c/child", mode: .ephemeral)
        }
    }

    @Test func ephemeralIsRemovedAfterClose() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("eph")
        try await withClient(server) { observer in
            _ = try await observer.create(root)
            let owner = try makeClient(server.connectString)
            try await owner.connect()
            let path = try await owner.create(root + "/e", mode: .ephemeral)
            let stat = try #require(try await observer.exists(path))
            #expect(stat.ephemeralOwner == owner.sessionID?.rawValue)
            #expect(try await owner.getEphemerals(prefix: root) == [path])
            try await owner.close()
            #expect(try await observer.exists(path) == nil)
            await expectError(.sessionExpired) { try await owner.exists(path) }
            try await owner.close()  // idempotent
        }
    }

    @Test func dataAndChildWatchesFireExactlyOnce() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("watch")
        try await withClient(server) { client in
            let events = EventRecorder(client.watchEvents())
            _ = try await client.create(root)
            _ = try await client.getData(root, watch: true)
            _ = try await client.getChildren(root, watch: true)
            try await client.setData(root, data: [1])
            try await client.setData(root, data: [2])
            _ = try await client.create(root + "/c1")
            _ = try await client.create(root + "/c2")
            // A marker watch fired last: events are ordered, so everything before it has arrived.
            let marker = root + "/marker"
            #expect(try await client.exists(marker, watch: true) == nil)
            _ = try await client.create(marker)
            let seen = try await events.wait { $0.contains { $0.path == marker } }
            #expect(seen.map(\.type) == [.nodeDataChanged, .nodeChildrenChanged, .nodeCreated])
            #expect(seen.map(\.path) == [root, root, marker])
            #expect(seen.allSatisfy { $0.state == .syncConnected })
        }
    }

    @Test func persistentRecursiveWatchSeesTheWholeSubtreeRepeatedly() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("recursive")
        try await withClient(server) { client in
            _ = try await client.create(root)
            let events = EventRecorder(client.watchEvents())
            try await client.addWatch(root, mode: .persistentRecursive)
            try await client.checkWatches(root, type: .any)
            _ = try await client.create(root + "/a")
            _ = try await client.create(root + "/a/b")
            try await client.setData(root + "/a", data: [1])
            try await client.setData(root + "/a", data: [2])
            try await client.delete(root + "/a/b")
            let seen = try await events.wait { $0.count >= 5 }
            #expect(seen.map(\.type) == [.nodeCreated, .nodeCreated, .nodeDataChanged, .nodeDataChanged, .nodeDeleted])
            #expect(seen.map(\.path) == [root + "/a", root + "/a/b", root + "/a", root + "/a", root + "/a/b"])
            // ZooKeeper 3.8 servers take only Children/Data/Any here; Any removes persistent watches too.
            try await client.removeWatches(root, type: .any)
            await expectError(.noWatcher) { try await client.checkWatches(root, type: .any) }
            try await events.wait { $0.last?.type == .persistentWatchRemoved }
        }
    }

    @Test func multiReturnsPerOpResultsOnSuccessAndFailure() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("multi")
        try await withClient(server) { client in
            let ok = try await client.multi([
                .create(path: root, data: []),
                .create(path: root + "/a", data: [7]),
                .setData(path: root + "/a", data: [8], version: 0),
                .check(path: root, version: 0),
            ])
            #expect(ok.count == 4)
            #expect(ok[0] == .create(path: root, stat: nil))
            #expect(ok[1] == .create(path: root + "/a", stat: nil))
            guard case .setData(let stat) = ok[2] else {
                Issue.record("expected setData, got \(ok[2])")
                return
            }
            #expect(stat.version == 1)
            #expect(ok[3] == .check)
            #expect(ok.firstError == nil)

            let failed = try await client.multi([
                .create(path: root + "/b", data: []),
                .delete(path: root + "/missing"),
                .setData(path: root + "/a", data: [9]),
            ])
            #expect(failed == [.error(.ok), .error(.noNode), .error(.runtimeInconsistency)])
            #expect(failed.firstError == .noNode)
            #expect(try await client.exists(root + "/b") == nil)
            #expect(try await client.getData(root + "/a").data == [8])

            let versionCheck = try await client.multi([.check(path: root + "/a", version: 0), .delete(path: root + "/a")])
            #expect(versionCheck.firstError == .badVersion)

            let reads = try await client.multiRead([.getData(path: root + "/a"), .getChildren(path: root), .getData(path: root + "/zz")])
            #expect(reads.count == 3)
            if case .getData(let data, _) = reads[0] { #expect(data == [8]) } else { Issue.record("\(reads[0])") }
            #expect(reads[1] == .getChildren(["a"]))
            #expect(reads[2] == .error(.noNode))
        }
    }

    @Test func digestAuthGatesAccess() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("acl")
        try await withClient(server) { owner in
            try await owner.addAuth(scheme: "digest", credential: Array("alice:secret".utf8))
            // The digest provider reports the user name (`DigestAuthenticationProvider.getUserName`).
            #expect(try await owner.whoAmI().contains(ClientInfo(authScheme: "digest", user: "alice")))
            _ = try await owner.create(root, data: [1], acl: ACL.creatorAll)
            let (acl, _) = try await owner.getACL(root)
            #expect(acl.count == 1)
            #expect(acl.first?.id.scheme == "digest")
            #expect(acl.first?.perms == .all)

            try await withClient(server) { stranger in
                await expectError(.noAuth) { try await stranger.getData(root) }
                await expectError(.noAuth) { try await stranger.setData(root, data: [2]) }
                try await stranger.addAuth(scheme: "digest", credential: Array("mallory:guess".utf8))
                await expectError(.noAuth) { try await stranger.getData(root) }
            }
            try await withClient(server) { friend in
                try await friend.addAuth(scheme: "digest", credential: Array("alice:secret".utf8))
                #expect(try await friend.getData(root).data == [1])
                try await friend.setData(root, data: [3])
            }
            let stat = try await owner.setACL(root, acl: ACL.openUnsafe, version: 0)
            #expect(stat.aversion == 1)
        }
    }

    @Test func chrootIsTransparent() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("chroot")
        try await withClient(server) { plain in
            _ = try await plain.create(root)
            try await withClient(server, chroot: root) { rooted in
                let events = EventRecorder(rooted.watchEvents())
                #expect(try await rooted.getChildren("/", watch: true) == [])
                #expect(try await rooted.create("/a", data: [1]) == "/a")
                #expect(try await rooted.create("/s-", mode: .persistentSequential) == "/s-0000000001")
                #expect(try await plain.getData(root + "/a").data == [1])
                let results = try await rooted.multi([.create(path: "/m", data: []), .check(path: "/a", version: 0)])
                #expect(results.first == .create(path: "/m", stat: nil))
                let seen = try await events.wait { !$0.isEmpty }
                #expect(seen.first == WatchEvent(type: .nodeChildrenChanged, state: .syncConnected, path: "/", zxid: seen.first!.zxid))
                _ = try await rooted.create("/e", mode: .ephemeral)
                #expect(try await rooted.getEphemerals() == ["/e"])
            }
        }
    }

    @Test func thousandPipelinedCreatesSucceedInXidOrder() async throws {
        let server = try await SharedPaddock.get()
        let root = uniqueRoot("pipeline")
        try await withClient(server) { client in
            _ = try await client.create(root)
            // Submitted back to back in one event-loop turn: consecutive xids, one connection.
            let requests = (0..<1000).map { _ in
                ZKRequest.create(
                    CreateRequest(path: root + "/n-", data: ByteBuffer(), acl: ACL.openUnsafe, flags: CreateMode.persistentSequential.rawValue)
                )
            }
            let results = await client.submitBatch(requests)
            let paths = try results.map { result -> String in
                guard case .create(let path) = try result.get() else { throw ZooKeeperError(code: .marshallingError) }
                return path
            }
            // The server numbers children in the order it applies them; reply i must be request i's.
            #expect(paths == (0..<1000).map { root + "/n-" + String(format: "%010d", $0) })

            // And the same through the public API from 1000 concurrent tasks.
            let concurrent = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<1000 {
                    group.addTask { try await client.create(root + "/c\(i)", data: [UInt8(truncatingIfNeeded: i)]) }
                }
                var created: [String] = []
                for try await path in group { created.append(path) }
                return created
            }
            #expect(Set(concurrent).count == 1000)
            #expect(try await client.getAllChildrenNumber(root) == 2000)
        }
    }

    @Test func connectStringWithADeadFirstHost() async throws {
        let server = try await SharedPaddock.get()
        let deadPort = try freePorts(1)[0]
        let client = try ZooKeeperClient(
            connectString: "ignored",
            hosts: [HostAndPort(host: "127.0.0.1", port: deadPort), HostAndPort(host: "127.0.0.1", port: server.clientPort)],
            chroot: .none,
            sessionTimeout: .seconds(6),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "test")
        )
        let sessions = EventRecorder(client.sessionEvents())
        try await client.connect()
        #expect(try await client.exists("/") != nil)
        try await client.close()
        try await sessions.wait { $0 == [.connected, .closed] }

        // The public initialiser (shuffled hosts) gets there too.
        let shuffled = try makeClient("127.0.0.1:\(deadPort),\(server.connectString)")
        try await shuffled.connect()
        #expect(try await shuffled.exists("/") != nil)
        try await shuffled.close()
    }

    @Test func connectedServerNamesTheMemberAndFourLetterWordsReachIt() async throws {
        let server = try await SharedPaddock.get()
        let client = try makeClient(server.connectString)
        #expect(client.connectedServer == nil)
        try await client.connect()
        #expect(client.connectedServer == server.connectString)
        let member = HostAndPort(host: "127.0.0.1", port: server.clientPort)
        #expect(try await ZooKeeperClient.fourLetterWord("ruok", to: member, timeout: .seconds(3)) == "imok")
        try await client.close()
        #expect(client.connectedServer == nil)
    }

    @Test func connectFailsWhenNoHostAnswers() async throws {
        let deadPort = try freePorts(1)[0]
        let client = try makeClient("127.0.0.1:\(deadPort)", sessionTimeout: .seconds(1))
        await expectError(.connectionLoss) { try await client.connect(timeout: .seconds(1)) }
        await expectError(.connectionLoss) { try await client.exists("/") }
    }

    @Test func malformedConnectStringsAreRejected() {
        #expect(throws: ZooKeeperError(code: .badArguments, path: "")) { try makeClient("") }
        #expect(throws: ZooKeeperError.self) { try makeClient("host:notaport") }
        #expect(throws: ZooKeeperError.self) { try makeClient("host:2181/bad/") }
    }

    // MARK: - Server restarts (own server)

    @Test func reconnectsToTheSameSessionAfterTheServerIsKilledAndRestarted() async throws {
        let server = try await PaddockProcess.start()
        defer { server.stop() }
        let client = try makeClient(server.connectString, sessionTimeout: .seconds(10))
        let sessions = EventRecorder(client.sessionEvents())
        let events = EventRecorder(client.watchEvents())
        try await client.connect()
        let session = try #require(client.sessionID)
        _ = try await client.create("/w", data: [0])
        let ephemeral = try await client.create("/eph", mode: .ephemeral)
        _ = try await client.getData("/w", watch: true)
        try await client.addWatch("/p", mode: .persistent)

        server.kill()
        try await sessions.wait { $0.contains(.disconnected) }
        await expectError(.connectionLoss) { try await client.exists("/w") }
        try await server.launch()
        try await sessions.wait(timeout: .seconds(20)) { $0 == [.connected, .disconnected, .connected] }
        #expect(client.sessionID == session)

        // The session survived: its ephemeral is still there and it is still the owner.
        let stat = try #require(try await client.exists(ephemeral))
        #expect(stat.ephemeralOwner == session.rawValue)
        // The one-shot watch set before the restart fires after it, once; the persistent one too.
        try await withClient(server) { other in
            try await other.setData("/w", data: [1])
            try await other.setData("/w", data: [2])
            _ = try await other.create("/p")
        }
        let seen = try await events.wait { $0.contains { $0.path == "/p" } }
        #expect(seen.map(\.type) == [.nodeDataChanged, .nodeCreated])
        #expect(seen.map(\.path) == ["/w", "/p"])
        try await client.close()
        try await sessions.wait { $0.last == .closed }
    }

    @Test func missedChangeFiresTheWatchOnReconnect() async throws {
        // SetWatches carries relativeZxid = last zxid seen, so a change made while the client was
        // cut off fires the re-registered watch as soon as it is back (DataTree.setWatches).
        let server = try await SharedPaddock.get()
        let proxy = try await TCPProxy.start(to: server.clientPort)
        defer { proxy.stop() }
        let root = uniqueRoot("missed")
        let watcher = try makeClient(proxy.connectString, sessionTimeout: .seconds(10))
        let events = EventRecorder(watcher.watchEvents())
        let sessions = EventRecorder(watcher.sessionEvents())
        try await watcher.connect()
        let session = watcher.sessionID
        _ = try await watcher.create(root, data: [0])
        _ = try await watcher.getChildren(root, watch: true)
        _ = try await watcher.getData(root, watch: true)

        proxy.cut()
        try await sessions.wait { $0.contains(.disconnected) }
        await expectError(.connectionLoss) { try await watcher.getData(root) }
        try await withClient(server) { writer in
            try await writer.setData(root, data: [1])
            _ = try await writer.create(root + "/child")
        }
        #expect(events.all.isEmpty)
        proxy.heal()
        let seen = try await events.wait(timeout: .seconds(20)) { $0.count >= 2 }
        #expect(Set(seen.map(\.type)) == [.nodeDataChanged, .nodeChildrenChanged])
        #expect(seen.allSatisfy { $0.path == root })
        #expect(watcher.sessionID == session)
        #expect(sessions.all == [.connected, .disconnected, .connected])
        #expect(try await watcher.getData(root).data == [1])
        try await watcher.close()
    }

    @Test func sessionExpiredWhileCutOffIsTerminal() async throws {
        // Cut off for longer than the session timeout, the client learns of the expiry when it gets
        // back (ConnectResponse with timeOut 0), fails everything with SESSIONEXPIRED and stops.
        let server = try await SharedPaddock.get()
        let proxy = try await TCPProxy.start(to: server.clientPort)
        defer { proxy.stop() }
        let root = uniqueRoot("expiry")
        // Not shorter: a slow write must not outlast the read timeout (2/3 of it) on a loaded machine.
        let client = try makeClient(proxy.connectString, sessionTimeout: .seconds(4))
        let sessions = EventRecorder(client.sessionEvents())
        try await client.connect()
        let ephemeral = try await client.create(root, mode: .ephemeral)

        proxy.cut()
        try await sessions.wait { $0.contains(.disconnected) }
        try await withClient(server) { observer in
            // The server expires the session: its ephemeral goes away.
            let gone = try await eventually(timeout: .seconds(15)) { try await observer.exists(ephemeral) == nil }
            #expect(gone)
        }
        proxy.heal()
        try await sessions.wait(timeout: .seconds(15)) { $0.last == .expired }
        #expect(sessions.all == [.connected, .disconnected, .expired])
        await expectError(.sessionExpired) { try await client.exists("/") }
        await expectError(.sessionExpired) { try await client.connect() }
        try await client.close()
    }
}

