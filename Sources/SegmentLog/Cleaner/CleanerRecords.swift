import KafkaWire
import NIOCore
import RecordCompression

/// One record of a stored batch as the cleaner reads it: where its bytes lie in the batch's
/// (decompressed) records section, so a kept record is copied rather than re-encoded, and the fields
/// the cleaner decides on.
struct ScannedRecord: Hashable, Sendable {
    /// The whole record, its length prefix included (indices into `ScannedBatch.section`).
    var range: Range<Int>
    /// Where the record's body continues after its timestamp delta, from `offsetDelta` to its end: what
    /// a new timestamp delta is put in front of.
    var tailStart: Int
    var timestampDelta: Int64
    var offsetDelta: Int32
    var hasKey: Bool
    /// MD5 of the key, when the scan was asked to hash keys and the record has one.
    var keyHash: KeyHash?
    var isTombstone: Bool
}

/// The records of one stored batch and the records section they lie in.
struct ScannedBatch: Sendable {
    var section: ByteBuffer
    var records: [ScannedRecord]
}

/// The records of a stored batch and their re-encoding (`DefaultRecord` layout, reference/kafka.md
/// §2.5), for the cleaner.
enum CleanerRecords {
    /// The records of `batch` (one whole, CRC-checked batch at its reader index, described by
    /// `header`), decompressing at most `maxDecompressedBytes`, with their keys' MD5 when `hashKeys`.
    /// Every length is checked against the bytes it lies in and every offset delta against the batch's
    /// `lastOffsetDelta`; anything else throws `StoredRecordsError`.
    static func records(
        of header: RecordBatchHeader, in batch: ByteBuffer, maxDecompressedBytes: Int, hashKeys: Bool = true
    ) throws(StoredRecordsError) -> ScannedBatch {
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
            let records = try scan(
                section, count: header.recordCount, lastOffsetDelta: header.lastOffsetDelta, hashKeys: hashKeys)
            return ScannedBatch(section: section, records: records)
        } catch {
            throw .records(error)
        }
    }

    /// The `count` records filling `section` exactly, parsed in place (this runs for every record the
    /// cleaner reads, twice).
    static func scan(
        _ section: ByteBuffer, count: Int32, lastOffsetDelta: Int32, hashKeys: Bool = true
    ) throws(RecordBatchError) -> [ScannedRecord] {
        // A record takes at least 7 bytes, which bounds the count before anything is allocated.
        guard count >= 0, Int(count) <= section.readableBytes / ProduceRecordBatches.minimumRecordSize else {
            throw .malformedRecord(field: "recordCount", detail: "\(count) in \(section.readableBytes) bytes")
        }
        let base = section.readerIndex
        let outcome = section.withUnsafeReadableBytes { bytes -> Result<[ScannedRecord], RecordBatchError> in
            var records: [ScannedRecord] = []
            records.reserveCapacity(Int(count))
            var reader = RawRecordReader(bytes: bytes)
            do {
                for _ in 0..<count {
                    let start = reader.index
                    let length = try reader.varint32("record.length")
                    guard length >= 0, Int(length) <= bytes.count - reader.index else {
                        throw RecordBatchError.malformedRecord(
                            field: "record.length", detail: "\(length) with \(bytes.count - reader.index) bytes left")
                    }
                    let end = reader.index + Int(length)
                    reader.end = end
                    try reader.skip(1, "record.attributes")
                    let timestampDelta = try reader.varint("record.timestampDelta")
                    let tailStart = reader.index
                    let offsetDelta = try reader.varint32("record.offsetDelta")
                    guard offsetDelta >= 0, offsetDelta <= lastOffsetDelta else {
                        throw RecordBatchError.malformedRecord(
                            field: "record.offsetDelta",
                            detail: "\(offsetDelta) outside the batch's 0...\(lastOffsetDelta)")
                    }
                    let key = try reader.nullable("record.key")
                    let value = try reader.nullable("record.value")
                    let headerCount = try reader.varint32("record.headerCount")
                    guard headerCount >= 0, Int(headerCount) <= (end - reader.index) / 2 else {
                        throw RecordBatchError.malformedRecord(field: "record.headerCount", detail: "\(headerCount)")
                    }
                    for _ in 0..<headerCount {
                        guard try reader.nullable("record.header.key") != nil else {
                            throw RecordBatchError.malformedRecord(field: "record.header.key", detail: "null")
                        }
                        _ = try reader.nullable("record.header.value")
                    }
                    guard reader.index == end else {
                        throw RecordBatchError.malformedRecord(
                            field: "record", detail: "\(end - reader.index) bytes after the headers")
                    }
                    reader.end = bytes.count
                    let keyHash = hashKeys ? key.map { KeyHash(of: UnsafeRawBufferPointer(rebasing: bytes[$0])) } : nil
                    records.append(
                        ScannedRecord(
                            range: (base + start)..<(base + end), tailStart: base + tailStart,
                            timestampDelta: timestampDelta, offsetDelta: offsetDelta, hasKey: key != nil,
                            keyHash: keyHash, isTombstone: value == nil))
                }
                guard reader.index == bytes.count else {
                    throw RecordBatchError.malformedRecord(
                        field: "records", detail: "\(bytes.count - reader.index) bytes after the last record")
                }
                return .success(records)
            } catch let error as RecordBatchError {
                return .failure(error)
            } catch {
                return .failure(.malformedRecord(field: "records", detail: "\(error)"))
            }
        }
        return try outcome.get()
    }

    /// A batch holding `records` of the stored batch `header` (Kafka's `buildRetainedRecordsInto`):
    /// the same base offset, last offset delta (so the producer's last sequence survives), leader epoch,
    /// producer id, epoch and base sequence, attributes and codec. With `deleteHorizon` the batch's base
    /// timestamp becomes the horizon, attribute bit 6 is set, and every record's timestamp delta is
    /// re-based so record timestamps do not change; otherwise the records are copied as stored. The
    /// max timestamp is the kept records' newest (the stored one under LogAppendTime).
    static func batch(
        of header: RecordBatchHeader, in stored: ByteBuffer, keeping records: [ScannedRecord], deleteHorizon: Int64?
    ) -> (bytes: ByteBuffer, header: RecordBatchHeader) {
        var attributes = header.attributes
        var baseTimestamp = header.baseTimestamp
        var section = ByteBuffer()
        section.reserveCapacity(records.reduce(0) { $0 + $1.range.count + 10 })
        if let deleteHorizon {
            attributes.hasDeleteHorizon = true
            baseTimestamp = deleteHorizon
            var body = ByteBuffer()
            for record in records {
                // Producer-chosen timestamps: wrapping, as Java's long arithmetic.
                let delta = (header.baseTimestamp &+ record.timestampDelta) &- deleteHorizon
                body.clear()
                body.writeInteger(Int8(0))
                ZigZagVarint.write(delta, to: &body)
                var tail = stored.getSlice(at: record.tailStart, length: record.range.upperBound - record.tailStart)!
                body.writeBuffer(&tail)
                ZigZagVarint.write(Int64(body.readableBytes), to: &section)
                section.writeBuffer(&body)
            }
        } else {
            stored.withUnsafeReadableBytes { bytes in
                let base = stored.readerIndex
                var run = records.first.map { $0.range } ?? 0..<0
                // Adjacent kept records are copied as one run.
                for record in records.dropFirst() {
                    if record.range.lowerBound == run.upperBound {
                        run = run.lowerBound..<record.range.upperBound
                    } else {
                        section.writeBytes(
                            UnsafeRawBufferPointer(rebasing: bytes[(run.lowerBound - base)..<(run.upperBound - base)]))
                        run = record.range
                    }
                }
                section.writeBytes(
                    UnsafeRawBufferPointer(rebasing: bytes[(run.lowerBound - base)..<(run.upperBound - base)]))
            }
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

}

/// Reads a record's fields from raw bytes: zig-zag varints (at most 10 bytes) and nullable byte
/// strings, never past `end`.
private struct RawRecordReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    /// The end of what may be read (the current record's end while inside one).
    var end: Int

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.end = bytes.count
    }

    mutating func varint(_ field: String) throws(RecordBatchError) -> Int64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end, shift < 64 else {
                throw .malformedRecord(field: field, detail: index < end ? "varint longer than 10 bytes" : "truncated")
            }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    mutating func varint32(_ field: String) throws(RecordBatchError) -> Int32 {
        let value = try varint(field)
        guard let narrow = Int32(exactly: value) else {
            throw .malformedRecord(field: field, detail: "\(value) does not fit an int32")
        }
        return narrow
    }

    mutating func skip(_ count: Int, _ field: String) throws(RecordBatchError) {
        guard count <= end - index else { throw .malformedRecord(field: field, detail: "truncated") }
        index += count
    }

    /// The range of a length-prefixed byte string; nil for length -1 (null).
    mutating func nullable(_ field: String) throws(RecordBatchError) -> Range<Int>? {
        let length = try varint32(field)
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= end - index else {
            throw .malformedRecord(field: field, detail: "length \(length) with \(end - index) bytes left")
        }
        defer { index += Int(length) }
        return index..<(index + Int(length))
    }
}
