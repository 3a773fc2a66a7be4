import NIOCore
import Testing
import ZooKeeperWire

@Suite struct RequestCodecTests {
    static let create = CreateRequest(path: "/a", data: buffer("hi"), acl: ACL.openUnsafe, flags: 1)

    /// One request per `ZKRequest` case, with values that exercise nulls, empties and negatives.
    static let everyRequest: [ZKRequest] = [
        .create(create),
        .create2(
            CreateRequest(path: "/b", data: nil, acl: ACL.creatorAll, flags: CreateMode.persistentSequential.rawValue)
        ),
        .createContainer(CreateRequest(path: "/c", data: buffer(""), acl: [], flags: CreateMode.container.rawValue)),
        .createTTL(CreateRequest(path: "/t", data: buffer("x"), acl: ACL.openUnsafe, flags: 5, ttl: 60_000)),
        .delete(DeleteRequest(path: "/a", version: -1)),
        .exists(PathWatchRequest(path: "/a", watch: true)),
        .getData(PathWatchRequest(path: "/a", watch: false)),
        .setData(SetDataRequest(path: "/a", data: buffer("new"), version: 7)),
        .getACL(path: "/a"),
        .setACL(SetACLRequest(path: "/a", acl: ACL.readUnsafe, version: 2)),
        .getChildren(PathWatchRequest(path: "/", watch: true)),
        .getChildren2(PathWatchRequest(path: "/x", watch: false)),
        .sync(path: "/a"),
        .ping,
        .check(CheckVersionRequest(path: "/a", version: 3)),
        .multi([
            .create(create), .create2(create),
            .createTTL(CreateRequest(path: "/t", data: nil, acl: ACL.openUnsafe, flags: 6, ttl: 1)),
            .createContainer(create), .delete(DeleteRequest(path: "/a")),
            .setData(SetDataRequest(path: "/a", data: nil)),
            .check(CheckVersionRequest(path: "/a", version: 0)),
        ]),
        .multiRead([.getData(PathWatchRequest(path: "/a")), .getChildren(PathWatchRequest(path: "/b"))]),
        .reconfig(
            ReconfigRequest(
                joiningServers: "server.4=h:2888:3888",
                leavingServers: nil,
                newMembers: "",
                curConfigId: -1
            )
        ),
        .checkWatches(WatchesRequest(path: "/a", type: WatcherType.data.rawValue)),
        .removeWatches(WatchesRequest(path: "/a", type: WatcherType.any.rawValue)),
        .auth(AuthPacket(type: 0, scheme: "digest", auth: Array("user:pw".utf8))),
        .sasl(token: [0xde, 0xad]),
        .setWatches(
            SetWatchesRequest(relativeZxid: Zxid(9), dataWatches: ["/d"], existWatches: [], childWatches: ["/c", "/e"])
        ),
        .setWatches2(
            SetWatchesRequest(
                relativeZxid: Zxid(10),
                dataWatches: ["/d"],
                existWatches: ["/x"],
                childWatches: [],
                persistentWatches: ["/p"],
                persistentRecursiveWatches: ["/r", "/s"]
            )
        ),
        .getEphemerals(prefixPath: "/eph"),
        .getAllChildrenNumber(path: "/"),
        .addWatch(AddWatchRequest(path: "/w", mode: AddWatchMode.persistentRecursive.rawValue)),
        .whoAmI,
        .closeSession,
    ]

    @Test func everyClientOpCodeHasARoundTripSample() {
        let covered = Set(Self.everyRequest.map(\.opCode))
        let clientOps = Set(OpCode.allCases.filter(ZKRequest.isClientRequest))
        #expect(covered == clientOps)
        #expect(covered.count == 29)
    }

