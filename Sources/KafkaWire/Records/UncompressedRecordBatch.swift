package import NIOCore

/// Builds and reads uncompressed RecordBatch v2 bytes (compression codec 0). Producers' batches
/// pass through the broker untouched; this is for tests, tools and the load generator.
package enum UncompressedRecordBatch {
    /// A complete batch holding `records`, with a valid CRC-32C. `lastOffsetDelta` is the last
    /// record's `offsetDelta`, `maxTimestamp` is `baseTimestamp` plus the largest `timestampDelta`.
    package static func encode(
        records: [BatchRecord], baseOffset: Int64 = 0, baseTimestamp: Int64,
        partitionLeaderEpoch: Int32 = RecordBatchHeader.noPartitionLeaderEpoch,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        attributes: RecordBatchAttributes = RecordBatchAttributes(rawValue: 0)
    ) -> ByteBuffer {
        precondition(attributes.isUncompressed, "encode writes uncompressed records, attributes \(attributes.rawValue)")
        var batch = ByteBuffer()
        batch.writeInteger(baseOffset)
        batch.writeInteger(Int32(0))  // batchLength, patched below
        batch.writeInteger(partitionLeaderEpoch)
        batch.writeInteger(RecordBatchHeader.currentMagic)
        batch.writeInteger(UInt32(0))  // crc, patched below
        batch.writeInteger(attributes.rawValue)
        batch.writeInteger(records.last?.offsetDelta ?? -1)
        batch.writeInteger(baseTimestamp)
        batch.writeInteger(baseTimestamp + (records.map(\.timestampDelta).max() ?? 0))
        batch.writeInteger(producerId)
        batch.writeInteger(producerEpoch)
        batch.writeInteger(baseSequence)
        batch.writeInteger(Int32(records.count))
        for record in records { record.write(to: &batch) }
        batch.setInteger(
            Int32(batch.readableBytes - RecordBatchHeader.logOverhead), at: RecordBatchHeader.Field.batchLength)
        let crc = CRC32C.checksum(
            batch, at: RecordBatchHeader.Field.attributes,
            length: batch.readableBytes - RecordBatchHeader.Field.attributes)
        batch.setInteger(crc, at: RecordBatchHeader.Field.crc)
        return batch
    }

    /// The records of the verified batch at absolute index `position` of `buffer`.
    package static func records(in buffer: ByteBuffer, at position: Int) throws(RecordBatchError) -> [BatchRecord] {
        let header = try RecordBatchHeader(verifying: buffer, at: position)
        guard header.attributes.isUncompressed else { throw .compressedRecords(codec: header.attributes.compressionCodec) }
        let section = buffer.getSlice(
            at: position + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size)!
        return try BatchRecord.records(inSection: section, count: header.recordCount)
    }
}

extension BatchRecord {
    /// The `count` records filling a batch's records section exactly: the bytes after the 61-byte
    /// header of an uncompressed batch, or the decompressed payload of a compressed one.
    package static func records(inSection section: ByteBuffer, count: Int32) throws(RecordBatchError) -> [BatchRecord] {
        var body = section
        // A record takes at least 7 bytes, which bounds the count before anything is allocated.
        guard count >= 0, Int(count) * 7 <= body.readableBytes else {
            throw .malformedRecord(field: "recordCount", detail: "\(count) in \(body.readableBytes) bytes")
        }
        var records: [BatchRecord] = []
        records.reserveCapacity(Int(count))
        for _ in 0..<count { records.append(try BatchRecord(from: &body)) }
        guard body.readableBytes == 0 else {
            throw .malformedRecord(field: "records", detail: "\(body.readableBytes) bytes after the last record")
        }
        return records
    }
}
