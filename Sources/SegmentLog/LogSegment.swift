import KafkaWire
import NIOCore
import Synchronization

/// One segment of a partition log (`LogSegment.java`): `<baseOffset>.log` holding whole batches,
/// `.index` and `.timeindex` mirroring the in-memory `OffsetIndex` and `TimeIndex`. The active
/// (newest) segment's index files are preallocated to `segment.index.bytes` and trimmed to their
/// entries when it becomes inactive or is closed, as Kafka does.
final class LogSegment {
    /// Hands out `serial`s.
    private static let serials = Atomic<UInt64>(0)

    let baseOffset: Int64
    /// Unique among the segment objects of this process: the cleaner checks, before swapping in a
    /// cleaned copy, that the segments it copied are still the log's (the same objects, not new ones at
    /// the same base offset).
    let serial: UInt64
    let logPath: String
    private let indexPath: String
    private let timeIndexPath: String
    private let log: PosixFile
    private let indexFile: PosixFile
    private let timeIndexFile: PosixFile
    private let config: LogConfig
    /// Time the segment was created or opened: the roll clock for a segment without timestamps.
    let createdAt: Int64

    private(set) var size: Int
    /// The offset after the segment's last batch (`baseOffset` when empty).
    private(set) var nextOffset: Int64
    private(set) var offsetIndex: OffsetIndex
    private(set) var timeIndex: TimeIndex
    /// Newest batch timestamp and the last offset of the batch carrying it.
    private(set) var maxTimestampSoFar: (timestamp: Int64, offset: Int64)?
    /// maxTimestamp of the first batch: where `segment.ms` counts from.
    private(set) var firstBatchTimestamp: Int64?
    private var isActive: Bool
    /// Whether both index files were on disk before this segment was opened.
    private let indexFilesExisted: Bool

