package import Consensus
import DequeModule
package import ZNodeTree
package import ZooKeeperWire

/// The clocks as the driver read them when an input arrived. A core never reads a clock.
package struct ServerTime: Sendable, Equatable {
    /// For session expiry and latencies.
    package var monotonicMillis: Int64
    /// For txn times and session ids (replicated values are chosen by the leader from it).
    package var wallMillis: Int64

    package init(monotonicMillis: Int64, wallMillis: Int64) {
        self.monotonicMillis = monotonicMillis
        self.wallMillis = wallMillis
    }
}

/// What a member's server rules need from its configuration.
package struct ServerCoreConfiguration: Sendable {
    package var member: Int32
    /// The negotiated session timeout lies in this range (`minSessionTimeout`, `maxSessionTimeout`).
    package var sessionTimeouts: ClosedRange<Int32>
    /// What one connection's watches may hold (`WatchRegistry.add`).
    package var watchLimits: WatchLimits
    /// `DigestAuthenticationProvider.superDigest`: the digest that authenticates as super.
    package var superDigest: String?
    /// Auth ids one connection may hold, and their bytes (every write copies them into its txn).
    package var maxAuthIds: Int
    package var maxAuthBytes: Int

    package init(
        member: Int32, sessionTimeouts: ClosedRange<Int32>, watchLimits: WatchLimits = .unlimited,
        superDigest: String? = nil, maxAuthIds: Int = 32, maxAuthBytes: Int = 4096
    ) {
        self.member = member
        self.sessionTimeouts = sessionTimeouts
        self.watchLimits = watchLimits
        self.superDigest = superDigest
        self.maxAuthIds = maxAuthIds
        self.maxAuthBytes = maxAuthBytes
    }
}

/// What the driver does, in the order given.
package enum ServerAction: Sendable {
    /// Write a ConnectResponse on the connection and flush it.
    case connectResponse(WatcherID, ConnectResponse)
    /// Write a reply; `latencyMillis` is the time from the request's arrival to this reply.
    case reply(WatcherID, ReplyHeader, ZKResponse?, latencyMillis: Int64?)
    /// Write a watch notification.
    case notify(WatcherID, WatcherEvent, zxid: Zxid)
    /// Close the connection now (`afterFlush`: once everything written to it so far has left).
    case close(WatcherID, ClientCloseReason, afterFlush: Bool)
    /// Send a message to a peer.
    case send(to: Int32, PeerMessage)
    /// Serialize `image` and stream it to a lagging peer, then the `.snapshot` envelope; report
    /// the outcome with `snapshotSent(to:succeeded:)`.
    case streamSnapshot(to: Int32, image: DataTree, metadata: SnapshotMetadata, envelope: Envelope)
    /// Make `write` durable, then call `persisted(ticket:)`.
    case persist(ticket: UInt64, ReplicaWrite)
    /// Write these tree rows beside the log, then call `checkpointed()` (or
    /// `storageWriteFailed()`); nothing waits for it.
    case checkpoint(ReplicaCheckpoint)
    /// Something an operator wants a log line for.
    case notice(ServerNotice)
}

