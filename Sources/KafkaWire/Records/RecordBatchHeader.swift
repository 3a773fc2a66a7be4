package import NIOCore

/// The fixed 61-byte header of a RecordBatch v2 (magic 2), as `DefaultRecordBatch.java` lays it out:
///
/// ```
/// baseOffset: int64            // 0   assigned by the leader on append
/// batchLength: int32           // 8   bytes after this field; whole batch = 12 + batchLength
/// partitionLeaderEpoch: int32  // 12  stamped by the leader; outside the CRC
/// magic: int8                  // 16  2
/// crc: uint32                  // 17  CRC-32C over attributes..end
/// attributes: int16            // 21
/// lastOffsetDelta: int32       // 23
/// baseTimestamp: int64         // 27
/// maxTimestamp: int64          // 35
/// producerId: int64            // 43
/// producerEpoch: int16         // 51
/// baseSequence: int32          // 53
/// recordCount: int32           // 57
/// records: [Record]            // 61  one compressed stream when the codec is not none
/// ```
package struct RecordBatchHeader: Hashable, Sendable {
    /// Byte offsets of the header fields inside a batch.
    package enum Field {
        package static let baseOffset = 0
        package static let batchLength = 8
        package static let partitionLeaderEpoch = 12
        package static let magic = 16
        package static let crc = 17
        package static let attributes = 21
        package static let lastOffsetDelta = 23
        package static let baseTimestamp = 27
        package static let maxTimestamp = 35
        package static let producerId = 43
        package static let producerEpoch = 51
        package static let baseSequence = 53
        package static let recordCount = 57
    }

    /// Header size (`RECORD_BATCH_OVERHEAD`): records start here.
    package static let size = 61
    /// baseOffset + batchLength (`LOG_OVERHEAD`): the bytes not counted by `batchLength`.
    package static let logOverhead = 12
    /// The only message format this broker stores.
    package static let currentMagic: Int8 = 2
    /// `partitionLeaderEpoch`, `producerId`, `producerEpoch`, `baseSequence` when unset.
    package static let noPartitionLeaderEpoch: Int32 = -1

    package var baseOffset: Int64
    package var batchLength: Int32
    package var partitionLeaderEpoch: Int32
    package var magic: Int8
    package var crc: UInt32
    package var attributes: RecordBatchAttributes
    package var lastOffsetDelta: Int32
    package var baseTimestamp: Int64
    package var maxTimestamp: Int64
    package var producerId: Int64
    package var producerEpoch: Int16
    package var baseSequence: Int32
    package var recordCount: Int32

    /// Bytes the whole batch occupies, header included.
    package var totalSize: Int { Self.logOverhead + Int(batchLength) }
    /// Offset of the batch's last record. Saturates at `Int64.max` rather than trapping: both fields come
    /// from a client or a file, and whoever reads them refuses offsets that do not follow on.
    package var lastOffset: Int64 {
        let (sum, overflow) = baseOffset.addingReportingOverflow(Int64(lastOffsetDelta))
        return overflow ? (lastOffsetDelta < 0 ? .min : .max) : sum
    }
    /// The offset after this batch (saturating, as `lastOffset`).
    package var nextOffset: Int64 {
        let (sum, overflow) = lastOffset.addingReportingOverflow(1)
        return overflow ? .max : sum
    }

    /// Reads the header of the batch at absolute index `position` of `buffer`, checking only what
    /// the header itself can show: a sane `batchLength` and magic 2. The records may lie beyond
    /// `buffer` and the CRC is not checked; scanning a segment for offsets needs no more.
    package init(parsing buffer: ByteBuffer, at position: Int) throws(RecordBatchError) {
        let available = buffer.writerIndex - position
        guard available >= Self.logOverhead else {
            throw .truncated(position: position, field: "batchLength", needed: Self.logOverhead, available: available)
        }
        let batchLength: Int32 = buffer.getInteger(at: position + Field.batchLength)!
        // Magic sits at byte 16 in every message format, so an old-format payload is named as such
        // rather than reported as a short batch.
        if available > Field.magic {
            let magic: Int8 = buffer.getInteger(at: position + Field.magic)!
            guard magic == Self.currentMagic else { throw .unsupportedMagic(position: position, magic: magic) }
        }
        guard batchLength >= Int32(Self.size - Self.logOverhead) else {
            throw .batchLengthTooSmall(position: position, batchLength: batchLength)
        }
        guard available >= Self.size else {
            throw .truncated(position: position, field: "header", needed: Self.size, available: available)
        }
        self.init(unchecked: buffer, at: position)
    }

    /// Reads the header of the batch at absolute index `position` of `buffer` and checks that it is a
    /// whole, intact v2 batch: enough bytes for `batchLength`, magic 2, and a matching CRC-32C.
    /// Says nothing about offsets or counts; see `ProduceRecordBatches` for what produce adds.
    package init(verifying buffer: ByteBuffer, at position: Int) throws(RecordBatchError) {
        try self.init(parsing: buffer, at: position)
        let available = buffer.writerIndex - position
        guard available >= totalSize else {
            throw .truncated(position: position, field: "records", needed: totalSize, available: available)
        }
        let computed = CRC32C.checksum(
            buffer, at: position + Field.attributes, length: totalSize - Field.attributes)
        guard computed == crc else { throw .crcMismatch(position: position, stored: crc, computed: computed) }
    }

    /// Reads the 61 header bytes at `position` without any check; the caller has verified them.
    private init(unchecked buffer: ByteBuffer, at position: Int) {
        func field<T: FixedWidthInteger>(_ offset: Int, as type: T.Type = T.self) -> T {
            buffer.getInteger(at: position + offset, as: T.self)!
        }
        self.baseOffset = field(Field.baseOffset)
        self.batchLength = field(Field.batchLength)
        self.partitionLeaderEpoch = field(Field.partitionLeaderEpoch)
        self.magic = field(Field.magic)
        self.crc = field(Field.crc)
        self.attributes = RecordBatchAttributes(rawValue: field(Field.attributes))
        self.lastOffsetDelta = field(Field.lastOffsetDelta)
        self.baseTimestamp = field(Field.baseTimestamp)
        self.maxTimestamp = field(Field.maxTimestamp)
        self.producerId = field(Field.producerId)
        self.producerEpoch = field(Field.producerEpoch)
        self.baseSequence = field(Field.baseSequence)
        self.recordCount = field(Field.recordCount)
    }
}

