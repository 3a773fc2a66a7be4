import KafkaWire
import NIOCore
import Testing

@Suite struct PrimitiveTests {
    @Test func fixedWidthIntegersAreBigEndian() throws {
        let bytes = written { w in
            w.writeInt8(-2)
            w.writeInt16(0x0102)
            w.writeInt32(-3)
            w.writeInt64(0x0102_0304_0506_0708)
            w.writeBool(true)
            w.writeBool(false)
        }
        #expect(bytes.hex == "fe" + "0102" + "fffffffd" + "0102030405060708" + "01" + "00")
        var r = KafkaReader(bytes)
        #expect(try r.readInt8(field: "a") == -2)
        #expect(try r.readInt16(field: "b") == 0x0102)
        #expect(try r.readInt32(field: "c") == -3)
        #expect(try r.readInt64(field: "d") == 0x0102_0304_0506_0708)
        #expect(try r.readBool(field: "e"))
        #expect(try !r.readBool(field: "f"))
        try r.expectEnd(context: "test")
    }

    @Test func anyNonZeroByteIsTrue() throws {
        var r = reader(hex: "7f")
        #expect(try r.readBool(field: "flag"))
    }

    @Test func truncatedIntegerNamesTheField() {
        var r = reader(hex: "0001")
        #expect(throws: KafkaWireError.truncated(field: "Topics.Partition", needed: 4, available: 2)) {
            try r.readInt32(field: "Topics.Partition")
        }
    }

    /// Zigzag varints, vectors from Kafka's `ByteUtilsTest.testVarintSerde` and the protobuf spec.
    @Test(arguments: [
        (Int32(0), "00"), (-1, "01"), (1, "02"), (63, "7e"), (-64, "7f"), (64, "8001"), (-65, "8101"),
        (8191, "fe7f"), (-8192, "ff7f"), (8192, "808001"), (Int32.max, "feffffff0f"), (Int32.min, "ffffffff0f"),
    ])
    func varIntRoundTrips(value: Int32, hex: String) throws {
        #expect(written { $0.writeVarInt(value) }.hex == hex)
        var r = reader(hex: hex)
        #expect(try r.readVarInt(field: "v") == value)
        try r.expectEnd(context: "varint")
    }

    @Test(arguments: [
        (Int64(0), "00"), (-1, "01"), (1, "02"), (300, "d804"), (Int64(Int32.max) + 1, "8080808010"),
        (Int64.max, "feffffffffffffffff01"), (Int64.min, "ffffffffffffffffff01"),
    ])
    func varLongRoundTrips(value: Int64, hex: String) throws {
        #expect(written { $0.writeVarLong(value) }.hex == hex)
        var r = reader(hex: hex)
        #expect(try r.readVarLong(field: "v") == value)
        try r.expectEnd(context: "varlong")
    }

    @Test(arguments: [(UInt32(0), "00"), (127, "7f"), (128, "8001"), (300, "ac02"), (UInt32.max, "ffffffff0f")])
    func unsignedVarIntRoundTrips(value: UInt32, hex: String) throws {
        #expect(written { $0.writeUnsignedVarInt(value) }.hex == hex)
        var r = reader(hex: hex)
        #expect(try r.readUnsignedVarInt(field: "v") == value)
    }

    /// Six bytes, or a fifth byte with bits above 32, cannot be a 32-bit varint; eleven bytes cannot be a
    /// varlong.
    @Test func overlongVarintsAreRejected() {
        var sixBytes = reader(hex: "808080808000")
        #expect(throws: KafkaWireError.invalidVarint(field: "v")) { try sixBytes.readUnsignedVarInt(field: "v") }
        var highBits = reader(hex: "ffffffff1f")
        #expect(throws: KafkaWireError.invalidVarint(field: "v")) { try highBits.readVarInt(field: "v") }
        var elevenBytes = reader(hex: "ffffffffffffffffff8101")
        #expect(throws: KafkaWireError.invalidVarint(field: "v")) { try elevenBytes.readVarLong(field: "v") }
        var unfinished = reader(hex: "8080")
        #expect(throws: KafkaWireError.truncated(field: "v", needed: 1, available: 0)) {
            try unfinished.readUnsignedVarInt(field: "v")
        }
    }

    @Test func stringsUseInt16LengthsAndMinusOneForNull() throws {
        let bytes = written { w in
            w.writeString("kafka")
            w.writeNullableString(nil)
            w.writeNullableString("")
            w.writeString("ü")
        }
        #expect(bytes.hex == "00056b61666b61" + "ffff" + "0000" + "0002c3bc")
        var r = KafkaReader(bytes)
        #expect(try r.readString(field: "a") == "kafka")
        #expect(try r.readNullableString(field: "b") == nil)
        #expect(try r.readNullableString(field: "c") == "")
        #expect(try r.readString(field: "d") == "ü")
    }

    /// A string can quote a client's text back (a 32,700-byte topic name in an error message): one
    /// longer than a non-flexible string holds is cut on a character boundary, never a trap.
    @Test func stringsLongerThanInt16MaxAreCutAtACharacterBoundary() throws {
        let long = String(repeating: "t", count: 32_766) + "üü"
        let bytes = written { w in w.writeString(long) }
        var r = KafkaReader(bytes)
        let read = try r.readString(field: "name")
        #expect(read == String(repeating: "t", count: 32_766))
        #expect(read.utf8.count <= Int(Int16.max))
        #expect(KafkaWriter.prefix(of: "aüb", maxUTF8Bytes: 2) == "a")
        #expect(KafkaWriter.prefix(of: "aüb", maxUTF8Bytes: 3) == "aü")
    }

    @Test func badStringsAreRejected() {
        var null = reader(hex: "ffff")
        #expect(throws: KafkaWireError.invalidLength(field: "Name", value: -1)) { try null.readString(field: "Name") }
        var negative = reader(hex: "fffe")
        #expect(throws: KafkaWireError.invalidLength(field: "Name", value: -2)) {
            try negative.readNullableString(field: "Name")
        }
        var tooLong = reader(hex: "000561")
        #expect(throws: KafkaWireError.invalidLength(field: "Name", value: 5)) { try tooLong.readString(field: "Name") }
        var notUTF8 = reader(hex: "0002c328")
        #expect(throws: KafkaWireError.invalidUTF8(field: "Name")) { try notUTF8.readString(field: "Name") }
    }

    @Test func bytesUseInt32LengthsAndSliceTheFrame() throws {
        let bytes = written { w in
            w.writeBytes(buffer(hex: "0102"))
            w.writeNullableBytes(nil)
        }
        #expect(bytes.hex == "000000020102" + "ffffffff")
        var r = KafkaReader(bytes)
        #expect(try r.readBytes(field: "a") == buffer(hex: "0102"))
        #expect(try r.readNullableBytes(field: "b") == nil)
        var huge = reader(hex: "7fffffff00")
        #expect(throws: KafkaWireError.invalidLength(field: "Records", value: Int64(Int32.max))) {
            try huge.readNullableBytes(field: "Records")
        }
        var negative = reader(hex: "fffffffe")
        #expect(throws: KafkaWireError.invalidLength(field: "Records", value: -2)) {
            try negative.readNullableBytes(field: "Records")
        }
    }

    @Test func arraysUseInt32CountsAndMinusOneForNull() throws {
        let bytes = written { w in
            w.writeInt32Array([1, -1])
            w.writeStringArray(["a"])
            w.writeNullableStringArray(nil)
        }
        #expect(bytes.hex == "0000000200000001ffffffff" + "00000001000161" + "ffffffff")
        var r = KafkaReader(bytes)
        #expect(try r.readInt32Array(field: "a") == [1, -1])
        #expect(try r.readStringArray(field: "b") == ["a"])
        #expect(try r.readNullableStringArray(field: "c") == nil)
    }

    /// A count is checked against the bytes left before any storage is reserved.
    @Test func badArrayCountsAreRejectedBeforeAllocating() {
        var null = reader(hex: "ffffffff")
        #expect(throws: KafkaWireError.invalidLength(field: "Replicas", value: -1)) {
            try null.readInt32Array(field: "Replicas")
        }
        var negative = reader(hex: "80000000")
        #expect(throws: KafkaWireError.invalidLength(field: "Keys", value: Int64(Int32.min))) {
            try negative.readNullableStringArray(field: "Keys")
        }
        var huge = reader(hex: "7fffffff0000000100000002")
        #expect(throws: KafkaWireError.invalidLength(field: "Replicas", value: Int64(Int32.max))) {
            try huge.readInt32Array(field: "Replicas")
        }
        var structs = reader(hex: "0000000300")
        #expect(throws: KafkaWireError.invalidLength(field: "Topics", value: 3)) {
            try structs.readArray(of: MetadataRequest.Topic.self, version: 1, field: "Topics")
        }
    }

    @Test func compactFormsStoreLengthPlusOne() throws {
        let bytes = written { w in
            w.writeCompactString("abc")
            w.writeCompactNullableString(nil)
            w.writeCompactBytes(buffer(hex: "ff"))
            w.writeCompactBytes(nil)
            w.writeCompactArray([Int32(7)]) { $0.writeInt32($1) }
            w.writeCompactArray([Int32]?.none) { $0.writeInt32($1) }
            w.writeEmptyTaggedFields()
        }
        #expect(bytes.hex == "04616263" + "00" + "02ff" + "00" + "0200000007" + "00" + "00")
        var r = KafkaReader(bytes)
        #expect(try r.readCompactString(field: "a") == "abc")
        #expect(try r.readCompactNullableString(field: "b") == nil)
        #expect(try r.readCompactBytes(nullable: false, field: "c") == buffer(hex: "ff"))
        #expect(try r.readCompactBytes(nullable: true, field: "d") == nil)
        let ints = try r.readCompactArray(nullable: false, minimumElementSize: 4, field: "e") {
            (reader) throws(KafkaWireError) in try reader.readInt32(field: "e")
        }
        #expect(ints == [7])
        let none = try r.readCompactArray(nullable: true, minimumElementSize: 4, field: "f") {
            (reader) throws(KafkaWireError) in try reader.readInt32(field: "f")
        }
        #expect(none == nil)
        try r.skipTaggedFields(field: "g")
        try r.expectEnd(context: "compact")
    }

    @Test func badCompactLengthsAreRejected() {
        var nullString = reader(hex: "00")
        #expect(throws: KafkaWireError.invalidLength(field: "Name", value: -1)) {
            try nullString.readCompactString(field: "Name")
        }
        var tooLong = reader(hex: "0561")
        #expect(throws: KafkaWireError.invalidLength(field: "Name", value: 4)) {
            try tooLong.readCompactString(field: "Name")
        }
        var hugeArray = reader(hex: "ffffffff0f")
        #expect(throws: KafkaWireError.invalidLength(field: "Items", value: Int64(UInt32.max) - 1)) {
            try hugeArray.readCompactArray(nullable: true, minimumElementSize: 1, field: "Items") {
                (reader) throws(KafkaWireError) in try reader.readInt8(field: "Items")
            }
        }
    }

    /// Unknown tags are skipped by their size, whatever their content.
    @Test func taggedFieldsAreSkipped() throws {
        // Two fields: tag 0 with 3 bytes, tag 5 with 0 bytes; then an int8 that must still be readable.
        var r = reader(hex: "02" + "0003aabbcc" + "0500" + "2a")
        try r.skipTaggedFields(field: "_tagged_fields")
        #expect(try r.readInt8(field: "after") == 42)
        var overrun = reader(hex: "01" + "0005aabb")
        #expect(throws: KafkaWireError.invalidLength(field: "_tagged_fields", value: 5)) {
            try overrun.skipTaggedFields(field: "_tagged_fields")
        }
        var manyFields = reader(hex: "7f0000")
        #expect(throws: KafkaWireError.invalidLength(field: "_tagged_fields", value: 127)) {
            try manyFields.skipTaggedFields(field: "_tagged_fields")
        }
    }

    @Test func leftoverBytesAreReported() {
        let r = reader(hex: "0000")
        #expect(throws: KafkaWireError.trailingBytes(context: "Metadata v1 request", count: 2)) {
            try r.expectEnd(context: "Metadata v1 request")
        }
    }

    @Test func errorCodesDecodeByNumberAndRejectUnknownOnes() throws {
        var r = reader(hex: "0023" + "0000" + "ffff" + "7fff")
        #expect(try r.readErrorCode(field: "ErrorCode") == .unsupportedVersion)
        #expect(try r.readErrorCode(field: "ErrorCode") == .noError)
        #expect(try r.readErrorCode(field: "ErrorCode") == .unknownServerError)
        #expect(throws: KafkaWireError.invalidValue(field: "ErrorCode", value: 0x7fff)) {
            try r.readErrorCode(field: "ErrorCode")
        }
    }

    /// Spot checks against Kafka's `Errors.java` numbering.
    @Test func errorCodeNumbersMatchKafka() {
        let expected: [(KafkaErrorCode, Int16)] = [
            (.offsetOutOfRange, 1), (.corruptMessage, 2), (.unknownTopicOrPartition, 3), (.invalidFetchSize, 4),
            (.leaderNotAvailable, 5), (.notLeaderOrFollower, 6), (.requestTimedOut, 7), (.messageTooLarge, 10),
            (.invalidTopicException, 17), (.topicAlreadyExists, 36), (.invalidPartitions, 37),
            (.invalidReplicationFactor, 38), (.notController, 41), (.invalidRequest, 42),
            (.unsupportedForMessageFormat, 43), (.outOfOrderSequenceNumber, 45), (.duplicateSequenceNumber, 46),
            (.fetchSessionIDNotFound, 70), (.memberIDRequired, 79), (.positionOutOfRange, 99),
            (.voterNotFound, 127),
        ]
        for (code, raw) in expected {
            #expect(code.rawValue == raw, "\(code)")
        }
        #expect(KafkaErrorCode.allCases.count == 129)
    }
}
