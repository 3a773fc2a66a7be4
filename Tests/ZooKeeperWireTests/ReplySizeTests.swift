import NIOCore
import Testing
import ZooKeeperWire

/// Replies are sized before they are written: one too long is refused, never a trap (issue 11).
@Suite struct ReplySizeTests {
    static let stat = Stat(
        czxid: 1, mzxid: 2, ctime: 3, mtime: 4, version: 5, cversion: 6, aversion: 7, ephemeralOwner: 8,
        dataLength: 9, numChildren: 10, pzxid: 11)

    /// The verified crash: a multiRead of 65,000 getData ops on one 34 KB node is a 2.2 GB reply.
    @Test func multiReadPastTwoGiBIsRefusedWithoutWriting() {
        let data = ByteBuffer(repeating: 0x61, count: 34 * 1024)
        let response = ZKResponse.multi(Array(repeating: .getData(data: data, stat: Self.stat), count: 65_000))
        var buffer = ByteBuffer()
        #expect(response.encodedSize > Int(Int32.max))
        #expect(throws: ZooKeeperWireError.self) {
            try ZKReplyFrame.encode(
                header: ReplyHeader(xid: Xid(1), zxid: Zxid(1), err: .ok), response: response, into: &buffer)
        }
        #expect(buffer.writerIndex == 0)
    }

    @Test func replyOverTheGivenLimitIsRefused() {
        let response = ZKResponse.getChildren(["a", "bb"])
        let length = ReplyHeader.encodedSize + response.encodedSize
        var buffer = ByteBuffer()
        #expect(throws: ZooKeeperWireError.replyTooLong(length: length, limit: length - 1)) {
            try ZKReplyFrame.encode(
                header: ReplyHeader(xid: Xid(1), zxid: Zxid(1), err: .ok), response: response,
                maxLength: length - 1, into: &buffer)
        }
        #expect(buffer.writerIndex == 0)
    }

    /// `encodedSize` agrees with what `write(to:)` writes, for every kind of reply.
    @Test(arguments: [
        ZKResponse.empty, .create(path: "/a"), .create2(path: "/bé", stat: stat), .stat(stat),
        .getData(data: ByteBuffer(string: "xyz"), stat: stat), .getData(data: nil, stat: stat),
        .getACL(acl: [ACL(perms: .all, id: ZKId(scheme: "world", id: "anyone"))], stat: stat),
        .getChildren(["a", "b"]), .getChildren2(children: ["c"], stat: stat), .sync(path: "/s"),
        .multi([
            .create(path: "/x"), .create2(op: .create2, path: "/y", stat: stat), .delete, .setData(stat), .check,
            .getData(data: ByteBuffer(string: "d"), stat: stat), .getChildren(["k"]), .error(.noNode),
        ]),
        .errorBody(.ok), .getEphemerals(["/e"]), .allChildrenNumber(3),
        .whoAmI([ClientInfo(authScheme: "ip", user: "127.0.0.1")]), .sasl(token: [1, 2, 3]),
    ])
    func encodedSizeMatchesWrite(_ response: ZKResponse) {
        var buffer = ByteBuffer()
        let written = response.write(to: &buffer)
        #expect(written == response.encodedSize)
        #expect(buffer.readableBytes == response.encodedSize)
    }
}