/// The `attributes` int16 of a RecordBatch v2: bits 0–2 compression codec, bit 3 timestamp type,
/// bit 4 transactional, bit 5 control, bit 6 delete horizon (KIP-98, KIP-534).
package struct RecordBatchAttributes: Hashable, Sendable {
    package var rawValue: Int16

    package init(rawValue: Int16) { self.rawValue = rawValue }

    private static let compressionMask: Int16 = 0x07
    private static let logAppendTimeBit: Int16 = 0x08
    private static let transactionalBit: Int16 = 0x10
    private static let controlBit: Int16 = 0x20

    /// Compression codec id: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (`CompressionType.java`).
    package var compressionCodec: Int16 { rawValue & Self.compressionMask }
    /// True when the records are stored uncompressed.
    package var isUncompressed: Bool { compressionCodec == 0 }

    /// Bit 3: the batch's timestamps are the broker's append time, not the producer's create time.
    package var isLogAppendTime: Bool {
        get { rawValue & Self.logAppendTimeBit != 0 }
        set { rawValue = newValue ? rawValue | Self.logAppendTimeBit : rawValue & ~Self.logAppendTimeBit }
    }
    package var isTransactional: Bool { rawValue & Self.transactionalBit != 0 }
    package var isControl: Bool { rawValue & Self.controlBit != 0 }
}
