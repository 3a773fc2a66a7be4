import KeeperClient
import NIOCore
import Testing
import ZooKeeperWire

@Suite("ClientConnectionStateMachine")
struct ClientConnectionStateMachineTests {
    // MARK: - Handshake

    @Test func handshakeSendsConnectRequestAndCompletesConnect() {
        var clock = TestClock()
        var machine = makeMachine()
        let id = RequestID(1)
        #expect(
            machine.connectRequested(id: id, now: clock.now) == [
                .connect(hostA, timeout: .seconds(6)), .scheduleTimer(clock.now + .seconds(6)),
            ]
        )
        clock.advance(.milliseconds(5))
        #expect(
            machine.connectionEstablished(now: clock.now) == [
                .sendConnectRequest(
                    ConnectRequest(lastZxidSeen: .zero, timeout: 6000, sessionID: .none, password: Array(repeating: 0, count: 16), readOnly: false)
                )
            ]
        )
        clock.advance(.milliseconds(5))
        // Negotiated 3000 ms: readTimeout 2000 ms, ping after 1000 ms idle.
        #expect(
            machine.frameReceived(connectResponse(timeout: 3000), now: clock.now) == [
                .sessionEstablished(session1, password: password16, timeout: .milliseconds(3000)),
                .deliverSessionEvent(.connected),
                .succeed(id, .empty),
                .scheduleTimer(clock.now + .milliseconds(1000)),
            ]
        )
        #expect(machine.sessionID == session1)
        #expect(machine.readTimeout == .milliseconds(2000))
        #expect(machine.pingInterval == .milliseconds(1000))
        // A second connect() while connected succeeds at once.
        #expect(machine.connectRequested(id: RequestID(2), now: clock.now) == [.succeed(RequestID(2), .empty)])
    }

    @Test func connectTimeoutIsSessionTimeoutDividedByHosts() {
        let clock = TestClock()
        var machine = makeMachine(hosts: [hostA, hostB], sessionTimeout: .seconds(10))
        #expect(
            machine.connectRequested(id: RequestID(1), now: clock.now) == [
                .connect(hostA, timeout: .seconds(5)), .scheduleTimer(clock.now + .seconds(5)),
            ]
        )
    }

    @Test func requestsBeforeConnectFailWithConnectionLoss() {
        var machine = makeMachine()
        #expect(
            machine.requestSubmitted(.sync(path: "/"), id: RequestID(1), now: TestClock().now) == [
                .fail(RequestID(1), .connectionLoss)
            ]
        )
    }

    @Test func requestsQueuedWhileConnectingAreSentAfterHandshake() {
        let clock = TestClock()
        var machine = makeMachine()
        _ = machine.connectRequested(id: RequestID(1), now: clock.now)
        #expect(machine.requestSubmitted(.sync(path: "/a"), id: RequestID(2), now: clock.now) == [])
        _ = machine.connectionEstablished(now: clock.now)
        #expect(machine.requestSubmitted(.sync(path: "/b"), id: RequestID(3), now: clock.now) == [])
        let actions = machine.frameReceived(connectResponse(), now: clock.now)
        #expect(actions.filter { if case .send = $0 { true } else { false } } == [
            .send(Xid(1), .sync(path: "/a")), .send(Xid(2), .sync(path: "/b")),
        ])
    }

    // MARK: - Xids and replies

    @Test func pipelinedRepliesMatchInXidOrder() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        #expect(machine.requestSubmitted(createRequest("/a"), id: RequestID(1), now: clock.now) == [.send(Xid(1), createRequest("/a"))])
        #expect(machine.requestSubmitted(createRequest("/b"), id: RequestID(2), now: clock.now) == [.send(Xid(2), createRequest("/b"))])
        #expect(machine.requestSubmitted(.delete(DeleteRequest(path: "/c")), id: RequestID(3), now: clock.now) == [
            .send(Xid(3), .delete(DeleteRequest(path: "/c")))
        ])
        #expect(machine.pendingCount == 3)
        #expect(machine.frameReceived(reply(xid: 1, zxid: 10, .create(path: "/a")), now: clock.now) == [
            .succeed(RequestID(1), .create(path: "/a"))
        ])
        #expect(machine.frameReceived(reply(xid: 2, zxid: 11, err: .nodeExists), now: clock.now) == [
            .fail(RequestID(2), .nodeExists)
        ])
        #expect(machine.frameReceived(reply(xid: 3, zxid: 12), now: clock.now) == [.succeed(RequestID(3), .empty)])
        #expect(machine.lastZxid == Zxid(12))
        #expect(machine.pendingCount == 0)
    }

    @Test func xidWrapsFromInt32MaxBackToOne() {
        let clock = TestClock()
        var machine = makeMachine(firstXid: Int32.max - 1)
        connectMachine(&machine, clock: clock)
        let sent = (1...3).flatMap { machine.requestSubmitted(.sync(path: "/"), id: RequestID(UInt64($0)), now: clock.now) }
        #expect(sent == [
            .send(Xid(Int32.max - 1), .sync(path: "/")), .send(Xid(Int32.max), .sync(path: "/")), .send(Xid(1), .sync(path: "/")),
        ])
        #expect(machine.frameReceived(reply(xid: Int32.max - 1, .sync(path: "/")), now: clock.now) == [
            .succeed(RequestID(1), .sync(path: "/"))
        ])
        #expect(machine.frameReceived(reply(xid: Int32.max, .sync(path: "/")), now: clock.now) == [
            .succeed(RequestID(2), .sync(path: "/"))
        ])
        #expect(machine.frameReceived(reply(xid: 1, .sync(path: "/")), now: clock.now) == [
            .succeed(RequestID(3), .sync(path: "/"))
        ])
    }

    @Test func outOfOrderXidClosesConnectionFailsPendingAndReconnects() {
        let clock = TestClock()
        var machine = makeMachine(hosts: [hostA, hostB])
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.sync(path: "/1"), id: RequestID(1), now: clock.now)
        _ = machine.requestSubmitted(.sync(path: "/2"), id: RequestID(2), now: clock.now)
        #expect(machine.frameReceived(reply(xid: 2, .sync(path: "/2")), now: clock.now) == [
            .fail(RequestID(1), .connectionLoss),
            .closeChannel,
            .fail(RequestID(2), .connectionLoss),
            .deliverSessionEvent(.disconnected),
            .connect(hostB, timeout: .seconds(3)),
            .scheduleTimer(clock.now + .seconds(3)),
        ])
        #expect(machine.pendingCount == 0)
        #expect(machine.sessionID == session1)
    }

    @Test func replyWithNothingPendingIsFatal() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        let actions = machine.frameReceived(reply(xid: 5), now: clock.now)
        #expect(actions.first == .closeChannel)
        #expect(actions.contains(.deliverSessionEvent(.disconnected)))
    }

    @Test func malformedReplyBodyFailsRequestAndClosesConnection() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.getData(PathWatchRequest(path: "/x")), id: RequestID(1), now: clock.now)
        var truncated = ByteBuffer()
        ReplyHeader(xid: Xid(1), zxid: Zxid(3), err: .ok).write(to: &truncated)
        truncated.writeInteger(Int32(100))  // data length, but no data
        let actions = machine.frameReceived(truncated, now: clock.now)
        #expect(Array(actions.prefix(2)) == [.fail(RequestID(1), .marshallingError), .closeChannel])
    }

    @Test func pingAndAuthRepliesBypassThePendingQueue() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(1), now: clock.now)
        #expect(machine.authAdded(AuthPacket(scheme: "digest", auth: Array("u:p".utf8)), id: RequestID(2), now: clock.now) == [
            .send(.auth, .auth(AuthPacket(scheme: "digest", auth: Array("u:p".utf8))))
        ])
        #expect(machine.frameReceived(reply(xid: -2, zxid: 99), now: clock.now) == [])
        #expect(machine.frameReceived(reply(xid: -4), now: clock.now) == [.succeed(RequestID(2), .empty)])
        #expect(machine.lastZxid == .zero)  // pings do not move lastZxid
        #expect(machine.frameReceived(reply(xid: 1, zxid: 4, .sync(path: "/")), now: clock.now) == [
            .succeed(RequestID(1), .sync(path: "/"))
        ])
    }

    // MARK: - Timers

    @Test func pingIsSentAfterOneThirdOfTheTimeoutIdle() {
        var clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock, timeout: 6000)  // read 4 s, ping 2 s
        let start = clock.now
        clock.advance(.seconds(2))
        #expect(machine.timerFired(now: clock.now) == [
            .send(.ping, .ping), .scheduleTimer(clock.now + .seconds(2)),
        ])
        // The ping's reply arrives; a request is sent half-way through the next interval.
        clock.advance(.milliseconds(100))
        #expect(machine.frameReceived(reply(xid: -2), now: clock.now) == [])
        clock.advance(.milliseconds(900))
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(1), now: clock.now)
        // The timer fires early relative to the new send: no ping, just a later timer.
        clock.advance(.seconds(1))
        #expect(machine.timerFired(now: clock.now) == [.scheduleTimer(start + .seconds(3) + .seconds(2))])
    }

    @Test func silenceForTwoThirdsOfTheTimeoutDropsTheConnection() {
        var clock = TestClock()
        var machine = makeMachine(hosts: [hostA, hostB])
        connectMachine(&machine, clock: clock, timeout: 6000)
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(1), now: clock.now)
        clock.advance(.seconds(2))
        #expect(machine.timerFired(now: clock.now) == [.send(.ping, .ping), .scheduleTimer(clock.now + .seconds(2))])
        clock.advance(.seconds(2))
        #expect(machine.timerFired(now: clock.now) == [
            .closeChannel,
            .fail(RequestID(1), .connectionLoss),
            .deliverSessionEvent(.disconnected),
            .connect(hostB, timeout: .seconds(3)),
            .scheduleTimer(clock.now + .seconds(3)),
        ])
    }

    @Test func connectTimeoutMovesToTheNextHost() {
        var clock = TestClock()
        var machine = makeMachine(hosts: [hostA, hostB], sessionTimeout: .seconds(10))
        _ = machine.connectRequested(id: RequestID(1), now: clock.now)
        _ = machine.connectionEstablished(now: clock.now)
        clock.advance(.seconds(1))
        #expect(machine.timerFired(now: clock.now) == [.scheduleTimer(clock.now + .seconds(4))])
        clock.advance(.seconds(4))
        #expect(machine.timerFired(now: clock.now) == [
            .closeChannel, .connect(hostB, timeout: .seconds(5)), .scheduleTimer(clock.now + .seconds(5)),
        ])
    }

    @Test func afterEveryHostFailedTheMachineBacksOffThenStartsOver() {
        var clock = TestClock()
        var machine = makeMachine(hosts: [hostA, hostB], sessionTimeout: .seconds(10))
        _ = machine.connectRequested(id: RequestID(1), now: clock.now)
        #expect(machine.connectionFailed(now: clock.now) == [
            .connect(hostB, timeout: .seconds(5)), .scheduleTimer(clock.now + .seconds(5)),
        ])
        #expect(machine.connectionFailed(now: clock.now) == [.scheduleTimer(clock.now + .milliseconds(250))])
        clock.advance(.milliseconds(250))
        #expect(machine.timerFired(now: clock.now) == [
            .connect(hostA, timeout: .seconds(5)), .scheduleTimer(clock.now + .seconds(5)),
        ])
    }

    @Test func initialConnectGivesUpAfterTheSessionTimeout() {
        var clock = TestClock()
        var machine = makeMachine(sessionTimeout: .seconds(1))
        _ = machine.connectRequested(id: RequestID(1), now: clock.now)
        #expect(machine.requestSubmitted(.sync(path: "/"), id: RequestID(2), now: clock.now) == [])
        #expect(machine.connectionFailed(now: clock.now) == [
            .fail(RequestID(2), .connectionLoss), .scheduleTimer(clock.now + .milliseconds(250)),
        ])
        clock.advance(.seconds(1))
        #expect(machine.timerFired(now: clock.now) == [.fail(RequestID(1), .connectionLoss), .terminate])
        #expect(machine.isClosed)
        #expect(machine.requestSubmitted(.sync(path: "/"), id: RequestID(3), now: clock.now) == [
            .fail(RequestID(3), .connectionLoss)
        ])
    }

    // MARK: - Reconnect and expiry

    @Test func reconnectResumesTheSessionAndReregistersWatchesAndAuth() {
        var clock = TestClock()
        var machine = makeMachine(hosts: [hostA, hostB])
        connectMachine(&machine, clock: clock)
        let auth = AuthPacket(scheme: "digest", auth: Array("u:p".utf8))
        _ = machine.authAdded(auth, id: RequestID(1), now: clock.now)
        _ = machine.frameReceived(reply(xid: -4), now: clock.now)
        _ = machine.requestSubmitted(.getData(PathWatchRequest(path: "/d", watch: true)), id: RequestID(2), now: clock.now)
        _ = machine.requestSubmitted(.exists(PathWatchRequest(path: "/e", watch: true)), id: RequestID(3), now: clock.now)
        _ = machine.requestSubmitted(.getChildren(PathWatchRequest(path: "/c", watch: true)), id: RequestID(4), now: clock.now)
        _ = machine.requestSubmitted(.addWatch(AddWatchRequest(path: "/p", mode: 1)), id: RequestID(5), now: clock.now)
        _ = machine.frameReceived(reply(xid: 1, zxid: 20, .getData(data: ByteBuffer(), stat: Stat())), now: clock.now)
        _ = machine.frameReceived(reply(xid: 2, zxid: 21, err: .noNode), now: clock.now)
        _ = machine.frameReceived(reply(xid: 3, zxid: 22, .getChildren([])), now: clock.now)
        _ = machine.frameReceived(reply(xid: 4, zxid: 23, .errorBody(.ok)), now: clock.now)
        #expect(machine.watches.data == ["/d"])
        #expect(machine.watches.exist == ["/e"])
        #expect(machine.watches.child == ["/c"])
        #expect(machine.watches.persistentRecursive == ["/p"])

        // The server goes away; a request submitted during the reconnect waits for it.
        #expect(machine.connectionClosed(now: clock.now) == [
            .deliverSessionEvent(.disconnected), .connect(hostB, timeout: .seconds(3)), .scheduleTimer(clock.now + .seconds(3)),
        ])
        #expect(machine.requestSubmitted(.sync(path: "/"), id: RequestID(6), now: clock.now) == [])
        clock.advance(.milliseconds(10))
        #expect(machine.connectionEstablished(now: clock.now) == [
            .sendConnectRequest(ConnectRequest(lastZxidSeen: Zxid(23), timeout: 6000, sessionID: session1, password: password16, readOnly: false))
        ])
        let setWatches = SetWatchesRequest(
            relativeZxid: Zxid(23), dataWatches: ["/d"], existWatches: ["/e"], childWatches: ["/c"],
            persistentRecursiveWatches: ["/p"]
        )
        #expect(machine.frameReceived(connectResponse(), now: clock.now) == [
            .sessionEstablished(session1, password: password16, timeout: .milliseconds(6000)),
            .send(.setWatches, .setWatches2(setWatches)),
            .send(.auth, .auth(auth)),
            .send(Xid(5), .sync(path: "/")),
            .deliverSessionEvent(.connected),
            .scheduleTimer(clock.now + .seconds(2)),
        ])
        // The setWatches reply (xid -8) is matched in order, then the queued request's.
        #expect(machine.frameReceived(reply(xid: -8, zxid: 23), now: clock.now) == [])
        #expect(machine.frameReceived(reply(xid: -4), now: clock.now) == [])
        #expect(machine.frameReceived(reply(xid: 5, zxid: 23, .sync(path: "/")), now: clock.now) == [
            .succeed(RequestID(6), .sync(path: "/"))
        ])
    }

    @Test func addAuthInFlightDuringALossCompletesOnTheReplayedPacket() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        let auth = AuthPacket(scheme: "digest", auth: Array("u:p".utf8))
        _ = machine.authAdded(auth, id: RequestID(1), now: clock.now)
        _ = machine.connectionClosed(now: clock.now)
        _ = machine.connectionFailed(now: clock.now)  // back off
        _ = machine.timerFired(now: clock.now + .seconds(1))
        _ = machine.connectionEstablished(now: clock.now + .seconds(1))
        let actions = machine.frameReceived(connectResponse(), now: clock.now + .seconds(1))
        #expect(actions.contains(.send(.auth, .auth(auth))))
        #expect(machine.frameReceived(reply(xid: -4), now: clock.now + .seconds(1)) == [.succeed(RequestID(1), .empty)])
    }

    @Test func sessionExpiredOnReconnectFailsEverythingAndStops() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.getData(PathWatchRequest(path: "/d", watch: true)), id: RequestID(1), now: clock.now)
        _ = machine.frameReceived(reply(xid: 1, zxid: 5, .getData(data: nil, stat: Stat())), now: clock.now)
        _ = machine.connectionClosed(now: clock.now)
        _ = machine.connectionEstablished(now: clock.now)
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(2), now: clock.now)
        #expect(machine.frameReceived(connectResponse(timeout: 0, session: .none, password: Array(repeating: 0, count: 16)), now: clock.now) == [
            .fail(RequestID(2), .sessionExpired),
            .closeChannel,
            .deliverSessionEvent(.expired),
            .terminate,
        ])
        #expect(machine.isClosed)
        #expect(machine.watches.isEmpty)
        #expect(machine.requestSubmitted(.sync(path: "/"), id: RequestID(3), now: clock.now) == [.fail(RequestID(3), .sessionExpired)])
        #expect(machine.connectRequested(id: RequestID(4), now: clock.now) == [.fail(RequestID(4), .sessionExpired)])
    }

    @Test func authFailedIsTerminal() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.authAdded(AuthPacket(scheme: "bogus", auth: []), id: RequestID(1), now: clock.now)
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(2), now: clock.now)
        #expect(machine.frameReceived(reply(xid: -4, err: .authFailed), now: clock.now) == [
            .fail(RequestID(1), .authFailed),
            .fail(RequestID(2), .authFailed),
            .closeChannel,
            .deliverSessionEvent(.authFailed),
            .terminate,
        ])
        #expect(machine.requestSubmitted(.sync(path: "/"), id: RequestID(3), now: clock.now) == [.fail(RequestID(3), .authFailed)])
    }

    // MARK: - Close

    @Test func closeSendsCloseSessionAndFinishesOnItsReply() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(1), now: clock.now)
        #expect(machine.closeRequested(id: RequestID(2), now: clock.now) == [
            .send(Xid(2), .closeSession), .scheduleTimer(clock.now + .seconds(4)),
        ])
        #expect(machine.requestSubmitted(.sync(path: "/"), id: RequestID(3), now: clock.now) == [.fail(RequestID(3), .sessionExpired)])
        #expect(machine.frameReceived(reply(xid: 1, .sync(path: "/")), now: clock.now) == [.succeed(RequestID(1), .sync(path: "/"))])
        #expect(machine.frameReceived(reply(xid: 2), now: clock.now) == [
            .closeChannel, .succeed(RequestID(2), .empty), .deliverSessionEvent(.closed), .terminate,
        ])
        #expect(machine.closeRequested(id: RequestID(4), now: clock.now) == [.succeed(RequestID(4), .empty)])
    }

    @Test func closeWhileReconnectingStopsWithoutASession() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.connectionClosed(now: clock.now)
        _ = machine.requestSubmitted(.sync(path: "/"), id: RequestID(1), now: clock.now)
        #expect(machine.closeRequested(id: RequestID(2), now: clock.now) == [
            .fail(RequestID(1), .connectionLoss), .closeChannel, .succeed(RequestID(2), .empty),
            .deliverSessionEvent(.closed), .terminate,
        ])
    }

    @Test func closeGivesUpWaitingAfterTheReadTimeout() {
        var clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.closeRequested(id: RequestID(1), now: clock.now)
        clock.advance(.seconds(4))
        #expect(machine.timerFired(now: clock.now) == [
            .closeChannel, .succeed(RequestID(1), .empty), .deliverSessionEvent(.closed), .terminate,
        ])
    }

    // MARK: - Watches

    @Test func notificationsAreDeliveredAndConsumeOneShotWatches() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.getData(PathWatchRequest(path: "/n", watch: true)), id: RequestID(1), now: clock.now)
        _ = machine.requestSubmitted(.addWatch(AddWatchRequest(path: "/n", mode: 0)), id: RequestID(2), now: clock.now)
        _ = machine.frameReceived(reply(xid: 1, zxid: 3, .getData(data: nil, stat: Stat())), now: clock.now)
        _ = machine.frameReceived(reply(xid: 2, zxid: 3, .errorBody(.ok)), now: clock.now)
        #expect(machine.frameReceived(notification(.nodeDataChanged, path: "/n", zxid: 9), now: clock.now) == [
            .deliverWatchEvent(WatchEvent(type: .nodeDataChanged, state: .syncConnected, path: "/n", zxid: Zxid(9)))
        ])
        #expect(machine.watches.data.isEmpty)
        #expect(machine.watches.persistent == ["/n"])
        #expect(machine.lastZxid == Zxid(3))  // notifications do not move lastZxid
    }

    @Test func failedReadsDoNotRegisterWatchesButExistsOnMissingNodeDoes() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.getData(PathWatchRequest(path: "/gone", watch: true)), id: RequestID(1), now: clock.now)
        _ = machine.requestSubmitted(.exists(PathWatchRequest(path: "/gone", watch: true)), id: RequestID(2), now: clock.now)
        #expect(machine.frameReceived(reply(xid: 1, err: .noNode), now: clock.now) == [.fail(RequestID(1), .noNode)])
        #expect(machine.frameReceived(reply(xid: 2, err: .noNode), now: clock.now) == [.fail(RequestID(2), .noNode)])
        #expect(machine.watches.data.isEmpty)
        #expect(machine.watches.exist == ["/gone"])
        _ = machine.frameReceived(notification(.nodeCreated, path: "/gone"), now: clock.now)
        #expect(machine.watches.isEmpty)
    }

    @Test func removeWatchesDropsLocalEntriesAndReportsRemoval() {
        let clock = TestClock()
        var machine = makeMachine(chroot: "/app")
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.getChildren(PathWatchRequest(path: "/n", watch: true)), id: RequestID(1), now: clock.now)
        _ = machine.frameReceived(reply(xid: 1, .getChildren([])), now: clock.now)
        #expect(machine.watches.child == ["/app/n"])
        #expect(machine.requestSubmitted(.removeWatches(WatchesRequest(path: "/n", type: WatcherType.any.rawValue)), id: RequestID(2), now: clock.now) == [
            .send(Xid(2), .removeWatches(WatchesRequest(path: "/app/n", type: WatcherType.any.rawValue)))
        ])
        #expect(machine.frameReceived(reply(xid: 2, .empty), now: clock.now) == [
            .deliverWatchEvent(WatchEvent(type: .childWatchRemoved, state: .syncConnected, path: "/n")),
            .succeed(RequestID(2), .empty),
        ])
        #expect(machine.watches.isEmpty)
    }

    // MARK: - Chroot

    @Test func chrootIsPrefixedOnRequestsAndStrippedFromRepliesAndEvents() {
        let clock = TestClock()
        var machine = makeMachine(chroot: "/app/x")
        connectMachine(&machine, clock: clock)
        #expect(machine.requestSubmitted(createRequest("/a", mode: .persistentSequential), id: RequestID(1), now: clock.now) == [
            .send(Xid(1), createRequest("/app/x/a", mode: .persistentSequential))
        ])
        #expect(machine.requestSubmitted(.getChildren(PathWatchRequest(path: "/", watch: true)), id: RequestID(2), now: clock.now) == [
            .send(Xid(2), .getChildren(PathWatchRequest(path: "/app/x", watch: true)))
        ])
        let multi = ZKRequest.multi([createRequest("/m"), .check(CheckVersionRequest(path: "/a", version: 1))])
        #expect(machine.requestSubmitted(multi, id: RequestID(3), now: clock.now) == [
            .send(Xid(3), .multi([createRequest("/app/x/m"), .check(CheckVersionRequest(path: "/app/x/a", version: 1))]))
        ])
        #expect(machine.frameReceived(reply(xid: 1, .create(path: "/app/x/a0000000001")), now: clock.now) == [
            .succeed(RequestID(1), .create(path: "/a0000000001"))
        ])
        _ = machine.frameReceived(reply(xid: 2, .getChildren(["a0000000001"])), now: clock.now)
        #expect(machine.frameReceived(reply(xid: 3, .multi([.create(path: "/app/x/m"), .check])), now: clock.now) == [
            .succeed(RequestID(3), .multi([.create(path: "/m"), .check]))
        ])
        #expect(machine.frameReceived(notification(.nodeChildrenChanged, path: "/app/x"), now: clock.now) == [
            .deliverWatchEvent(WatchEvent(type: .nodeChildrenChanged, state: .syncConnected, path: "/", zxid: Zxid(7)))
        ])
        #expect(machine.requestSubmitted(.sync(path: "relative"), id: RequestID(4), now: clock.now) == [
            .fail(RequestID(4), .badArguments)
        ])
    }

    @Test func multiFailureIsAResultNotAnError() {
        let clock = TestClock()
        var machine = makeMachine()
        connectMachine(&machine, clock: clock)
        _ = machine.requestSubmitted(.multi([createRequest("/a"), .delete(DeleteRequest(path: "/missing"))]), id: RequestID(1), now: clock.now)
        #expect(machine.frameReceived(reply(xid: 1, zxid: 4, .multi([.error(.ok), .error(.noNode)])), now: clock.now) == [
            .succeed(RequestID(1), .multi([.error(.ok), .error(.noNode)]))
        ])
    }
}
