package import NIOCore

/// The records of one partition in a Produce request, checked the way Kafka's `LogValidator`
/// checks magic-2 input before appending, and ready to have offsets assigned.
///
/// Records are never decompressed: a batch is stored and served exactly as the producer sent it,
/// except for the header fields the leader owns (baseOffset, partitionLeaderEpoch and, under
/// LogAppendTime, the timestamp type and maxTimestamp).
package struct ProduceRecordBatches: Sendable {
    /// One batch: where it starts in `bytes` and its parsed header.
    package struct Batch: Hashable, Sendable {
        package var position: Int
        package var header: RecordBatchHeader
    }

    /// The payload, one batch after another; `assignOffsets` rewrites headers inside it.
    package private(set) var bytes: ByteBuffer
    /// The batches of `bytes`, in order.
    package private(set) var batches: [Batch]

    /// Validates a produce payload: every batch whole, magic 2, CRC-32C intact, at most
    /// `maxBatchBytes` (`max.message.bytes`), `recordCount > 0` and `lastOffsetDelta == recordCount - 1`,
    /// a record count the batch's bytes could hold (and at most `Int32.max` records in all, so one
    /// append always fits a segment's relative offsets), and not a control batch. The first failing batch names the error.
    package init(validating payload: ByteBuffer, maxBatchBytes: Int) throws(RecordBatchError) {
        var batches: [Batch] = []
        var totalRecords = 0
        var position = payload.readerIndex
        while position < payload.writerIndex {
            let header = try RecordBatchHeader(verifying: payload, at: position)
            guard header.totalSize <= maxBatchBytes else {
                throw .batchTooLarge(position: position, size: header.totalSize, limit: maxBatchBytes)
            }
            guard header.recordCount > 0, Int64(header.lastOffsetDelta) == Int64(header.recordCount) - 1 else {
                throw .invalidRecordCount(
                    position: position, recordCount: header.recordCount, lastOffsetDelta: header.lastOffsetDelta)
            }
            guard !header.attributes.isControl else { throw .controlBatchFromClient(position: position) }
            // The count decides how many offsets the batch takes, so it must be one the bytes can hold:
            // a 70-byte batch claiming 2^31 records would otherwise burn 2^31 offsets and pass a
            // segment's 32-bit relative offsets. Kafka's LogValidator counts the records themselves.
            let recordBytes = header.totalSize - RecordBatchHeader.size
            let maxRecords =
                header.attributes.isUncompressed
                ? recordBytes / Self.minimumRecordSize : Self.maxCompressedRecordsPerBatch
            guard Int(header.recordCount) <= maxRecords else {
                throw .invalidRecordCount(
                    position: position, recordCount: header.recordCount, lastOffsetDelta: header.lastOffsetDelta)
            }
            totalRecords += Int(header.recordCount)
            guard totalRecords <= Int(Int32.max) else {
                throw .invalidRecordCount(
                    position: position, recordCount: header.recordCount, lastOffsetDelta: header.lastOffsetDelta)
            }
            batches.append(Batch(position: position, header: header))
            position += header.totalSize
        }
        guard !batches.isEmpty else { throw .noBatches }
        self.bytes = payload
        self.batches = batches
    }

    /// Validates batches a follower fetched from its leader, to be appended as they are (offsets, leader
    /// epochs and timestamps are the leader's): every batch whole, magic 2, CRC-32C intact, a
    /// non-negative leader epoch, `lastOffsetDelta` ≥ 0, and each batch starting at or after where the
    /// one before it ended, the first at or after `expectedOffset` (the follower's log end offset):
    /// a compacted log has gaps where the cleaner removed batches, as Kafka's followers accept. A partial batch at the end
    /// (a response cut at the partition's max bytes) is left out, as Kafka's follower leaves it.
    /// Control batches are allowed: the leader's coordinators write them. Empty when no whole batch came.
    package init(replicating payload: ByteBuffer, expectedOffset: Int64) throws(RecordBatchError) {
        var batches: [Batch] = []
        var position = payload.readerIndex
        var next = expectedOffset
        while position < payload.writerIndex {
            let header: RecordBatchHeader
            do {
                header = try RecordBatchHeader(verifying: payload, at: position)
            } catch .truncated {
                break
            }
            guard header.partitionLeaderEpoch >= 0 else {
                throw .invalidLeaderEpoch(position: position, epoch: header.partitionLeaderEpoch)
            }
            guard header.lastOffsetDelta >= 0, header.recordCount >= 0 else {
                throw .invalidRecordCount(
                    position: position, recordCount: header.recordCount, lastOffsetDelta: header.lastOffsetDelta)
            }
            guard header.baseOffset >= next, header.baseOffset <= Int64.max - Int64(header.lastOffsetDelta) - 1 else {
                throw .offsetsOutOfOrder(position: position, baseOffset: header.baseOffset, expected: next)
            }
            batches.append(Batch(position: position, header: header))
            next = header.nextOffset
            position += header.totalSize
        }
        self.bytes = payload.getSlice(at: payload.readerIndex, length: position - payload.readerIndex) ?? ByteBuffer()
        let shift = payload.readerIndex
        self.batches = batches.map { Batch(position: $0.position - shift, header: $0.header) }
    }

    /// The smallest encoding of one v2 record: length, attributes, timestampDelta, offsetDelta,
    /// key length (-1), value length (-1) and header count, one byte each.
    package static let minimumRecordSize = 7
    /// The most records a compressed batch may claim: what 64 MiB of decompressed records could hold.
    /// librdkafka's `batch.num.messages` tops out at 1,000,000 and Java's producer batches by 16 KiB.
    package static let maxCompressedRecordsPerBatch = (64 << 20) / minimumRecordSize

    /// Number of records across all batches.
    package var recordCount: Int { batches.reduce(0) { $0 + Int($1.header.recordCount) } }

    /// The largest batch, in bytes (a batch over `segment.bytes` gets RECORD_LIST_TOO_LARGE).
    package var largestBatchSize: Int { batches.map(\.header.totalSize).max() ?? 0 }

    /// Gives the batches consecutive offsets from `firstOffset` and stamps the leader epoch, as the
    /// leader does on append. baseOffset and partitionLeaderEpoch precede the CRC'd region, so the
    /// stored CRC stays valid; with `logAppendTime` (topic `message.timestamp.type=LogAppendTime`)
    /// the timestamp-type bit and maxTimestamp change inside it and the CRC is recomputed.
    /// Returns the offset after the last batch.
    @discardableResult
    package mutating func assignOffsets(
        from firstOffset: Int64, partitionLeaderEpoch: Int32, logAppendTime: Int64?
    ) -> Int64 {
        var nextOffset = firstOffset
        for index in batches.indices {
            let position = batches[index].position
            var header = batches[index].header
            header.baseOffset = nextOffset
            header.partitionLeaderEpoch = partitionLeaderEpoch
            bytes.setInteger(header.baseOffset, at: position + RecordBatchHeader.Field.baseOffset)
            bytes.setInteger(partitionLeaderEpoch, at: position + RecordBatchHeader.Field.partitionLeaderEpoch)
            if let logAppendTime {
                header.attributes.isLogAppendTime = true
                header.maxTimestamp = logAppendTime
                bytes.setInteger(header.attributes.rawValue, at: position + RecordBatchHeader.Field.attributes)
                bytes.setInteger(logAppendTime, at: position + RecordBatchHeader.Field.maxTimestamp)
                header.crc = CRC32C.checksum(
                    bytes, at: position + RecordBatchHeader.Field.attributes,
                    length: header.totalSize - RecordBatchHeader.Field.attributes)
                bytes.setInteger(header.crc, at: position + RecordBatchHeader.Field.crc)
            }
            batches[index].header = header
            nextOffset = header.nextOffset
        }
        return nextOffset
    }
}
