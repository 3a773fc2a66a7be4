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
    ///
    /// - Throws: `.encodingTooLong` (and writes nothing) when the payload would be longer than
    ///   `maxLength` or than `Int32.max`: a request is sized before it is written, so a caller's
    ///   oversized value (a multi of many large creates) is an error, not a trap.
    public static func encode(
        xid: Xid,
        request: ZKRequest,
        maxLength: Int = Int(Int32.max),
        into buffer: inout ByteBuffer
    ) throws(ZooKeeperWireError) {
        let (length, overflow) = RequestHeader.encodedSize.addingReportingOverflow(request.encodedSize)
        let limit = min(maxLength, Int(Int32.max))
        guard !overflow, length <= limit else {
            throw .encodingTooLong(context: "\(request.opCode) request", length: overflow ? .max : length, limit: limit)
        }
        buffer.writeInteger(Int32(length))
        RequestHeader(xid: xid, opCode: request.opCode).write(to: &buffer)
        request.write(to: &buffer)
    }
}

/// Reply frames: `int32 length` + `ReplyHeader{xid, zxid, err}` + body (only when `err == 0`).
///
/// Replies are sized before anything is written: a reply built from many reads of large nodes
/// (a multiRead of 65,000 getData ops) can pass 2 GiB, and the server must refuse it, not trap.
public enum ZKReplyFrame {
    /// Writes a complete length-prefixed reply frame. The body is written only when `header.err == .ok`
    /// and `response` is non-nil. A failed multi is `err == .ok` with `.error` sub-results, as in ZooKeeper.
    ///
    /// - Throws: `.replyTooLong` (and writes nothing) when the payload would be longer than
    ///   `maxLength` or than `Int32.max`.
    public static func encode(
        header: ReplyHeader,
        response: ZKResponse?,
        maxLength: Int = Int(Int32.max),
        into buffer: inout ByteBuffer
    ) throws(ZooKeeperWireError) {
        let body = header.err == .ok ? response : nil
        let length = ReplyHeader.encodedSize + (body?.encodedSize ?? 0)
        let limit = min(maxLength, Int(Int32.max))
        guard length <= limit else { throw .replyTooLong(length: length, limit: limit) }
        buffer.writeInteger(Int32(length))
        _ = header.write(to: &buffer)
        body?.write(to: &buffer)
    }

    /// Writes a complete watch-notification frame: `ReplyHeader{xid: -1, zxid, err: 0}` + `WatcherEvent`.
    /// ZooKeeper 3.9 puts the zxid of the change that fired the watch in the header (ZOOKEEPER-4655);
    /// 3.8 sent -1.
    ///
    /// - Throws: `.replyTooLong` (and writes nothing) when the path makes the frame longer than `Int32.max`.
    public static func encodeNotification(
        _ event: WatcherEvent,
        zxid: Zxid,
        into buffer: inout ByteBuffer
    ) throws(ZooKeeperWireError) {
        let length = ReplyHeader.encodedSize + 12 + event.path.utf8.count
        guard length <= Int(Int32.max) else { throw .replyTooLong(length: length, limit: Int(Int32.max)) }
        buffer.writeInteger(Int32(length))
        _ = ReplyHeader(xid: .notification, zxid: zxid, err: .ok).write(to: &buffer)
        event.write(to: &buffer)
    }
}
