import Foundation
package import KafkaWire
package import Logging
package import NIOCore
package import NIOPosix
package import SegmentLog
import Synchronization

/// This broker's partition logs (Kafka's `LogManager` + the leader side of `ReplicaManager`).
///
/// Follows the metadata cache: for each partition this broker leads it opens the log (creating it in
/// the log dir with the fewest partitions) and starts serving it, with the high watermark at the log
/// end offset; partitions it stops leading stop being served (their logs stay); logs of topics that
/// no longer exist are deleted. Runs retention every `log.retention.check.interval.ms`, writes the
/// checkpoints every 5 s (`replica.high.watermark.checkpoint.interval.ms`) and flushes every 60 s
/// (`log.flush.offset.checkpoint.interval.ms`); `close()` shuts the logs down cleanly.
///
/// Replication is not implemented yet: a leader is the only copy of its log, so every append moves
/// the high watermark to the new log end offset (what Kafka does for a single-replica ISR).
package final class PartitionManager: Sendable {
    /// Where an append landed, for the Produce response.
    package struct Appended: Sendable {
        package var result: PartitionLog.AppendResult
        package var logStartOffset: LogOffset
    }

    /// A partition's offsets as a fetch or ListOffsets sees them.
    package struct Offsets: Sendable {
        package var logStartOffset: LogOffset
        package var highWatermark: LogOffset
        package var logEndOffset: LogOffset
    }

    private struct State {
        /// Which directory (index into `directories`) holds each local log.
        var location: [TopicPartition: Int] = [:]
        /// Partitions this broker leads and has a log open for; the request path serves only these.
        var serving: Set<TopicPartition> = []
        /// Effective configs of the topics with a log here.
        var topicConfigs: [String: TopicConfig] = [:]
        /// The topic id each open log was checked against (KIP-516); absent for topics without one.
        var topicIDs: [TopicPartition: TopicID] = [:]
        /// Partitions whose `partition.metadata` is malformed: never served, not retried, until the
        /// topic is deleted (the log goes with it) or the broker restarts with the file repaired.
        var refused: Set<TopicPartition> = []
        var closed = false
    }

    private static let checkpointInterval = Duration.seconds(5)
    private static let flushInterval = Duration.seconds(60)

    private let brokerID: BrokerID
    private let configuration: BrokerConfiguration
    private let directories: [LockedLogDirectory]
    private let state: Mutex<State>
    private let threadPool: NIOThreadPool
    private let topicOverrides: @Sendable (String) async throws -> [String: String]
    private let logger: Logger
    /// Signalled on every append and whenever serving a partition starts.
    package let signals = PartitionSignals()

    /// Opens every log dir (recovering logs after an unclean shutdown) on `threadPool`.
    /// `topicOverrides` reads `/config/topics/<t>`; it is asked once, before opening, for every topic
    /// that has a log on disk and appears in `snapshot`, and later for each topic whose first log is
    /// created here.
    package static func open(
        configuration: BrokerConfiguration, snapshot: MetadataCache.Snapshot, threadPool: NIOThreadPool,
        topicOverrides: @escaping @Sendable (String) async throws -> [String: String], logger: Logger
    ) async throws -> PartitionManager {
        let defaults = try TopicConfig(broker: configuration, overrides: [:])
        var configs: [String: TopicConfig] = [:]
        for path in configuration.logDirs {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []  // absent: created below
            for topic in Set(names.compactMap { TopicPartition(directoryName: $0)?.topic })
            where snapshot.topics[topic] != nil {
                configs[topic] = try await effectiveConfig(
                    of: topic, configuration: configuration, overrides: topicOverrides, logger: logger)
            }
        }
        let known = configs
        let now = Self.nowMilliseconds()
        let directories = try await threadPool.runIfActive {
            try configuration.logDirs.map { path in
                LockedLogDirectory(
                    try LogDirectory(
                        path: path, now: now, config: { (known[$0.topic] ?? defaults).logConfig }, logger: logger))
            }
        }
        var state = State()
        state.topicConfigs = configs
        for (index, directory) in directories.enumerated() {
            for partition in try directory.withLock({ $0.topicPartitions }) {
                state.location[partition] = index
            }
        }
        logger.info(
            "log dirs opened",
            metadata: [
                "log.dirs": "\(configuration.logDirs.joined(separator: ","))", "partitions": "\(state.location.count)",
            ])
        return PartitionManager(
            configuration: configuration, directories: directories, state: state, threadPool: threadPool,
            topicOverrides: topicOverrides, logger: logger)
    }

    private init(
        configuration: BrokerConfiguration, directories: [LockedLogDirectory], state: State, threadPool: NIOThreadPool,
        topicOverrides: @escaping @Sendable (String) async throws -> [String: String], logger: Logger
    ) {
        self.brokerID = configuration.brokerID
        self.configuration = configuration
        self.directories = directories
        self.state = Mutex(state)
        self.threadPool = threadPool
        self.topicOverrides = topicOverrides
        self.logger = logger
    }

    /// Follows `metadata` and runs retention and checkpoints until cancelled.
    package func run(metadata: MetadataCache) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await snapshot in metadata.updates() {
                    var current = snapshot
                    while !(await self.follow(current)) {
                        // A log could not be opened (or its topic config read): retry with the newest view.
                        try await Task.sleep(for: .seconds(1))
                        current = metadata.current
                    }
                }
            }
            group.addTask {
                let interval = Duration.milliseconds(self.configuration.logRetentionCheckIntervalMs)
                while true {
                    try await Task.sleep(for: interval)
                    await self.applyRetention()
                }
            }
            group.addTask {
                var sinceFlush = Duration.zero
                while true {
                    try await Task.sleep(for: Self.checkpointInterval)
                    sinceFlush += Self.checkpointInterval
                    let flush = sinceFlush >= Self.flushInterval
                    if flush { sinceFlush = .zero }
                    await self.writeCheckpoints(flush: flush)
                }
            }
            try await group.next()
        }
    }

    // MARK: - Request path

    /// Whether this broker leads `partition` and has its log open.
    package func isServing(_ partition: TopicPartition) -> Bool {
        state.withLock { $0.serving.contains(partition) }
    }

    /// The effective config of a served partition's topic; nil when the partition is not served.
    package func config(of partition: TopicPartition) -> TopicConfig? {
        state.withLock { $0.serving.contains(partition) ? $0.topicConfigs[partition.topic] : nil }
    }

    /// Runs `body` on the thread pool with the log of `partition`; nil when this broker does not serve it.
    package func withLog<Result: Sendable>(
        _ partition: TopicPartition, _ body: @escaping @Sendable (PartitionLog) throws -> Result
    ) async throws -> Result? {
        guard let index = state.withLock({ $0.serving.contains(partition) ? $0.location[partition] : nil }) else {
            return nil
        }
        let directory = directories[index]
        return try await threadPool.runIfActive {
            try directory.withLock { directory -> Result? in
                guard let log = directory.log(for: partition) else { return nil }
                return try body(log)
            }
        }
    }

    /// Appends a Produce request's validated batches as leader in `leaderEpoch` and moves the high
    /// watermark to the new end. Nil when this broker does not serve the partition, or when its log
    /// has already seen a newer leader epoch (this broker's view of leadership is stale).
    package func append(
        _ batches: ProduceRecordBatches, to partition: TopicPartition, leaderEpoch: LeaderEpoch
    ) async throws -> Appended? {
        let now = Self.nowMilliseconds()
        let appended = try await withLog(partition) { log -> Appended? in
            if let latest = log.leaderEpochs.latestEpoch, latest > leaderEpoch { return nil }
            let result = try log.append(batches, leaderEpoch: leaderEpoch, now: now)
            log.updateHighWatermark(log.logEndOffset)
            return Appended(result: result, logStartOffset: log.logStartOffset)
        }
        guard let appended = appended ?? nil else { return nil }
        signals.signal(partition)
        return appended
    }

    // MARK: - Following the metadata

    /// Acts on one view of the cluster; false when a partition this broker leads could not be opened.
    private func follow(_ snapshot: MetadataCache.Snapshot) async -> Bool {
        // The empty snapshot before the first read of the ensemble says nothing about what exists.
        guard snapshot.clusterID != nil else { return true }
        let led = snapshot.partitionsLed(by: brokerID)
        let (start, stop, delete) = state.withLock { state in
            guard !state.closed else { return ([TopicPartition](), [TopicPartition](), [TopicPartition]()) }
            // A log checked against another topic id belongs to a topic deleted and created again
            // between two views: it goes like a deleted topic's, and the partition starts afresh.
            let recreated = Set(
                state.topicIDs.filter { partition, id in
                    snapshot.topics[partition.topic].flatMap { Self.topicID(of: $0) }.map { $0 != id } ?? false
                }.keys)
            let start = led.filter {
                (!state.serving.contains($0) || recreated.contains($0)) && !state.refused.contains($0)
            }
            // Partitions of deleted topics are not "no longer led": their logs are deleted below.
            let stop = state.serving.subtracting(led).filter { snapshot.topics[$0.topic] != nil }.sorted()
            let delete = state.location.keys.filter { snapshot.topics[$0.topic] == nil || recreated.contains($0) }
                .sorted()
            // A topic created again under the same name reads its config afresh.
            state.topicConfigs = state.topicConfigs.filter { snapshot.topics[$0.key] != nil }
            return (start, stop, delete)
        }
        for partition in stop {
            _ = state.withLock { $0.serving.remove(partition) }
            logger.info("partition no longer led here", metadata: partition.logMetadata())
        }
        for partition in delete { await deleteLog(partition) }
        var complete = true
        for partition in start {
            guard case .leader(let epoch) = snapshot.leadership(of: partition, for: brokerID) else { continue }
            let topicID = snapshot.topics[partition.topic].flatMap { Self.topicID(of: $0) }
            complete = await serve(partition, topicID: topicID, epoch: epoch) && complete
        }
        return complete
    }

    /// The topic's id (KIP-516) when its znode has a well-formed one. A malformed id counts as none,
    /// as for topics written before KIP-516: the log is served without the check.
    private static func topicID(of topic: MetadataCache.Topic) -> TopicID? {
        topic.topicID.flatMap { TopicID(base64: $0) }
    }

    /// Opens (or creates) the log of a partition this broker leads and starts serving it; false on a
    /// failure worth retrying. The log is first checked against `topicID` (KIP-516,
    /// `LogDirectory.openLog`): one left by an earlier topic of the same name is deleted and an empty
    /// one created; one with a malformed `partition.metadata` is refused (logged once, never served).
    private func serve(_ partition: TopicPartition, topicID: TopicID?, epoch: Int32) async -> Bool {
        do {
            let config = try await topicConfig(partition.topic)
            let index = state.withLock { state in
                state.location[partition] ?? directories.indices.min { a, b in
                    state.location.values.count { $0 == a } < state.location.values.count { $0 == b }
                }!
            }
            let directory = directories[index]
            let now = Self.nowMilliseconds()
            let uniqueID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let (created, outcome, endOffset) = try await threadPool.runIfActive {
                try directory.withLock { directory in
                    let existed = directory.log(for: partition) != nil
                    let (log, outcome) = try directory.openLog(
                        for: partition, topicID: topicID, config: config.logConfig, now: now, uniqueId: uniqueID)
                    // The only replica: everything in the log is committed.
                    log.updateHighWatermark(log.logEndOffset)
                    return (!existed, outcome, log.logEndOffset)
                }
            }
            let closed = state.withLock { state in
                guard !state.closed else { return true }
                state.location[partition] = index
                state.serving.insert(partition)
                state.topicIDs[partition] = topicID
                state.refused.remove(partition)
                return false
            }
            guard !closed else { return true }
            var metadata = partition.logMetadata()
            if case .replaced(let stale) = outcome {
                metadata["log.dir"] = "\(directory.path)"
                metadata["stale.topic.id"] = "\(stale)"
                metadata["topic.id"] = "\(topicID.map { "\($0)" } ?? "")"
                logger.warning("deleted log of an earlier topic with the same name", metadata: metadata)
            } else if created {
                metadata["log.dir"] = "\(directory.path)"
                logger.info("log created", metadata: metadata)
            }
            metadata["leader.epoch"] = "\(epoch)"
            metadata["log.end.offset"] = "\(endOffset)"
            logger.info("partition became leader", metadata: metadata)
            signals.signal(partition)
            return true
        } catch let error as SegmentLogError {
            guard case .corruptPartitionMetadata = error else {
                logger.error("cannot open partition log", metadata: partition.logMetadata(["error": "\(error)"]))
                return false
            }
            // Whose data this is cannot be known: never serve it, and do not retry (one log line).
            state.withLock { _ = $0.refused.insert(partition) }
            logger.error(
                "refusing partition with unreadable partition.metadata",
                metadata: partition.logMetadata(["error": "\(error)"]))
            return true
        } catch {
            logger.error(
                "cannot open partition log", metadata: partition.logMetadata(["error": "\(error)"]))
            return false
        }
    }

    private func deleteLog(_ partition: TopicPartition) async {
        guard
            let index = state.withLock({ state -> Int? in
                state.serving.remove(partition)
                state.topicIDs.removeValue(forKey: partition)
                state.refused.remove(partition)
                return state.location.removeValue(forKey: partition)
            })
        else { return }
        let directory = directories[index]
        let uniqueID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        do {
            try await threadPool.runIfActive {
                try directory.withLock { try $0.deleteLog(for: partition, uniqueId: uniqueID) }
            }
            logger.info("log deleted", metadata: partition.logMetadata())
        } catch {
            logger.error(
                "cannot delete partition log", metadata: partition.logMetadata(["error": "\(error)"]))
        }
        signals.signal(partition)
    }

    private func topicConfig(_ topic: String) async throws -> TopicConfig {
        if let known = state.withLock({ $0.topicConfigs[topic] }) { return known }
        let config = try await Self.effectiveConfig(
            of: topic, configuration: configuration, overrides: topicOverrides, logger: logger)
        state.withLock { $0.topicConfigs[topic] = config }
        return config
    }

    /// The topic's config from its overrides; broker defaults (with a warning) when they are unusable.
    private static func effectiveConfig(
        of topic: String, configuration: BrokerConfiguration,
        overrides: @Sendable (String) async throws -> [String: String], logger: Logger
    ) async throws -> TopicConfig {
        do {
            return try TopicConfig(broker: configuration, overrides: try await overrides(topic))
        } catch let problem as BrokerConfiguration.Problem {
            logger.warning(
                "ignoring invalid topic config", metadata: ["kafka.topic": "\(topic)", "problem": "\(problem)"])
            return try TopicConfig(broker: configuration, overrides: [:])
        }
    }

    // MARK: - Housekeeping

    private func applyRetention() async {
        let now = Self.nowMilliseconds()
        // A refused log is left exactly as found, for a human to inspect.
        let refused = state.withLock { $0.refused }
        for directory in directories {
            do {
                let deleted = try await threadPool.runIfActive {
                    try directory.withLock { directory in
                        try directory.topicPartitions.compactMap { partition -> (TopicPartition, Int, LogOffset)? in
                            guard !refused.contains(partition) else { return nil }
                            let log = directory.log(for: partition)!
                            let count = try log.deleteOldSegments(now: now)
                            return count > 0 ? (partition, count, log.logStartOffset) : nil
                        }
                    }
                }
                for (partition, count, start) in deleted {
                    var metadata = partition.logMetadata()
                    metadata["segments"] = "\(count)"
                    metadata["log.start.offset"] = "\(start)"
                    logger.info("retention deleted segments", metadata: metadata)
                }
            } catch {
                logger.error("retention failed", metadata: ["log.dir": "\(directory.path)", "error": "\(error)"])
            }
        }
    }

    private func writeCheckpoints(flush: Bool) async {
        for directory in directories {
            do {
                try await threadPool.runIfActive {
                    try directory.withLock { directory in
                        if flush {
                            for partition in directory.topicPartitions {
                                let log = directory.log(for: partition)!
                                try log.flush(upTo: log.logEndOffset)
                            }
                        }
                        try directory.writeCheckpoints()
                    }
                }
            } catch {
                logger.error(
                    "writing checkpoints failed", metadata: ["log.dir": "\(directory.path)", "error": "\(error)"])
            }
        }
    }

    /// Clean shutdown: flushes, checkpoints and closes every log, leaving the clean-shutdown marker.
    /// Runs to the end even in a cancelled task (through `eventLoop`'s future, which ignores
    /// cancellation), since an unclosed log means recovery at the next start.
    package func close(on eventLoop: any EventLoop) async {
        state.withLock { state in
            state.closed = true
            state.serving.removeAll()
        }
        for directory in directories {
            do {
                try await threadPool.runIfActive(eventLoop: eventLoop) { try directory.withLock { try $0.close() } }
                    .get()
            } catch {
                logger.error("closing logs failed", metadata: ["log.dir": "\(directory.path)", "error": "\(error)"])
            }
        }
        logger.info("logs closed")
    }

    package static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
