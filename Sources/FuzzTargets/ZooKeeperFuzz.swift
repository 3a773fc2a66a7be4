import ZNodeTree
import NIOCore
import ZooKeeperWire

/// The input is what a client sends on one connection: length-prefixed frames, the first a
/// `ConnectRequest`, the rest requests. Writes are stamped, encoded and decoded as a replicated txn and
/// applied; reads run on the tree; every reply is encoded. The tree starts with one live session.
func fuzzZooKeeper(_ bytes: UnsafeRawBufferPointer) {
    var stream = ByteBuffer(bytes: bytes)
    var decoder = ZKServerFrameDecoder()
    var keeper = FuzzKeeper()
    var sawConnect = false
    while true {
        let inbound: ZKServerInbound?
        do {
            inbound = try decoder.decode(buffer: &stream) ?? decoder.decodeLast(buffer: &stream, seenEOF: true)
        } catch {
            return
        }
        guard case .frame(let frame) = inbound else { break }
        if !sawConnect {
            sawConnect = true
            keeper.connect(frame)
        } else if !keeper.closed {
            keeper.handle(frame)
        }
    }
    keeper.finish()
}

private struct FuzzKeeper {
    let session = SessionID(0x0100_0000_0000_0001)
    var tree = DataTree(config: TreeConfig(extendedTypesEnabled: true))
    var counter: UInt32 = 0
    var auth: [ZKId] = []
    var replies = ByteBuffer()
    /// After closeSession the keeper answers nothing more on the connection.
    var closed = false

    init() {
        _ = commit(.createSession(timeout: 30_000, password: Array(repeating: 7, count: 16)), xid: Xid(0))
    }

    mutating func connect(_ frame: ByteBuffer) {
        var payload = frame
        guard let request = try? ConnectRequest(from: &payload) else { return }
        let response = ConnectResponse(
            timeout: request.timeout, sessionID: session, password: request.password, readOnly: request.readOnly)
        response.write(to: &replies)
    }

    /// Stamps `op` with the next zxid, sends it through the txn codec as replication does, applies it.
    mutating func commit(_ op: TxnOp, xid: Xid) -> (Zxid, TxnResult) {
        counter &+= 1
        let zxid = Zxid(epoch: 1, counter: counter)
        let txn = Txn(
            zxid: zxid, time: 1_700_000_000_000 + Int64(counter), session: session, xid: xid, auth: auth, op: op)
        var encoded = ByteBuffer()
        txn.write(to: &encoded)
        guard let replicated = try? Txn(from: &encoded) else {
            preconditionFailure("a txn the keeper encoded does not decode: \(txn)")
        }
        return (zxid, tree.apply(replicated))
    }

    mutating func handle(_ frame: ByteBuffer) {
        let xid: Xid
        let request: ZKRequest
        do {
            (xid, request) = try ZKRequestFrame.decode(frame)
        } catch {
            if case .unknownOpCode(let rawXid, _) = error {
                reply(ReplyHeader(xid: Xid(rawXid), zxid: tree.lastZxid, err: .unimplemented), nil)
            }
            return
        }
        switch request {
        case .auth(let packet):
            if packet.scheme == "digest", let credential = String(validating: packet.auth, as: UTF8.self),
                let digest = ACLEvaluator.digest(credential: credential)
            {
                let id = ZKId(scheme: "digest", id: digest)
                if !auth.contains(id) { auth.append(id) }
            }
            reply(ReplyHeader(xid: xid, zxid: .zero, err: .ok), nil)
        case .closeSession:
            let (zxid, result) = commit(.closeSession, xid: xid)
            closed = true
            reply(ReplyHeader(xid: xid, zxid: zxid, err: result.err), nil)
        case _ where request.isWrite:
            let (zxid, result) = commit(.request(request), xid: xid)
            reply(ReplyHeader(xid: xid, zxid: zxid, err: result.err), result.err == .ok ? result.response : nil)
        default:
            let (err, response) = tree.read(request, session: session, auth: auth)
            reply(ReplyHeader(xid: xid, zxid: tree.lastZxid, err: err), err == .ok ? response : nil)
        }
    }

    mutating func reply(_ header: ReplyHeader, _ response: ZKResponse?) {
        replies.clear()
        // A reply over the server's limit closes the connection there (ClientConnection.write).
        do {
            try ZKReplyFrame.encode(header: header, response: response, maxLength: 64 << 20, into: &replies)
        } catch {
            closed = true
        }
    }

    /// The tree as a snapshot image, read back as a member receiving it would.
    mutating func finish() {
        var image = ByteBuffer()
        do {
            // A fuzz input of at most a few KB cannot build a tree near the 4 GiB image limit.
            try tree.writeSnapshot(to: &image)
        } catch {
            preconditionFailure("a fuzzed tree does not fit a snapshot: \(error)")
        }
        guard (try? DataTree(snapshot: &image, config: tree.config)) != nil else {
            preconditionFailure("a snapshot the keeper wrote does not load")
        }
    }
}
