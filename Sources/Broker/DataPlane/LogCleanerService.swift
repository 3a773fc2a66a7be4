import Logging
import NIOPosix
import SegmentLog
import Synchronization

/// Compacts the logs of topics whose `cleanup.policy` contains `compact` (Kafka's `LogCleaner`
/// threads and `LogCleanerManager`): `log.cleaner.threads` threads of its own, each repeatedly
/// taking the dirtiest due log of every log dir (`LogCleaningPlanner`) and cleaning it
/// (`LogCleaner`), sleeping `log.cleaner.backoff.ms` when none is due.
///
/// A cleaning holds a directory's lock only to plan (`PartitionLog.beginCleaning`) and to swap each
/// cleaned segment in (`PartitionLog.replaceSegments(with:)`); reading and writing the copies happen
/// without it, on the cleaner's threads, so appends and fetches go on meanwhile. A log whose data
/// cannot be read is skipped until the broker restarts (one error line; Kafka's
/// `markPartitionUncleanable`); a log truncated or deleted meanwhile is simply left for next time.
///
/// Logs one line per cleaned log and keeps Kafka's cleaner gauges in `BrokerMetrics`.
final class LogCleanerService: Sendable {
    /// One cleaner thread's offset map, kept between cleanings. Only that thread's task uses it, one
    /// cleaning at a time.
    private final class Worker: Sendable {
        let cleaner: Mutex<LogCleaner>

        init(_ cleaner: LogCleaner) {
            self.cleaner = Mutex(cleaner)
        }
    }

    /// A log of a log dir.
    private struct LogID: Hashable, Comparable {
        var directory: Int
        var partition: TopicPartition

        static func < (a: LogID, b: LogID) -> Bool { (a.directory, a.partition) < (b.directory, b.partition) }
    }

    /// What the last cleaning of one thread did, for the gauges.
    private struct LastCleaning {
        var seconds: Double
        var bytesRead: Int
        var bytesWritten: Int
    }

    private struct State {
        /// Logs a thread is cleaning now.
        var inProgress: Set<TopicPartition> = []
        /// Logs whose data could not be read: skipped until restart.
        var uncleanable: Set<TopicPartition> = []
        /// Per thread.
        var lastCleanings: [Int: LastCleaning] = [:]
    }

    private let directories: [LockedLogDirectory]
    private let refused: @Sendable () -> Set<TopicPartition>
    private let threads: Int
    private let backoff: Duration
    private let mapMemory: Int
    private let metrics: BrokerMetrics?
    private let logger: Logger
    private let state = Mutex(State())
    /// Set when the service is cancelled: cleanings in progress stop between two batches.
    private let stopping = Atomic<Bool>(false)