    @Test(arguments: everyRequest)
    func requestFrameRoundTrips(_ request: ZKRequest) throws {
        let frame = try encoded { try ZKRequestFrame.encode(xid: Xid(77), request: request, into: &$0) }
        let body = try payload(ofFrame: frame)
        #expect(frame.getInteger(at: 0, as: Int32.self) == Int32(frame.readableBytes - 4))
        #expect(body.getInteger(at: 0, as: Int32.self) == 77)
        #expect(body.getInteger(at: 4, as: Int32.self) == request.opCode.rawValue)
        let decoded = try ZKRequestFrame.decode(body)
        #expect(decoded.xid == Xid(77))
        #expect(decoded.request == request)

        // The body layer alone, and its byte count.
        var bodyOnly = ByteBuffer()
        let written = request.write(to: &bodyOnly)
        #expect(written == bodyOnly.readableBytes)
        #expect(written == body.readableBytes - RequestHeader.encodedSize)
        #expect(try ZKRequest.decode(opCode: request.opCode, from: &bodyOnly) == request)
        #expect(bodyOnly.readableBytes == 0)
    }

    /// `encodedSize` agrees with what `write(to:)` writes, for every kind of request.
    @Test(arguments: everyRequest)
    func encodedSizeMatchesWrite(_ request: ZKRequest) {
        var buffer = ByteBuffer()
        #expect(request.write(to: &buffer) == request.encodedSize)
        #expect(buffer.readableBytes == request.encodedSize)
    }

