package import NIOCore
package import ZooKeeperWire

/// The log record of a `Txn`, in jute primitives:
/// ```
/// int version (=1); long zxid; long time; long session; int xid; vector<Id> auth;
/// boolean hasOrigin; [int originMember; long originRequest];
/// int kind; kind 0 createSession: int timeout, buffer password
///           kind 1 closeSession
///           kind 2 request: int opCode, <request body as on the wire>
///           kind 3 deleteContainer: ustring path
///           kind 4 moveSession
/// ```
extension Txn {
    package static let recordVersion: Int32 = 1

    package func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.recordVersion)
        buffer.writeInteger(zxid.rawValue)
        buffer.writeInteger(time)
        buffer.writeInteger(session.rawValue)
        buffer.writeInteger(xid.rawValue)
        buffer.writeInteger(Int32(auth.count))
        for id in auth { buffer.writeZKId(id) }
        buffer.writeJuteBool(origin != nil)
        if let origin {
            buffer.writeInteger(origin.member)
            buffer.writeInteger(origin.request)
        }
        switch op {
        case .createSession(let timeout, let password):
            buffer.writeInteger(Int32(0))
            buffer.writeInteger(timeout)
            buffer.writeJuteBytes(password)
        case .closeSession:
            buffer.writeInteger(Int32(1))
        case .request(let request):
            buffer.writeInteger(Int32(2))
            buffer.writeInteger(request.opCode.rawValue)
            request.write(to: &buffer)
        case .deleteContainer(let path):
            buffer.writeInteger(Int32(3))
            buffer.writeJuteString(path)
        case .moveSession:
            buffer.writeInteger(Int32(4))
        }
    }

    package init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let version = try buffer.readJuteInt32(field: "txn.version")
        guard version == Self.recordVersion else { throw .invalidValue(field: "txn.version", value: Int64(version)) }
        let zxid = Zxid(try buffer.readJuteInt64(field: "txn.zxid"))
        let time = try buffer.readJuteInt64(field: "txn.time")
        let session = SessionID(try buffer.readJuteInt64(field: "txn.session"))
        let xid = Xid(try buffer.readJuteInt32(field: "txn.xid"))
        let count = try buffer.readJuteInt32(field: "txn.auth")
        guard count >= 0, Int(count) <= buffer.readableBytes / 8 else {
            throw .invalidLength(field: "txn.auth", length: count)
        }
        var auth: [ZKId] = []
        for _ in 0..<count { auth.append(try buffer.readZKId()) }
        var origin: TxnOrigin?
        if try buffer.readJuteBool(field: "txn.hasOrigin") {
            let member = try buffer.readJuteInt32(field: "txn.originMember")
            let request = UInt64(bitPattern: try buffer.readJuteInt64(field: "txn.originRequest"))
            origin = TxnOrigin(member: member, request: request)
        }
        let kind = try buffer.readJuteInt32(field: "txn.kind")
        let op: TxnOp
        switch kind {
        case 0:
            let timeout = try buffer.readJuteInt32(field: "txn.timeout")
            op = .createSession(timeout: timeout, password: try buffer.readJuteBytes(field: "txn.password") ?? [])
        case 1:
            op = .closeSession
        case 2:
            let raw = try buffer.readJuteInt32(field: "txn.opCode")
            guard let code = OpCode(rawValue: raw) else { throw .invalidValue(field: "txn.opCode", value: Int64(raw)) }
            op = .request(try ZKRequest.decode(opCode: code, from: &buffer))
        case 3:
            guard let path = try buffer.readJuteString(field: "txn.path") else {
                throw .invalidValue(field: "txn.path", value: -1)
            }
            op = .deleteContainer(path: path)
        case 4:
            op = .moveSession
        default:
            throw .invalidValue(field: "txn.kind", value: Int64(kind))
        }
        guard buffer.readableBytes == 0 else { throw .trailingBytes(context: "txn", count: buffer.readableBytes) }
        self.init(zxid: zxid, time: time, session: session, xid: xid, auth: auth, op: op, origin: origin)
    }
}
