/// The log's side of compaction (`cleanup.policy` with `compact`): what the cleaner plans from, what
/// it reads, and the swap of a cleaned copy. The planning and swap run under the log's lock; the
/// copying between them (`LogCleaner`) does not.
extension PartitionLog {
    /// The log as `LogCleaningPlanner` sees it.
    package var cleaningSummary: LogCleaningPlanner.LogSummary {
        LogCleaningPlanner.LogSummary(
            segments: segments.map {
                LogCleaningPlanner.Segment(
                    baseOffset: $0.baseOffset, size: $0.size, largestTimestamp: $0.largestTimestamp,
                    firstBatchTimestamp: $0.firstBatchTimestamp, offsetIndexBytes: $0.offsetIndexBytes,
                    timeIndexBytes: $0.timeIndexBytes)
            },
            logStartOffset: logStartOffset.rawValue, logEndOffset: logEndOffset.rawValue,
            highWatermark: highWatermark.rawValue, cleanerCheckpoint: cleanerCheckpoint?.rawValue)
    }

    /// The dirty section of a compacted log at `now`; nil when `cleanup.policy` has no `compact`.
    package func dirtySection(now: Int64) -> LogCleaningPlanner.DirtySection? {
        guard config.cleanupPolicy.compact else { return nil }
        return LogCleaningPlanner.dirtySection(of: cleaningSummary, config: config, now: now)
    }

    /// Captures what cleaning the log needs when it is due at `now` (nil otherwise): its dirty
    /// section, a descriptor of each segment below the section's end, and its producers' last
    /// offsets. A checkpoint found outside the log is replaced by the log start here.
    package func beginCleaning(now: Int64) throws -> LogCleaningSource? {
        guard let section = dirtySection(now: now), LogCleaningPlanner.isDue(section, config: config) else {
            return nil
        }
        if section.checkpointReset { cleanerCheckpoint = LogOffset(section.firstDirtyOffset) }
        var captured: [LogCleaningSource.Segment] = []
        var dirtyStartPosition = 0
        do {
            for segment in segments where segment.baseOffset < section.firstUncleanableOffset {
                if segment.baseOffset <= section.firstDirtyOffset {
                    dirtyStartPosition = segment.offsetIndex.position(lookingFor: section.firstDirtyOffset)
                }
                captured.append(
                    LogCleaningSource.Segment(
                        baseOffset: segment.baseOffset, size: segment.size, serial: segment.serial,
                        descriptor: try segment.duplicateLogDescriptor(), path: segment.logPath,
                        offsetIndexBytes: segment.offsetIndexBytes, timeIndexBytes: segment.timeIndexBytes))
            }
        } catch {
            for segment in captured { _ = closeDescriptor(segment.descriptor) }
            throw error
        }
        var lastOffsets: [Int64: Int64] = [:]
        for (producer, entry) in producerState.producers {
            if let last = entry.batches.last { lastOffsets[producer] = last.lastOffset.rawValue }
        }
        return LogCleaningSource(
            topicPartition: topicPartition, directory: directory, config: config, section: section,
            segments: captured, dirtyStartPosition: dirtyStartPosition, producerLastOffsets: lastOffsets,
            logIdentity: identity, truncations: truncations)
    }

    /// Whether `source` was captured from this log and it was not truncated since: a failure to read
    /// what it captured is then corruption, not a concurrent truncation (retention only unlinks
    /// segments, which stay readable through the captured descriptors).
    package func isCurrent(_ source: LogCleaningSource) -> Bool {
        source.logIdentity == identity && source.truncations == truncations
    }

    /// Swaps `cleaned` in for the segments it was copied from (Kafka's `LocalLog.replaceSegments`):
    /// renames its `.cleaned` files to `.swap`, the log file last, and fsyncs the directory (from here
    /// a crash completes the swap at the next open, see `SwapRecovery`); deletes the replaced
    /// segments; renames the `.swap` files to their final names; opens the copy in their place.
    /// Returns false, changing nothing, when the log changed since the copy was read: truncated,
    /// another log at this path, or one of the segments gone or changed (retention, a roll cannot
    /// change a closed one).
    package func replaceSegments(with cleaned: CleanedSegment) throws -> Bool {
        guard cleaned.logIdentity == identity, cleaned.truncations == truncations,
            let first = segments.firstIndex(where: { $0.serial == cleaned.replaced.first?.serial })
        else { return false }
        let range = first..<(first + cleaned.replaced.count)
        // Never the active segment, and exactly the segments read, in order and unchanged.
        guard range.upperBound < segments.count,
            zip(segments[range], cleaned.replaced).allSatisfy({
                $0.serial == $1.serial && $0.baseOffset == $1.baseOffset && $0.size == $1.size
            })
        else { return false }
        let base = cleaned.baseOffset
        try LogSegment.renameFiles(
            in: directory, baseOffset: base, from: LogCleaner.cleanedSuffix, to: LogCleaner.swapSuffix)
        try FileSystem.syncDirectory(directory)
        let replaced = Array(segments[range])
        // Until the copy is open, reads must not reach the deleted segments.
        segments.removeSubrange(range)
        for segment in replaced { try segment.delete() }
        try LogSegment.renameFiles(in: directory, baseOffset: base, from: LogCleaner.swapSuffix, to: "")
        try FileSystem.syncDirectory(directory)
        var epochs = LeaderEpochCache()  // the copy's epochs are the log's already
        let opened = try LogSegment.open(
            in: directory, baseOffset: base, config: config, now: cleaned.createdAt, active: false, recover: false,
            epochs: &epochs)
        segments.insert(opened.segment, at: first)
        return true
    }

    /// A cleaning of `source` compacted everything below `endOffset`: the cleaner checkpoint moves
    /// there, unless the log changed meanwhile.
    package func cleaningFinished(_ source: LogCleaningSource, endOffset: LogOffset) {
        guard source.logIdentity == identity, source.truncations == truncations else { return }
        cleanerCheckpoint = endOffset
    }
}
