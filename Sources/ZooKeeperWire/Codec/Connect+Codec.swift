public import NIOCore

// The session handshake is the first frame each way and has no RequestHeader / ReplyHeader.
//
// ```
// class ConnectRequest {
//     int protocolVersion; long lastZxidSeen; int timeOut; long sessionId; buffer passwd;
//     // boolean readOnly;  (not in zookeeper.jute: appended by 3.4+ clients, absent from older ones)
// }
// class ConnectResponse {
//     int protocolVersion; int timeOut; long sessionId; buffer passwd;
//     // boolean readOnly;  (sent back only to clients that sent it)
// }
// ```

extension ConnectRequest {
    /// Decodes a `ConnectRequest` (the payload of the first client frame).
    ///
    /// With a 16-byte password this consumes 44 bytes, or 45 when the client sent the optional
    /// `readOnly` byte: `readOnly` is read when at least one byte remains, and is nil otherwise. A null
    /// password (length -1) reads as `[]`. Bytes after `readOnly` are left in `buffer` for the caller,
    /// as ZooKeeper ignores them.
    public init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let protocolVersion = try buffer.readJuteInt32(field: "connect.protocolVersion")
        let lastZxidSeen = try buffer.readJuteInt64(field: "connect.lastZxidSeen")
        let timeout = try buffer.readJuteInt32(field: "connect.timeOut")
        let sessionID = try buffer.readJuteInt64(field: "connect.sessionId")
        let password = try buffer.readJuteBytes(field: "connect.passwd") ?? []
        let readOnly = buffer.readableBytes > 0 ? try buffer.readJuteBool(field: "connect.readOnly") : nil
        self.init(
            protocolVersion: protocolVersion,
            lastZxidSeen: Zxid(lastZxidSeen),
            timeout: timeout,
            sessionID: SessionID(sessionID),
            password: password,
            readOnly: readOnly
        )
    }

    /// Writes the record (no length prefix); `readOnly` only when it is non-nil.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        var written = buffer.writeInteger(self.protocolVersion)
        written += buffer.writeInteger(self.lastZxidSeen.rawValue)
        written += buffer.writeInteger(self.timeout)
        written += buffer.writeInteger(self.sessionID.rawValue)
        written += buffer.writeJuteBytes(self.password)
        if let readOnly = self.readOnly {
            written += buffer.writeJuteBool(readOnly)
        }
        return written
    }
}

extension ConnectResponse {
    /// Decodes a `ConnectResponse` (the payload of the first server frame): 36 bytes with a 16-byte
    /// password, 37 with the optional `readOnly` byte (read when at least one byte remains). A null
    /// password reads as `[]`.
    public init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let protocolVersion = try buffer.readJuteInt32(field: "connectResponse.protocolVersion")
        let timeout = try buffer.readJuteInt32(field: "connectResponse.timeOut")
        let sessionID = try buffer.readJuteInt64(field: "connectResponse.sessionId")
        let password = try buffer.readJuteBytes(field: "connectResponse.passwd") ?? []
        let readOnly = buffer.readableBytes > 0 ? try buffer.readJuteBool(field: "connectResponse.readOnly") : nil
        self.init(
            protocolVersion: protocolVersion,
            timeout: timeout,
            sessionID: SessionID(sessionID),
            password: password,
            readOnly: readOnly
        )
    }

    /// Writes the record (no length prefix); `readOnly` only when it is non-nil.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        var written = buffer.writeInteger(self.protocolVersion)
        written += buffer.writeInteger(self.timeout)
        written += buffer.writeInteger(self.sessionID.rawValue)
        written += buffer.writeJuteBytes(self.password)
        if let readOnly = self.readOnly {
            written += buffer.writeJuteBool(readOnly)
        }
        return written
    }
}
