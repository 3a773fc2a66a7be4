import NIOCore
import Testing
import ZooKeeperWire

/// Frame payloads (the bytes after the 4-byte length) that kazoo 2.11.0 sent to a fake server.
///
/// How they were produced: `pip install kazoo==2.11.0`; a small Python script listened on 127.0.0.1
/// on an ephemeral port, answered the handshake with a ConnectResponse (timeOut 10000, session 0x1234)
/// and each request with a plausible success reply, and hex-dumped every frame payload it received
/// while this client code ran:
///
/// ```python
/// zk = KazooClient(hosts="127.0.0.1:PORT", timeout=10.0); zk.start()
/// zk.create("/paddock", b"hi"); zk.get("/paddock"); zk.exists("/paddock")
/// zk.set("/paddock", b"v2", version=1); zk.get_children("/paddock"); zk.delete("/paddock", version=-1)
/// tx = zk.transaction(); tx.create("/a", b"x"); tx.check("/a", 0); tx.set_data("/a", b"y"); tx.delete("/a")
/// tx.commit(); zk.stop(); zk.close()
/// ```
///
/// The script is not kept in the repository; rerunning it reproduces these bytes exactly.
enum KazooFixtures {
    /// ConnectRequest, 45 bytes: kazoo always sends the readOnly byte.
    static let connect =
        "00000000" + "0000000000000000" + "00002710" + "0000000000000000" + "00000010"
        + "00000000000000000000000000000000" + "00"
    static let create =
        "0000000100000001000000082f706164646f636b000000026869000000010000001f00000005776f726c64"
        + "00000006616e796f6e6500000000"
    static let getData = "0000000200000004000000082f706164646f636b00"
    static let exists = "0000000300000003000000082f706164646f636b00"
    static let setData = "0000000400000005000000082f706164646f636b00000002763200000001"
    static let getChildren = "0000000500000008000000082f706164646f636b00"
    static let delete = "0000000600000002000000082f706164646f636bffffffff"
    static let multi =
        "000000070000000e0000000100ffffffff000000022f610000000178000000010000001f00000005776f726c64"
        + "00000006616e796f6e65000000000000000d00ffffffff000000022f61000000000000000500ffffffff"
        + "000000022f610000000179ffffffff0000000200ffffffff000000022f61ffffffffffffffff01ffffffff"
    static let closeSession = "00000008fffffff5"
}

@Suite struct KazooGoldenTests {
    static let expected: [(hex: String, xid: Int32, request: ZKRequest)] = [
        (
            KazooFixtures.create, 1,
            .create(CreateRequest(path: "/paddock", data: buffer("hi"), acl: ACL.openUnsafe, flags: 0))
        ),
        (KazooFixtures.getData, 2, .getData(PathWatchRequest(path: "/paddock", watch: false))),
        (KazooFixtures.exists, 3, .exists(PathWatchRequest(path: "/paddock", watch: false))),
        (KazooFixtures.setData, 4, .setData(SetDataRequest(path: "/paddock", data: buffer("v2"), version: 1))),
        (KazooFixtures.getChildren, 5, .getChildren(PathWatchRequest(path: "/paddock", watch: false))),
        (KazooFixtures.delete, 6, .delete(DeleteRequest(path: "/paddock", version: -1))),
        (
            KazooFixtures.multi, 7,
            .multi([
                .create(CreateRequest(path: "/a", data: buffer("x"), acl: ACL.openUnsafe, flags: 0)),
                .check(CheckVersionRequest(path: "/a", version: 0)),
                .setData(SetDataRequest(path: "/a", data: buffer("y"), version: -1)),
                .delete(DeleteRequest(path: "/a", version: -1)),
            ])
        ),
        (KazooFixtures.closeSession, 8, .closeSession),
    ]

    @Test func kazooConnectRequestDecodesAndReencodesIdentically() throws {
        var input = buffer(hex: KazooFixtures.connect)
        #expect(input.readableBytes == 45)
        let request = try ConnectRequest(from: &input)
        #expect(input.readableBytes == 0)
        #expect(
            request
                == ConnectRequest(
                    protocolVersion: 0,
                    lastZxidSeen: .zero,
                    timeout: 10_000,
                    sessionID: .none,
                    password: [UInt8](repeating: 0, count: 16),
                    readOnly: false
                )
        )
        #expect(encoded { request.write(to: &$0) }.hex == KazooFixtures.connect)
    }

    @Test func kazooRequestFramesDecodeToTheExpectedValues() throws {
        for (hex, xid, request) in Self.expected {
            let decoded = try ZKRequestFrame.decode(buffer(hex: hex))
            #expect(decoded.xid == Xid(xid))
            #expect(decoded.request == request)
        }
    }

    @Test func ourEncoderProducesKazoosBytes() throws {
        for (hex, xid, request) in Self.expected {
            let frame = try encoded { try ZKRequestFrame.encode(xid: Xid(xid), request: request, into: &$0) }
            #expect(try payload(ofFrame: frame).hex == hex)
            #expect(frame.getInteger(at: 0, as: Int32.self) == Int32(hex.count / 2))
        }
    }
}
