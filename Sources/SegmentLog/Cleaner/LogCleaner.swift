import KafkaWire
import NIOCore

/// What the cleaner reads of one log, captured under the log's lock by `PartitionLog.beginCleaning`:
/// the dirty section, the closed segments below its end (each through a descriptor of its own, so
/// the heavy reading needs no lock: closed segments never change), and what the swap checks later to
/// know the log is still the one these were read from. Closes its descriptors when released.
package final class LogCleaningSource: Sendable {
    /// One captured segment.
    struct Segment: Sendable {
        var baseOffset: Int64
        var size: Int
        var serial: UInt64
        var descriptor: Int32
        var path: String
        var offsetIndexBytes: Int
        var timeIndexBytes: Int

        var summary: LogCleaningPlanner.Segment {
            LogCleaningPlanner.Segment(
                baseOffset: baseOffset, size: size, largestTimestamp: 0, offsetIndexBytes: offsetIndexBytes,
                timeIndexBytes: timeIndexBytes)
        }
    }

    package let topicPartition: TopicPartition
    package let directory: String
    package let config: LogConfig
    package let section: LogCleaningPlanner.DirtySection
    /// Every segment below `section.firstUncleanableOffset`, oldest first.
    let segments: [Segment]
    /// Where to start reading the segment holding the first dirty offset (from its offset index).
    let dirtyStartPosition: Int
    /// Last offset of each idempotent producer's last batch.
    let producerLastOffsets: [Int64: Int64]
    /// The log's `identity` and truncation count when captured.
    let logIdentity: UInt64
    let truncations: Int

    init(
        topicPartition: TopicPartition, directory: String, config: LogConfig, section: LogCleaningPlanner.DirtySection,
        segments: [Segment], dirtyStartPosition: Int, producerLastOffsets: [Int64: Int64], logIdentity: UInt64,
        truncations: Int
    ) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.config = config
        self.section = section
        self.segments = segments
        self.dirtyStartPosition = dirtyStartPosition
        self.producerLastOffsets = producerLastOffsets
        self.logIdentity = logIdentity
        self.truncations = truncations
    }

    deinit {
        for segment in segments { _ = closeDescriptor(segment.descriptor) }
    }

    /// A reader of `segment`'s file from byte `position`. The file object shares the descriptor, so it
    /// must not outlive this source (and must not close it).
    fileprivate func reader(of segment: Segment, from position: Int = 0) -> SegmentBatchReader {
        SegmentBatchReader(
            file: PosixFile(borrowing: segment.descriptor, path: segment.path), size: segment.size,
            baseOffset: segment.baseOffset, from: position)
    }
}

/// A compacted copy of a run of segments, written as `<base>.{log,index,timeindex}.cleaned` next to
/// them, fsynced, waiting for `PartitionLog.replaceSegments(with:)` to swap it in.
package struct CleanedSegment: Sendable {
    /// One segment the copy replaces, as it was when read.
    struct Replaced: Hashable, Sendable {
        var baseOffset: Int64
        var serial: UInt64
        var size: Int
    }

    package let baseOffset: Int64
    package let size: Int
    let directory: String
    /// When the copy was made: its creation time once swapped in (retention's clock when it is empty).
    let createdAt: Int64
    let replaced: [Replaced]
    let logIdentity: UInt64
    let truncations: Int

    /// Removes the `.cleaned` files (a swap that will not happen).
    package func discard() throws {
        try LogSegment.deleteFiles(in: directory, baseOffset: baseOffset, suffix: LogCleaner.cleanedSuffix)
    }
}

