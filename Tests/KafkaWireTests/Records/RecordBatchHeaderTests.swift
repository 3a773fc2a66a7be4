import NIOCore
import Testing

@testable import KafkaWire

@Suite struct RecordBatchHeaderTests {
    /// One record (null key, value "hi"), computed independently of this code (a bit-by-bit CRC-32C
    /// in Python over the layout of `DefaultRecordBatch.java`).
    static let goldenBatch: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0xBB,
        0xCC, 0x41, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, 0x00,
        0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x00, 0x01, 0x04, 0x68, 0x69, 0x00,
    ]

    @Test func goldenBatchParsesFieldByField() throws {
        let header = try RecordBatchHeader(verifying: ByteBuffer(bytes: Self.goldenBatch), at: 0)
        #expect(header.baseOffset == 0)
        #expect(header.batchLength == 58)
        #expect(header.totalSize == 70)
        #expect(header.partitionLeaderEpoch == -1)
        #expect(header.magic == 2)
        #expect(header.crc == 0xBBCC_4115)
        #expect(header.attributes.rawValue == 0)
        #expect(header.lastOffsetDelta == 0)
        #expect(header.baseTimestamp == 1_700_000_000_000)
        #expect(header.maxTimestamp == 1_700_000_000_000)
        #expect(header.producerId == -1)
        #expect(header.producerEpoch == -1)
        #expect(header.baseSequence == -1)
        #expect(header.recordCount == 1)
    }

    @Test func encoderReproducesGoldenBatch() {
        let batch = UncompressedRecordBatch.encode(
            records: [BatchRecord(offsetDelta: 0, value: ByteBuffer(string: "hi"))], baseTimestamp: 1_700_000_000_000)
        #expect(Array(batch.readableBytesView) == Self.goldenBatch)
    }

    /// Every field at a distinct, non-default value, written by hand in layout order.
    @Test func handBuiltHeaderParsesEveryField() throws {
        var batch = ByteBuffer()
        batch.writeInteger(Int64(0x0102_0304_0506_0708))  // baseOffset
        batch.writeInteger(Int32(49 + 3))  // batchLength: header after the length field + 3 record bytes
        batch.writeInteger(Int32(17))  // partitionLeaderEpoch
        batch.writeInteger(Int8(2))  // magic
        batch.writeInteger(UInt32(0))  // crc, patched below
        batch.writeInteger(Int16(0x0004 | 0x0008 | 0x0010))  // zstd, LogAppendTime, transactional
        batch.writeInteger(Int32(4))  // lastOffsetDelta
        batch.writeInteger(Int64(1_000))  // baseTimestamp
        batch.writeInteger(Int64(2_000))  // maxTimestamp
        batch.writeInteger(Int64(42))  // producerId
        batch.writeInteger(Int16(3))  // producerEpoch
        batch.writeInteger(Int32(99))  // baseSequence
        batch.writeInteger(Int32(5))  // recordCount
        batch.writeBytes([0xAA, 0xBB, 0xCC])  // opaque compressed records
        let crc = CRC32C.checksum(batch, at: 21, length: batch.readableBytes - 21)
        batch.setInteger(crc, at: 17)

        let header = try RecordBatchHeader(verifying: batch, at: 0)
        #expect(header.baseOffset == 0x0102_0304_0506_0708)
        #expect(header.totalSize == 64)
        #expect(header.partitionLeaderEpoch == 17)
        #expect(header.crc == crc)
        #expect(header.attributes.compressionCodec == 4)
        #expect(!header.attributes.isUncompressed)
        #expect(header.attributes.isLogAppendTime)
        #expect(header.attributes.isTransactional)
        #expect(!header.attributes.isControl)
        #expect(header.lastOffsetDelta == 4)
        #expect(header.lastOffset == 0x0102_0304_0506_070C)
        #expect(header.baseTimestamp == 1_000)
        #expect(header.maxTimestamp == 2_000)
        #expect(header.producerId == 42)
        #expect(header.producerEpoch == 3)
        #expect(header.baseSequence == 99)
        #expect(header.recordCount == 5)
    }

    @Test func headerIsReadAtAnAbsolutePosition() throws {
        var buffer = ByteBuffer(bytes: [9, 9, 9])
        buffer.writeBytes(Self.goldenBatch)
        let header = try RecordBatchHeader(verifying: buffer, at: 3)
        #expect(header.recordCount == 1)
    }
}
