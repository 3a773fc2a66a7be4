package import Logging

/// One `log.dirs` entry (Kafka's `LogManager`, per directory): discovers the partition directories
/// in it on open, creates and deletes partitions, and writes the root checkpoints
/// (`recovery-point-offset-checkpoint`, `replication-offset-checkpoint`, `log-start-offset-checkpoint`)
/// and the clean-shutdown marker. `meta.properties` is the broker's.
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
                highWatermark: highWatermarks[topicPartition], cleanShutdown: cleanShutdown)
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

    /// Writes the three root checkpoints from the open logs, each atomically.
    package func writeCheckpoints() throws {
        try writeCheckpoint(OffsetCheckpoint.recoveryPointFileName, \.recoveryPoint)
        try writeCheckpoint(OffsetCheckpoint.highWatermarkFileName, \.highWatermark)
        try writeCheckpoint(OffsetCheckpoint.logStartOffsetFileName, \.logStartOffset)
    }

    /// Clean shutdown: flush every log to its end, write the checkpoints, close the logs, and leave
    /// the clean-shutdown marker so the next open skips recovery.
    package func close() throws {
        for topicPartition in topicPartitions {
            let log = logs[topicPartition]!
            try log.flush(upTo: log.logEndOffset)
        }
        try writeCheckpoints()
        for topicPartition in topicPartitions { try logs[topicPartition]!.close() }
        logs.removeAll()
        try FileSystem.writeTextAtomically("", to: path + "/" + Self.cleanShutdownFileName)
    }

    private func readCheckpoint(_ name: String) throws -> [TopicPartition: LogOffset] {
        guard let text = try FileSystem.readText(path + "/" + name) else { return [:] }
        return try OffsetCheckpoint.parse(text, path: path + "/" + name)
    }

    private func writeCheckpoint(_ name: String, _ offset: KeyPath<PartitionLog, LogOffset>) throws {
        let offsets = logs.mapValues { $0[keyPath: offset] }
        try FileSystem.writeTextAtomically(OffsetCheckpoint.render(offsets), to: path + "/" + name)
    }
}