    /// A caller's request past 2 GiB (a multi of 2,100 creates sharing one 1 MiB buffer) used to
    /// trap in the frame writer; now it is refused and nothing is written (issue 11).
    @Test func requestPastTwoGiBIsRefusedWithoutWriting() {
        let data = ByteBuffer(repeating: 0x61, count: 1 << 20)
        let create = ZKRequest.create(CreateRequest(path: "/a", data: data, acl: ACL.openUnsafe, flags: 0))
        let request = ZKRequest.multi(Array(repeating: create, count: 2_100))
        #expect(request.encodedSize > Int(Int32.max))
        var buffer = ByteBuffer()
        #expect(throws: ZooKeeperWireError.self) {
            try ZKRequestFrame.encode(xid: Xid(1), request: request, into: &buffer)
        }
        #expect(buffer.writerIndex == 0)
    }

    @Test func requestOverTheGivenLimitIsRefused() throws {
        let request = ZKRequest.getData(PathWatchRequest(path: "/abc", watch: true))
        let length = RequestHeader.encodedSize + request.encodedSize
        var buffer = ByteBuffer()
        #expect(
            throws: ZooKeeperWireError.encodingTooLong(context: "getData request", length: length, limit: length - 1)
        ) {
            try ZKRequestFrame.encode(xid: Xid(1), request: request, maxLength: length - 1, into: &buffer)
        }
        #expect(buffer.writerIndex == 0)
        try ZKRequestFrame.encode(xid: Xid(1), request: request, maxLength: length, into: &buffer)
        #expect(buffer.readableBytes == 4 + length)
    }

    @Test func pingWhoAmIAndCloseSessionHaveEmptyBodies() throws {
        let ping = try encoded { try ZKRequestFrame.encode(xid: .ping, request: .ping, into: &$0) }
        #expect(ping.hex == "00000008" + "fffffffe" + "0000000b")
        #expect(
            try encoded { try ZKRequestFrame.encode(xid: Xid(3), request: .whoAmI, into: &$0) }.hex == "00000008" + "00000003"
                + "0000006b"
        )
        #expect(
            try encoded { try ZKRequestFrame.encode(xid: Xid(8), request: .closeSession, into: &$0) }.hex == "00000008"
                + "00000008" + "fffffff5"
        )
        let decoded = try ZKRequestFrame.decode(buffer(hex: "fffffffe 0000000b"))
        #expect(decoded.xid == .ping)
        #expect(decoded.request == .ping)
    }

    /// xid 1, op 1 | path "/a" | data "hi" | acl [{perms 31, world:anyone}] | flags 1 (ephemeral).
    @Test func createRequestFrameGoldenBytes() throws {
        let expected =
            "00000033" + "00000001" + "00000001" + "000000022f61" + "000000026869" + "00000001" + "0000001f"
            + "00000005776f726c64" + "00000006616e796f6e65" + "00000001"
        let frame = try encoded { try ZKRequestFrame.encode(xid: Xid(1), request: .create(Self.create), into: &$0) }
        #expect(frame.hex == expected)
        #expect(frame.readableBytes == 4 + 0x33)
        #expect(try ZKRequestFrame.decode(payload(ofFrame: frame)).request == .create(Self.create))
    }

    /// createTTL carries the trailing `long ttl`; plain create never does.
    @Test func createTTLBodyEndsWithTTL() throws {
        let request = CreateRequest(path: "/t", data: nil, acl: [], flags: 5, ttl: 0x1234)
        let ttlBody = encoded { ZKRequest.createTTL(request).write(to: &$0) }
        #expect(ttlBody.hex == "000000022f74" + "ffffffff" + "00000000" + "00000005" + "0000000000001234")
        let plainBody = encoded { ZKRequest.create(request).write(to: &$0) }
        #expect(plainBody.hex == "000000022f74" + "ffffffff" + "00000000" + "00000005")
        var decodable = plainBody
        #expect(
            try ZKRequest.decode(opCode: .create, from: &decodable)
                == .create(CreateRequest(path: "/t", data: nil, acl: [], flags: 5))
        )
    }

    /// multiRead [getData("/a", watch), getChildren("/b")]: MultiHeader{4,false,-1} body,
    /// MultiHeader{8,false,-1} body, MultiHeader{-1,true,-1}.
    @Test func multiReadBodyGoldenBytes() throws {
        let request = ZKRequest.multiRead([
            .getData(PathWatchRequest(path: "/a", watch: true)), .getChildren(PathWatchRequest(path: "/b")),
        ])
        let expected =
            "00000004" + "00" + "ffffffff" + "000000022f61" + "01" + "00000008" + "00" + "ffffffff" + "000000022f62"
            + "00" + "ffffffff" + "01" + "ffffffff"
        var body = encoded { request.write(to: &$0) }
        #expect(body.hex == expected)
        #expect(try ZKRequest.decode(opCode: .multiRead, from: &body) == request)
    }

    @Test func emptyMultiIsJustTheTerminator() throws {
        var body = encoded { ZKRequest.multi([]).write(to: &$0) }
        #expect(body.hex == "ffffffff01ffffffff")
        #expect(try ZKRequest.decode(opCode: .multi, from: &body) == .multi([]))
    }

    // MARK: - Malformed input

    @Test func unknownOpCodeThrowsWithTheXid() {
        #expect(throws: ZooKeeperWireError.unknownOpCode(xid: 42, opCode: 999)) {
            try ZKRequestFrame.decode(buffer(hex: "0000002a 000003e7 000000022f61"))
        }
        // Defined op codes that no client may send: createSession, deleteContainer, notification.
        #expect(throws: ZooKeeperWireError.unknownOpCode(xid: 5, opCode: -10)) {
            try ZKRequestFrame.decode(buffer(hex: "00000005 fffffff6"))
        }
        #expect(throws: ZooKeeperWireError.unknownOpCode(xid: 6, opCode: 20)) {
            try ZKRequestFrame.decode(buffer(hex: "00000006 00000014 000000022f61 ffffffff"))
        }
        #expect(throws: ZooKeeperWireError.unknownOpCode(xid: 7, opCode: 0)) {
            try ZKRequestFrame.decode(buffer(hex: "00000007 00000000"))
        }
    }

    @Test func truncatedBodiesThrowTruncated() {
        // delete "/a" with only 2 of the 4 version bytes.
        #expect(throws: ZooKeeperWireError.truncated(field: "version", needed: 4, available: 2)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000002 000000022f61 ffff"))
        }
        // getData "/a" without the watch byte.
        #expect(throws: ZooKeeperWireError.truncated(field: "watch", needed: 1, available: 0)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000004 000000022f61"))
        }
        // A header alone, 6 bytes.
        #expect(throws: ZooKeeperWireError.truncated(field: "requestHeader.type", needed: 4, available: 2)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 0000"))
        }
        // multi without its terminator.
        #expect(throws: ZooKeeperWireError.truncated(field: "multiHeader.type", needed: 4, available: 0)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 0000000e 00000002 00 ffffffff 000000022f61 ffffffff"))
        }
    }

    @Test func trailingBytesThrow() {
        #expect(throws: ZooKeeperWireError.trailingBytes(context: "getData request", count: 1)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000004 000000022f61 00 ff"))
        }
        #expect(throws: ZooKeeperWireError.trailingBytes(context: "ping request", count: 4)) {
            try ZKRequestFrame.decode(buffer(hex: "fffffffe 0000000b 00000000"))
        }
    }

    @Test func nullPathIsInvalidValue() {
        #expect(throws: ZooKeeperWireError.invalidValue(field: "path", value: -1)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000004 ffffffff 00"))
        }
        #expect(throws: ZooKeeperWireError.invalidValue(field: "path", value: -1)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000001 ffffffff ffffffff 00000000 00000000"))
        }
    }

    @Test func stringLongerThanTheFrameThrowsInvalidLength() {
        #expect(throws: ZooKeeperWireError.invalidLength(field: "path", length: 1000)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000004 000003e8 2f61 00"))
        }
    }

    @Test func hugeACLCountInATinyCreateFrameThrows() {
        #expect(throws: ZooKeeperWireError.invalidLength(field: "acl", length: Int32.max)) {
            try ZKRequestFrame.decode(buffer(hex: "00000001 00000001 000000022f61 ffffffff 7fffffff 00000000"))
        }
        #expect(throws: ZooKeeperWireError.invalidLength(field: "dataWatches", length: Int32.max)) {
            try ZKRequestFrame.decode(buffer(hex: "fffffff8 00000065 0000000000000000 7fffffff"))
        }
    }

    @Test func opsNotAllowedInMultiOrMultiReadAreRejected() {
        let getDataInMulti = encoded {
            ZKRequest.multi([.getData(PathWatchRequest(path: "/a"))]).write(to: &$0)
        }
        var input = getDataInMulti
        #expect(throws: ZooKeeperWireError.invalidValue(field: "multi.type", value: 4)) {
            try ZKRequest.decode(opCode: .multi, from: &input)
        }
        let createInMultiRead = encoded { ZKRequest.multiRead([.create(Self.create)]).write(to: &$0) }
        input = createInMultiRead
        #expect(throws: ZooKeeperWireError.invalidValue(field: "multi.type", value: 1)) {
            try ZKRequest.decode(opCode: .multiRead, from: &input)
        }
        // Nested multi, and an op code ZooKeeper does not define.
        input = buffer(hex: "0000000e 00 ffffffff ffffffff 01 ffffffff")
        #expect(throws: ZooKeeperWireError.invalidValue(field: "multi.type", value: 14)) {
            try ZKRequest.decode(opCode: .multi, from: &input)
        }
        input = buffer(hex: "000003e7 00 ffffffff")
        #expect(throws: ZooKeeperWireError.invalidValue(field: "multi.type", value: 999)) {
            try ZKRequest.decode(opCode: .multi, from: &input)
        }
    }

    @Test func requestHeaderRoundTrips() throws {
        let header = RequestHeader(xid: Xid(-8), opCode: .setWatches2)
        var bytes = encoded { #expect(header.write(to: &$0) == RequestHeader.encodedSize) }
        #expect(bytes.hex == "fffffff8" + "00000069")
        let decoded = try RequestHeader(from: &bytes)
        #expect(decoded == header)
        #expect(decoded.opCode == .setWatches2)
        #expect(RequestHeader(xid: Xid(1), type: 4242).opCode == nil)
    }
}
