import NIOCore
import Testing
import ZooKeeperWire

/// A response body sample and the op code whose reply it is.
struct ResponseSample: Sendable, CustomTestStringConvertible {
    var opCode: OpCode
    var response: ZKResponse
    var testDescription: String { "\(opCode) → \(ResponseSample.caseName(response))" }

    /// Exhaustive over `ZKResponse`, so a new case fails to compile until it has a sample.
    static func caseName(_ response: ZKResponse) -> String {
        switch response {
        case .empty: "empty"
        case .create: "create"
        case .create2: "create2"
        case .stat: "stat"
        case .getData: "getData"
        case .getACL: "getACL"
        case .getChildren: "getChildren"
        case .getChildren2: "getChildren2"
        case .sync: "sync"
        case .multi: "multi"
        case .errorBody: "errorBody"
        case .getEphemerals: "getEphemerals"
        case .allChildrenNumber: "allChildrenNumber"
        case .whoAmI: "whoAmI"
        case .sasl: "sasl"
        }
    }
}

/// Reply bodies and frames. The golden reply bytes here (getData reply, notification, failed and
/// successful multi) and in `ConnectCodecTests` were also fed to kazoo 2.11.0's own deserializers
/// (`kazoo.protocol.serialization`: `ReplyHeader`, `GetData`, `Watch`, `Transaction`, `Connect`), which
/// read them back as the values these tests encode.
@Suite struct ResponseCodecTests {
    /// A multi reply mixing every kind of sub-result.
    static let mixedMulti: [MultiResult] = [
        .create(path: "/a"),
        .create2(op: .create2, path: "/b", stat: sampleStat),
        .create2(op: .createContainer, path: "/c", stat: oddStat),
        .create2(op: .createTTL, path: "/t", stat: sampleStat),
        .delete,
        .setData(oddStat),
        .check,
        .getData(data: buffer("v"), stat: sampleStat),
        .getData(data: nil, stat: oddStat),
        .getChildren(["x", "y"]),
        .error(.noNode),
        .error(.runtimeInconsistency),
        .error(.ok),
    ]

    static let samples: [ResponseSample] = [
        ResponseSample(opCode: .delete, response: .empty),
        ResponseSample(opCode: .ping, response: .empty),
        ResponseSample(opCode: .setWatches, response: .empty),
        ResponseSample(opCode: .setWatches2, response: .empty),
        ResponseSample(opCode: .auth, response: .empty),
        ResponseSample(opCode: .closeSession, response: .empty),
        ResponseSample(opCode: .checkWatches, response: .empty),
        ResponseSample(opCode: .removeWatches, response: .empty),
        ResponseSample(opCode: .create, response: .create(path: "/a0000000001")),
        ResponseSample(opCode: .create2, response: .create2(path: "/b", stat: sampleStat)),
        ResponseSample(opCode: .createContainer, response: .create2(path: "/c", stat: oddStat)),
        ResponseSample(opCode: .createTTL, response: .create2(path: "/t", stat: sampleStat)),
        ResponseSample(opCode: .exists, response: .stat(sampleStat)),
        ResponseSample(opCode: .setData, response: .stat(oddStat)),
        ResponseSample(opCode: .setACL, response: .stat(sampleStat)),
        ResponseSample(opCode: .check, response: .stat(sampleStat)),
        ResponseSample(opCode: .getData, response: .getData(data: buffer("hello"), stat: sampleStat)),
        ResponseSample(opCode: .getData, response: .getData(data: nil, stat: sampleStat)),
        ResponseSample(opCode: .reconfig, response: .getData(data: buffer("server.1=h:2888:3888"), stat: oddStat)),
        ResponseSample(opCode: .getACL, response: .getACL(acl: ACL.openUnsafe + ACL.readUnsafe, stat: sampleStat)),
        ResponseSample(opCode: .getChildren, response: .getChildren(["a", "b", "ü"])),
        ResponseSample(opCode: .getChildren, response: .getChildren([])),
        ResponseSample(opCode: .getChildren2, response: .getChildren2(children: ["z"], stat: oddStat)),
        ResponseSample(opCode: .sync, response: .sync(path: "/a")),
        ResponseSample(opCode: .multi, response: .multi(mixedMulti)),
        ResponseSample(opCode: .multi, response: .multi([])),
        ResponseSample(
            opCode: .multiRead,
            response: .multi([.getData(data: buffer("d"), stat: sampleStat), .getChildren([])])
        ),
        ResponseSample(opCode: .addWatch, response: .errorBody(.ok)),
        ResponseSample(opCode: .getEphemerals, response: .getEphemerals(["/e1", "/e2"])),
        ResponseSample(opCode: .getAllChildrenNumber, response: .allChildrenNumber(12345)),
        ResponseSample(
            opCode: .whoAmI,
            response: .whoAmI([
                ClientInfo(authScheme: "ip", user: "127.0.0.1"), ClientInfo(authScheme: "digest", user: "u"),
            ])
        ),
        ResponseSample(opCode: .sasl, response: .sasl(token: [1, 2, 3])),
    ]

