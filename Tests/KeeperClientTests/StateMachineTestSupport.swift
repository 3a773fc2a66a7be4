import KeeperClient
import NIOCore
import ZooKeeperWire

typealias SM = ClientConnectionStateMachine
typealias Action = ClientConnectionStateMachine.Action

let hostA = HostAndPort(host: "a.example", port: 2181)
let hostB = HostAndPort(host: "b.example", port: 2182)
let password16: [UInt8] = Array(1...16)
let session1 = SessionID(0x1234)

/// A fake monotonic clock for state-machine tests.
struct TestClock {
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    mutating func advance(_ amount: TimeAmount) { now = now + amount }
}

func makeMachine(
    hosts: [HostAndPort] = [hostA],
    chroot: String? = nil,
    sessionTimeout: TimeAmount = .seconds(6),
    firstXid: Int32 = 1
) -> SM {
    SM(
        configuration: .init(hosts: hosts, chroot: Chroot(chroot), sessionTimeout: sessionTimeout),
        firstXid: firstXid
    )
}

/// The payload of a ConnectResponse frame.
func connectResponse(timeout: Int32 = 6000, session: SessionID = session1, password: [UInt8] = password16) -> ByteBuffer {
    var buffer = ByteBuffer()
    ConnectResponse(timeout: timeout, sessionID: session, password: password, readOnly: false).write(to: &buffer)
    return buffer
}

/// The payload (no length prefix) of a reply frame.
func reply(xid: Int32, zxid: Int64 = 0, err: ZKErrorCode = .ok, _ response: ZKResponse? = nil) -> ByteBuffer {
    var buffer = ByteBuffer()
    try! ZKReplyFrame.encode(header: ReplyHeader(xid: Xid(xid), zxid: Zxid(zxid), err: err), response: response, into: &buffer)
    buffer.moveReaderIndex(forwardBy: 4)
    return buffer
}

func notification(_ type: EventType, path: String, zxid: Int64 = 7) -> ByteBuffer {
    var buffer = ByteBuffer()
    try! ZKReplyFrame.encodeNotification(WatcherEvent(type: type, path: path), zxid: Zxid(zxid), into: &buffer)
    buffer.moveReaderIndex(forwardBy: 4)
    return buffer
}

func createRequest(_ path: String, data: [UInt8] = [], mode: CreateMode = .persistent) -> ZKRequest {
    .create(CreateRequest(path: path, data: ByteBuffer(bytes: data), acl: ACL.openUnsafe, flags: mode.rawValue))
}

/// Drives a machine through connect + handshake; returns the connect request id used.
@discardableResult
func connectMachine(_ machine: inout SM, clock: TestClock, timeout: Int32 = 6000) -> RequestID {
    let id = RequestID(1000)
    _ = machine.connectRequested(id: id, now: clock.now)
    _ = machine.connectionEstablished(now: clock.now)
    _ = machine.frameReceived(connectResponse(timeout: timeout), now: clock.now)
    precondition(machine.isConnected)
    return id
}
