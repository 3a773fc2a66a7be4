package import ZooKeeperWire

/// A replicated transaction: what the leader proposes and every member applies in log order.
///
/// Paddock logs the *request* (plus the context needed to judge it: who, when, with which ids)
/// rather than ZooKeeper's pre-validated txn records; every member then applies the same sequence
/// to the same tree and reaches the same result, errors included. Wall-clock time is chosen once
/// by the proposer and carried here (STYLE.md §2), so members never compute it.
package struct Txn: Hashable, Sendable {
    package var zxid: Zxid
    /// Milliseconds since the Unix epoch on the proposer's clock: becomes ctime/mtime.
    package var time: Int64
    package var session: SessionID
    package var xid: Xid
    /// The caller's authenticated ids when it sent the request (ACLs are checked at apply).
    package var auth: [ZKId]
    package var op: TxnOp
    /// The member (and its request number) holding the client connection that asked for this;
    /// that member answers the client when it applies the entry. nil for server-initiated ones.
    package var origin: TxnOrigin?

    package init(
        zxid: Zxid, time: Int64, session: SessionID, xid: Xid = Xid(0), auth: [ZKId] = [], op: TxnOp,
        origin: TxnOrigin? = nil
    ) {
        self.zxid = zxid
        self.time = time
        self.session = session
        self.xid = xid
        self.auth = auth
        self.op = op
        self.origin = origin
    }
}

/// Where a transaction's reply goes: a member id (`server.N`) and a request number unique on it.
package struct TxnOrigin: Hashable, Sendable {
    package var member: Int32
    package var request: UInt64
    package init(member: Int32, request: UInt64) {
        self.member = member
        self.request = request
    }
}

/// What a transaction does.
package enum TxnOp: Hashable, Sendable {
    /// A new session with its negotiated timeout (ms) and password, chosen by the proposer.
    case createSession(timeout: Int32, password: [UInt8])
    /// Ends the session and deletes its ephemerals atomically (client close or expiry).
    case closeSession
    /// The session's client reconnected to the member named in the txn's origin: from now on
    /// only that member's requests for the session apply; older ones still in flight from the
    /// previous member fail with SESSIONMOVED (ZooKeeper's session owner check), so a moved
    /// session's requests can never apply out of order.
    case moveSession
    /// A client write: create*, delete, setData, setACL, check, multi.
    case request(ZKRequest)
    /// Removes an empty container or an expired TTL node (`OpCode.deleteContainer`), issued by the
    /// leader's cleanup; refused with NOTEMPTY if the node gained children meanwhile.
    case deleteContainer(path: String)
}

/// The outcome of applying one transaction.
package struct TxnResult: Hashable, Sendable {
    /// Goes into `ReplyHeader.err`; for multi always `.ok` (sub-results carry the errors).
    package var err: ZKErrorCode
    /// The reply body when `err == .ok`.
    package var response: ZKResponse?
    /// Changes watchers may care about, in the order they happened.
    package var events: [TreeEvent]

    package init(err: ZKErrorCode, response: ZKResponse? = nil, events: [TreeEvent] = []) {
        self.err = err
        self.response = response
        self.events = events
    }
}

/// A change to the tree that can trigger watches.
package struct TreeEvent: Hashable, Sendable {
    package var type: EventType
    package var path: String
    package init(_ type: EventType, _ path: String) {
        self.type = type
        self.path = path
    }
}

/// A replicated session: its negotiated timeout, the password clients must present, and the
/// member its client is connected to (0: not recorded).
package struct SessionRecord: Hashable, Sendable {
    package var timeout: Int32
    package var password: [UInt8]
    package var owner: Int32
    package init(timeout: Int32, password: [UInt8], owner: Int32 = 0) {
        self.timeout = timeout
        self.password = password
        self.owner = owner
    }
}