    @Test func samplesCoverEveryResponseCaseAndEveryClientOpCode() {
        #expect(Set(Self.samples.map { ResponseSample.caseName($0.response) }).count == 15)
        let clientOps = Set(OpCode.allCases.filter(ZKRequest.isClientRequest))
        #expect(Set(Self.samples.map(\.opCode)) == clientOps)
    }

    @Test(arguments: samples)
    func responseBodyRoundTrips(_ sample: ResponseSample) throws {
        var body = ByteBuffer()
        let written = sample.response.write(to: &body)
        #expect(written == body.readableBytes)
        let decoded = try ZKResponse.decode(for: sample.opCode, from: &body)
        #expect(decoded == sample.response)
        #expect(body.readableBytes == 0)
    }

    /// A server checks `encodedSize` against its reply limit before it encodes, so it must be exact.
    @Test(arguments: samples)
    func encodedSizeIsWhatWriteWrites(_ sample: ResponseSample) {
        var body = ByteBuffer()
        #expect(sample.response.write(to: &body) == sample.response.encodedSize)
    }

    /// 65,000 reads of one 34 KB node share its bytes in memory; their reply would be a 2.2 GB frame.
    @Test func encodedSizeOfAHugeMultiReadIsComputedWithoutWritingIt() {
        let data = ByteBuffer(repeating: 0x61, count: 34_000)
        let stat = Stat(
            czxid: 1, mzxid: 1, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0,
            dataLength: 34_000, numChildren: 0, pzxid: 1)
        let reply = ZKResponse.multi(Array(repeating: .getData(data: data, stat: stat), count: 65_000))
        #expect(reply.encodedSize == 9 + 65_000 * (9 + 4 + 34_000 + 68))
        #expect(reply.encodedSize > Int(Int32.max))
    }

    @Test(arguments: samples)
    func replyFrameRoundTrips(_ sample: ResponseSample) throws {
        let header = ReplyHeader(xid: Xid(9), zxid: Zxid(epoch: 2, counter: 3), err: .ok)
        let frame = try encoded { try ZKReplyFrame.encode(header: header, response: sample.response, into: &$0) }
        var body = try payload(ofFrame: frame)
        #expect(try ReplyHeader(from: &body) == header)
        #expect(try ZKResponse.decode(for: sample.opCode, from: &body) == sample.response)
        #expect(body.readableBytes == 0)
    }

