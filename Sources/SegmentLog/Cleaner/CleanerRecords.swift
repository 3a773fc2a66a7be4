import KafkaWire
import NIOCore
import RecordCompression

/// One record of a stored batch as the cleaner reads it: its bytes as stored (so a kept record is
/// copied, not re-encoded) and the fields the cleaner decides on.
struct ScannedRecord: Sendable {
    /// The whole record, its length prefix included.
    var bytes: ByteBuffer
    var timestampDelta: Int64
    var offsetDelta: Int32
    var key: ByteBuffer?
    var isTombstone: Bool
    /// The record's body from `offsetDelta` to its end: what a new timestamp delta is put in front of.
    var tail: ByteBuffer
}

/// The records of a stored batch and their re-encoding (`DefaultRecord` layout, reference/kafka.md
/// §2.5), for the cleaner.
enum CleanerRecords {
    /// The records of `batch` (one whole, CRC-checked batch at its reader index, described by
    /// `header`), decompressing at most `maxDecompressedBytes`. Every length is checked against the
    /// bytes it lies in and every offset delta against the batch's `lastOffsetDelta`; anything else
    /// throws `StoredRecordsError`.
    static func records(
        of header: RecordBatchHeader, in batch: ByteBuffer, maxDecompressedBytes: Int
    ) throws(StoredRecordsError) -> [ScannedRecord] {
        guard
            var section = batch.getSlice(
                at: batch.readerIndex + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size)
        else {
            throw .records(
                .truncated(position: 0, field: "records", needed: header.totalSize, available: batch.readableBytes))
        }
        if !header.attributes.isUncompressed {
            guard let codec = CompressionCodec(rawValue: header.attributes.compressionCodec) else {
                throw .unknownCodec(header.attributes.compressionCodec)
            }
            do {
                section = try RecordCompression.decompress(section, codec: codec, maxOutputBytes: maxDecompressedBytes)
            } catch {
                throw .decompression(error)
            }
        }
        do {
            return try scan(section, count: header.recordCount, lastOffsetDelta: header.lastOffsetDelta)
        } catch {
            throw .records(error)
        }
    }

    /// The `count` records filling `section` exactly.
    static func scan(_ section: ByteBuffer, count: Int32, lastOffsetDelta: Int32) throws(RecordBatchError)
        -> [ScannedRecord]
    {
        var body = section
        // A record takes at least 7 bytes, which bounds the count before anything is allocated.
        guard count >= 0, Int(count) <= body.readableBytes / ProduceRecordBatches.minimumRecordSize else {
            throw .malformedRecord(field: "recordCount", detail: "\(count) in \(body.readableBytes) bytes")
        }
        var records: [ScannedRecord] = []
        records.reserveCapacity(Int(count))
        for _ in 0..<count {
            let start = body.readerIndex
            let length = try ZigZagVarint.readInt32(from: &body, field: "record.length")
            guard length >= 0, var record = body.readSlice(length: Int(length)) else {
                throw .malformedRecord(
                    field: "record.length", detail: "\(length) with \(body.readableBytes) bytes left")
            }
            let whole = section.getSlice(at: start, length: body.readerIndex - start)!
            guard let _: Int8 = record.readInteger() else {
                throw .malformedRecord(field: "record.attributes", detail: "missing")
            }
            let timestampDelta = try ZigZagVarint.readInt64(from: &record, field: "record.timestampDelta")
            let tail = record
            let offsetDelta = try ZigZagVarint.readInt32(from: &record, field: "record.offsetDelta")
            guard offsetDelta >= 0, offsetDelta <= lastOffsetDelta else {
                throw .malformedRecord(
                    field: "record.offsetDelta", detail: "\(offsetDelta) outside the batch's 0...\(lastOffsetDelta)")
            }
            let key = try readNullable(from: &record, field: "record.key")
            let value = try readNullable(from: &record, field: "record.value")
            let headerCount = try ZigZagVarint.readInt32(from: &record, field: "record.headerCount")
            guard headerCount >= 0, Int(headerCount) <= record.readableBytes / 2 else {
                throw .malformedRecord(field: "record.headerCount", detail: "\(headerCount)")
            }
            for _ in 0..<headerCount {
                guard try readNullable(from: &record, field: "record.header.key") != nil else {
                    throw .malformedRecord(field: "record.header.key", detail: "null")
                }
                _ = try readNullable(from: &record, field: "record.header.value")
            }
            guard record.readableBytes == 0 else {
                throw .malformedRecord(field: "record", detail: "\(record.readableBytes) bytes after the headers")
            }
            records.append(
                ScannedRecord(
                    bytes: whole, timestampDelta: timestampDelta, offsetDelta: offsetDelta, key: key,
                    isTombstone: value == nil, tail: tail))
        }
        guard body.readableBytes == 0 else {
            throw .malformedRecord(field: "records", detail: "\(body.readableBytes) bytes after the last record")
        }
        return records
    }

