package import Logging
package import NIOCore
package import ZooKeeperWire

/// A handle the driver gives each caller waiting on the state machine (a request, `connect()`,
/// `close()`, `addAuth`). The driver keeps the continuation; actions carry only the id.
package struct RequestID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var rawValue: UInt64
    package init(_ rawValue: UInt64) { self.rawValue = rawValue }
    package static func < (lhs: RequestID, rhs: RequestID) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { "#\(rawValue)" }
}

/// The client side of a ZooKeeper session across all of its connections (`ClientCnxn`):
/// host rotation, handshake, xid assignment and reply matching, pings and read timeouts, watch
/// re-registration, auth replay, reconnects, expiry and close.
///
/// Pure (STYLE.md §2): no channels, no clock reads, no logging. Time arrives as `now` in the inputs
/// and leaves as `.scheduleTimer`; every effect is an `Action` the driver (`ClientConnectionDriver`)
/// executes in order.
///
/// Timing follows `ClientCnxn.SendThread.run`:
/// - readTimeout = 2/3 of the negotiated session timeout: silence that long means the connection is
///   dead (close it, fail in-flight requests with CONNECTIONLOSS, try the next host);
/// - a ping goes out when nothing was sent for readTimeout/2 (= timeout/3), at most every 10 s;
/// - connectTimeout = session timeout / number of hosts, for TCP connect plus handshake.
package struct ClientConnectionStateMachine {
    // MARK: - Types

    package struct Configuration: Sendable {
        /// Servers in the order they are tried (the caller shuffles once, as `StaticHostProvider` does).
        package var hosts: [HostAndPort]
        package var chroot: Chroot
        /// The session timeout asked for in the ConnectRequest.
        package var sessionTimeout: TimeAmount
        /// Pause after every host has been tried without success (`StaticHostProvider.next(1000)`).
        package var reconnectBackoff: TimeAmount
        /// Upper bound on the path lists of one SetWatches packet (`SET_WATCHES_MAX_LENGTH`).
        package var maxSetWatchesPacketSize: Int
        /// `ClientCnxn.MAX_SEND_PING_INTERVAL`.
        package var maxPingInterval: TimeAmount

        package init(
            hosts: [HostAndPort],
            chroot: Chroot = .none,
            sessionTimeout: TimeAmount,
            reconnectBackoff: TimeAmount = .milliseconds(250),
            maxSetWatchesPacketSize: Int = 128 * 1024,
            maxPingInterval: TimeAmount = .seconds(10)
        ) {
            precondition(!hosts.isEmpty, "a client needs at least one host")
            self.hosts = hosts
            self.chroot = chroot
            self.sessionTimeout = sessionTimeout
            self.reconnectBackoff = reconnectBackoff
            self.maxSetWatchesPacketSize = maxSetWatchesPacketSize
            self.maxPingInterval = maxPingInterval
        }
    }

    package enum Action: Equatable, Sendable {
        /// Open a TCP connection (the driver reports `connectionEstablished`, `connectionFailed`).
        case connect(HostAndPort, timeout: TimeAmount)
        /// Write the handshake frame (length + ConnectRequest, no RequestHeader).
        case sendConnectRequest(ConnectRequest)
        /// Write a request frame. Frames are written in action order.
        case send(Xid, ZKRequest)
        /// Close the current channel; events from it are no longer inputs.
        case closeChannel
        /// Call `timerFired(now:)` at this deadline, replacing any earlier timer.
        case scheduleTimer(NIODeadline)
        case succeed(RequestID, ZKResponse)
        case fail(RequestID, ZKErrorCode)
        case deliverWatchEvent(WatchEvent)
        case deliverSessionEvent(SessionEvent)
        /// A handshake succeeded: publish the session's identity.
        case sessionEstablished(SessionID, password: [UInt8], timeout: TimeAmount)
        /// The client is finished: cancel timers, end the event streams.
        case terminate
    }

    /// A request on the wire, waiting for its reply (`ClientCnxn.pendingQueue`).
    struct Pending: Hashable {
        enum Kind: Hashable {
            case user(RequestID, ClientWatchRegistry.Registration?)
            case setWatches
            case closeSession
        }
        var xid: Xid
        var opCode: OpCode
        var kind: Kind
    }

    /// A request submitted while no connection is up; sent after the next handshake.
    struct Waiting: Hashable {
        var id: RequestID
        var request: ZKRequest
    }

    /// Credentials added with addAuth: replayed after every reconnect (`ClientCnxn.authInfo`).
    struct AuthEntry: Hashable {
        var packet: AuthPacket
        /// addAuth callers waiting for the server to accept this entry.
        var waiters: [RequestID]
    }

    /// An auth packet on the wire. The server answers auth (xid -4) in arrival order, outside the
    /// ordered request queue.
    struct PendingAuth: Hashable {
        var entry: Int
        var waiters: [RequestID]
    }

    struct Attempt: Hashable {
        var host: HostAndPort
        var deadline: NIODeadline
    }

    struct Liveness: Hashable {
        var lastSend: NIODeadline
        var lastReceive: NIODeadline
    }

    enum State: Hashable {
        /// Before `connectRequested`.
        case idle
        /// Every host failed; waiting before the next round.
        case backingOff(until: NIODeadline)
        /// TCP connect in flight.
        case connecting(Attempt)
        /// ConnectRequest sent, waiting for the ConnectResponse.
        case awaitingHandshake(Attempt)
        case connected(Liveness)
        /// closeSession sent, waiting for its reply.
        case closing(Liveness)
        /// Terminal. Requests fail with the code: `.sessionExpired` after expiry or close,
        /// `.authFailed`, `.connectionLoss` when the initial connect gave up.
        case closed(ZKErrorCode)
    }

    // MARK: - State

    package let configuration: Configuration
    private(set) var state: State = .idle
    package private(set) var sessionID: SessionID = .none
    package private(set) var password: [UInt8] = [UInt8](repeating: 0, count: 16)
    package private(set) var negotiatedTimeout: TimeAmount?
    /// The zxid of the last reply (not notification), sent as lastZxidSeen and SetWatches' relativeZxid.
    package private(set) var lastZxid: Zxid = .zero
    package private(set) var watches = ClientWatchRegistry()
    private(set) var nextXid: Int32
    private var nextHostIndex = 0
    private var attemptsInRound = 0
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    private var waiting = CircularBuffer<Waiting>(initialCapacity: 4)
    private var connectWaiters: [RequestID] = []
    private var closeWaiters: [RequestID] = []
    /// Set while the first session is being established: `connect()` gives up after the session timeout.
    private var initialConnectDeadline: NIODeadline?
    private var auths: [AuthEntry] = []
    private var pendingAuths = CircularBuffer<PendingAuth>(initialCapacity: 2)

    package init(configuration: Configuration, firstXid: Int32 = 1) {
        precondition(firstXid > 0, "xids start at 1, got \(firstXid)")
        self.configuration = configuration
        self.nextXid = firstXid
    }

    // MARK: - Derived timing

    /// The negotiated timeout once known, the requested one before.
    private var sessionTimeout: TimeAmount { negotiatedTimeout ?? configuration.sessionTimeout }
    /// 2/3 of the session timeout (`ClientCnxn.readTimeout`).
    package var readTimeout: TimeAmount { .nanoseconds(sessionTimeout.nanoseconds * 2 / 3) }
    /// Idle time before a ping: readTimeout / 2, at most `maxPingInterval`.
    package var pingInterval: TimeAmount {
        min(.nanoseconds(readTimeout.nanoseconds / 2), configuration.maxPingInterval)
    }
    /// Session timeout / number of hosts (`ClientCnxn.connectTimeout`).
    package var connectTimeout: TimeAmount {
        .nanoseconds(sessionTimeout.nanoseconds / Int64(configuration.hosts.count))
    }

    package var isConnected: Bool {
        if case .connected = state { true } else { false }
    }

    package var isClosed: Bool {
        if case .closed = state { true } else { false }
    }

    /// Requests sent and not yet answered.
    package var pendingCount: Int { pending.count }

    /// For the driver's logger (cores do not log; STYLE.md §2).
    package var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["zk.client_state": "\(state.name)"]
        if sessionID != .none { metadata["zk.session_id"] = "\(sessionID)" }
        return metadata
    }

    // MARK: - Inputs: caller

    /// `connect()`: starts connecting (first host, no delay) unless already under way. The first
    /// session must be established within `timeout` (default: the session timeout), else the
    /// client gives up and closes.
    package mutating func connectRequested(id: RequestID, now: NIODeadline, timeout: TimeAmount? = nil) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .idle:
            connectWaiters.append(id)
            initialConnectDeadline = now + (timeout ?? configuration.sessionTimeout)
            beginAttempt(now: now, actions: &actions)
        case .backingOff, .connecting, .awaitingHandshake:
            connectWaiters.append(id)
        case .connected:
            actions.append(.succeed(id, .empty))
        case .closing:
            actions.append(.fail(id, .sessionExpired))
        case .closed(let reason):
            actions.append(.fail(id, reason))
        }
        return actions
    }

    /// A caller submitted a request (client paths). Sent at once when connected, queued while a
    /// connection is being set up, failed when there is no session.
    ///
    /// Only data requests: auth, ping, setWatches and closeSession have their own inputs.
    package mutating func requestSubmitted(_ request: ZKRequest, id: RequestID, now: NIODeadline) -> [Action] {
        switch request {
        case .ping, .auth, .setWatches, .setWatches2, .closeSession:
            preconditionFailure("\(request.opCode) is not a caller request")
        default:
            break
        }
        var actions: [Action] = []
        switch state {
        case .idle:
            actions.append(.fail(id, .connectionLoss))
        case .closing:
            actions.append(.fail(id, .sessionExpired))
        case .closed(let reason):
            actions.append(.fail(id, reason))
        case .backingOff, .connecting, .awaitingHandshake, .connected:
            guard let serverRequest = configuration.chroot.outbound(request) else {
                actions.append(.fail(id, .badArguments))
                break
            }
            if case .connected(var liveness) = state {
                sendUser(serverRequest, id: id, actions: &actions)
                liveness.lastSend = now
                state = .connected(liveness)
            } else {
                waiting.append(Waiting(id: id, request: serverRequest))
            }
        }
        return actions
    }

    /// `addAuth`: remembered for every future connection, sent now if connected.
    package mutating func authAdded(_ packet: AuthPacket, id: RequestID, now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .idle:
            // Remembered and sent with the first handshake.
            appendAuth(packet, waiter: id)
        case .closing:
            actions.append(.fail(id, .sessionExpired))
        case .closed(let reason):
            actions.append(.fail(id, reason))
        case .backingOff, .connecting, .awaitingHandshake:
            appendAuth(packet, waiter: id)
        case .connected(var liveness):
            let entry = appendAuth(packet, waiter: nil)
            pendingAuths.append(PendingAuth(entry: entry, waiters: [id]))
            actions.append(.send(.auth, .auth(packet)))
            liveness.lastSend = now
            state = .connected(liveness)
        }
        return actions
    }

    @discardableResult
    private mutating func appendAuth(_ packet: AuthPacket, waiter: RequestID?) -> Int {
        if let index = auths.firstIndex(where: { $0.packet == packet }) {
            if let waiter { auths[index].waiters.append(waiter) }
            return index
        }
        auths.append(AuthEntry(packet: packet, waiters: waiter.map { [$0] } ?? []))
        return auths.count - 1
    }

    /// `close()` (`id` nil when the client object went away without closing). Sends closeSession when
    /// connected; otherwise the client just stops.
    package mutating func closeRequested(id: RequestID?, now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .idle:
            if let id { actions.append(.succeed(id, .empty)) }
            failAuthWaiters(.sessionExpired, actions: &actions)
            state = .closed(.sessionExpired)
            actions.append(.terminate)
        case .closed:
            if let id { actions.append(.succeed(id, .empty)) }
        case .closing:
            if let id { closeWaiters.append(id) }
        case .backingOff, .connecting, .awaitingHandshake:
            if let id { closeWaiters.append(id) }
            let hadChannel = hasChannel
            failWaiting(.connectionLoss, actions: &actions)
            for waiter in connectWaiters { actions.append(.fail(waiter, .connectionLoss)) }
            connectWaiters = []
            if hadChannel { actions.append(.closeChannel) }
            finishClose(actions: &actions)
        case .connected(var liveness):
            if let id { closeWaiters.append(id) }
            let xid = takeXid()
            pending.append(Pending(xid: xid, opCode: .closeSession, kind: .closeSession))
            actions.append(.send(xid, .closeSession))
            liveness.lastSend = now
            state = .closing(liveness)
            actions.append(.scheduleTimer(liveness.lastReceive + readTimeout))
        }
        return actions
    }

    // MARK: - Inputs: channel

    /// The TCP connection of the current attempt is up: send the handshake.
    package mutating func connectionEstablished(now: NIODeadline) -> [Action] {
        guard case .connecting(let attempt) = state else { return [] }
        state = .awaitingHandshake(attempt)
        let request = ConnectRequest(
            protocolVersion: 0,
            lastZxidSeen: lastZxid,
            timeout: Int32(clamping: configuration.sessionTimeout.nanoseconds / 1_000_000),
            sessionID: sessionID,
            password: password,
            readOnly: false
        )
        return [.sendConnectRequest(request)]
    }

    /// The TCP connect of the current attempt failed.
    package mutating func connectionFailed(now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .connecting, .awaitingHandshake:
            attemptFailed(now: now, actions: &actions)
        default:
            break
        }
        return actions
    }

    /// The current channel closed (EOF, reset, or an error the driver closed it for).
    package mutating func connectionClosed(now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .connecting, .awaitingHandshake:
            attemptFailed(now: now, actions: &actions)
        case .connected:
            connectionLost(now: now, actions: &actions)
        case .closing:
            failPending(.connectionLoss, actions: &actions)
            finishClose(actions: &actions)
        case .idle, .backingOff, .closed:
            break
        }
        return actions
    }

    /// One frame payload from the server (after the length prefix).
    package mutating func frameReceived(_ frame: ByteBuffer, now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        var buffer = frame
        switch state {
        case .awaitingHandshake:
            let response: ConnectResponse
            do {
                response = try ConnectResponse(from: &buffer)
            } catch {
                actions.append(.closeChannel)
                attemptFailed(now: now, actions: &actions)
                return actions
            }
            handshakeReceived(response, now: now, actions: &actions)
        case .connected(var liveness):
            liveness.lastReceive = now
            state = .connected(liveness)
            replyReceived(&buffer, now: now, actions: &actions)
        case .closing(var liveness):
            liveness.lastReceive = now
            state = .closing(liveness)
            replyReceived(&buffer, now: now, actions: &actions)
        case .idle, .backingOff, .connecting, .closed:
            // A frame from a channel that is no longer current: the driver should not pass it on.
            break
        }
        return actions
    }

    /// The timer from the last `.scheduleTimer` fired (possibly early or late: deadlines are rechecked).
    package mutating func timerFired(now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .idle, .closed:
            break
        case .backingOff(let until):
            if now >= until {
                if initialConnectGaveUp(now: now, actions: &actions) { break }
                beginAttempt(now: now, actions: &actions)
            } else {
                actions.append(.scheduleTimer(until))
            }
        case .connecting(let attempt), .awaitingHandshake(let attempt):
            if now >= attempt.deadline {
                actions.append(.closeChannel)
                attemptFailed(now: now, actions: &actions)
            } else {
                actions.append(.scheduleTimer(attempt.deadline))
            }
        case .connected(var liveness):
            if now - liveness.lastReceive >= readTimeout {
                // "Client session timed out, have not heard from server in …ms"
                actions.append(.closeChannel)
                connectionLost(now: now, actions: &actions)
                break
            }
            if now - liveness.lastSend >= pingInterval {
                actions.append(.send(.ping, .ping))
                liveness.lastSend = now
                state = .connected(liveness)
            }
            actions.append(.scheduleTimer(nextDeadline(liveness)))
        case .closing(let liveness):
            if now - liveness.lastReceive >= readTimeout {
                failPending(.connectionLoss, actions: &actions)
                actions.append(.closeChannel)
                finishClose(actions: &actions)
            } else {
                actions.append(.scheduleTimer(liveness.lastReceive + readTimeout))
            }
        }
        return actions
    }

    // MARK: - Handshake

    private mutating func handshakeReceived(_ response: ConnectResponse, now: NIODeadline, actions: inout [Action]) {
        guard response.timeout > 0 else {
            // `ClientCnxn.onConnected`: negotiated timeout <= 0 means the session expired (or the
            // password was wrong). ZooKeeper clients never open a new session by themselves.
            let code: ZKErrorCode = .sessionExpired
            for waiter in connectWaiters { actions.append(.fail(waiter, code)) }
            connectWaiters = []
            failWaiting(code, actions: &actions)
            failAuthWaiters(code, actions: &actions)
            actions.append(.closeChannel)
            terminate(reason: code, event: .expired, actions: &actions)
            return
        }
        sessionID = response.sessionID
        password = response.password
        negotiatedTimeout = .milliseconds(Int64(response.timeout))
        initialConnectDeadline = nil
        attemptsInRound = 0
        var liveness = Liveness(lastSend: now, lastReceive: now)
        actions.append(.sessionEstablished(sessionID, password: password, timeout: .milliseconds(Int64(response.timeout))))
        state = .connected(liveness)

        // `ClientCnxn.SendThread.primeConnection`: watches first, then credentials, then what queued up.
        for request in watches.setWatchesRequests(
            relativeZxid: lastZxid,
            maxPacketSize: configuration.maxSetWatchesPacketSize
        ) {
            pending.append(Pending(xid: .setWatches, opCode: request.opCode, kind: .setWatches))
            actions.append(.send(.setWatches, request))
        }
        for index in auths.indices {
            pendingAuths.append(PendingAuth(entry: index, waiters: auths[index].waiters))
            auths[index].waiters = []
            actions.append(.send(.auth, .auth(auths[index].packet)))
        }
        while let next = waiting.popFirst() {
            sendUser(next.request, id: next.id, actions: &actions)
        }
        liveness.lastSend = now
        state = .connected(liveness)
        actions.append(.deliverSessionEvent(.connected))
        for waiter in connectWaiters { actions.append(.succeed(waiter, .empty)) }
        connectWaiters = []
        actions.append(.scheduleTimer(nextDeadline(liveness)))
    }

    // MARK: - Replies

    private mutating func replyReceived(_ buffer: inout ByteBuffer, now: NIODeadline, actions: inout [Action]) {
        let header: ReplyHeader
        do {
            header = try ReplyHeader(from: &buffer)
        } catch {
            connectionBroken(now: now, actions: &actions)
            return
        }
        switch header.xid {
        case .ping:
            return
        case .auth:
            authReplyReceived(header.err, actions: &actions)
            return
        case .notification:
            let event: WatcherEvent
            do {
                event = try WatcherEvent(from: &buffer)
            } catch {
                connectionBroken(now: now, actions: &actions)
                return
            }
            watches.notificationReceived(event)
            actions.append(
                .deliverWatchEvent(
                    WatchEvent(
                        type: event.type,
                        state: event.state,
                        path: configuration.chroot.clientPath(event.path),
                        zxid: header.zxid
                    )
                )
            )
            return
        default:
            break
        }
        guard let head = pending.popFirst() else {
            // "Nothing in the queue, but got <xid>"
            connectionBroken(now: now, actions: &actions)
            return
        }
        guard head.xid == header.xid else {
            // "Xid out of order. Got Xid … with err … expected Xid …": fatal for this connection.
            if case .user(let id, _) = head.kind { actions.append(.fail(id, .connectionLoss)) }
            connectionBroken(now: now, actions: &actions)
            return
        }
        if header.zxid.rawValue > 0 { lastZxid = header.zxid }
        switch head.kind {
        case .setWatches:
            // Nothing to report: the server fires whatever changed while we were away.
            return
        case .closeSession:
            failPending(.connectionLoss, actions: &actions)
            actions.append(.closeChannel)
            finishClose(actions: &actions)
        case .user(let id, let registration):
            guard header.err == .ok else {
                if let registration { _ = watches.apply(registration, err: header.err) }
                actions.append(.fail(id, header.err))
                return
            }
            let response: ZKResponse
            do {
                response = try ZKResponse.decode(for: head.opCode, from: &buffer)
            } catch {
                actions.append(.fail(id, .marshallingError))
                connectionBroken(now: now, actions: &actions)
                return
            }
            if let registration {
                for removed in watches.apply(registration, err: .ok) {
                    actions.append(
                        .deliverWatchEvent(
                            WatchEvent(type: removed.type, state: .syncConnected, path: configuration.chroot.clientPath(removed.path))
                        )
                    )
                }
            }
            actions.append(.succeed(id, configuration.chroot.inbound(response)))
        }
    }

    private mutating func authReplyReceived(_ err: ZKErrorCode, actions: inout [Action]) {
        guard let auth = pendingAuths.popFirst() else { return }
        switch err {
        case .ok:
            for waiter in auth.waiters { actions.append(.succeed(waiter, .empty)) }
        case .authFailed:
            // `ClientCnxn.readResponse`: AUTH_FAILED is terminal; the server closes the connection.
            for waiter in auth.waiters { actions.append(.fail(waiter, .authFailed)) }
            failAuthWaiters(.authFailed, actions: &actions)
            failPending(.authFailed, actions: &actions)
            failWaiting(.authFailed, actions: &actions)
            actions.append(.closeChannel)
            terminate(reason: .authFailed, event: .authFailed, actions: &actions)
        default:
            for waiter in auth.waiters { actions.append(.fail(waiter, err)) }
        }
    }

    // MARK: - Connection life cycle

    private var hasChannel: Bool {
        switch state {
        case .connecting, .awaitingHandshake, .connected, .closing: true
        case .idle, .backingOff, .closed: false
        }
    }

    private mutating func beginAttempt(now: NIODeadline, actions: inout [Action]) {
        let host = configuration.hosts[nextHostIndex]
        nextHostIndex = (nextHostIndex + 1) % configuration.hosts.count
        attemptsInRound += 1
        let timeout = connectTimeout
        let deadline = now + timeout
        state = .connecting(Attempt(host: host, deadline: deadline))
        actions.append(.connect(host, timeout: timeout))
        actions.append(.scheduleTimer(deadline))
    }

    /// A connect attempt ended without a session: fail what queued (`ClientCnxn.cleanup`), then
    /// try the next host, or pause once every host has been tried in this round.
    private mutating func attemptFailed(now: NIODeadline, actions: inout [Action]) {
        failWaiting(.connectionLoss, actions: &actions)
        returnAuthWaiters()
        if initialConnectGaveUp(now: now, actions: &actions) { return }
        nextAttempt(now: now, actions: &actions)
    }

    private mutating func nextAttempt(now: NIODeadline, actions: inout [Action]) {
        if attemptsInRound >= configuration.hosts.count {
            attemptsInRound = 0
            let until = now + configuration.reconnectBackoff
            state = .backingOff(until: until)
            actions.append(.scheduleTimer(until))
        } else {
            beginAttempt(now: now, actions: &actions)
        }
    }

    /// The first session could not be established within the session timeout: `connect()` fails.
    private mutating func initialConnectGaveUp(now: NIODeadline, actions: inout [Action]) -> Bool {
        guard let deadline = initialConnectDeadline, now >= deadline else { return false }
        for waiter in connectWaiters { actions.append(.fail(waiter, .connectionLoss)) }
        connectWaiters = []
        failWaiting(.connectionLoss, actions: &actions)
        failAuthWaiters(.connectionLoss, actions: &actions)
        terminate(reason: .connectionLoss, event: nil, actions: &actions)
        return true
    }

    /// The driver must close the channel (protocol violation, garbage, read timeout), then reconnect.
    private mutating func connectionBroken(now: NIODeadline, actions: inout [Action]) {
        actions.append(.closeChannel)
        switch state {
        case .closing:
            failPending(.connectionLoss, actions: &actions)
            finishClose(actions: &actions)
        default:
            connectionLost(now: now, actions: &actions)
        }
    }

    /// An established connection is gone: in-flight requests fail with CONNECTIONLOSS, subscribers
    /// hear `.disconnected`, and the next host is tried at once.
    private mutating func connectionLost(now: NIODeadline, actions: inout [Action]) {
        failPending(.connectionLoss, actions: &actions)
        returnAuthWaiters()
        actions.append(.deliverSessionEvent(.disconnected))
        attemptsInRound = 0
        nextAttempt(now: now, actions: &actions)
    }

    private mutating func finishClose(actions: inout [Action]) {
        for waiter in closeWaiters { actions.append(.succeed(waiter, .empty)) }
        closeWaiters = []
        failAuthWaiters(.sessionExpired, actions: &actions)
        terminate(reason: .sessionExpired, event: .closed, actions: &actions)
    }

    private mutating func terminate(reason: ZKErrorCode, event: SessionEvent?, actions: inout [Action]) {
        // Whoever still waits (close waiters when the session expired underneath a close) is answered.
        for waiter in closeWaiters { actions.append(.succeed(waiter, .empty)) }
        closeWaiters = []
        state = .closed(reason)
        watches.removeAll()
        if let event { actions.append(.deliverSessionEvent(event)) }
        actions.append(.terminate)
    }

    // MARK: - Helpers

    private mutating func takeXid() -> Xid {
        let xid = Xid(nextXid)
        // 1 … Int32.max, then back to 1: negative xids are reserved (`ClientCnxn.getXid`).
        nextXid = nextXid == Int32.max ? 1 : nextXid + 1
        return xid
    }

    private mutating func sendUser(_ request: ZKRequest, id: RequestID, actions: inout [Action]) {
        let xid = takeXid()
        pending.append(
            Pending(xid: xid, opCode: request.opCode, kind: .user(id, ClientWatchRegistry.registration(for: request)))
        )
        actions.append(.send(xid, request))
    }

    private func nextDeadline(_ liveness: Liveness) -> NIODeadline {
        min(liveness.lastReceive + readTimeout, liveness.lastSend + pingInterval)
    }

    private mutating func failPending(_ code: ZKErrorCode, actions: inout [Action]) {
        while let head = pending.popFirst() {
            if case .user(let id, _) = head.kind { actions.append(.fail(id, code)) }
        }
    }

    private mutating func failWaiting(_ code: ZKErrorCode, actions: inout [Action]) {
        while let next = waiting.popFirst() {
            actions.append(.fail(next.id, code))
        }
    }

    /// Auth packets in flight on a lost connection: their callers wait for the replay on the next one.
    private mutating func returnAuthWaiters() {
        while let auth = pendingAuths.popFirst() {
            auths[auth.entry].waiters.insert(contentsOf: auth.waiters, at: 0)
        }
    }

    private mutating func failAuthWaiters(_ code: ZKErrorCode, actions: inout [Action]) {
        while let auth = pendingAuths.popFirst() {
            for waiter in auth.waiters { actions.append(.fail(waiter, code)) }
        }
        for index in auths.indices {
            for waiter in auths[index].waiters { actions.append(.fail(waiter, code)) }
            auths[index].waiters = []
        }
    }
}

extension ClientConnectionStateMachine.State {
    var name: String {
        switch self {
        case .idle: "idle"
        case .backingOff: "backingOff"
        case .connecting: "connecting"
        case .awaitingHandshake: "awaitingHandshake"
        case .connected: "connected"
        case .closing: "closing"
        case .closed: "closed"
        }
    }
}
