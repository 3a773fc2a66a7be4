import KafkaWire
package import NIOCore

/// Kafka's producer-state snapshot file (`ProducerStateManager.writeSnapshot` / `readSnapshot`,
/// version 1), named `<20-digit offset>.snapshot` in the partition directory: the idempotent
/// producers' state as it was when the log ended at that offset. Pure: the log does the file I/O.
///
///     Version                 int16   1
///     Crc                     uint32  CRC-32C of every byte after this field
///     ProducerEntries         int32 count, then per producer:
///       ProducerId            int64
///       Epoch                 int16
///       LastSequence          int32   of the last batch; -1 when there is none
///       LastOffset            int64   of the last batch; -1 when there is none
///       OffsetDelta           int32   last minus first offset (= last minus first sequence) of that batch
///       Timestamp             int64   maxTimestamp of that batch
///       CoordinatorEpoch      int32   -1 (no transaction markers here)
///       CurrentTxnFirstOffset int64   -1 (no transactions here)
///
/// Only each producer's last batch is kept, as in Kafka. The file is hostile input: its size, version,
/// CRC, entry count and every entry's offsets and sequences are checked before anything is built.
package struct ProducerSnapshot: Hashable, Sendable {
    /// One producer's line.
    package struct Entry: Hashable, Sendable {
        package var producerID: Int64
        package var epoch: Int16
        package var lastSequence: Int32
        package var lastOffset: Int64
        package var offsetDelta: Int32
        package var timestamp: Int64
        package var coordinatorEpoch: Int32
        package var currentTxnFirstOffset: Int64

        package init(
            producerID: Int64, epoch: Int16, lastSequence: Int32, lastOffset: Int64, offsetDelta: Int32,
            timestamp: Int64, coordinatorEpoch: Int32 = -1, currentTxnFirstOffset: Int64 = -1
        ) {
            self.producerID = producerID
            self.epoch = epoch
            self.lastSequence = lastSequence
            self.lastOffset = lastOffset
            self.offsetDelta = offsetDelta
            self.timestamp = timestamp
            self.coordinatorEpoch = coordinatorEpoch
            self.currentTxnFirstOffset = currentTxnFirstOffset
        }
    }

    /// `PRODUCER_SNAPSHOT_VERSION`.
    package static let version: Int16 = 1
    /// Version, CRC and entry count.
    package static let headerSize = 10
    /// Bytes of one entry.
    package static let entrySize = 46
    /// Where the CRC'd bytes start (Kafka's `PRODUCER_ENTRIES_OFFSET`).
    static let crcCoveredFrom = 6
    /// A file larger than this (about 5.8 million producers) is refused before it is read. No Kafka
    /// equivalent: it bounds what a garbage file can make the broker allocate.
    package static let maximumSize = 256 << 20
    package static let fileSuffix = ".snapshot"

    /// Ascending producer id, so the same state always gives the same bytes.
    package var entries: [Entry]

    package init(entries: [Entry]) {
        self.entries = entries
    }

    /// The snapshot of `table`: each producer with its last batch.
    package init(_ table: ProducerStateTable) {
        entries = table.producers.keys.sorted().map { id in
            let entry = table.producers[id]!
            guard let last = entry.batches.last else {
                return Entry(
                    producerID: id, epoch: entry.epoch, lastSequence: -1, lastOffset: -1, offsetDelta: 0,
                    timestamp: entry.lastTimestamp)
            }
            // A batch spans at most 2^32 offsets; a table built from appends holds far fewer per batch.
            let delta = Int32(clamping: last.lastOffset.rawValue.saturatingSubtracting(last.firstOffset.rawValue))
            return Entry(
                producerID: id, epoch: entry.epoch, lastSequence: last.lastSequence,
                lastOffset: last.lastOffset.rawValue, offsetDelta: delta, timestamp: entry.lastTimestamp)
        }
    }

    // MARK: - File names

    /// `<20-digit offset>.snapshot` (`LogFileUtils.producerSnapshotFile`).
    package static func fileName(offset: LogOffset) -> String {
        LogSegment.fileName(baseOffset: offset.rawValue, suffix: fileSuffix)
    }

    /// The offset a snapshot file name stands for; nil when it is not 20 digits and `.snapshot`, or
    /// names an offset above `LogOffset.largest`.
    package static func offset(ofFileName name: String) -> LogOffset? {
        guard name.hasSuffix(fileSuffix) else { return nil }
        let digits = name.dropLast(fileSuffix.count)
        guard digits.utf8.count == 20, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let offset = Int64(digits),
            offset <= LogOffset.largest.rawValue
        else { return nil }
        return LogOffset(offset)
    }

    // MARK: - Encoding

    /// The file's bytes.
    package func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.headerSize + entries.count * Self.entrySize)
        buffer.writeInteger(Self.version)
        buffer.writeInteger(UInt32(0))  // the CRC, set below
        // Far beyond Int32.max producers would not fit in memory first.
        buffer.writeInteger(Int32(clamping: entries.count))
        for entry in entries {
            buffer.writeInteger(entry.producerID)
            buffer.writeInteger(entry.epoch)
            buffer.writeInteger(entry.lastSequence)
            buffer.writeInteger(entry.lastOffset)
            buffer.writeInteger(entry.offsetDelta)
            buffer.writeInteger(entry.timestamp)
            buffer.writeInteger(entry.coordinatorEpoch)
            buffer.writeInteger(entry.currentTxnFirstOffset)
        }
        let crc = CRC32C.checksum(
            buffer, at: buffer.readerIndex + Self.crcCoveredFrom, length: buffer.readableBytes - Self.crcCoveredFrom)
        buffer.setInteger(crc, at: buffer.readerIndex + 2)
        return buffer
    }

    // MARK: - Decoding

    /// Reads a whole snapshot file's bytes; `path` names it in errors. Throws `corruptProducerSnapshot`
    /// for a short or long file, another version, a CRC mismatch, an entry count the bytes do not hold,
    /// or an entry whose batch does not add up (negative sequence or delta, an offset delta reaching
    /// below offset 0, an offset past `LogOffset.largest`).
    package init(decoding bytes: ByteBuffer, path: String) throws(SegmentLogError) {
        func corrupt(_ detail: String) -> SegmentLogError { .corruptProducerSnapshot(path: path, detail: detail) }
        var buffer = bytes
        let size = buffer.readableBytes
        guard size >= Self.headerSize else {
            throw corrupt("\(size) bytes, fewer than the \(Self.headerSize)-byte header")
        }
        guard size <= Self.maximumSize else { throw corrupt("\(size) bytes, more than \(Self.maximumSize)") }
        let version: Int16 = buffer.readInteger()!
        guard version == Self.version else { throw corrupt("unknown version \(version)") }
        let stored: UInt32 = buffer.readInteger()!
        let computed = CRC32C.checksum(buffer, at: buffer.readerIndex, length: buffer.readableBytes)
        guard stored == computed else { throw corrupt("stored CRC \(stored) but the bytes give \(computed)") }
        let count: Int32 = buffer.readInteger()!
        // Checked before anything is allocated: count × 46 fits an Int for any Int32.
        guard count >= 0, buffer.readableBytes == Int(count) * Self.entrySize else {
            throw corrupt(
                "\(count) entries need \(Int(count) * Self.entrySize) bytes, \(buffer.readableBytes) follow")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            // The count check above guarantees 46 bytes for each entry.
            let entry = Entry(
                producerID: buffer.readInteger()!, epoch: buffer.readInteger()!,
                lastSequence: buffer.readInteger()!, lastOffset: buffer.readInteger()!,
                offsetDelta: buffer.readInteger()!, timestamp: buffer.readInteger()!,
                coordinatorEpoch: buffer.readInteger()!, currentTxnFirstOffset: buffer.readInteger()!)
            if let problem = Self.problem(with: entry) { throw corrupt("entry \(index): \(problem)") }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// What is wrong with an entry read from a file, nil when it can be used.
    private static func problem(with entry: Entry) -> String? {
        guard entry.producerID >= 0 else { return "producer id \(entry.producerID)" }
        guard entry.lastOffset >= 0 else { return nil }  // no batch: only the epoch and timestamp count
        guard entry.lastOffset <= LogOffset.largest.rawValue else { return "last offset \(entry.lastOffset)" }
        guard entry.lastSequence >= 0 else { return "last sequence \(entry.lastSequence) with a batch" }
        guard entry.offsetDelta >= 0, Int64(entry.offsetDelta) <= entry.lastOffset else {
            return "offset delta \(entry.offsetDelta) for last offset \(entry.lastOffset)"
        }
        return nil
    }

    // MARK: - State

    /// The producer state the snapshot describes: each producer's epoch, its last batch (first offset
    /// and first sequence derived from the delta, the sequence wrapping below 0 to Int32.max as
    /// Kafka's `DefaultRecordBatch.decrementSequence`) and its timestamp. Entries that decoding would
    /// refuse are left out.
    package var table: ProducerStateTable {
        var table = ProducerStateTable()
        for entry in entries where Self.problem(with: entry) == nil {
            var batch: ProducerStateTable.BatchMetadata?
            if entry.lastOffset >= 0 {
                let delta = entry.offsetDelta
                let firstSequence =
                    entry.lastSequence >= delta
                    ? entry.lastSequence - delta : Int32.max - (delta - entry.lastSequence) + 1
                batch = .init(
                    firstSequence: firstSequence, lastSequence: entry.lastSequence,
                    firstOffset: LogOffset(entry.lastOffset - Int64(delta)), lastOffset: LogOffset(entry.lastOffset),
                    maxTimestamp: entry.timestamp)
            }
            table.restore(
                producerID: entry.producerID, epoch: entry.epoch, lastBatch: batch, lastTimestamp: entry.timestamp)
        }
        return table
    }
}