    /// ReplyHeader{xid 2, zxid 0x100000007, err 0} + GetDataResponse{data "hello", stat}:
    /// 16 + 9 + 68 = 93 = 0x5d bytes.
    @Test func getDataReplyFrameGoldenBytes() throws {
        let frame = try encoded {
            try ZKReplyFrame.encode(
                header: ReplyHeader(xid: Xid(2), zxid: Zxid(0x1_0000_0007), err: .ok),
                response: .getData(data: buffer("hello"), stat: sampleStat),
                into: &$0
            )
        }
        #expect(
            frame.hex == "0000005d" + "00000002" + "0000000100000007" + "00000000" + "0000000568656c6c6f"
                + sampleStatHex
        )
    }

    @Test func errorReplyCarriesNoBody() throws {
        let header = ReplyHeader(xid: Xid(4), zxid: Zxid(0x10), err: .noNode)
        let frame = try encoded { try ZKReplyFrame.encode(header: header, response: .stat(sampleStat), into: &$0) }
        #expect(frame.hex == "00000010" + "00000004" + "0000000000000010" + "ffffff9b")
        var body = try payload(ofFrame: frame)
        #expect(try ReplyHeader(from: &body) == header)
        #expect(body.readableBytes == 0)
        // A successful reply without a response (ping) is the header alone.
        let ping = try encoded {
            try ZKReplyFrame.encode(header: ReplyHeader(xid: .ping, zxid: Zxid(0x10), err: .ok), response: nil, into: &$0)
        }
        #expect(ping.hex == "00000010" + "fffffffe" + "0000000000000010" + "00000000")
    }

    /// ReplyHeader{-1, 0x100000009, 0} + WatcherEvent{type 3 (NodeDataChanged), state 3 (SyncConnected), "/a"}.
    @Test func notificationFrameGoldenBytes() throws {
        let event = WatcherEvent(type: .nodeDataChanged, state: .syncConnected, path: "/a")
        let frame = try encoded { try ZKReplyFrame.encodeNotification(event, zxid: Zxid(0x1_0000_0009), into: &$0) }
        #expect(
            frame.hex == "0000001e" + "ffffffff" + "0000000100000009" + "00000000" + "00000003" + "00000003"
                + "000000022f61"
        )
        var body = try payload(ofFrame: frame)
        let header = try ReplyHeader(from: &body)
        #expect(header.xid == .notification)
        #expect(header.zxid == Zxid(0x1_0000_0009))
        #expect(try WatcherEvent(from: &body) == event)
        #expect(body.readableBytes == 0)
    }

    @Test func watcherEventRejectsUnknownTypesAndStates() throws {
        var badType = buffer(hex: "00000063 00000003 000000022f61")
        #expect(throws: ZooKeeperWireError.invalidValue(field: "event.type", value: 99)) {
            try WatcherEvent(from: &badType)
        }
        var badState = buffer(hex: "00000001 00000002 000000022f61")
        #expect(throws: ZooKeeperWireError.invalidValue(field: "event.state", value: 2)) {
            try WatcherEvent(from: &badState)
        }
        var nullPath = buffer(hex: "ffffffff 00000003 ffffffff")
        #expect(try WatcherEvent(from: &nullPath) == WatcherEvent(type: .none, state: .syncConnected, path: ""))
        var expired = buffer(hex: "ffffffff ffffff90 00000000")
        #expect(try WatcherEvent(from: &expired).state == .expired)
    }

    /// A failed multi: err 0 in the ReplyHeader, then ErrorResults 0 (ops before the failure), -101 (the
    /// failing op), -2 (ops after); each is MultiHeader{-1, false, err} + ErrorResponse{err}.
    @Test func failedMultiReplyGoldenBytes() throws {
        let results: [MultiResult] = [.error(.ok), .error(.noNode), .error(.runtimeInconsistency)]
        var body = encoded { ZKResponse.multi(results).write(to: &$0) }
        let expected =
            "ffffffff" + "00" + "00000000" + "00000000" + "ffffffff" + "00" + "ffffff9b" + "ffffff9b" + "ffffffff"
            + "00"
            + "fffffffe" + "fffffffe" + "ffffffff" + "01" + "ffffffff"
        #expect(body.hex == expected)
        #expect(try ZKResponse.decode(for: .multi, from: &body) == .multi(results))
    }

    /// Successful multi sub-results carry err 0 in their MultiHeader and their op's response body.
    @Test func successfulMultiResultsGoldenBytes() throws {
        let results: [MultiResult] = [.create(path: "/a"), .delete, .check, .setData(sampleStat)]
        var body = encoded { ZKResponse.multi(results).write(to: &$0) }
        let expected =
            "00000001" + "00" + "00000000" + "000000022f61" + "00000002" + "00" + "00000000" + "0000000d" + "00"
            + "00000000" + "00000005" + "00" + "00000000" + sampleStatHex + "ffffffff" + "01" + "ffffffff"
        #expect(body.hex == expected)
        #expect(try ZKResponse.decode(for: .multi, from: &body) == .multi(results))
    }

    @Test func multiResultWithUnknownTypeIsRejected() {
        var body = buffer(hex: "00000006 00 00000000 ffffffff 01 ffffffff")
        #expect(throws: ZooKeeperWireError.invalidValue(field: "multi.type", value: 6)) {
            try ZKResponse.decode(for: .multi, from: &body)
        }
    }

    @Test func unknownErrorCodeInReplyHeaderReadsAsSystemError() throws {
        var bytes = buffer(hex: "00000005 0000000000000001 ffffff00")
        let header = try ReplyHeader(from: &bytes)
        #expect(header.err == .systemError)
        #expect(header.xid == Xid(5))
        var multiError = buffer(hex: "ffffffff 00 ffffff00 ffffff00 ffffffff 01 ffffffff")
        #expect(try ZKResponse.decode(for: .multi, from: &multiError) == .multi([.error(.systemError)]))
    }

    @Test func truncatedResponseBodiesThrow() {
        var stat = buffer(hex: "00000000")
        #expect(throws: ZooKeeperWireError.truncated(field: "stat", needed: 68, available: 4)) {
            try ZKResponse.decode(for: .exists, from: &stat)
        }
        var children = buffer(hex: "7fffffff 00")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "children", length: Int32.max)) {
            try ZKResponse.decode(for: .getChildren, from: &children)
        }
        var whoAmI = buffer(hex: "00000002 00000000 00000000")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "clientInfo", length: 2)) {
            try ZKResponse.decode(for: .whoAmI, from: &whoAmI)
        }
        var empty = ByteBuffer()
        #expect(throws: ZooKeeperWireError.invalidValue(field: "opCode", value: -10)) {
            try ZKResponse.decode(for: .createSession, from: &empty)
        }
    }

    @Test func addWatchRepliesWithAFourByteErrorResponse() throws {
        let body = encoded { ZKResponse.errorBody(.ok).write(to: &$0) }
        #expect(body.hex == "00000000")
    }
}