    /// `refused` names the partitions housekeeping must leave alone (unreadable `partition.metadata`).
    init(
        configuration: BrokerConfiguration, directories: [LockedLogDirectory],
        refused: @escaping @Sendable () -> Set<TopicPartition>, metrics: BrokerMetrics?, logger: Logger
    ) {
        self.directories = directories
        self.refused = refused
        self.threads = Int(configuration.logCleanerThreads)
        self.backoff = .milliseconds(max(configuration.logCleanerBackoffMs, 1))
        // Kafka: `min(dedupeBufferSize / numThreads, Int.MaxValue)` bytes per thread.
        self.mapMemory = Int(min(configuration.logCleanerDedupeBufferSize / Int64(threads), Int64(Int32.max)))
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs the cleaner threads until cancelled; a cleaning in progress then stops at its next batch
    /// and leaves the log as it was (its unswapped copy deleted).
    func run() async throws {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        logger.info(
            "log cleaner started", metadata: ["cleaner.threads": "\(threads)", "cleaner.map.bytes": "\(mapMemory)"])
        var failure: (any Error)?
        do {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for thread in 0..<threads {
                        group.addTask { try await self.runThread(thread, on: pool) }
                    }
                    try await group.waitForAll()
                }
            } onCancel: {
                stopping.store(true, ordering: .relaxed)
            }
        } catch {
            failure = error
        }
        stopping.store(true, ordering: .relaxed)
        try await pool.shutdownGracefully()
        if let failure { throw failure }
    }

    private func runThread(_ thread: Int, on pool: NIOThreadPool) async throws {
        let worker = Worker(LogCleaner(mapMemory: mapMemory) { [self] in stopping.load(ordering: .relaxed) })
        while true {
            try Task.checkCancellation()
            let cleaned = try await pool.runIfActive { self.cleanFilthiestLog(thread: thread, worker: worker) }
            if !cleaned { try await Task.sleep(for: backoff) }
        }
    }

    // MARK: - One cleaning (on a cleaner thread)

    /// Finds the dirtiest due log and cleans it; false when there was none (or the cleaner stops).
    private func cleanFilthiestLog(thread: Int, worker: Worker) -> Bool {
        let now = PartitionManager.nowMilliseconds()
        guard let chosen = chooseLog(now: now) else { return false }
        defer { _ = state.withLock { $0.inProgress.remove(chosen.partition) } }
        let directory = directories[chosen.directory]
        let partition = chosen.partition
        var source: LogCleaningSource?
        do {
            source = try directory.withLock { try $0.log(for: partition)?.beginCleaning(now: now) }
            guard let source else { return false }
            let started = ContinuousClock.now
            let outcome = try worker.cleaner.withLock { cleaner in
                try cleaner.clean(source, now: now) { cleaned in
                    try directory.withLock { directory in
                        guard let log = directory.log(for: partition) else { return false }
                        return try log.replaceSegments(with: cleaned)
                    }
                }
            }
            let elapsed = ContinuousClock.now - started
            switch outcome {
            case .cleaned(let endOffset, let stats):
                try directory.withLock { $0.log(for: partition)?.cleaningFinished(source, endOffset: endOffset) }
                record(stats, of: source, endOffset: endOffset, thread: thread, elapsed: elapsed)
            case .abandoned:
                logger.debug("cleaning abandoned: the log changed", metadata: partition.logMetadata())
            }
            return true
        } catch is LogCleaner.Stopped {
            return false
        } catch {
            let current = source.flatMap { source in
                // Only reads under the lock: a failure here means the log is gone, so not current.
                try? directory.withLock { $0.log(for: partition)?.isCurrent(source) }
            }
            if current == true {
                state.withLock { _ = $0.uncleanable.insert(partition) }
                logger.error(
                    "log cleaning failed; not cleaning this log again until restart",
                    metadata: partition.logMetadata(["log.dir": "\(directory.path)", "error": "\(error)"]))
            } else {
                logger.debug(
                    "cleaning abandoned: the log changed while it was read",
                    metadata: partition.logMetadata(["error": "\(error)"]))
            }
            return true
        }
    }

    /// The dirtiest due log not being cleaned already, now marked in progress; nil when none is due.
    /// Updates the max-dirty-percent gauge from every compacted log looked at.
    private func chooseLog(now: Int64) -> LogID? {
        let refused = self.refused()
        let skipped = state.withLock { $0.inProgress.union($0.uncleanable) }
        var candidates: [(id: LogID, section: LogCleaningPlanner.DirtySection, config: LogConfig)] = []
        for (index, directory) in directories.enumerated() {
            do {
                candidates += try directory.withLock { directory in
                    directory.topicPartitions.compactMap { partition in
                        guard !refused.contains(partition), !skipped.contains(partition),
                            let log = directory.log(for: partition), let section = log.dirtySection(now: now)
                        else { return nil }
                        return (LogID(directory: index, partition: partition), section, log.config)
                    }
                }
            } catch {
                logger.error(
                    "log cleaner could not look at a log dir",
                    metadata: ["log.dir": "\(directory.path)", "error": "\(error)"])
            }
        }
        let dirtiest = candidates.filter { $0.section.totalBytes > 0 }.map(\.section.dirtyRatio).max() ?? 0
        metrics?.logCleanerMaxDirtyPercent(Int(100 * dirtiest))
        guard let chosen = LogCleaningPlanner.filthiest(candidates) else { return nil }
        let taken = state.withLock { $0.inProgress.insert(chosen.partition).inserted }
        return taken ? chosen : nil
    }

    /// One log line per cleaned log (Kafka's `recordStats`), and the gauges.
    private func record(
        _ stats: LogCleaner.Stats, of source: LogCleaningSource, endOffset: LogOffset, thread: Int, elapsed: Duration
    ) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let megabytes = Double(stats.bytesRead) / Double(1 << 20)
        logger.info(
            "log cleaned",
            metadata: source.topicPartition.logMetadata([
                "cleaner.thread": "\(thread)",
                "dirty.start.offset": "\(source.section.firstDirtyOffset)", "dirty.end.offset": "\(endOffset)",
                "bytes.before": "\(stats.bytesRead)", "bytes.after": "\(stats.bytesWritten)",
                "records.before": "\(stats.recordsRead)",
                "records.removed": "\(stats.recordsRead - stats.recordsWritten)",
                "segments.written": "\(stats.segmentsWritten)",
                "duration.ms": "\(Int(seconds * 1000))",
                "throughput.mb.per.s": "\(seconds > 0 ? (megabytes / seconds * 10).rounded() / 10 : 0)",
                "buffer.utilization.percent": "\(Int(stats.bufferUtilization * 100))",
            ]))
        let cleanings = state.withLock { state in
            state.lastCleanings[thread] = LastCleaning(
                seconds: seconds, bytesRead: stats.bytesRead, bytesWritten: stats.bytesWritten)
            return Array(state.lastCleanings.values)
        }
        let read = cleanings.reduce(0) { $0 + $1.bytesRead }
        let written = cleanings.reduce(0) { $0 + $1.bytesWritten }
        metrics?.logCleanerStats(
            maxCleanSeconds: cleanings.map(\.seconds).max() ?? 0, recopyPercent: 100 * written / max(read, 1))
    }
}