    /// `<20-digit zero-padded offset><suffix>` (`LogFileUtils.filenamePrefixFromOffset`).
    static func fileName(baseOffset: Int64, suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// The base offset a `.log` file name stands for, or nil if it is not 20 digits.
    static func baseOffset(ofLogFile name: String) -> Int64? {
        guard name.hasSuffix(".log") else { return nil }
        let digits = name.dropLast(4)
        guard digits.count == 20, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int64(digits)
    }

    /// Creates an empty active segment, replacing files a previous life may have left at that name.
    /// `suffix` follows each file's name (`.cleaned` for the cleaner's copies, as Kafka names them).
    convenience init(
        creatingIn directory: String, baseOffset: Int64, config: LogConfig, now: Int64, suffix: String = ""
    ) throws {
        try self.init(
            directory: directory, baseOffset: baseOffset, config: config, now: now, active: true, suffix: suffix)
        try log.truncate(to: 0)
        try resetIndexFiles()
    }

    /// Opens an existing segment. A trusted segment (wholly below the recovery point) keeps its
    /// indexes if they are plausible; otherwise, or when `recover` is set, every batch is re-read
    /// and both indexes rebuilt (see `recover`). Returns the bytes recovery cut off (0 when none).
    static func open(
        in directory: String, baseOffset: Int64, config: LogConfig, now: Int64, active: Bool,
        recover: Bool, epochs: inout LeaderEpochCache
    ) throws -> (segment: LogSegment, truncatedBytes: Int, rebuiltIndexes: Bool) {
        let segment = try LogSegment(directory: directory, baseOffset: baseOffset, config: config, now: now, active: active)
        if recover {
            return (segment, try segment.recover(allowTruncation: true, epochs: &epochs), true)
        }
        if try segment.loadIndexes() { return (segment, 0, false) }
        // Below the recovery point nothing may be cut: recover(allowTruncation: false) throws instead.
        return (segment, try segment.recover(allowTruncation: false, epochs: &epochs), true)
    }

    private init(
        directory: String, baseOffset: Int64, config: LogConfig, now: Int64, active: Bool, suffix: String = ""
    ) throws {
        self.baseOffset = baseOffset
        self.serial = Self.serials.add(1, ordering: .relaxed).newValue
        self.config = config
        self.createdAt = now
        self.isActive = active
        logPath = directory + "/" + Self.fileName(baseOffset: baseOffset, suffix: ".log" + suffix)
        indexPath = directory + "/" + Self.fileName(baseOffset: baseOffset, suffix: ".index" + suffix)
        timeIndexPath = directory + "/" + Self.fileName(baseOffset: baseOffset, suffix: ".timeindex" + suffix)
        indexFilesExisted = FileSystem.exists(indexPath) && FileSystem.exists(timeIndexPath)
        log = try PosixFile(path: logPath, create: true)
        indexFile = try PosixFile(path: indexPath, create: true)
        timeIndexFile = try PosixFile(path: timeIndexPath, create: true)
        size = try log.size()
        nextOffset = baseOffset
        offsetIndex = OffsetIndex(baseOffset: baseOffset, maxIndexBytes: config.segmentIndexBytes)
        timeIndex = TimeIndex(baseOffset: baseOffset, maxIndexBytes: config.segmentIndexBytes)
    }

    var indexesFull: Bool { offsetIndex.isFull || timeIndex.isFull }

    /// Byte position of the batch the newest offset-index entry points at (0 without entries). A batch
    /// starting more than `index.interval.bytes` after it gets the next entry (Kafka's
    /// `bytesSinceLastIndexEntry`), which makes the index a function of the log alone.
    private var lastIndexedPosition: Int { offsetIndex.entries.last.map { Int($0.position) } ?? 0 }

    /// Newest timestamp in the segment, or its creation time when it holds none (retention's clock).
    var largestTimestamp: Int64 { maxTimestampSoFar?.timestamp ?? createdAt }

    // MARK: - Append and read

    /// Appends whole batches whose offsets are assigned: `bytes` holds them back to back, `headers`
    /// describes them in order. Adds index entries every `index.interval.bytes`.
    func append(_ bytes: ByteBuffer, headers: [RecordBatchHeader]) throws {
        precondition(headers.first.map { $0.baseOffset >= nextOffset } ?? false, "append at \(headers.first?.baseOffset ?? -1) below segment end \(nextOffset) in \(logPath)")
        try log.write(bytes, at: size)
        if size == 0 { firstBatchTimestamp = headers[0].maxTimestamp }
        var position = size
        for header in headers {
            if header.maxTimestamp > maxTimestampSoFar?.timestamp ?? Int64.min {
                maxTimestampSoFar = (header.maxTimestamp, header.lastOffset)
            }
            if position - lastIndexedPosition > config.indexIntervalBytes {
                let (offsetEntry, timeEntry) = addIndexEntries(lastOffset: header.lastOffset, position: position)
                if let offsetEntry {
                    try indexFile.write(OffsetIndex.encode(offsetEntry), at: offsetIndex.sizeInBytes - OffsetIndex.entrySize)
                }
                if let timeEntry {
                    try timeIndexFile.write(TimeIndex.encode(timeEntry), at: timeIndex.sizeInBytes - TimeIndex.entrySize)
                }
            }
            position += header.totalSize
        }
        precondition(position - size == bytes.readableBytes, "batch headers cover \(position - size) of \(bytes.readableBytes) bytes")
        size = position
        nextOffset = headers[headers.count - 1].nextOffset
    }

    /// Whole batches starting with the one that contains `offset`: as many as fit in `maxBytes`, but
    /// always the first, and none holding offsets at or past `limit`. Nil when no batch in this
    /// segment ends at or after `offset`.
    func read(from offset: Int64, maxBytes: Int, limit: Int64) throws -> ByteBuffer? {
        guard let (start, first) = try firstBatch(endingAtOrAfter: offset, from: offsetIndex.position(lookingFor: offset)) else {
            return nil
        }
        var end = start
        var header = first
        while header.lastOffset < limit, end == start || end + header.totalSize - start <= maxBytes {
            end += header.totalSize
            guard end < size else { break }
            header = try batchHeader(at: end)
        }
        return try log.read(at: start, count: end - start)
    }

    /// The first record at or after `startOffset` whose timestamp is ≥ `timestamp`, with that
    /// timestamp (`FileRecords.searchForTimestamp`). Batch headers are scanned from the time index's
    /// position; only a batch whose maxTimestamp qualifies is read record by record, decompressing it
    /// when compressed. Records that do not decompress or decode throw `corruptRecords`.
    func offset(forTimestamp timestamp: Int64, startOffset: Int64) throws -> (offset: Int64, timestamp: Int64)? {
        let from = max(timeIndex.offset(lookingFor: timestamp), startOffset)
        var position = offsetIndex.position(lookingFor: from)
        while position < size {
            let header = try batchHeader(at: position)
            if header.lastOffset >= startOffset && header.maxTimestamp >= timestamp {
                let batch = try log.read(at: position, count: header.totalSize)
                let records: [BatchRecord]
                do {
                    records = try header.records(in: batch, maxDecompressedBytes: config.maxDecompressedBatchBytes)
                } catch {
                    throw SegmentLogError.corruptRecords(path: logPath, position: position, detail: "\(error)")
                }
                for record in records {
                    let recordOffset = header.baseOffset + Int64(record.offsetDelta)
                    let recordTimestamp = header.timestamp(of: record)
                    if recordOffset >= startOffset && recordTimestamp >= timestamp {
                        return (recordOffset, recordTimestamp)
                    }
                }
            }
            position += header.totalSize
        }
        return nil
    }

    // MARK: - Truncation, recovery, lifecycle

    /// Removes the batch containing `offset` and everything after it (`LogSegment.truncateTo`).
    /// Returns the bytes removed.
    @discardableResult
    func truncate(to offset: Int64) throws -> Int {
        guard let (position, header) = try firstBatch(endingAtOrAfter: offset, from: offsetIndex.position(lookingFor: offset)) else {
            return 0
        }
        let removed = size - position
        try log.truncate(to: position)
        size = position
        nextOffset = header.baseOffset
        let droppedOffsets = offsetIndex.truncate(toPosition: position)
        let droppedTimes = timeIndex.truncate(toOffset: nextOffset)
        // Zero the dropped slots so a crash cannot resurrect them: zeros never pass `OffsetIndex(loading:)`.
        try indexFile.write(ByteBuffer(repeating: 0, count: droppedOffsets * OffsetIndex.entrySize), at: offsetIndex.sizeInBytes)
        try timeIndexFile.write(ByteBuffer(repeating: 0, count: droppedTimes * TimeIndex.entrySize), at: timeIndex.sizeInBytes)
        maxTimestampSoFar = timeIndex.last
        if size == 0 { firstBatchTimestamp = nil }
        return removed
    }

    /// Re-reads every batch from byte 0 (`LogSegment.recover`): size, magic 2, CRC-32C, offsets
    /// increasing and within the segment's 32-bit range. Rebuilds both indexes and records each new
    /// leader epoch met in `epochs`. At the first bad or torn batch the log is cut there when
    /// `allowTruncation`, else a `corruptSegment` error names the file and byte. Returns the bytes cut.
    func recover(allowTruncation: Bool, epochs: inout LeaderEpochCache) throws -> Int {
        offsetIndex.reset()
        timeIndex.reset()
        maxTimestampSoFar = nil
        firstBatchTimestamp = nil
        var valid = 0
        var next = baseOffset
        var failure: String?
        while valid < size {
            let header: RecordBatchHeader
            do {
                let batchLength = try log.read(at: valid, count: RecordBatchHeader.logOverhead)
                let length = batchLength.getInteger(at: batchLength.readerIndex + RecordBatchHeader.Field.batchLength, as: Int32.self).map { Int($0) } ?? 0
                let batch = try log.read(at: valid, count: min(RecordBatchHeader.logOverhead + max(length, 0), size - valid))
                header = try RecordBatchHeader(verifying: batch, at: batch.readerIndex)
            } catch let error as RecordBatchError {
                failure = "\(error)"
                break
            }
            // Checked before `lastOffset` is computed: a corrupt baseOffset near Int64.max overflows it.
            guard header.baseOffset >= next, header.offsetsFit(segmentBase: baseOffset) else {
                failure =
                    "batch baseOffset \(header.baseOffset) lastOffsetDelta \(header.lastOffsetDelta) does not follow "
                    + "offset \(next - 1) within the 32-bit range of segment \(baseOffset)"
                break
            }
            if header.maxTimestamp > maxTimestampSoFar?.timestamp ?? Int64.min {
                maxTimestampSoFar = (header.maxTimestamp, header.lastOffset)
            }
            if valid - lastIndexedPosition > config.indexIntervalBytes {
                _ = addIndexEntries(lastOffset: header.lastOffset, position: valid)
            }
            if valid == 0 { firstBatchTimestamp = header.maxTimestamp }
            if header.partitionLeaderEpoch >= 0, epochs.latestEpoch.map({ header.partitionLeaderEpoch > $0.rawValue }) ?? true {
                epochs.assign(epoch: LeaderEpoch(header.partitionLeaderEpoch), startOffset: LogOffset(header.baseOffset))
            }
            valid += header.totalSize
            next = header.nextOffset
        }
        let truncated = size - valid
        if let failure, truncated > 0 {
            guard allowTruncation else { throw SegmentLogError.corruptSegment(path: logPath, position: valid, detail: failure) }
            try log.truncate(to: valid)
            size = valid
        }
        nextOffset = next
        if let last = maxTimestampSoFar {
            timeIndex.appendIfNewer(timestamp: last.timestamp, offset: last.offset, ignoringFull: true)
        }
        try rewriteIndexFiles()
        return truncated
    }

    /// The three file kinds of a segment, the log last: renaming them in this order makes the log
    /// file's rename the last step (the cleaner's swap commits with it).
    static let fileKinds = [".index", ".timeindex", ".log"]

    /// Unlinks a segment's three files without opening them (a segment recovery gave up on), each
    /// name followed by `suffix`.
    static func deleteFiles(in directory: String, baseOffset: Int64, suffix: String = "") throws {
        for kind in fileKinds {
            try FileSystem.remove(directory + "/" + fileName(baseOffset: baseOffset, suffix: kind + suffix))
        }
    }

    /// Renames a segment's three files from names ending in `from` to names ending in `to`
    /// (`.cleaned` → `.swap` → "" for the cleaner's swap), index files first.
    static func renameFiles(in directory: String, baseOffset: Int64, from: String, to: String) throws {
        for kind in fileKinds {
            let name = directory + "/" + fileName(baseOffset: baseOffset, suffix: kind)
            try FileSystem.rename(name + from, to: name + to)
        }
    }

    /// A duplicate of the log file's descriptor, to read the segment without holding the log (the
    /// cleaner): closed segments never change, and a retention or truncation meanwhile is noticed
    /// before anything read from it is swapped in.
    func duplicateLogDescriptor() throws -> Int32 {
        try log.duplicateDescriptor()
    }

    /// Bytes the offset index's entries take (inactive segments' files are exactly this).
    var offsetIndexBytes: Int { offsetIndex.sizeInBytes }
    /// Bytes the time index's entries take.
    var timeIndexBytes: Int { timeIndex.sizeInBytes }

    /// The segment takes appends again (it is the newest after later ones were deleted): its index
    /// files are preallocated once more.
    func becomeActive() throws {
        guard !isActive else { return }
        isActive = true
        try preallocateIndexFiles()
    }

    /// The segment stops taking appends: write the closing time-index entry and trim the index files.
    func becomeInactive() throws {
        guard isActive else { return }
        try appendClosingTimeIndexEntry()
        isActive = false
        try trimIndexFiles()
    }

    func flush() throws {
        try log.sync()
        try indexFile.sync()
        try timeIndexFile.sync()
    }

    /// Duplicates of the segment's three descriptors, to fsync outside the log's lock.
    func duplicateDescriptors() throws -> [Int32] {
        var descriptors: [Int32] = []
        do {
            for file in [log, indexFile, timeIndexFile] { descriptors.append(try file.duplicateDescriptor()) }
        } catch {
            for descriptor in descriptors { _ = closeDescriptor(descriptor) }
            throw error
        }
        return descriptors
    }

    /// Closes the files after trimming the indexes, so a clean restart trusts them.
    func close() throws {
        if isActive {
            try appendClosingTimeIndexEntry()
            try trimIndexFiles()
        }
        try log.close()
        try indexFile.close()
        try timeIndexFile.close()
    }

    /// Closes and unlinks the three files.
    func delete() throws {
        try log.close()
        try indexFile.close()
        try timeIndexFile.close()
        for path in [logPath, indexPath, timeIndexPath] { try FileSystem.remove(path) }
    }

    // MARK: - Private

    /// Loads both index files if they are plausible for the log (see `OffsetIndex(loading:)`) and
    /// finds the segment's end by scanning batch headers from the last indexed one, which also
    /// checks that no entry is missing after it. False: rebuild.
    /// An index file larger than its entries could fill is not read at all (nothing is allocated
    /// for it): it is rebuilt, as Kafka rebuilds an index that fails its sanity check.
    private func loadIndexes() throws -> Bool {
        let indexSize = try indexFile.size()
        guard indexFilesExisted || size == 0, indexSize <= offsetIndex.maxEntries * OffsetIndex.entrySize,
            let offsets = OffsetIndex(
                loading: try indexFile.read(at: 0, count: indexSize), baseOffset: baseOffset,
                maxIndexBytes: config.segmentIndexBytes, logSize: size)
        else { return false }
        let lastIndexed = offsets.entries.last.map { Int($0.position) } ?? 0
        var position = lastIndexed
        var next = baseOffset
        while position < size {
            // Any failure here means "do not trust the index"; the rebuild re-reads and reports it.
            guard offsets.isFull || position - lastIndexed <= config.indexIntervalBytes,
                let header = try? batchHeader(at: position), header.baseOffset >= next
            else { return false }
            if position == 0 { firstBatchTimestamp = header.maxTimestamp }
            next = header.nextOffset
            position += header.totalSize
        }
        let timeIndexSize = try timeIndexFile.size()
        guard position == size, timeIndexSize <= (timeIndex.maxEntries + 1) * TimeIndex.entrySize,
            let times = TimeIndex(
                loading: try timeIndexFile.read(at: 0, count: timeIndexSize), baseOffset: baseOffset,
                maxIndexBytes: config.segmentIndexBytes, nextOffset: next)
        else { return false }
        offsetIndex = offsets
        timeIndex = times
        nextOffset = next
        maxTimestampSoFar = times.last
        if firstBatchTimestamp == nil, size > 0 { firstBatchTimestamp = try batchHeader(at: 0).maxTimestamp }
        if isActive { try preallocateIndexFiles() }
        return true
    }

    /// The segment's batch headers in order (rebuilding the producer state): all of them, or with
    /// `offset` those from the indexed batch at or before it (callers skip the ones below it).
    func forEachBatchHeader(from offset: Int64? = nil, _ body: (RecordBatchHeader) -> Void) throws {
        var position = offset.map { offsetIndex.position(lookingFor: $0) } ?? 0
        while position < size {
            let header = try batchHeader(at: position)
            body(header)
            position += header.totalSize
        }
    }

    /// Scans batch headers from `position` (a batch start at or before the wanted one) for the first
    /// batch whose last offset is ≥ `offset`.
    private func firstBatch(endingAtOrAfter offset: Int64, from position: Int) throws -> (Int, RecordBatchHeader)? {
        var position = position
        while position < size {
            let header = try batchHeader(at: position)
            if header.lastOffset >= offset { return (position, header) }
            position += header.totalSize
        }
        return nil
    }

    /// The header of the batch at `position`, which must be whole within the segment and hold
    /// offsets of this segment (so its `lastOffset` and `nextOffset` cannot overflow).
    private func batchHeader(at position: Int) throws -> RecordBatchHeader {
        let bytes = try log.read(at: position, count: min(RecordBatchHeader.size, size - position))
        let header: RecordBatchHeader
        do {
            header = try RecordBatchHeader(parsing: bytes, at: bytes.readerIndex)
            guard header.totalSize <= size - position else {
                throw RecordBatchError.truncated(
                    position: position, field: "records", needed: header.totalSize, available: size - position)
            }
        } catch {
            throw SegmentLogError.corruptSegment(path: logPath, position: position, detail: "\(error)")
        }
        guard header.offsetsFit(segmentBase: baseOffset) else {
            throw SegmentLogError.corruptSegment(
                path: logPath, position: position,
                detail: "batch baseOffset \(header.baseOffset) lastOffsetDelta \(header.lastOffsetDelta) "
                    + "outside the 32-bit range of segment \(baseOffset)")
        }
        return header
    }

    /// Adds the entries for the batch at `position` to the in-memory indexes, skipping a full one
    /// (a multi-batch append can fill it midway; the segment rolls before the next append). Returns
    /// the entries added, for the caller to write.
    private func addIndexEntries(
        lastOffset: Int64, position: Int
    ) -> (OffsetIndex.Entry?, TimeIndex.Entry?) {
        let offsetEntry = offsetIndex.append(lastOffset: lastOffset, position: position)
        guard !timeIndex.isFull, let latest = maxTimestampSoFar else { return (offsetEntry, nil) }
        return (offsetEntry, timeIndex.appendIfNewer(timestamp: latest.timestamp, offset: latest.offset))
    }

    private func appendClosingTimeIndexEntry() throws {
        if let latest = maxTimestampSoFar,
            let entry = timeIndex.appendIfNewer(timestamp: latest.timestamp, offset: latest.offset, ignoringFull: true)
        {
            try timeIndexFile.write(TimeIndex.encode(entry), at: timeIndex.sizeInBytes - TimeIndex.entrySize)
        }
    }

    private func rewriteIndexFiles() throws {
        try resetIndexFiles()
        var offsets = ByteBuffer()
        for entry in offsetIndex.entries {
            var encoded = OffsetIndex.encode(entry)
            offsets.writeBuffer(&encoded)
        }
        var times = ByteBuffer()
        for entry in timeIndex.entries {
            var encoded = TimeIndex.encode(entry)
            times.writeBuffer(&encoded)
        }
        try indexFile.write(offsets, at: 0)
        try timeIndexFile.write(times, at: 0)
        if !isActive { try trimIndexFiles() }
    }

    /// Empties both index files and, for the active segment, preallocates them.
    private func resetIndexFiles() throws {
        try indexFile.truncate(to: 0)
        try timeIndexFile.truncate(to: 0)
        if isActive { try preallocateIndexFiles() }
    }

    private func preallocateIndexFiles() throws {
        try indexFile.truncate(to: offsetIndex.maxEntries * OffsetIndex.entrySize)
        try timeIndexFile.truncate(to: timeIndex.maxEntries * TimeIndex.entrySize)
    }

    private func trimIndexFiles() throws {
        try indexFile.truncate(to: offsetIndex.sizeInBytes)
        try timeIndexFile.truncate(to: timeIndex.sizeInBytes)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
