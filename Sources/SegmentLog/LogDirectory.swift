package import Logging

/// One `log.dirs` entry (Kafka's `LogManager`, per directory): discovers the partition directories
/// in it on open, creates and deletes partitions, and writes the root checkpoints
/// (`recovery-point-offset-checkpoint`, `replication-offset-checkpoint`, `log-start-offset-checkpoint`,
/// `cleaner-offset-checkpoint`) and the clean-shutdown marker. `meta.properties` is the broker's.
package final class LogDirectory {
    /// Kafka's marker for "every log here was flushed and closed" (`CleanShutdownFileHandler`).
    package static let cleanShutdownFileName = ".kafka_cleanshutdown"
    /// Suffix of a partition directory scheduled for deletion: `<topic>-<partition>.<uniqueId>-delete`.
    package static let deleteSuffix = "-delete"

    package let path: String
    private var logs: [TopicPartition: PartitionLog] = [:]
    private let logger: Logger

    /// Opens the log dir, creating it if needed: removes partition directories a previous deletion
    /// left behind, then opens every `<topic>-<partition>` directory with the checkpointed offsets
    /// and `config(topicPartition)`, recovering them unless the last shutdown was clean.
    package init(path: String, now: Int64, config: (TopicPartition) -> LogConfig, logger: Logger) throws {
        self.path = path
        self.logger = logger
        try FileSystem.makeDirectory(path)
        let recoveryPoints = try readCheckpoint(OffsetCheckpoint.recoveryPointFileName)
        let highWatermarks = try readCheckpoint(OffsetCheckpoint.highWatermarkFileName)
        let logStartOffsets = try readCheckpoint(OffsetCheckpoint.logStartOffsetFileName)
        let cleanerOffsets = try readCheckpoint(OffsetCheckpoint.cleanerOffsetFileName)
        let markerPath = path + "/" + Self.cleanShutdownFileName
        let cleanShutdown = FileSystem.exists(markerPath)
        for name in try FileSystem.contents(of: path) where FileSystem.isDirectory(path + "/" + name) {
            if name.hasSuffix(Self.deleteSuffix) {
                try FileSystem.removeTree(path + "/" + name)
                continue
            }
            guard let topicPartition = TopicPartition(directoryName: name) else {
                throw SegmentLogError.unexpectedDirectory(path: path + "/" + name)
            }
            let checkpoints = PartitionLog.Checkpoints(
                recoveryPoint: recoveryPoints[topicPartition], logStartOffset: logStartOffsets[topicPartition],
                highWatermark: highWatermarks[topicPartition], cleanerOffset: cleanerOffsets[topicPartition],
                cleanShutdown: cleanShutdown)
            logs[topicPartition] = try PartitionLog(
                directory: path + "/" + name, topicPartition: topicPartition, config: config(topicPartition),
                checkpoints: checkpoints, now: now, logger: logger)
        }
        // From here on the logs are being written: a crash must trigger recovery at the next start.
        try FileSystem.remove(markerPath)
        try FileSystem.syncDirectory(path)
    }

    /// The partitions with a log here, sorted.
    package var topicPartitions: [TopicPartition] { logs.keys.sorted() }

    package func log(for topicPartition: TopicPartition) -> PartitionLog? { logs[topicPartition] }

    /// The partition's log, created empty if it does not exist yet.
    package func createLog(for topicPartition: TopicPartition, config: LogConfig, now: Int64) throws -> PartitionLog {
        if let existing = logs[topicPartition] { return existing }
        let log = try PartitionLog(
            directory: path + "/" + topicPartition.directoryName, topicPartition: topicPartition, config: config,
            checkpoints: PartitionLog.Checkpoints(cleanShutdown: true), now: now, logger: logger)
        try FileSystem.syncDirectory(path)
        logs[topicPartition] = log
        return log
    }

    /// What opening a partition's log with a topic id found, for the broker to log.
    package enum IdentifiedOpen: Hashable, Sendable {
        /// The log was there with the same id (or the topic has no id).
        case kept
        /// The log was created, or had no `partition.metadata` yet; the file now holds the id.
        case identified
        /// The log held an earlier topic's data (`stale`): it was deleted and an empty one created.
        case replaced(stale: TopicID)
    }

    /// The topic id in `<topic>-<partition>/partition.metadata`; nil when the file does not exist.
    /// Throws `corruptPartitionMetadata` naming the file and field when it is not Kafka's format.
    package func storedTopicID(of topicPartition: TopicPartition) throws(SegmentLogError) -> TopicID? {
        let file = path + "/" + topicPartition.directoryName + "/" + PartitionMetadataFile.fileName
        let text = try FileSystem.readSmallText(file, maximumSize: PartitionMetadataFile.maximumSize) { size in
            .corruptPartitionMetadata(
                path: file, field: "size", detail: "\(size) bytes, more than \(PartitionMetadataFile.maximumSize)")
        }
        guard let text else { return nil }
        return try PartitionMetadataFile.parse(text, path: file)
    }

    /// Opens the partition's log for topic `topicID` (KIP-516), creating it if needed: see
    /// `PartitionIdentity.decide`. A log whose `partition.metadata` names another topic id is deleted
    /// as `deleteLog` does (`uniqueId` names its doomed directory) and an empty one created. A
    /// malformed file throws `corruptPartitionMetadata` and leaves the directory untouched: the
    /// caller must not serve that partition. The id is written atomically (temp file, fsync, rename,
    /// fsync directory) before the log is returned.
    package func openLog(
        for topicPartition: TopicPartition, topicID: TopicID?, config: LogConfig, now: Int64, uniqueId: String
    ) throws -> (log: PartitionLog, outcome: IdentifiedOpen) {
        var stored = PartitionIdentity.Stored.absent
        var unreadable: SegmentLogError?
        if topicID != nil, logs[topicPartition] != nil {
            do {
                stored = try storedTopicID(of: topicPartition).map { .topicID($0) } ?? .absent
            } catch {
                stored = .malformed(error.description)
                unreadable = error
            }
        }
        var outcome = IdentifiedOpen.kept
        switch PartitionIdentity.decide(stored: stored, expected: topicID) {
        case .keep:
            break
        case .writeMetadata:
            outcome = .identified
        case .replace(let stale):
            try deleteLog(for: topicPartition, uniqueId: uniqueId)
            outcome = .replaced(stale: stale)
        case .refuse(let reason):
            throw unreadable ?? SegmentLogError.corruptPartitionMetadata(
                path: path + "/" + topicPartition.directoryName, field: "file", detail: reason)
        }
        let log = try createLog(for: topicPartition, config: config, now: now)
        if let topicID, outcome != .kept {
            try FileSystem.writeTextAtomically(
                PartitionMetadataFile.render(topicID), to: log.directory + "/" + PartitionMetadataFile.fileName)
        }
        return (log, outcome)
    }

    /// Deletes a partition's log as Kafka does: close it, rename its directory to
    /// `<topic>-<partition>.<uniqueId>-delete` (durable before anything is removed, so a crash
    /// leaves a directory the next open finishes deleting), then remove it. `uniqueId` is the
    /// caller's (Kafka uses a UUID without dashes), so nothing here draws random numbers.
    package func deleteLog(for topicPartition: TopicPartition, uniqueId: String) throws {
        guard let log = logs.removeValue(forKey: topicPartition) else { return }
        try log.close()
        let doomed = path + "/" + topicPartition.directoryName + "." + uniqueId + Self.deleteSuffix
        try FileSystem.rename(log.directory, to: doomed)
        try FileSystem.syncDirectory(path)
        try FileSystem.removeTree(doomed)
        try writeCheckpoints()
    }

    /// The four root checkpoints as (path, text), to write with `writeCheckpointFiles` after the
    /// directory's lock is released (their fsyncs can wait on the disk for a while under load). The
    /// cleaner's lists only the logs it has cleaned.
    package func checkpointFiles() -> [(path: String, text: String)] {
        [
            (OffsetCheckpoint.recoveryPointFileName, \PartitionLog.recoveryPoint),
            (OffsetCheckpoint.highWatermarkFileName, \PartitionLog.highWatermark),
            (OffsetCheckpoint.logStartOffsetFileName, \PartitionLog.logStartOffset),
        ].map { name, offset in
            (path + "/" + name, OffsetCheckpoint.render(logs.mapValues { $0[keyPath: offset] }))
        } + [
            (
                path + "/" + OffsetCheckpoint.cleanerOffsetFileName,
                OffsetCheckpoint.render(logs.compactMapValues(\.cleanerCheckpoint))
            )
        ]
    }

    /// Writes checkpoint files from `checkpointFiles`, each atomically. One writer at a time.
    package static func writeCheckpointFiles(_ files: [(path: String, text: String)]) throws {
        for file in files { try FileSystem.writeTextAtomically(file.text, to: file.path) }
    }

    /// Writes the root checkpoints from the open logs, each atomically.
    package func writeCheckpoints() throws {
        try Self.writeCheckpointFiles(checkpointFiles())
    }

    /// Clean shutdown: flush every log to its end, write the checkpoints, close the logs (each with a
    /// producer-state snapshot at its end; `now` is when, for `producer.id.expiration.ms`), and leave
    /// the clean-shutdown marker so the next open skips recovery.
    package func close(now: Int64) throws {
        for topicPartition in topicPartitions {
            let log = logs[topicPartition]!
            try log.flush(upTo: log.logEndOffset)
        }
        try writeCheckpoints()
        for topicPartition in topicPartitions { try logs[topicPartition]!.close(now: now) }
        logs.removeAll()
        try FileSystem.writeTextAtomically("", to: path + "/" + Self.cleanShutdownFileName)
    }

    private func readCheckpoint(_ name: String) throws -> [TopicPartition: LogOffset] {
        guard let text = try FileSystem.readText(path + "/" + name) else { return [:] }
        return try OffsetCheckpoint.parse(text, path: path + "/" + name)
    }

}
