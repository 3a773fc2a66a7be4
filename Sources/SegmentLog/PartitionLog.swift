package import KafkaWire
package import Logging
package import NIOCore
import Synchronization

/// One partition replica's log in its directory `<log.dir>/<topic>-<partition>/` (Kafka's
/// `UnifiedLog` + `LogLoader`): segments, offsets, the leader-epoch cache, recovery and retention.
///
/// Synchronous file I/O: the broker calls it off the event loop, one caller at a time (it is not
/// `Sendable`; wrap it in an actor or a lock). Every clock reading comes in as a `now` argument in
/// milliseconds since the Unix epoch, so tests are deterministic.
package final class PartitionLog {
    /// What the log dir root knows about this partition, handed in on open: its checkpointed
    /// offsets, and whether the broker last shut down cleanly (Kafka's `.kafka_cleanshutdown`).
    package struct Checkpoints: Hashable, Sendable {
        package var recoveryPoint: LogOffset?
        package var logStartOffset: LogOffset?
        package var highWatermark: LogOffset?
        /// Where the cleaner's last compaction ended (`cleaner-offset-checkpoint`).
        package var cleanerOffset: LogOffset?
        package var cleanShutdown: Bool

        package init(
            recoveryPoint: LogOffset? = nil, logStartOffset: LogOffset? = nil, highWatermark: LogOffset? = nil,
            cleanerOffset: LogOffset? = nil, cleanShutdown: Bool = false
        ) {
            self.recoveryPoint = recoveryPoint
            self.logStartOffset = logStartOffset
            self.highWatermark = highWatermark
            self.cleanerOffset = cleanerOffset
            self.cleanShutdown = cleanShutdown
        }
    }

    /// What opening the log had to repair, for the broker to log.
    package struct RecoveryReport: Hashable, Sendable {
        /// Segments re-validated batch by batch (those at or after the recovery point).
        package var recoveredSegments: [Int64] = []
        /// Segments whose indexes were rebuilt (all recovered ones, plus any with implausible indexes).
        package var rebuiltIndexes: [Int64] = []
        /// Bytes cut from the first segment with a bad or torn batch.
        package var truncatedBytes = 0
        /// Segments deleted because an earlier one was truncated.
        package var deletedSegments: [Int64] = []
        /// Base offsets of cleaned segments whose interrupted swap was completed (`SwapRecovery`).
        package var completedSwaps: [Int64] = []
    }

    /// Where an append landed.
    package struct AppendResult: Hashable, Sendable {
        package var firstOffset: LogOffset
        package var lastOffset: LogOffset
        /// The broker's timestamp stamped into the batches under LogAppendTime; nil under CreateTime
        /// (Produce answers -1 then).
        package var logAppendTime: Int64?

        package init(firstOffset: LogOffset, lastOffset: LogOffset, logAppendTime: Int64?) {
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.logAppendTime = logAppendTime
        }
    }

    /// What a fetch gets.
    package enum ReadResult: Hashable, Sendable {
        /// Whole batches, possibly none (reading at the end of the log or at `limit`).
        case batches(ByteBuffer)
        /// The offset lies outside `[logStartOffset, logEndOffset]` (OFFSET_OUT_OF_RANGE).
        case offsetOutOfRange(logStartOffset: LogOffset, logEndOffset: LogOffset)
    }

    /// A ListOffsets answer for a timestamp.
    package struct TimestampAndOffset: Hashable, Sendable {
        package var timestamp: Int64
        package var offset: LogOffset
    }

    package let topicPartition: TopicPartition
    package let directory: String
    package let config: LogConfig
    package let recoveryReport: RecoveryReport
    /// Oldest first, the active one last. Internal (not private) for the cleaner's swap
    /// (`PartitionLog+Cleaning.swift`).
    var segments: [LogSegment]
    private let logger: Logger
    /// Unique among the logs of this process: a cleaning checks it is swapping into the log it read.
    let identity: UInt64 = PartitionLog.identities.add(1, ordering: .relaxed).newValue
    private static let identities = Atomic<UInt64>(0)

    /// First offset a fetch may ask for; advanced by retention.
    package private(set) var logStartOffset: LogOffset
    /// Offsets below it are committed (replicated to the ISR). The partition driver sets it; for a
    /// single replica (acks=1, RF 1) it follows the log end offset after each append.
    package private(set) var highWatermark: LogOffset
    /// Everything below it has been fsync'd; recovery re-validates from the segment containing it.
    package private(set) var recoveryPoint: LogOffset
    /// Epoch → start offset, persisted as `leader-epoch-checkpoint` on every change.
    package private(set) var leaderEpochs: LeaderEpochCache
    /// Counts truncations, so a flush planned before one does not vouch for what came after (nor a
    /// cleaning for the segments it read).
    private(set) var truncations = 0
    /// Where the cleaner's last compaction ended: offsets below it are compacted. Written to the log
    /// dir's `cleaner-offset-checkpoint`; nil when never cleaned.
    package internal(set) var cleanerCheckpoint: LogOffset?
    /// The idempotent producers' sequences (KIP-98), rebuilt from the batch headers at open (no
    /// snapshot: all of them; else those after the newest producer-state snapshot) and kept by every append.
    package private(set) var producerState = ProducerStateTable()
    /// Offsets of the `<offset>.snapshot` files in the directory, ascending (Kafka's
    /// `ProducerStateManager.snapshots`).
    package private(set) var producerSnapshotOffsets: [LogOffset] = []

    private var active: LogSegment { segments[segments.count - 1] }
    private var leaderEpochPath: String { directory + "/" + LeaderEpochCache.fileName }

    /// The offset the next appended record gets.
    package var logEndOffset: LogOffset { LogOffset(active.nextOffset) }
    /// Bytes in all segments.
    package var size: Int { segments.reduce(0) { $0 + $1.size } }
    /// Base offsets of the segments, oldest first.
    package var segmentBaseOffsets: [Int64] { segments.map(\.baseOffset) }

    // MARK: - Open and recover

    /// Opens (creating if needed) the partition directory `directory` and loads its segments. After an
    /// unclean shutdown, segments holding offsets at or after the recovery point (the active one
    /// included) are re-validated batch by batch: the first bad
    /// or torn batch is cut off with everything after it (later segments deleted), and their indexes
    /// are rebuilt. Older segments are trusted unless their indexes are implausible, in which case the
    /// indexes are rebuilt; corruption found there, below what was flushed, is thrown, never cut.
    package init(
        directory: String, topicPartition: TopicPartition, config: LogConfig, checkpoints: Checkpoints, now: Int64,
        logger: Logger
    ) throws {
        self.directory = directory
        self.topicPartition = topicPartition
        self.config = config
        var logger = logger
        logger[metadataKey: "kafka.topic"] = "\(topicPartition.topic)"
        logger[metadataKey: "kafka.partition"] = "\(topicPartition.partition)"
        self.logger = logger

        try FileSystem.makeDirectory(directory)
        // A cleaner swap a crash interrupted is completed or undone before the segments are listed.
        let swaps = try SwapRecovery.run(in: directory)
        var baseOffsets: [Int64] = []
        var snapshotOffsets: [LogOffset] = []
        for name in try FileSystem.contents(of: directory) {
            if name.hasSuffix(".tmp") {
                // A checkpoint write that did not reach its rename: the old file is still whole.
                try FileSystem.remove(directory + "/" + name)
            } else if name.hasSuffix(".log") {
                guard let base = LogSegment.baseOffset(ofLogFile: name) else {
                    throw SegmentLogError.corruptSegment(
                        path: directory + "/" + name, position: 0, detail: "name is not a 20-digit base offset")
                }
                guard base <= LogOffset.largest.rawValue else {
                    throw SegmentLogError.corruptSegment(
                        path: directory + "/" + name, position: 0,
                        detail: "base offset \(base) in the name is above the largest offset \(LogOffset.largest)")
                }
                baseOffsets.append(base)
            } else if let offset = ProducerSnapshot.offset(ofFileName: name) {
                snapshotOffsets.append(offset)
            }
        }
        baseOffsets.sort()

        var loadedEpochs = LeaderEpochCache()
        if let text = try FileSystem.readText(directory + "/" + LeaderEpochCache.fileName) {
            loadedEpochs = try LeaderEpochCache(parsing: text, path: directory + "/" + LeaderEpochCache.fileName)
        }
        var epochs = loadedEpochs
        let recoveryPoint = checkpoints.recoveryPoint?.rawValue ?? 0
        var report = RecoveryReport()
        report.completedSwaps = swaps.completedSwaps
        var segments: [LogSegment] = []
        for (index, base) in baseOffsets.enumerated() {
            let isLast = index == baseOffsets.count - 1
            if report.truncatedBytes > 0 {
                try LogSegment.deleteFiles(in: directory, baseOffset: base)
                report.deletedSegments.append(base)
                continue
            }
            let needsRecovery = !checkpoints.cleanShutdown && (isLast || baseOffsets[index + 1] > recoveryPoint)
            let opened = try LogSegment.open(
                in: directory, baseOffset: base, config: config, now: now, active: isLast, recover: needsRecovery,
                epochs: &epochs)
            if needsRecovery { report.recoveredSegments.append(base) }
            if opened.rebuiltIndexes { report.rebuiltIndexes.append(base) }
            if opened.truncatedBytes > 0 {
                // A cut below the recovery point would drop data that was flushed: real corruption.
                guard opened.segment.nextOffset >= recoveryPoint else {
                    throw SegmentLogError.corruptSegment(
                        path: opened.segment.logPath, position: opened.segment.size,
                        detail: "invalid batch below the recovery point \(recoveryPoint)")
                }
                report.truncatedBytes = opened.truncatedBytes
            }
            if let previous = segments.last, previous.nextOffset > base {
                throw SegmentLogError.corruptSegment(
                    path: opened.segment.logPath, position: 0,
                    detail: "previous segment \(previous.baseOffset) runs to offset \(previous.nextOffset)")
            }
            segments.append(opened.segment)
        }
        // After deleting segments behind a truncated one, the truncated one is the active segment.
        if !report.deletedSegments.isEmpty { try segments.last?.becomeActive() }
        if segments.isEmpty {
            let start = checkpoints.logStartOffset?.rawValue ?? 0
            segments.append(try LogSegment(creatingIn: directory, baseOffset: start, config: config, now: now))
        }
        self.segments = segments
        let logEnd = LogOffset(segments[segments.count - 1].nextOffset)
        let firstBase = LogOffset(segments[0].baseOffset)
        logStartOffset = min(max(checkpoints.logStartOffset ?? firstBase, firstBase), logEnd)
        highWatermark = min(max(checkpoints.highWatermark ?? logStartOffset, logStartOffset), logEnd)
        self.recoveryPoint = min(LogOffset(recoveryPoint), logEnd)
        cleanerCheckpoint = checkpoints.cleanerOffset
        epochs.truncateFromEnd(logEnd)
        epochs.truncateFromStart(logStartOffset)
        leaderEpochs = epochs
        recoveryReport = report
        producerSnapshotOffsets = snapshotOffsets.sorted()
        try rebuildProducerState(now: now)
        if epochs != loadedEpochs { try writeLeaderEpochCheckpoint() }
        if !swaps.completedSwaps.isEmpty || !swaps.deletions.isEmpty {
            logger.debug(
                "completed interrupted cleaner swap",
                metadata: [
                    "segmentlog.completed_swaps": "\(swaps.completedSwaps.map(String.init).joined(separator: ","))",
                    "segmentlog.deleted_files": "\(swaps.deletions.count)",
                ])
        }
        if report.truncatedBytes > 0 {
            logger.debug(
                "truncated log tail during recovery",
                metadata: [
                    "segmentlog.truncated_bytes": "\(report.truncatedBytes)",
                    "segmentlog.deleted_segments": "\(report.deletedSegments.count)",
                ])
        }
    }

    // MARK: - Append and read

    /// Appends validated batches as the leader: they get consecutive offsets from the log end offset
    /// and `leaderEpoch` as their partitionLeaderEpoch (and `now` as their timestamp under
    /// LogAppendTime). Rolls a new segment first when the active one is full by size, age or index,
    /// or when the new offsets would not fit its 32-bit relative offsets. Throws `appendRefused`,
    /// changing nothing, when they would not fit even a new segment (more than 2^32 offsets in one
    /// append), would pass `LogOffset.largest`, or when `leaderEpoch` is negative or below the latest.
    package func append(_ batches: ProduceRecordBatches, leaderEpoch: LeaderEpoch, now: Int64) throws -> AppendResult {
        if leaderEpoch.rawValue < 0 || leaderEpochs.latestEpoch.map({ leaderEpoch < $0 }) ?? false {
            throw SegmentLogError.appendRefused(
                path: directory,
                detail: "leader epoch \(leaderEpoch) is negative or below the latest \(leaderEpochs.latestEpoch ?? -1)")
        }
        var batches = batches
        let firstOffset = logEndOffset
        try checkSpan(of: batches, from: firstOffset)
        let logAppendTime = config.timestampType == .logAppendTime ? now : nil
        let next = batches.assignOffsets(
            from: firstOffset.rawValue, partitionLeaderEpoch: leaderEpoch.rawValue, logAppendTime: logAppendTime)
        if leaderEpochs.assign(epoch: leaderEpoch, startOffset: firstOffset) { try writeLeaderEpochCheckpoint() }
        try write(batches, next: next, now: now)
        return AppendResult(firstOffset: firstOffset, lastOffset: LogOffset(next - 1), logAppendTime: logAppendTime)
    }

    /// Appends batches a follower fetched from its leader exactly as they are: their offsets, leader
    /// epochs and timestamps are the leader's (`UnifiedLog.appendAsFollower`). The first batch must
    /// start at or after the log end offset: after the log end when the leader's cleaner removed the
    /// batches in between (`ProduceRecordBatches(replicating:expectedOffset:)` checked the rest); each
    /// new leader epoch is recorded at its first batch. Returns the new log end offset.
    @discardableResult
    package func appendAsFollower(_ batches: ProduceRecordBatches, now: Int64) throws -> LogOffset {
        guard let first = batches.batches.first else { return logEndOffset }
        guard first.header.baseOffset >= logEndOffset.rawValue else {
            throw SegmentLogError.appendRefused(
                path: directory,
                detail: "replicated batch starts at \(first.header.baseOffset), the log ends at \(logEndOffset)")
        }
        try checkSpan(of: batches, from: LogOffset(first.header.baseOffset))
        var epochsChanged = false
        for batch in batches.batches {
            let epoch = LeaderEpoch(batch.header.partitionLeaderEpoch)
            guard leaderEpochs.latestEpoch.map({ epoch >= $0 }) ?? true else {
                throw SegmentLogError.appendRefused(
                    path: directory,
                    detail: "replicated batch at \(batch.header.baseOffset) has leader epoch \(epoch), below the latest "
                        + "\(leaderEpochs.latestEpoch ?? -1)")
            }
            if epoch != leaderEpochs.latestEpoch {
                epochsChanged = leaderEpochs.assign(epoch: epoch, startOffset: LogOffset(batch.header.baseOffset))
                    || epochsChanged
            }
        }
        let next = batches.batches[batches.batches.count - 1].header.nextOffset
        guard next <= LogOffset.largest.rawValue else {
            throw SegmentLogError.appendRefused(
                path: directory, detail: "replicated batches end at \(next), past \(LogOffset.largest)")
        }
        if epochsChanged { try writeLeaderEpochCheckpoint() }
        try write(batches, next: next, now: now)
        return logEndOffset
    }

    /// A leader taking over `epoch` records where the epoch starts: the log end offset now, before
    /// its first append (KIP-101; Kafka's `Partition.makeLeader`). Nothing changes for an epoch the
    /// log already knows or one below its latest.
    package func assignLeaderEpoch(_ epoch: LeaderEpoch) throws {
        guard epoch.rawValue >= 0, leaderEpochs.latestEpoch.map({ epoch > $0 }) ?? true else { return }
        if leaderEpochs.assign(epoch: epoch, startOffset: logEndOffset) { try writeLeaderEpochCheckpoint() }
    }

    /// Offsets `span` batches take from `firstOffset` must fit one segment and stay below the largest offset.
    private func checkSpan(of batches: ProduceRecordBatches, from firstOffset: LogOffset) throws {
        var span: Int64 = 0
        for batch in batches.batches {
            let (sum, overflow) = span.addingReportingOverflow(Int64(batch.header.lastOffsetDelta) + 1)
            guard !overflow, batch.header.lastOffsetDelta >= 0 else {
                throw SegmentLogError.appendRefused(path: directory, detail: "invalid lastOffsetDelta in the batches")
            }
            span = sum
        }
        guard span <= Int64(UInt32.max) + 1 else {
            throw SegmentLogError.appendRefused(
                path: directory, detail: "\(span) offsets do not fit one segment's 32-bit relative offsets")
        }
        guard firstOffset.rawValue <= LogOffset.largest.rawValue - span else {
            throw SegmentLogError.appendRefused(
                path: directory, detail: "\(span) offsets from \(firstOffset) would pass \(LogOffset.largest)")
        }
    }

    /// Writes batches whose offsets end before `next` to the active segment, rolling first when it is due.
    private func write(_ batches: ProduceRecordBatches, next: Int64, now: Int64) throws {
        let headers = batches.batches.map(\.header)
        if SegmentPolicy.shouldRoll(
            segmentSize: active.size, segmentBaseOffset: active.baseOffset,
            firstBatchTimestamp: active.firstBatchTimestamp, createdAt: active.createdAt,
            indexesFull: active.indexesFull, appendSize: batches.bytes.readableBytes,
            appendMaxTimestamp: headers.map(\.maxTimestamp).max() ?? Int64.min, appendLastOffset: next - 1,
            now: now, config: config)
        {
            try roll(now: now)
        }
        guard next - 1 - active.baseOffset <= Int64(UInt32.max) else {
            throw SegmentLogError.appendRefused(
                path: active.logPath,
                detail: "offsets up to \(next - 1) do not fit the empty segment \(active.baseOffset)")
        }
        try active.append(batches.bytes, headers: headers)
        for header in headers { Self.record(header, in: &producerState) }
    }

    /// Notes an appended batch of an idempotent producer (non-idempotent batches are ignored).
    private static func record(_ header: RecordBatchHeader, in table: inout ProducerStateTable) {
        guard header.producerId >= 0, header.baseSequence >= 0 else { return }
        table.appended(
            producerID: header.producerId, epoch: header.producerEpoch,
            batch: .init(
                firstSequence: header.baseSequence,
                lastSequence: ProducerStateTable.lastSequence(
                    firstSequence: header.baseSequence, recordCount: header.lastOffsetDelta &+ 1),
                firstOffset: LogOffset(header.baseOffset), lastOffset: LogOffset(header.lastOffset),
                maxTimestamp: header.maxTimestamp))
    }

    /// Whether a leader may append `batches` as far as their producers' sequences go
    /// (`UnifiedLog.analyzeAndValidateProducerState`): `.append`, the first duplicate batch (the whole
    /// append is then answered with its offsets and nothing is written), or the error to answer. A
    /// request's later batches are checked against its earlier ones.
    package func checkProducers(_ batches: ProduceRecordBatches) -> ProducerStateTable.Check {
        var scratch = producerState
        var offset = logEndOffset.rawValue
        for batch in batches.batches {
            let header = batch.header
            let count = Int64(header.lastOffsetDelta) + 1
            defer { offset += count }
            guard header.producerId >= 0 else { continue }
            guard header.baseSequence >= 0 else { return .outOfOrderSequence }
            let last = ProducerStateTable.lastSequence(
                firstSequence: header.baseSequence, recordCount: header.lastOffsetDelta &+ 1)
            let check = scratch.check(
                producerID: header.producerId, epoch: header.producerEpoch, firstSequence: header.baseSequence,
                lastSequence: last)
            guard check == .append else { return check }
            scratch.appended(
                producerID: header.producerId, epoch: header.producerEpoch,
                batch: .init(
                    firstSequence: header.baseSequence, lastSequence: last, firstOffset: LogOffset(offset),
                    lastOffset: LogOffset(offset + count - 1), maxTimestamp: header.maxTimestamp))
        }
        return .append
    }

    /// Whole batches from the one containing `offset` (a fetch inside a batch gets all of it), up to
    /// `maxBytes` but at least one batch however large (Kafka's behaviour, so a consumer is never
    /// stuck), and none holding offsets at or past `limit` (the high watermark for consumers; the
    /// log end offset when nil). One segment at a time, as Kafka reads.
    package func read(from offset: LogOffset, maxBytes: Int, limit: LogOffset? = nil) throws -> ReadResult {
        guard offset >= logStartOffset, offset <= logEndOffset else {
            return .offsetOutOfRange(logStartOffset: logStartOffset, logEndOffset: logEndOffset)
        }
        let bound = min(limit ?? logEndOffset, logEndOffset).rawValue
        guard offset.rawValue < bound else { return .batches(ByteBuffer()) }
        for segment in segments[segmentIndex(containing: offset.rawValue)...] {
            if let bytes = try segment.read(from: offset.rawValue, maxBytes: maxBytes, limit: bound) {
                return .batches(bytes)
            }
        }
        return .batches(ByteBuffer())
    }

    /// ListOffsets by timestamp: the earliest record at or after the log start with a timestamp
    /// ≥ `timestamp`, found through the time indexes; nil when every record is older.
    package func offset(forTimestamp timestamp: Int64) throws -> TimestampAndOffset? {
        guard let first = segments.firstIndex(where: { ($0.maxTimestampSoFar?.timestamp ?? Int64.min) >= timestamp }) else {
            return nil
        }
        for segment in segments[first...] {
            if let found = try segment.offset(forTimestamp: timestamp, startOffset: logStartOffset.rawValue) {
                return TimestampAndOffset(timestamp: found.timestamp, offset: LogOffset(found.offset))
            }
        }
        return nil
    }

    // MARK: - Replication hooks

    /// Sets the high watermark, kept within `[logStartOffset, logEndOffset]` as Kafka does. Returns
    /// the value set.
    @discardableResult
    package func updateHighWatermark(_ offset: LogOffset) -> LogOffset {
        highWatermark = min(max(offset, logStartOffset), logEndOffset)
        return highWatermark
    }

    /// OffsetForLeaderEpoch for a follower: see `LeaderEpochCache.endOffset(for:logEndOffset:)`.
    package func endOffset(forEpoch epoch: LeaderEpoch) -> LeaderEpochCache.Entry? {
        leaderEpochs.endOffset(for: epoch, logEndOffset: logEndOffset)
    }

    /// Removes every batch holding offsets at or after `offset` (a follower truncating to the leader),
    /// and the leader-epoch entries starting at or after the new end (also when no batch goes).
    /// The batch containing `offset` goes as a whole, as in Kafka. Below the first segment, the log
    /// is emptied and restarts at `offset`. The leader-epoch cache, high watermark, recovery point,
    /// producer state and producer-state snapshots follow the new end.
    package func truncate(to offset: LogOffset, now: Int64) throws {
        truncations += 1
        guard offset < logEndOffset else {
            // Nothing to cut, but an epoch this broker started as leader without appending to it starts
            // at the log end and contradicts the new leader's log: it goes (Kafka's `UnifiedLog.truncateTo`).
            if leaderEpochs.truncateFromEnd(logEndOffset) { try writeLeaderEpochCheckpoint() }
            return
        }
        let knownProducers = producerState.producers.count
        if offset.rawValue < segments[0].baseOffset {
            for segment in segments { try segment.delete() }
            segments = [try LogSegment(creatingIn: directory, baseOffset: offset.rawValue, config: config, now: now)]
            // Kafka's `truncateFullyAndStartAt`: no producer state, no snapshot for the emptied log.
            producerState = ProducerStateTable()
            try deleteProducerSnapshots { _ in true }
        } else {
            let keep = segmentIndex(containing: offset.rawValue)
            for segment in segments[(keep + 1)...] { try segment.delete() }
            segments.removeLast(segments.count - keep - 1)
            try active.becomeActive()
            try active.truncate(to: offset.rawValue)
        }
        logStartOffset = min(logStartOffset, logEndOffset)
        highWatermark = min(highWatermark, logEndOffset)
        recoveryPoint = min(recoveryPoint, logEndOffset)
        cleanerCheckpoint = cleanerCheckpoint.map { min($0, logEndOffset) }
        producerState.truncate(to: logEndOffset)
        if leaderEpochs.truncateFromEnd(logEndOffset) { try writeLeaderEpochCheckpoint() }
        try deleteProducerSnapshots { $0 > logEndOffset }
        // The in-memory cut is exact for every producer left with a batch; one whose kept batches all went
        // may have older ones below the new end, so the state is rebuilt from the newest snapshot and the
        // headers after it, as Kafka's `truncateAndReload` always does.
        if producerState.producers.count < knownProducers { try rebuildProducerState(now: now) }
    }

    /// Empties the log and restarts it at `offset` (a follower whose fetch offset fell below the
    /// leader's log start: Kafka's `truncateFullyAndStartAt`).
    package func truncateFullyAndStart(at offset: LogOffset, now: Int64) throws {
        truncations += 1
        for segment in segments { try segment.delete() }
        segments = [try LogSegment(creatingIn: directory, baseOffset: offset.rawValue, config: config, now: now)]
        logStartOffset = offset
        highWatermark = offset
        recoveryPoint = offset
        cleanerCheckpoint = nil
        leaderEpochs = LeaderEpochCache()
        producerState = ProducerStateTable()
        try writeLeaderEpochCheckpoint()
        try deleteProducerSnapshots { _ in true }
    }

    // MARK: - Durability and retention

    /// A flush to be done without holding the log (`flushPlan`, `FileSystem.syncAndClose`, then
    /// `flushed`): appends and reads go on while the disk catches up.
    package struct FlushPlan: Sendable {
        package var target: LogOffset
        /// Duplicated descriptors of the segments to fsync; `FileSystem.syncAndClose` closes them.
        package var descriptors: [Int32]
        fileprivate var truncations: Int

        /// fsyncs and closes the descriptors (all closed even when one fsync fails).
        package func syncAndClose() throws {
            try FileSystem.syncAndClose(descriptors)
        }
    }

    /// What `flush(upTo:)` would fsync, as duplicated descriptors; nil when nothing is to be flushed.
    package func flushPlan(upTo offset: LogOffset) throws -> FlushPlan? {
        let target = min(offset, logEndOffset)
        guard target > recoveryPoint else { return nil }
        var descriptors: [Int32] = []
        do {
            for segment in segments
            where segment.nextOffset > recoveryPoint.rawValue && segment.baseOffset < target.rawValue {
                descriptors += try segment.duplicateDescriptors()
            }
        } catch {
            for descriptor in descriptors { _ = closeDescriptor(descriptor) }
            throw error
        }
        return FlushPlan(target: target, descriptors: descriptors, truncations: truncations)
    }

    /// The plan's descriptors were fsynced: the recovery point moves to its target, unless the log was
    /// truncated meanwhile (offsets below the target may now hold records written after the fsync).
    package func flushed(_ plan: FlushPlan) {
        guard plan.truncations == truncations else { return }
        recoveryPoint = max(recoveryPoint, min(plan.target, logEndOffset))
    }

    /// fsyncs the segments holding offsets between the recovery point and `offset` (clamped to the
    /// log end offset) and advances the recovery point there.
    package func flush(upTo offset: LogOffset) throws {
        let target = min(offset, logEndOffset)
        guard target > recoveryPoint else { return }
        for segment in segments where segment.nextOffset > recoveryPoint.rawValue && segment.baseOffset < target.rawValue {
            try segment.flush()
        }
        recoveryPoint = target
    }

    /// Deletes the oldest whole segments past `retention.ms` or `retention.bytes`, or below the log
    /// start offset (see `SegmentPolicy.deletableSegmentCount`); never the active one. Advances the
    /// log start offset to the first remaining segment. Returns the number of segments deleted.
    @discardableResult
    package func deleteOldSegments(now: Int64) throws -> Int {
        let count = SegmentPolicy.deletableSegmentCount(
            segments.map {
                SegmentPolicy.SegmentSummary(baseOffset: $0.baseOffset, size: $0.size, largestTimestamp: $0.largestTimestamp)
            },
            highWatermark: highWatermark.rawValue, logStartOffset: logStartOffset.rawValue, now: now, config: config)
        guard count > 0 else { return 0 }
        let doomed = segments.prefix(count)
        segments.removeFirst(count)
        logStartOffset = max(logStartOffset, LogOffset(segments[0].baseOffset))
        recoveryPoint = max(recoveryPoint, logStartOffset)
        for segment in doomed { try segment.delete() }
        if leaderEpochs.truncateFromStart(logStartOffset) { try writeLeaderEpochCheckpoint() }
        // The state of producers whose batches are gone stays (in memory, and in the newest snapshot at or
        // below the log start, which is kept): they may go on producing (KIP-360).
        let keep = producerSnapshotOffsets.last { $0 <= logStartOffset }
        try deleteProducerSnapshots { $0 < logStartOffset && $0 != keep }
        return count
    }

    /// Closes every segment, trimming the active segment's indexes so a clean restart trusts them.
    /// Call `flush(upTo:)` first, and `close(now:)` for a clean shutdown.
    package func close() throws {
        for segment in segments { try segment.close() }
    }

    /// A clean close: the producer-state snapshot at the log end offset, fsynced (Kafka's
    /// `UnifiedLog.close`), then `close()`.
    package func close(now: Int64) throws {
        try takeProducerSnapshot(now: now, sync: true)
        try close()
    }

    // MARK: - Private

    /// Index of the last segment whose base offset is ≤ `offset` (the first segment if none is).
    private func segmentIndex(containing offset: Int64) -> Int {
        segments.lastIndex { $0.baseOffset <= offset } ?? 0
    }

    private func roll(now: Int64) throws {
        try active.becomeInactive()
        segments.append(try LogSegment(creatingIn: directory, baseOffset: active.nextOffset, config: config, now: now))
        logger.trace("rolled segment", metadata: ["segmentlog.base_offset": "\(active.baseOffset)"])
        // At the new segment's base offset, so recovering that segment starts from it (Kafka's
        // `UnifiedLog.roll`). Not fsynced: a lost or torn one is found at the next open and an older
        // one (or the batches) used instead.
        try takeProducerSnapshot(now: now, sync: false)
    }

    private func writeLeaderEpochCheckpoint() throws {
        try FileSystem.writeTextAtomically(leaderEpochs.render(), to: leaderEpochPath)
    }

    // MARK: - Producer-state snapshots

    /// Rebuilds `producerState` for the log end offset, as Kafka's `UnifiedLog.rebuildProducerState` and
    /// `ProducerStateManager.truncateAndReload` do at open and after a truncation: snapshots above the
    /// log end are deleted; the newest readable one at or below it is loaded, without producers idle for
    /// `producer.id.expiration.ms` (an unreadable one is deleted with a warning and the next older one
    /// tried); then the batch headers from its offset to the log end are replayed, or every header when
    /// no snapshot is left. A snapshot at the log end is written when the state moved past the newest one.
    ///
    /// Kafka also deletes the snapshots at or below the log start offset here; this log keeps the newest
    /// of those (retention keeps it too) and loads it, so a producer whose batches retention deleted is
    /// still known after any restart.
    private func rebuildProducerState(now: Int64) throws {
        let end = logEndOffset
        try deleteProducerSnapshots { $0 > end }
        var state = ProducerStateTable()
        var loaded: LogOffset?
        while loaded == nil, let newest = producerSnapshotOffsets.last {
            let path = producerSnapshotPath(newest)
            switch Result(catching: { () throws(SegmentLogError) in try Self.readProducerSnapshot(path) }) {
            case .success(let snapshot):
                state = snapshot.table
                state.removeExpired(now: now, expirationMs: config.producerIDExpirationMs)
                loaded = newest
            case .failure(.corruptProducerSnapshot(_, let detail)):
                logger.warning(
                    "deleted unreadable producer snapshot",
                    metadata: ["segmentlog.path": "\(path)", "error": "\(detail)"])
                try deleteProducerSnapshots { $0 == newest }
            case .failure(let error):
                throw error
            }
        }
        let from = loaded?.rawValue ?? Int64.min
        for segment in segments where segment.nextOffset > from {
            try segment.forEachBatchHeader(from: loaded?.rawValue) { header in
                if header.baseOffset >= from { Self.record(header, in: &state) }
            }
        }
        producerState = state
        logger.debug(
            "rebuilt producer state",
            metadata: [
                "segmentlog.snapshot_offset": "\(loaded?.description ?? "none")",
                "segmentlog.producers": "\(state.producers.count)",
            ])
        try takeProducerSnapshot(now: now, sync: true)
    }

    /// The snapshot file at `path`, one that is larger than `ProducerSnapshot.maximumSize` or missing
    /// being corrupt.
    private static func readProducerSnapshot(_ path: String) throws(SegmentLogError) -> ProducerSnapshot {
        let limit = ProducerSnapshot.maximumSize
        let bytes = try FileSystem.readSmallFile(path, maximumSize: limit) { size in
            .corruptProducerSnapshot(path: path, detail: "\(size) bytes, more than \(limit)")
        }
        return try ProducerSnapshot(decoding: bytes ?? ByteBuffer(), path: path)
    }

    /// Writes `producerState` as the snapshot at the log end offset after forgetting producers idle for
    /// `producer.id.expiration.ms`, unless the log has not moved past the newest snapshot (or, with
    /// none, the log start): Kafka's `ProducerStateManager.takeSnapshot`.
    private func takeProducerSnapshot(now: Int64, sync: Bool) throws {
        let end = logEndOffset
        guard end > (producerSnapshotOffsets.last ?? logStartOffset) else { return }
        producerState.removeExpired(now: now, expirationMs: config.producerIDExpirationMs)
        try FileSystem.writeAtomically(
            ProducerSnapshot(producerState).encoded(), to: producerSnapshotPath(end), sync: sync)
        producerSnapshotOffsets.append(end)
        logger.trace(
            "wrote producer snapshot",
            metadata: [
                "segmentlog.snapshot_offset": "\(end)", "segmentlog.producers": "\(producerState.producers.count)",
            ])
    }

    /// Deletes the snapshot files whose offsets match.
    private func deleteProducerSnapshots(where doomed: (LogOffset) -> Bool) throws {
        for offset in producerSnapshotOffsets where doomed(offset) {
            try FileSystem.remove(producerSnapshotPath(offset))
        }
        producerSnapshotOffsets.removeAll(where: doomed)
    }

    private func producerSnapshotPath(_ offset: LogOffset) -> String {
        directory + "/" + ProducerSnapshot.fileName(offset: offset)
    }
}