    /// A batch holding `records` of the stored batch `header` (Kafka's `buildRetainedRecordsInto`):
    /// the same base offset, last offset delta (so the producer's last sequence survives), leader epoch,
    /// producer id, epoch and base sequence, attributes and codec. With `deleteHorizon` the batch's base
    /// timestamp becomes the horizon, attribute bit 6 is set, and every record's timestamp delta is
    /// re-based so record timestamps do not change; otherwise the records are copied as stored. The
    /// max timestamp is the kept records' newest (the stored one under LogAppendTime).
    static func batch(
        of header: RecordBatchHeader, keeping records: [ScannedRecord], deleteHorizon: Int64?
    ) -> (bytes: ByteBuffer, header: RecordBatchHeader) {
        var attributes = header.attributes
        var baseTimestamp = header.baseTimestamp
        var section = ByteBuffer()
        if let deleteHorizon {
            attributes.hasDeleteHorizon = true
            baseTimestamp = deleteHorizon
            for record in records {
                // Producer-chosen timestamps: wrapping, as Java's long arithmetic.
                let delta = (header.baseTimestamp &+ record.timestampDelta) &- deleteHorizon
                var body = ByteBuffer()
                body.writeInteger(Int8(0))
                ZigZagVarint.write(delta, to: &body)
                var tail = record.tail
                body.writeBuffer(&tail)
                ZigZagVarint.write(Int64(body.readableBytes), to: &section)
                section.writeBuffer(&body)
            }
        } else {
            for record in records { section.writeImmutableBuffer(record.bytes) }
        }
        let maxTimestamp =
            attributes.isLogAppendTime
            ? header.maxTimestamp
            : records.map { header.baseTimestamp &+ $0.timestampDelta }.max() ?? header.maxTimestamp
        if let codec = CompressionCodec(rawValue: attributes.compressionCodec) {
            section = RecordCompression.compress(section, codec: codec)
        }
        var result = header
        result.attributes = attributes
        result.baseTimestamp = baseTimestamp
        result.maxTimestamp = maxTimestamp
        result.recordCount = Int32(records.count)
        return encode(result, section: section)
    }

    /// The header alone of the stored batch `header`, with no records (Kafka's `writeEmptyHeader`):
    /// same offsets, leader epoch, producer id, epoch, sequence and timestamp type, no codec, base
    /// timestamp -1, the stored max timestamp.
    static func emptyBatch(of header: RecordBatchHeader) -> (bytes: ByteBuffer, header: RecordBatchHeader) {
        var result = header
        var attributes = header.attributes
        attributes.rawValue &= ~(RecordBatchAttributes.deleteHorizonBit | 0x07)
        result.attributes = attributes
        result.baseTimestamp = -1
        result.recordCount = 0
        return encode(result, section: ByteBuffer())
    }

    /// Writes `header` (its batch length and CRC recomputed) followed by `section`.
    private static func encode(
        _ header: RecordBatchHeader, section: ByteBuffer
    ) -> (bytes: ByteBuffer, header: RecordBatchHeader) {
        var header = header
        var batch = ByteBuffer()
        batch.reserveCapacity(RecordBatchHeader.size + section.readableBytes)
        header.batchLength = Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + section.readableBytes)
        batch.writeInteger(header.baseOffset)
        batch.writeInteger(header.batchLength)
        batch.writeInteger(header.partitionLeaderEpoch)
        batch.writeInteger(header.magic)
        batch.writeInteger(UInt32(0))
        batch.writeInteger(header.attributes.rawValue)
        batch.writeInteger(header.lastOffsetDelta)
        batch.writeInteger(header.baseTimestamp)
        batch.writeInteger(header.maxTimestamp)
        batch.writeInteger(header.producerId)
        batch.writeInteger(header.producerEpoch)
        batch.writeInteger(header.baseSequence)
        batch.writeInteger(header.recordCount)
        batch.writeImmutableBuffer(section)
        header.crc = CRC32C.checksum(
            batch, at: RecordBatchHeader.Field.attributes,
            length: batch.readableBytes - RecordBatchHeader.Field.attributes)
        batch.setInteger(header.crc, at: RecordBatchHeader.Field.crc)
        return (batch, header)
    }

    private static func readNullable(
        from buffer: inout ByteBuffer, field: String
    ) throws(RecordBatchError) -> ByteBuffer? {
        let length = try ZigZagVarint.readInt32(from: &buffer, field: field)
        if length == -1 { return nil }
        guard length >= 0, let bytes = buffer.readSlice(length: Int(length)) else {
            throw .malformedRecord(field: field, detail: "length \(length) with \(buffer.readableBytes) bytes left")
        }
        return bytes
    }
}
