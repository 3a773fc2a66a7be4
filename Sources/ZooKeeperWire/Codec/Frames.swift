public import NIOCore

/// Request frames: `int32 length` + `RequestHeader{xid, type}` + body.
///
/// The connect handshake is not a request frame (it has no `RequestHeader`); decode its payload with
/// `ConnectRequest.init(from:)`.
public enum ZKRequestFrame {
    /// Decodes one frame payload (the bytes after the 4-byte length, as `ZKFrameDecoder` emits them).
    ///
    /// - Throws: `.unknownOpCode(xid:opCode:)` when the op code is not a client request (unknown to
    ///   ZooKeeper, or server-internal such as createSession / deleteContainer), so the server can answer
    ///   that xid with `UNIMPLEMENTED`; `.trailingBytes` when bytes remain after the body; `.truncated`,
    ///   `.invalidLength`, `.invalidUTF8`, `.invalidValue` for a malformed body.
    public static func decode(_ frame: ByteBuffer) throws(ZooKeeperWireError) -> (xid: Xid, request: ZKRequest) {
        var buffer = frame
        let header = try RequestHeader(from: &buffer)
        guard let opCode = header.opCode, ZKRequest.isClientRequest(opCode) else {
            throw .unknownOpCode(xid: header.xid.rawValue, opCode: header.type)
        }
        let request = try ZKRequest.decode(opCode: opCode, from: &buffer)
        guard buffer.readableBytes == 0 else {
            throw .trailingBytes(context: "\(opCode) request", count: buffer.readableBytes)
        }
        return (header.xid, request)
    }

    /// Writes a complete length-prefixed request frame.
    public static func encode(xid: Xid, request: ZKRequest, into buffer: inout ByteBuffer) {
        buffer.writeZKFrame { payload in
            RequestHeader(xid: xid, opCode: request.opCode).write(to: &payload) + request.write(to: &payload)
        }
    }
}

/// Reply frames: `int32 length` + `ReplyHeader{xid, zxid, err}` + body (only when `err == 0`).
public enum ZKReplyFrame {
    /// Writes a complete length-prefixed reply frame. The body is written only when `header.err == .ok`
    /// and `response` is non-nil. A failed multi is `err == .ok` with `.error` sub-results, as in ZooKeeper.
    public static func encode(header: ReplyHeader, response: ZKResponse?, into buffer: inout ByteBuffer) {
        buffer.writeZKFrame { payload in
            var written = header.write(to: &payload)
            if header.err == .ok, let response {
                written += response.write(to: &payload)
            }
            return written
        }
    }

    /// Writes a complete watch-notification frame: `ReplyHeader{xid: -1, zxid, err: 0}` + `WatcherEvent`.
    /// ZooKeeper 3.9 puts the zxid of the change that fired the watch in the header (ZOOKEEPER-4655);
    /// 3.8 sent -1.
    public static func encodeNotification(_ event: WatcherEvent, zxid: Zxid, into buffer: inout ByteBuffer) {
        buffer.writeZKFrame { payload in
            ReplyHeader(xid: .notification, zxid: zxid, err: .ok).write(to: &payload) + event.write(to: &payload)
        }
    }
}

extension ByteBuffer {
    /// Writes `int32 length` + whatever `body` writes.
    mutating func writeZKFrame(_ body: (inout ByteBuffer) -> Int) {
        do {
            try self.writeLengthPrefixed(as: Int32.self) { payload in body(&payload) }
        } catch {
            // Only thrown when the payload does not fit an Int32 length: the caller built a frame of
            // more than 2 GiB, far beyond any `jute.maxbuffer`. That is a bug, not input.
            preconditionFailure("ZooKeeper frame longer than Int32.max: \(error)")
        }
    }
}