/// The cleaner's copying (Kafka's `Cleaner`): builds the offset map of a log's dirty section, then
/// copies the segments up to where the map ends, grouped by size, keeping what `CleanerRetention`
/// keeps, and hands each copy to `swap`. Runs without the log's lock; only `swap` takes it.
///
/// One per cleaner thread: it keeps its offset map (`log.cleaner.dedupe.buffer.size / threads` bytes)
/// between logs.
package struct LogCleaner: Sendable {
    /// Suffix of a cleaned copy not yet swapped in (`LogFileUtils.CLEANED_FILE_SUFFIX`).
    package static let cleanedSuffix = ".cleaned"
    /// Suffix of a cleaned copy being swapped in (`LogFileUtils.SWAP_FILE_SUFFIX`).
    package static let swapSuffix = ".swap"
    /// Output gathered before it is appended to the cleaned segment.
    static let writeChunkSize = 1 << 20

    /// What one cleaning did (Kafka's `CleanerStats`).
    package struct Stats: Hashable, Sendable {
        /// Bytes and records of the segments copied, and of the copies.
        package var bytesRead = 0
        package var bytesWritten = 0
        package var recordsRead = 0
        package var recordsWritten = 0
        /// Bytes and records read to build the offset map.
        package var mapBytesRead = 0
        package var mapRecordsRead = 0
        /// Share of the offset map's slots in use when it was built.
        package var bufferUtilization = 0.0
        /// Cleaned segments swapped in.
        package var segmentsWritten = 0

        package init() {}
    }

    /// How a cleaning ended.
    package enum Outcome: Hashable, Sendable {
        /// Everything below `endOffset` is compacted: the next cleaning starts there.
        case cleaned(endOffset: LogOffset, stats: Stats)
        /// The log changed (truncated, deleted, or segments removed by retention) before a copy could
        /// be swapped in: the copy was discarded, and the log is left as it is.
        case abandoned(stats: Stats)
    }

    /// Thrown when `shouldStop` said so (the broker is shutting down).
    package struct Stopped: Error, Sendable {}

    private let mapMemory: Int
    private var map: KeyOffsetMap?
    private let shouldStop: @Sendable () -> Bool

    /// A cleaner whose offset map uses about `mapMemory` bytes (allocated at its first cleaning).
    /// `shouldStop` is asked between batches; true aborts the cleaning with `Stopped`.
    package init(mapMemory: Int, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.mapMemory = mapMemory
        self.shouldStop = shouldStop
    }

    /// Compacts `source`'s log as of `now`: every cleaned group goes to `swap` (which returns false
    /// when the log changed and the copy must not be used). Throws on unreadable data, I/O failure, or
    /// `Stopped`; the `.cleaned` files of an unfinished group are removed first.
    package mutating func clean(
        _ source: LogCleaningSource, now: Int64, swap: (CleanedSegment) throws -> Bool
    ) throws -> Outcome {
        var map = self.map ?? KeyOffsetMap(memory: mapMemory)
        defer { self.map = map }
        map.clear()
        var stats = Stats()
        try buildOffsetMap(source, into: &map, stats: &stats)
        stats.bufferUtilization = map.utilization
        let endOffset = map.latestOffset + 1
        guard endOffset > source.section.firstDirtyOffset else {
            return .cleaned(endOffset: LogOffset(source.section.firstDirtyOffset), stats: stats)
        }
        let context = CleanerRetention.Context(
            map: map, producerLastOffsets: source.producerLastOffsets,
            upperBoundOffset: source.section.firstUncleanableOffset, now: now,
            deleteRetentionMs: source.config.deleteRetentionMs)
        let copied = source.segments.filter { $0.baseOffset < endOffset }
        let groups = LogCleaningPlanner.groupBySize(
            copied.map(\.summary), maxSize: source.config.segmentBytes, maxIndexSize: source.config.segmentIndexBytes,
            firstUncleanableOffset: source.section.firstUncleanableOffset)
        for group in groups {
            let cleaned = try copy(Array(copied[group]), of: source, context: context, now: now, stats: &stats)
            let swapped: Bool
            do {
                swapped = try swap(cleaned)
            } catch {
                // Removes what is still `.cleaned`; files a failed swap already renamed are sorted out
                // by the next open (`SwapRecovery`).
                _ = try? cleaned.discard()
                throw error
            }
            guard swapped else {
                try cleaned.discard()
                return .abandoned(stats: stats)
            }
            stats.segmentsWritten += 1
        }
        return .cleaned(endOffset: LogOffset(endOffset), stats: stats)
    }

    // MARK: - Offset map

    /// Maps every key of the dirty section to its latest offset (`buildOffsetMap`), segment by segment,
    /// until the map is full: the map's `latestOffset` then says how far it got.
    private func buildOffsetMap(_ source: LogCleaningSource, into map: inout KeyOffsetMap, stats: inout Stats) throws {
        let start = source.section.firstDirtyOffset
        let end = source.section.firstUncleanableOffset
        guard let first = source.segments.lastIndex(where: { $0.baseOffset <= start }) ?? source.segments.indices.first
        else { return }
        let dirty = source.segments[first...].filter { $0.baseOffset < end }
        for (index, segment) in dirty.enumerated() {
            let nextStart = index + 1 < dirty.count ? dirty[index + 1].baseOffset : end
            var reader = source.reader(of: segment, from: index == 0 ? source.dirtyStartPosition : 0)
            while let (header, batch) = try reader.next() {
                try checkStop()
                stats.mapBytesRead += header.totalSize
                if !header.attributes.isControl {
                    let scanned = try records(of: header, in: batch, segment: segment, at: reader.position, source)
                    for record in scanned.records {
                        stats.mapRecordsRead += 1
                        let offset = header.baseOffset + Int64(record.offsetDelta)
                        guard let key = record.keyHash, offset >= start else { continue }
                        if map.isFull { return }
                        map.put(key, offset: offset)
                    }
                }
                if header.lastOffset >= start { map.updateLatestOffset(header.lastOffset) }
            }
            // Offsets after the segment's last batch (removed by an earlier cleaning) are covered too.
            map.updateLatestOffset(nextStart - 1)
        }
    }

    // MARK: - Copying

    /// Copies `group` into one `.cleaned` segment based at its first segment's base, fsynced and closed.
    private func copy(
        _ group: [LogCleaningSource.Segment], of source: LogCleaningSource, context: CleanerRetention.Context,
        now: Int64, stats: inout Stats
    ) throws -> CleanedSegment {
        let base = group[0].baseOffset
        let output = try LogSegment(
            creatingIn: source.directory, baseOffset: base, config: source.config, now: now, suffix: Self.cleanedSuffix)
        do {
            var pending = ByteBuffer()
            var pendingHeaders: [RecordBatchHeader] = []
            func flush() throws {
                guard !pendingHeaders.isEmpty else { return }
                try output.append(pending, headers: pendingHeaders)
                pending.clear()
                pendingHeaders.removeAll(keepingCapacity: true)
            }
            for segment in group {
                var reader = source.reader(of: segment)
                while let (header, batch) = try reader.next() {
                    try checkStop()
                    stats.bytesRead += header.totalSize
                    let kept = try filter(header, batch, segment: segment, at: reader.position, source, context, &stats)
                    guard let (bytes, keptHeader) = kept else { continue }
                    guard keptHeader.offsetsFit(segmentBase: base) else {
                        throw SegmentLogError.corruptSegment(
                            path: segment.path, position: reader.position - header.totalSize,
                            detail: "batch at offset \(header.baseOffset) does not fit the cleaned segment \(base)")
                    }
                    pending.writeImmutableBuffer(bytes)
                    pendingHeaders.append(keptHeader)
                    if pending.readableBytes >= Self.writeChunkSize { try flush() }
                }
            }
            try flush()
            try output.becomeInactive()
            try output.flush()
            let size = output.size
            try output.close()
            stats.bytesWritten += size
            return CleanedSegment(
                baseOffset: base, size: size, directory: source.directory, createdAt: now,
                replaced: group.map { .init(baseOffset: $0.baseOffset, serial: $0.serial, size: $0.size) },
                logIdentity: source.logIdentity, truncations: source.truncations)
        } catch {
            // The copy is useless now; a failure to remove it is reported by the next open, which
            // deletes leftover `.cleaned` files.
            _ = try? output.close()
            _ = try? LogSegment.deleteFiles(in: source.directory, baseOffset: base, suffix: Self.cleanedSuffix)
            throw error
        }
    }

    /// What of one batch goes to the copy: the batch as stored, a re-encoded one, an empty header, or
    /// nothing (nil).
    private func filter(
        _ header: RecordBatchHeader, _ batch: ByteBuffer, segment: LogCleaningSource.Segment, at end: Int,
        _ source: LogCleaningSource, _ context: CleanerRetention.Context, _ stats: inout Stats
    ) throws -> (ByteBuffer, RecordBatchHeader)? {
        let scanned =
            header.attributes.isControl
            ? ScannedBatch(section: ByteBuffer(), records: [])
            : try records(of: header, in: batch, segment: segment, at: end, source)
        let records = scanned.records
        stats.recordsRead += records.count
        let facts = records.map { record in
            CleanerRetention.Record(
                offset: header.baseOffset + Int64(record.offsetDelta), key: record.keyHash,
                isTombstone: record.isTombstone)
        }
        let summary = CleanerRetention.Batch(
            baseOffset: header.baseOffset, lastOffset: header.lastOffset, producerID: header.producerId,
            isControl: header.attributes.isControl, deleteHorizon: header.deleteHorizon)
        switch CleanerRetention.filter(summary, records: facts, context: context) {
        case .keep:
            stats.recordsWritten += header.attributes.isControl ? Int(max(header.recordCount, 0)) : records.count
            return (batch, header)
        case .drop:
            return nil
        case .empty:
            return CleanerRecords.emptyBatch(of: header)
        case .rewrite(let retained, let deleteHorizon):
            stats.recordsWritten += retained.count
            return CleanerRecords.batch(
                of: header, in: scanned.section, keeping: retained.map { records[$0] }, deleteHorizon: deleteHorizon)
        }
    }

    /// The records of a batch of `segment` that ends at byte `end`, as `corruptRecords` when they
    /// cannot be read.
    private func records(
        of header: RecordBatchHeader, in batch: ByteBuffer, segment: LogCleaningSource.Segment, at end: Int,
        _ source: LogCleaningSource
    ) throws -> ScannedBatch {
        do {
            return try CleanerRecords.records(
                of: header, in: batch, maxDecompressedBytes: source.config.maxDecompressedBatchBytes)
        } catch {
            throw SegmentLogError.corruptRecords(
                path: segment.path, position: end - header.totalSize, detail: "\(error)")
        }
    }

    private func checkStop() throws {
        if shouldStop() { throw Stopped() }
    }
}