/// Why the core closes a client connection (the driver's log line says it).
package enum ClientCloseReason: Sendable, Equatable {
    /// The member knows no leader, so it serves no one.
    case notServing
    /// The client has seen a newer zxid than this member holds.
    case clientAhead(clientZxid: Zxid, zxid: Zxid)
    /// A reconnect named a session that is gone, or gave the wrong password.
    case sessionInvalid(SessionID)
    /// A write, handshake or move found no current leader to take it.
    case noLeader
    /// The leader (or its term) changed: requests in flight may be lost.
    case leaderChanged
    /// The link to the leader dropped: requests forwarded on it may be lost.
    case leaderLinkDown
    /// The member replaced its tree with the leader's snapshot: watches set on the old tree would
    /// miss the changes inside it, so clients reconnect and set them again (setWatches fires what
    /// changed), as ZooKeeper's clients do when their member resyncs with its leader.
    case snapshotInstalled
    /// A sync could not confirm the read point.
    case syncFailed
    /// A newer connection took the session over.
    case sessionTakenOver(SessionID)
    /// The session was closed (closeSession applied).
    case sessionClosed(SessionID)
    /// The session moved to another member (SESSIONMOVED).
    case sessionMoved(SessionID)
    /// The session expired or is closing.
    case sessionExpired(SessionID)
    case unknownOpCode(Int32)
    case malformedRequestHeader
    case malformedConnect
    case requestBeforeSession
    case authFailed(scheme: String)
    case authOverLimits(ids: Int, bytes: Int)
    /// Registering one more watch would pass `paddock.maxWatchesPerConnection` /
    /// `paddock.maxWatchBytesPerConnection`.
    case watchesOverLimits(watches: Int, pathBytes: Int, requestPathBytes: Int)
    /// No session after `zookeeper.nio.sessionlessCnxnTimeout`.
    case sessionless
    /// This member's storage failed; it stops serving.
    case storageFailed
    case shutdown
}

/// Events worth a log line; the core does not log.
package enum ServerNotice: Sendable, Equatable {
    case roleChanged(role: Role, leader: Int32?, term: UInt64)
    /// The leader changed while clients were connected: `connections` are being closed.
    case leaderLost(connections: Int)
    /// The link to the leader dropped: `connections` with requests in flight are being closed.
    case requestsLost(connections: Int)
    case snapshotInstalled(index: LogIndex, zxid: Zxid)
    case sessionCreated(SessionID, timeout: Int32)
    case sessionMovedHere(SessionID)
    case sessionReconnected(SessionID)
    case sessionClosed(SessionID)
    case sessionExpired(SessionID)
    case malformedRequest(xid: Xid)
}

/// One client connection as the server rules see it: its session, auth ids and the ordered
/// reply slots that give ZooKeeper's FIFO client order.
package struct ClientState: Sendable {
    package enum Phase: Sendable, Equatable {
        /// The next frame is a ConnectRequest.
        case awaitingConnect
        /// A session is being created or moved here; requests queue until it is.
        case sessionPending
        case active
        /// Being closed: nothing more is taken from it.
        case closing
    }

    /// A request's place in the reply order: a write or sync waiting for its result (or holding
    /// it), a read executed when it reaches the head, or a write held back until the reads queued
    /// before it have run.
    enum Slot: Sendable {
        case write(Xid, reply: (ReplyHeader, ZKResponse?)?, arrival: Int64)
        case read(Xid, ZKRequest, arrival: Int64)
        /// Not yet submitted: a read of the same session is queued before it, and must not see
        /// this write's effect (ZooKeeper's CommitProcessor runs a session's reads before it
        /// applies the session's next write).
        case heldWrite(Xid, ZKRequest, arrival: Int64)
    }

    /// Whether a write arriving now must wait: a read (or a write already waiting) is queued.
    var holdsWrites: Bool {
        slots.contains { slot in
            switch slot {
            case .read, .heldWrite: true
            case .write: false
            }
        }
    }

    package let remoteHost: String
    package internal(set) var phase = Phase.awaitingConnect
    package internal(set) var session: SessionID?
    package internal(set) var auth: [ZKId]
    var slots = Deque<Slot>()
    /// False while the client is not reading its replies: nothing more is answered until it does.
    var writable = true
    /// Set once the connection broke a limit: nothing more is answered or executed.
    var refused = false
    /// The client sent closeSession on this connection: what it sends after is dropped (as
    /// ZooKeeper drops requests of a closing session), and the close's reply ends the connection.
    var closeSent = false

    init(remoteHost: String) {
        self.remoteHost = remoteHost
        // ZooKeeper gives every connection its address as an "ip" identity.
        self.auth = [ZKId(scheme: "ip", id: remoteHost)]
    }

    /// Requests taken from the connection and not yet answered.
    package var queuedCount: Int { slots.count }
}
