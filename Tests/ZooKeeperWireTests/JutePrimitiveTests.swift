import NIOCore
import Testing
import ZooKeeperWire

@Suite struct JutePrimitiveTests {
    @Test func integersAreBigEndianAndTruncationIsReported() throws {
        var bytes = buffer(hex: "fffffffe 0000000100000002 01 00 7f")
        #expect(try bytes.readJuteInt32(field: "a") == -2)
        #expect(try bytes.readJuteInt64(field: "b") == 0x1_0000_0002)
        #expect(try bytes.readJuteBool(field: "c") == true)
        #expect(try bytes.readJuteBool(field: "d") == false)
        // Java's DataInput.readBoolean: any non-zero byte is true.
        #expect(try bytes.readJuteBool(field: "e") == true)
        #expect(throws: ZooKeeperWireError.truncated(field: "f", needed: 1, available: 0)) {
            try bytes.readJuteBool(field: "f")
        }
        var short = buffer(hex: "000000")
        #expect(throws: ZooKeeperWireError.truncated(field: "g", needed: 4, available: 3)) {
            try short.readJuteInt32(field: "g")
        }
        var shortLong = buffer(hex: "00000000000000")
        #expect(throws: ZooKeeperWireError.truncated(field: "h", needed: 8, available: 7)) {
            try shortLong.readJuteInt64(field: "h")
        }
    }

    @Test func stringsRoundTripIncludingNullAndEmptyAndMultibyte() throws {
        var out = ByteBuffer()
        #expect(out.writeJuteString("/zk") == 7)
        #expect(out.writeJuteString(nil) == 4)
        #expect(out.writeJuteString("") == 4)
        #expect(out.writeJuteString("é") == 6)
        #expect(out.hex == "000000032f7a6b" + "ffffffff" + "00000000" + "00000002c3a9")
        #expect(try out.readJuteString(field: "s") == "/zk")
        #expect(try out.readJuteString(field: "s") == nil)
        #expect(try out.readJuteString(field: "s") == "")
        #expect(try out.readJuteString(field: "s") == "é")
        #expect(out.readableBytes == 0)
    }

    @Test func stringLengthBeyondRemainingBytesThrowsBeforeReading() {
        var bytes = buffer(hex: "7fffffff 2f61")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "path", length: Int32.max)) {
            try bytes.readJuteString(field: "path")
        }
        var oneShort = buffer(hex: "00000003 2f61")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "path", length: 3)) {
            try oneShort.readJuteString(field: "path")
        }
        var negative = buffer(hex: "fffffffe")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "path", length: -2)) {
            try negative.readJuteString(field: "path")
        }
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = buffer(hex: "00000003 2fc328")
        #expect(throws: ZooKeeperWireError.invalidUTF8(field: "path")) {
            try bytes.readJuteString(field: "path")
        }
    }

    @Test func buffersAndBytesRoundTripAndBufferIsASlice() throws {
        var out = ByteBuffer()
        #expect(out.writeJuteBuffer(buffer("hey")) == 7)
        #expect(out.writeJuteBuffer(nil) == 4)
        #expect(out.writeJuteBytes([1, 2]) == 6)
        #expect(out.writeJuteBytes(nil) == 4)
        #expect(out.writeJuteBytes([]) == 4)
        #expect(out.hex == "00000003686579" + "ffffffff" + "000000020102" + "ffffffff" + "00000000")
        let slice = try out.readJuteBuffer(field: "data")
        #expect(slice == buffer("hey"))
        #expect(slice?.readableBytes == 3)
        #expect(try out.readJuteBuffer(field: "data") == nil)
        #expect(try out.readJuteBytes(field: "bytes") == [1, 2])
        #expect(try out.readJuteBytes(field: "bytes") == nil)
        #expect(try out.readJuteBytes(field: "bytes") == [])
        var tooLong = buffer(hex: "00000010 0102")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "data", length: 16)) {
            try tooLong.readJuteBuffer(field: "data")
        }
        var tooLongBytes = buffer(hex: "40000000")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "bytes", length: 0x4000_0000)) {
            try tooLongBytes.readJuteBytes(field: "bytes")
        }
    }

    @Test func stringVectorsRoundTripAndNullIsNil() throws {
        var out = ByteBuffer()
        #expect(out.writeJuteStringVector(["a", "bc"]) == 4 + 5 + 6)
        #expect(out.writeJuteStringVector(nil) == 4)
        #expect(out.writeJuteStringVector([]) == 4)
        #expect(out.hex == "00000002" + "0000000161" + "000000026263" + "ffffffff" + "00000000")
        #expect(try out.readJuteStringVector(field: "v") == ["a", "bc"])
        #expect(try out.readJuteStringVector(field: "v") == nil)
        #expect(try out.readJuteStringVector(field: "v") == [])
    }

    @Test func hugeVectorCountInATinyFrameThrowsBeforeReserving() {
        var strings = buffer(hex: "7fffffff 00000000")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "children", length: Int32.max)) {
            try strings.readJuteStringVector(field: "children")
        }
        var acls = buffer(hex: "7fffffff 0000001f 00000000 00000000")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "acl", length: Int32.max)) {
            try acls.readJuteACLs(field: "acl")
        }
        // Two ACLs claimed, 12 bytes present: only one minimal ACL could fit.
        var twoClaimed = buffer(hex: "00000002 0000001f 00000000 00000000")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "acl", length: 2)) {
            try twoClaimed.readJuteACLs(field: "acl")
        }
        var negative = buffer(hex: "fffffffd")
        #expect(throws: ZooKeeperWireError.invalidLength(field: "children", length: -3)) {
            try negative.readJuteStringVector(field: "children")
        }
    }

    @Test func nullElementInsideAStringVectorIsRejected() {
        var bytes = buffer(hex: "00000001 ffffffff")
        #expect(throws: ZooKeeperWireError.invalidValue(field: "children", value: -1)) {
            try bytes.readJuteStringVector(field: "children")
        }
    }

    @Test func statIs68BytesInDeclarationOrder() throws {
        var out = ByteBuffer()
        #expect(out.writeStat(sampleStat) == Stat.encodedSize)
        #expect(out.hex == sampleStatHex)
        #expect(try out.readStat() == sampleStat)
        var odd = encoded { $0.writeStat(oddStat) }
        #expect(try odd.readStat() == oddStat)
        var short = buffer(hex: String(sampleStatHex.dropLast(2)))
        #expect(throws: ZooKeeperWireError.truncated(field: "stat", needed: 68, available: 67)) {
            try short.readStat()
        }
    }

    @Test func aclAndIdMatchTheJuteRecords() throws {
        var out = ByteBuffer()
        let acl = ACL(perms: [.read, .admin], id: ZKId(scheme: "digest", id: "u:h"))
        #expect(out.writeACL(acl) == 4 + 10 + 7)
        #expect(out.hex == "00000011" + "00000006646967657374" + "00000003753a68")
        #expect(try out.readACL() == acl)
        let acls = ACL.openUnsafe + ACL.creatorAll
        var vector = encoded { $0.writeJuteACLs(acls) }
        #expect(
            vector.hex
                == "00000002" + "0000001f" + "00000005776f726c64" + "00000006616e796f6e65" + "0000001f"
                + "0000000461757468" + "00000000"
        )
        #expect(try vector.readJuteACLs(field: "acl") == acls)
        var id = encoded { $0.writeZKId(.anyone) }
        #expect(try id.readZKId() == .anyone)
        var nullId = buffer(hex: "ffffffff ffffffff")
        #expect(try nullId.readZKId() == ZKId(scheme: "", id: ""))
    }

    @Test func unknownErrorCodesMapToSystemError() {
        #expect(ZKErrorCode(wireValue: -101) == .noNode)
        #expect(ZKErrorCode(wireValue: -126) == .systemError)
        #expect(ZKErrorCode(wireValue: 12345) == .systemError)
    }
}
