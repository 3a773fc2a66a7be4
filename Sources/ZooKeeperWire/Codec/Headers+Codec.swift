public import NIOCore

/// `class RequestHeader { int xid; int type; }`: precedes every request body except the handshake.
///
/// `type` stays a raw `Int32` so that a header with an op code this server does not know can still be
/// read and answered with `UNIMPLEMENTED` (see `ZKRequestFrame.decode`).
public struct RequestHeader: Hashable, Sendable {
    public var xid: Xid
    /// The raw op code (`ZooDefs.OpCode`).
    public var type: Int32

    public init(xid: Xid, type: Int32) {
        self.xid = xid
        self.type = type
    }

    public init(xid: Xid, opCode: OpCode) {
        self.init(xid: xid, type: opCode.rawValue)
    }

    /// The op code, or nil when `type` is not one ZooKeeper defines.
    public var opCode: OpCode? { OpCode(rawValue: self.type) }

    public static let encodedSize = 8

    public init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let xid = try buffer.readJuteInt32(field: "requestHeader.xid")
        let type = try buffer.readJuteInt32(field: "requestHeader.type")
        self.init(xid: Xid(xid), type: type)
    }

    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeInteger(self.xid.rawValue) + buffer.writeInteger(self.type)
    }
}

extension ZKErrorCode {
    /// Maps an `err` field read off the wire. Codes this build does not know become `.systemError`
    /// (ZooKeeper's own range marker for "some server-side failure") so that a client talking to a
    /// newer server still matches the reply to its request and fails just that call instead of
    /// dropping the connection.
    @inlinable
    public init(wireValue: Int32) {
        self = ZKErrorCode(rawValue: wireValue) ?? .systemError
    }
}

extension ReplyHeader {
    /// Reads `class ReplyHeader { int xid; long zxid; int err; }` (16 bytes). An unknown `err` value
    /// reads as `.systemError` (see `ZKErrorCode.init(wireValue:)`).
    public init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let xid = try buffer.readJuteInt32(field: "replyHeader.xid")
        let zxid = try buffer.readJuteInt64(field: "replyHeader.zxid")
        let err = try buffer.readJuteInt32(field: "replyHeader.err")
        self.init(xid: Xid(xid), zxid: Zxid(zxid), err: ZKErrorCode(wireValue: err))
    }

    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeInteger(self.xid.rawValue) + buffer.writeInteger(self.zxid.rawValue)
            + buffer.writeInteger(self.err.rawValue)
    }
}

/// `class MultiHeader { int type; boolean done; int err; }`: precedes each op of a
/// `MultiOperationRecord` and each result of a `MultiResponse`; `{-1, true, -1}` ends the list.
struct MultiHeader: Hashable {
    var type: Int32
    var done: Bool
    var err: Int32

    /// The list terminator.
    static let end = MultiHeader(type: -1, done: true, err: -1)

    /// type (4) + done (1) + err (4).
    static let encodedSize = 9

    init(type: Int32, done: Bool, err: Int32) {
        self.type = type
        self.done = done
        self.err = err
    }

    init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        self.type = try buffer.readJuteInt32(field: "multiHeader.type")
        self.done = try buffer.readJuteBool(field: "multiHeader.done")
        self.err = try buffer.readJuteInt32(field: "multiHeader.err")
    }

    @discardableResult
    func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeInteger(self.type) + buffer.writeJuteBool(self.done) + buffer.writeInteger(self.err)
    }
}
