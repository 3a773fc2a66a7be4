import NIOCore
import Testing

@testable import KafkaWire

@Suite struct BatchRecordTests {
    @Test func recordsRoundTripThroughABatch() throws {
        let records = [
            BatchRecord(offsetDelta: 0, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v")),
            BatchRecord(timestampDelta: -5, offsetDelta: 1, key: nil, value: nil),
            BatchRecord(
                timestampDelta: 1 << 40, offsetDelta: 2, value: ByteBuffer(repeating: 7, count: 300),
                headers: [
                    .init(key: "trace", value: ByteBuffer(string: "abc")), .init(key: "ü", value: nil),
                ]),
        ]
        let batch = UncompressedRecordBatch.encode(records: records, baseOffset: 10, baseTimestamp: 5_000)
        let header = try RecordBatchHeader(verifying: batch, at: 0)
        #expect(header.lastOffsetDelta == 2)
        #expect(header.maxTimestamp == 5_000 + (1 << 40))
        #expect(try UncompressedRecordBatch.records(in: batch, at: 0) == records)
    }

    @Test(arguments: [Int64(0), 1, -1, 63, -64, 64, 300, Int64(Int32.max), Int64(Int32.min), .max, .min])
    func zigZagVarlongRoundTrips(value: Int64) throws {
        var buffer = ByteBuffer()
        ZigZagVarint.write(value, to: &buffer)
        #expect(try ZigZagVarint.readInt64(from: &buffer, field: "v") == value)
        #expect(buffer.readableBytes == 0)
    }

    /// Zig-zag maps 0, -1, 1, -2 to 0, 1, 2, 3 (protobuf encoding guide).
    @Test func zigZagEncodingMatchesProtobuf() {
        var buffer = ByteBuffer()
        for value: Int64 in [0, -1, 1, -2, 64] { ZigZagVarint.write(value, to: &buffer) }
        #expect(Array(buffer.readableBytesView) == [0, 1, 2, 3, 0x80, 0x01])
    }

    @Test func varintOutsideInt32IsRejected() {
        var buffer = ByteBuffer()
        ZigZagVarint.write(Int64(Int32.max) + 1, to: &buffer)
        #expect(throws: RecordBatchError.self) { try ZigZagVarint.readInt32(from: &buffer, field: "v") }
    }

    @Test func recordWhoseValueRunsPastItsFrameIsRejected() {
        var record = ByteBuffer()
        BatchRecord(offsetDelta: 0, value: ByteBuffer(string: "abcdef")).write(to: &record)
        // Drop the last value byte (and the header count) but keep the frame length consistent with what remains.
        var body = record.getSlice(at: 1, length: record.readableBytes - 3)!
        var shortened = ByteBuffer()
        ZigZagVarint.write(Int64(body.readableBytes), to: &shortened)
        shortened.writeBuffer(&body)
        #expect(throws: RecordBatchError.malformedRecord(field: "record.value", detail: "length 6 with 5 bytes left")) {
            try BatchRecord(from: &shortened)
        }
    }

    @Test func recordsOfACompressedBatchAreNotRead() throws {
        var batch = UncompressedRecordBatch.encode(records: [BatchRecord(offsetDelta: 0, value: nil)], baseTimestamp: 0)
        batch.setInteger(Int16(1), at: 21)
        batch.setInteger(CRC32C.checksum(batch, at: 21, length: batch.readableBytes - 21), at: 17)
        #expect(throws: RecordBatchError.compressedRecords(codec: 1)) { try UncompressedRecordBatch.records(in: batch, at: 0) }
    }
}
