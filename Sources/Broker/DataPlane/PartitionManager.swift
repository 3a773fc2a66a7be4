import Foundation
package import KafkaWire
package import KafkaZooKeeper
package import Logging
package import NIOCore
package import NIOPosix
package import SegmentLog
import Synchronization

/// This broker's partition logs and their replication state (Kafka's `LogManager` + `ReplicaManager`).
///
/// Follows the metadata cache:
/// - For each partition this broker leads it opens the log (creating it in the log dir with the
///   fewest partitions), records where the new leader epoch starts (KIP-101), and serves it with a
///   `PartitionReplication`: followers' fetches move their log end offsets, the high watermark is the
///   smallest log end offset in the ISR, and ISR changes are written to the partition state znode
///   (version-checked, `BrokerServer.writeISR`) one at a time.
/// - For each partition it follows it opens the log without serving it and lists it in `followed()`
///   for the `ReplicaFetcherManager`, which truncates and appends through this class.
/// - Logs of topics that no longer exist are deleted, and so are those of partitions whose replica list
///   no longer names this broker (a reassignment moved them away: Kafka's StopReplica with delete).
///
/// Runs retention every `log.retention.check.interval.ms`, the log cleaner (`LogCleanerService`) when
/// `log.cleaner.enable`, the ISR lag check every half
/// `replica.lag.time.max.ms`, writes the checkpoints every 5 s
/// (`replica.high.watermark.checkpoint.interval.ms`) and flushes every 60 s
/// (`log.flush.offset.checkpoint.interval.ms`); `close()` shuts the logs down cleanly.
///
/// Locks: a directory's lock may be held while taking `state`'s, never the other way round.
package final class PartitionManager: Sendable {
    /// A partition this broker follows: its leader and the leader epoch it follows.
    package struct Following: Hashable, Sendable {
        package var leader: BrokerID
        package var leaderEpoch: Int32
    }

    /// Where a followed partition's log stands, for the next fetch.
    package struct FollowerPosition: Hashable, Sendable {
        package var logEndOffset: LogOffset
        package var logStartOffset: LogOffset
        package var highWatermark: LogOffset
        package var latestEpoch: LeaderEpoch?
    }

    /// How a parked `acks=all` produce ended.
    package enum ReplicationOutcome: Hashable, Sendable {
        case acknowledged
        case notEnoughReplicasAfterAppend
        case timedOut
        /// This broker no longer leads the partition in the epoch of the append.
        case notLeader
    }

    /// Writes a leader's ISR change to the ensemble (`BrokerServer.writeISR`).
    package typealias ISRWriter =
        @Sendable (TopicPartition, PartitionState, _ version: Int32) async -> BrokerServer.ISRWriteResult

    /// The leader's state of one partition it serves.
    private struct LeaderState {
        var replication: PartitionReplication
        /// The state znode's data version this leader last saw or wrote (the partition epoch).
        var zkVersion: Int32
        var controllerEpoch: Int32
        var recovering: Bool
        /// Whether the pending ISR change is being written now.
        var writing = false
        /// The first leader epoch of this broker's unbroken leadership: epochs bumped while it kept
        /// leading (the controller took a follower out of the ISR) keep what was appended before.
        var leadingSince: LeaderEpoch
    }
    /// Where an append landed, for the Produce response.
    package struct Appended: Sendable {
        package var result: PartitionLog.AppendResult
        package var logStartOffset: LogOffset
        /// An idempotent producer's batch already written: `result` holds its original offsets.
        package var duplicate: Bool
    }

    /// An idempotent producer's batch refused by its sequence rules (`ProducerStateTable.Check`).
    package struct ProducerRefusal: Error, Sendable {
        package var check: ProducerStateTable.Check
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
        var leaders: [TopicPartition: LeaderState] = [:]
        /// Partitions this broker follows and has a log open for.
        var following: [TopicPartition: Following] = [:]
        /// Where each followed partition's log stands (kept here so a fetch needs no trip to the log).
        var followerPositions: [TopicPartition: FollowerPosition] = [:]
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
    private let isrWriter: ISRWriter
    private let metrics: BrokerMetrics?
    private let logger: Logger
    /// Signalled on every append, every high-watermark move, and whenever serving a partition starts
    /// or stops.
    package let signals = PartitionSignals()
    /// Partitions with an ISR change to write, in order.
    private let isrProposals: AsyncStream<TopicPartition>
    private let isrProposalsInput: AsyncStream<TopicPartition>.Continuation
    /// Yields whenever the set of followed partitions changes (one reader: the fetcher manager).
    package let followChanges: AsyncStream<Void>
    private let followChangesInput: AsyncStream<Void>.Continuation

    /// Opens every log dir (recovering logs after an unclean shutdown) on `threadPool`.
    /// `topicOverrides` reads `/config/topics/<t>`; it is asked once, before opening, for every topic
    /// that has a log on disk and appears in `snapshot`, and later for each topic whose first log is
    /// created here.
    package static func open(
        configuration: BrokerConfiguration, snapshot: MetadataCache.Snapshot, threadPool: NIOThreadPool,
        topicOverrides: @escaping @Sendable (String) async throws -> [String: String],
        isrWriter: @escaping ISRWriter = { _, _, _ in .failed("no ensemble") }, metrics: BrokerMetrics? = nil,
        logger: Logger
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
            topicOverrides: topicOverrides, isrWriter: isrWriter, metrics: metrics, logger: logger)
    }

    private init(
        configuration: BrokerConfiguration, directories: [LockedLogDirectory], state: State, threadPool: NIOThreadPool,
        topicOverrides: @escaping @Sendable (String) async throws -> [String: String], isrWriter: @escaping ISRWriter,
        metrics: BrokerMetrics?, logger: Logger
    ) {
        self.brokerID = configuration.brokerID
        self.configuration = configuration
        self.directories = directories
        self.state = Mutex(state)
        self.threadPool = threadPool
        self.topicOverrides = topicOverrides
        self.isrWriter = isrWriter
        self.metrics = metrics
        self.logger = logger
        (isrProposals, isrProposalsInput) = AsyncStream.makeStream(of: TopicPartition.self)
        (followChanges, followChangesInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
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
                for await partition in self.isrProposals { await self.writeProposedISR(partition) }
            }
            if configuration.logCleanerEnable {
                let cleaner = LogCleanerService(
                    configuration: configuration, directories: directories,
                    refused: { self.state.withLock { $0.refused } }, metrics: metrics, logger: logger)
                group.addTask { try await cleaner.run() }
            }
            group.addTask {
                let interval = Duration.milliseconds(max(self.configuration.replicaLagTimeMaxMs / 2, 10))
                while true {
                    try await Task.sleep(for: interval)
                    self.checkFollowerLag()
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

    // MARK: - Request path (leader)

    /// Whether this broker leads `partition` and has its log open.
    package func isServing(_ partition: TopicPartition) -> Bool {
        state.withLock { $0.leaders[partition] != nil }
    }

    /// The effective config of a served partition's topic; nil when the partition is not served.
    package func config(of partition: TopicPartition) -> TopicConfig? {
        state.withLock { $0.leaders[partition] != nil ? $0.topicConfigs[partition.topic] : nil }
    }

    /// The high watermark of this broker's replica of `partition`: the leader's, or as a follower last
    /// heard from its leader; nil without a replica here.
    package func highWatermark(of partition: TopicPartition) -> LogOffset? {
        state.withLock { state in
            state.leaders[partition]?.replication.highWatermark ?? state.followerPositions[partition]?.highWatermark
        }
    }

    /// The committed ISR of a served partition (as in its state znode) and whether it is smaller than
    /// `min.insync.replicas`; nil when the partition is not served.
    package func insyncReplicas(of partition: TopicPartition) -> (isr: [BrokerID], underMinISR: Bool)? {
        state.withLock { state in
            state.leaders[partition].map { ($0.replication.isr, $0.replication.isUnderMinISR) }
        }
    }

    /// Runs `body` on the thread pool with the log of a partition this broker leads, its high watermark
    /// brought up to the replication state's; nil when this broker does not serve it.
    package func withLog<Result: Sendable>(
        _ partition: TopicPartition, _ body: @escaping @Sendable (PartitionLog) throws -> Result
    ) async throws -> Result? {
        try await withOpenLog(partition, while: { $0.leaders[partition] != nil }) { log in
            if let mark = self.state.withLock({ $0.leaders[partition]?.replication.highWatermark }) {
                log.updateHighWatermark(mark)
            }
            return try body(log)
        }
    }

    /// Runs `body` on the thread pool with the open log of `partition`, under its directory's lock, while
    /// `holds` (this broker's role in it) is true both before the hop and under the lock; nil otherwise.
    private func withOpenLog<Result: Sendable>(
        _ partition: TopicPartition, while holds: @escaping @Sendable (State) -> Bool,
        _ body: @escaping @Sendable (PartitionLog) throws -> Result
    ) async throws -> Result? {
        guard let index = state.withLock({ holds($0) ? $0.location[partition] : nil }) else { return nil }
        let directory = directories[index]
        return try await threadPool.runIfActive {
            try directory.withLock { directory -> Result? in
                guard let log = directory.log(for: partition), self.state.withLock({ holds($0) }) else { return nil }
                return try body(log)
            }
        }
    }

    /// Appends a Produce request's validated batches as leader in `leaderEpoch`. Nil when this broker
    /// does not serve the partition in that epoch, or when its log has already seen a newer leader epoch.
    package func append(
        _ batches: ProduceRecordBatches, to partition: TopicPartition, leaderEpoch: LeaderEpoch
    ) async throws -> Appended? {
        let now = Self.nowMilliseconds()
        let outcome = try await withOpenLog(
            partition, while: { $0.leaders[partition]?.replication.leaderEpoch == leaderEpoch }
        ) { log -> (Appended, PartitionReplication.Update)? in
            guard log.leaderEpochs.latestEpoch.map({ $0 <= leaderEpoch }) ?? true else { return nil }
            switch log.checkProducers(batches) {
            case .append:
                break
            case .duplicate(let original):
                // Written before (the producer retried after a lost answer): its offsets, nothing new.
                let result = PartitionLog.AppendResult(
                    firstOffset: original.firstOffset, lastOffset: original.lastOffset, logAppendTime: nil)
                return (Appended(result: result, logStartOffset: log.logStartOffset, duplicate: true), .none)
            case let refused:
                throw ProducerRefusal(check: refused)
            }
            let result = try log.append(batches, leaderEpoch: leaderEpoch, now: now)
            let end = log.logEndOffset
            let update = self.state.withLock { state -> PartitionReplication.Update in
                guard var leader = state.leaders[partition] else { return .none }
                let update = leader.replication.leaderAppended(logEndOffset: end)
                state.leaders[partition] = leader
                log.updateHighWatermark(leader.replication.highWatermark)
                return update
            }
            return (Appended(result: result, logStartOffset: log.logStartOffset, duplicate: false), update)
        }
        guard let (appended, update) = outcome ?? nil else { return nil }
        signals.signal(partition)
        apply(update, to: partition)
        return appended
    }

    /// A follower's fetch at `fetchOffset` tells the leader where `replica`'s log ends
    /// (`Partition.updateFollowerFetchState`); may move the high watermark or propose an ISR expansion.
    package func followerFetched(
        _ partition: TopicPartition, replica: BrokerID, fetchOffset: Int64, currentLeaderEpoch: Int32
    ) {
        let now = Self.nowMilliseconds()
        let update = state.withLock { state -> PartitionReplication.Update in
            guard var leader = state.leaders[partition], leader.replication.leaderEpoch.rawValue == currentLeaderEpoch
            else { return .none }
            let update = leader.replication.followerFetched(replica, fetchOffset: LogOffset(fetchOffset), nowMs: now)
            state.leaders[partition] = leader
            return update
        }
        apply(update, to: partition)
    }

    /// Waits, holding no thread, until the high watermark covers `requiredOffset` (an `acks=all`
    /// produce whose last record is at `requiredOffset - 1`), this broker stops leading, or `deadline`.
    package func awaitReplication(
        _ partition: TopicPartition, leaderEpoch: LeaderEpoch, requiredOffset: LogOffset,
        deadline: ContinuousClock.Instant
    ) async -> ReplicationOutcome {
        while true {
            let seen = signals.versions(of: [partition])
            let outcome = state.withLock { state -> ReplicationOutcome? in
                // A later epoch of this broker's unbroken leadership (the controller took a dead follower
                // out of the ISR) keeps the records appended before it: its high watermark decides. After
                // a break (this broker followed meanwhile) the log may have been truncated: not leader.
                guard let leader = state.leaders[partition], leader.leadingSince <= leaderEpoch,
                    leader.replication.leaderEpoch >= leaderEpoch
                else { return .notLeader }
                switch leader.replication.acksAllOutcome(requiredOffset: requiredOffset) {
                case .waiting: return nil
                case .acknowledged: return .acknowledged
                case .notEnoughReplicasAfterAppend: return .notEnoughReplicasAfterAppend
                }
            }
            if let outcome { return outcome }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, !Task.isCancelled else { return .timedOut }
            await signals.wait(for: seen, timeout: remaining)
        }
    }

    /// Acts on what a replication-state input asked for: wake waiters when the high watermark moved,
    /// queue an ISR change for the writer.
    private func apply(_ update: PartitionReplication.Update, to partition: TopicPartition) {
        if update.highWatermark != nil { signals.signal(partition) }
        if update.proposeISR != nil { isrProposalsInput.yield(partition) }
    }

    /// Proposes removing followers that have not caught up for `replica.lag.time.max.ms`, and writes
    /// again ISR changes whose last write had no known outcome.
    private func checkFollowerLag() {
        let now = Self.nowMilliseconds()
        let (updates, unwritten) = state.withLock { state in
            let unwritten = state.leaders.filter { $0.value.replication.pending != nil && !$0.value.writing }.keys
            let updates = state.leaders.keys.map { partition -> (TopicPartition, PartitionReplication.Update) in
                let update = state.leaders[partition]!.replication.checkLag(nowMs: now)
                return (partition, update)
            }
            return (updates, Array(unwritten))
        }
        for (partition, update) in updates { apply(update, to: partition) }
        // ISR changes whose write had no known outcome are written again.
        for partition in unwritten { isrProposalsInput.yield(partition) }
    }

    /// Writes the pending ISR change of `partition` to its state znode and commits or drops it.
    private func writeProposedISR(_ partition: TopicPartition) async {
        guard
            let (change, proposed, version) = state.withLock({ state -> (PartitionReplication.PendingChange, PartitionState, Int32)? in
                guard var leader = state.leaders[partition], let change = leader.replication.pending, !leader.writing
                else { return nil }
                leader.writing = true
                state.leaders[partition] = leader
                let proposed = PartitionState(
                    leader: brokerID, leaderEpoch: leader.replication.leaderEpoch.rawValue, isr: change.isr,
                    controllerEpoch: leader.controllerEpoch, recovering: leader.recovering)
                return (change, proposed, leader.zkVersion)
            })
        else { return }
        let result = await isrWriter(partition, proposed, version)
        let update = state.withLock { state -> PartitionReplication.Update? in
            guard var leader = state.leaders[partition], leader.replication.pending == change,
                leader.replication.leaderEpoch.rawValue == proposed.leaderEpoch
            else { return nil }
            leader.writing = false
            defer { state.leaders[partition] = leader }
            switch result {
            case .written(let newVersion):
                leader.zkVersion = newVersion
                return leader.replication.isrChangeCommitted()
            case .conflict:
                leader.replication.isrChangeFailed()
            case .failed:
                // Unknown whether it was written: it stays pending (the high watermark counts the larger
                // ISR either way) and is written again at the next lag check.
                break
            }
            return nil
        }
        var metadata = partition.logMetadata([
            "leader.epoch": "\(proposed.leaderEpoch)", "isr": "\(proposed.isr.map(\.description).joined(separator: ","))",
            "partition.epoch": "\(version)",
        ])
        switch result {
        case .written(let newVersion):
            metadata["partition.epoch"] = "\(newVersion)"
            if case .shrink(_, let removed) = change {
                metadata["removed"] = "\(removed.map(\.description).joined(separator: ","))"
                metrics?.isrShrank()
                logger.info("ISR shrunk", metadata: metadata)
            } else {
                metrics?.isrExpanded()
                logger.info("ISR expanded", metadata: metadata)
            }
            if let update { apply(update, to: partition) }
        case .conflict:
            logger.info("ISR change refused: the partition state moved on; waiting for the new state", metadata: metadata)
        case .failed(let reason):
            metadata["error"] = "\(reason)"
            logger.warning("ISR change not written; will retry", metadata: metadata)
        }
    }

    // MARK: - Follower side (driven by ReplicaFetcherManager)

    /// The partitions this broker follows, with their leaders and epochs.
    package func followed() -> [TopicPartition: Following] {
        state.withLock { $0.following }
    }

    /// Where a followed partition's log stands; nil when it is not followed (in `following`).
    package func followerPosition(_ partition: TopicPartition, following: Following) -> FollowerPosition? {
        state.withLock { $0.following[partition] == following ? $0.followerPositions[partition] : nil }
    }

    /// Runs `body` on the thread pool with the log of a partition followed as `following`; nil when it is
    /// no longer followed so. Updates the follower position afterwards.
    private func withFollowerLog<Result: Sendable>(
        _ partition: TopicPartition, following: Following, _ body: @escaping @Sendable (PartitionLog) throws -> Result
    ) async throws -> Result? {
        try await withOpenLog(partition, while: { $0.following[partition] == following }) { log in
            let result = try body(log)
            let position = Self.position(of: log)
            self.state.withLock { $0.followerPositions[partition] = position }
            return result
        }
    }

    private static func position(of log: PartitionLog) -> FollowerPosition {
        FollowerPosition(
            logEndOffset: log.logEndOffset, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark,
            latestEpoch: log.leaderEpochs.latestEpoch)
    }

    /// Truncates a followed partition's log as the leader's OffsetForLeaderEpoch answer says
    /// (`FollowerTruncation`); nil when it is no longer followed so.
    package func truncateFollower(
        _ partition: TopicPartition, following: Following, answer: FollowerTruncation.LeaderAnswer
    ) async throws -> FollowerTruncation.Decision? {
        let now = Self.nowMilliseconds()
        let logger = self.logger
        return try await withFollowerLog(partition, following: following) { log in
            let decision = FollowerTruncation.decide(
                epochs: log.leaderEpochs, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark,
                answer: answer)
            let before = log.logEndOffset
            // Also at the log end: an empty epoch of its own leadership may have to leave the cache.
            try log.truncate(to: decision.truncateTo, now: now)
            if log.logEndOffset < before {
                logger.info(
                    "follower log truncated to the leader's",
                    metadata: partition.logMetadata([
                        "leader": "\(following.leader)", "leader.epoch": "\(following.leaderEpoch)",
                        "from.offset": "\(before)", "to.offset": "\(log.logEndOffset)",
                    ]))
            }
            return decision
        }
    }

    /// Empties a followed partition's log and restarts it at the leader's log start (its fetch offset
    /// fell below what the leader keeps); false when it is no longer followed so.
    package func restartFollower(_ partition: TopicPartition, following: Following, at offset: LogOffset) async throws -> Bool {
        let now = Self.nowMilliseconds()
        return try await withFollowerLog(partition, following: following) { log in
            try log.truncateFullyAndStart(at: offset, now: now)
        } != nil
    }

    /// Appends what the leader sent as they are and takes the leader's high watermark (bounded by the
    /// log end); nil when the partition is no longer followed so.
    package func appendAsFollower(
        _ partition: TopicPartition, following: Following, records: ByteBuffer, leaderHighWatermark: Int64
    ) async throws -> FollowerPosition? {
        let now = Self.nowMilliseconds()
        let appended = try await withFollowerLog(partition, following: following) { log -> Int in
            let batches = try ProduceRecordBatches(replicating: records, expectedOffset: log.logEndOffset.rawValue)
            try log.appendAsFollower(batches, now: now)
            if leaderHighWatermark >= 0 { log.updateHighWatermark(LogOffset(leaderHighWatermark)) }
            return batches.bytes.readableBytes
        }
        guard let appended else { return nil }
        if appended > 0 { signals.signal(partition) }
        return followerPosition(partition, following: following)
    }

    // MARK: - Following the metadata

    /// Acts on one view of the cluster; false when a partition this broker leads could not be opened.
    private func follow(_ snapshot: MetadataCache.Snapshot) async -> Bool {
        // The empty snapshot before the first read of the ensemble says nothing about what exists.
        guard snapshot.clusterID != nil else { return true }
        var led: [TopicPartition: MetadataCache.Partition] = [:]
        var followed: [TopicPartition: Following] = [:]
        for topic in snapshot.topics.values {
            for info in topic.partitions.values {
                if info.leader == brokerID {
                    led[info.topicPartition] = info
                } else if info.replicas.contains(brokerID), let leader = info.leader {
                    followed[info.topicPartition] = Following(leader: leader, leaderEpoch: info.leaderEpoch)
                }
            }
        }
        let (startLeading, stopLeading, startFollowing, stopFollowing, delete) = state.withLock { state in
            guard !state.closed else {
                return (
                    [MetadataCache.Partition](), [TopicPartition](), [(TopicPartition, Following)](), [TopicPartition](),
                    [(TopicPartition, Bool)]()
                )
            }
            // A log checked against another topic id belongs to a topic deleted and created again
            // between two views: it goes like a deleted topic's, and the partition starts afresh.
            let recreated = Set(
                state.topicIDs.filter { partition, id in
                    snapshot.topics[partition.topic].flatMap { Self.topicID(of: $0) }.map { $0 != id } ?? false
                }.keys)
            for (partition, info) in led {
                guard var leader = state.leaders[partition], leader.replication.leaderEpoch.rawValue == info.leaderEpoch
                else { continue }
                leader.zkVersion = max(leader.zkVersion, info.partitionEpoch)
                leader.replication.replicasAssigned(info.replicas)
                state.leaders[partition] = leader
            }
            let startLeading = led.values.filter { info in
                let partition = info.topicPartition
                return (state.leaders[partition]?.replication.leaderEpoch.rawValue != info.leaderEpoch
                    || recreated.contains(partition)) && !state.refused.contains(partition)
            }.sorted { $0.topicPartition < $1.topicPartition }
            // Logs of partitions this broker is no longer a replica of (reassigned away): deleted below. A
            // state naming it leader keeps its log whatever the replica list says.
            let stray = Set(
                state.location.keys.filter { partition in
                    guard led[partition] == nil, let topic = snapshot.topics[partition.topic] else { return false }
                    return !(topic.partitions[partition.partition]?.replicas.contains(brokerID) ?? false)
                })
            // Partitions of deleted topics are not "no longer led": their logs are deleted below.
            let stopLeading = state.leaders.keys.filter {
                led[$0] == nil && snapshot.topics[$0.topic] != nil && !stray.contains($0)
            }.sorted()
            let startFollowing = followed.filter { partition, following in
                (state.following[partition] != following || recreated.contains(partition))
                    && !state.refused.contains(partition)
            }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let stopFollowing = state.following.keys.filter { followed[$0] == nil }.sorted()
            let delete = state.location.keys.filter {
                snapshot.topics[$0.topic] == nil || recreated.contains($0) || stray.contains($0)
            }.sorted().map { ($0, stray.contains($0) && !recreated.contains($0)) }
            // A topic created again under the same name reads its config afresh.
            state.topicConfigs = state.topicConfigs.filter { snapshot.topics[$0.key] != nil }
            return (startLeading, stopLeading, startFollowing, stopFollowing, delete)
        }
        for partition in stopLeading {
            _ = state.withLock { $0.leaders.removeValue(forKey: partition) }
            signals.signal(partition)
            logger.info("partition no longer led here", metadata: partition.logMetadata())
        }
        if !stopFollowing.isEmpty {
            state.withLock { state in
                for partition in stopFollowing {
                    state.following.removeValue(forKey: partition)
                    state.followerPositions.removeValue(forKey: partition)
                }
            }
            followChangesInput.yield()
        }
        for (partition, notReplica) in delete { await deleteLog(partition, notReplica: notReplica) }
        var complete = true
        for info in startLeading {
            let topicID = snapshot.topics[info.topicPartition.topic].flatMap { Self.topicID(of: $0) }
            complete = await serve(info, topicID: topicID) && complete
        }
        for (partition, following) in startFollowing {
            let topicID = snapshot.topics[partition.topic].flatMap { Self.topicID(of: $0) }
            complete = await becomeFollower(partition, following, topicID: topicID) && complete
        }
        return complete
    }

    /// The topic's id (KIP-516) when its znode has a well-formed one. A malformed id counts as none,
    /// as for topics written before KIP-516: the log is served without the check.
    private static func topicID(of topic: MetadataCache.Topic) -> TopicID? {
        topic.topicID.flatMap { TopicID(base64: $0) }
    }

    /// Opens (or creates) the log of `partition` in the directory that holds it, or the one with the
    /// fewest partitions, checked against `topicID` (KIP-516, `LogDirectory.openLog`): one left by an
    /// earlier topic of the same name is deleted and an empty one created; one with a malformed
    /// `partition.metadata` is refused (logged once, never served or followed: `refused`). `body` runs
    /// on the open log under the directory lock. Nil on a failure worth retrying, or when refused.
    private func openLog<Result: Sendable>(
        _ partition: TopicPartition, topicID: TopicID?, _ body: @escaping @Sendable (PartitionLog) throws -> Result
    ) async -> (index: Int, result: Result)?? {
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
            let (created, outcome, result) = try await threadPool.runIfActive {
                try directory.withLock { directory in
                    let existed = directory.log(for: partition) != nil
                    let (log, outcome) = try directory.openLog(
                        for: partition, topicID: topicID, config: config.logConfig, now: now, uniqueId: uniqueID)
                    return (!existed, outcome, try body(log))
                }
            }
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
            return .some((index, result))
        } catch let error as SegmentLogError {
            guard case .corruptPartitionMetadata = error else {
                logger.error("cannot open partition log", metadata: partition.logMetadata(["error": "\(error)"]))
                return .none
            }
            // Whose data this is cannot be known: never serve it, and do not retry (one log line).
            state.withLock { _ = $0.refused.insert(partition) }
            logger.error(
                "refusing partition with unreadable partition.metadata",
                metadata: partition.logMetadata(["error": "\(error)"]))
            return .some(nil)
        } catch {
            logger.error("cannot open partition log", metadata: partition.logMetadata(["error": "\(error)"]))
            return .none
        }
    }

    /// Becomes leader of `info.topicPartition` in its leader epoch (`Partition.makeLeader`): stops
    /// following it, records the epoch's start offset in the log, and serves it with a fresh
    /// `PartitionReplication` from the ISR in the state znode. False on a failure worth retrying.
    private func serve(_ info: MetadataCache.Partition, topicID: TopicID?) async -> Bool {
        let partition = info.topicPartition
        let epoch = LeaderEpoch(info.leaderEpoch)
        let stoppedFollowing = state.withLock { state in
            state.followerPositions.removeValue(forKey: partition)
            return state.following.removeValue(forKey: partition) != nil
        }
        if stoppedFollowing { followChangesInput.yield() }
        guard
            let opened = await openLog(partition, topicID: topicID, { log -> (LogOffset, LogOffset) in
                try log.assignLeaderEpoch(epoch)
                return (log.logEndOffset, log.highWatermark)
            })
        else { return false }
        guard let (index, (endOffset, highWatermark)) = opened else { return true }
        let config = state.withLock { $0.topicConfigs[partition.topic] }
        let now = Self.nowMilliseconds()
        var replication = PartitionReplication(
            leader: brokerID, leaderEpoch: epoch, replicas: info.replicas, isr: info.isr, logEndOffset: endOffset,
            highWatermark: highWatermark,
            minInsyncReplicas: Int(config?.minInsyncReplicas ?? Int(configuration.minInsyncReplicas)),
            replicaLagTimeMaxMs: configuration.replicaLagTimeMaxMs, nowMs: now)
        // With no follower in the ISR the leader's own log end is the high watermark at once.
        let update = replication.leaderAppended(logEndOffset: endOffset)
        let recorded = recordOpened(partition, index: index, topicID: topicID) { state in
            state.leaders[partition] = LeaderState(
                replication: replication, zkVersion: info.partitionEpoch, controllerEpoch: info.controllerEpoch,
                recovering: info.recovering, leadingSince: state.leaders[partition]?.leadingSince ?? epoch)
        }
        guard recorded else { return true }
        logger.info(
            "partition became leader",
            metadata: partition.logMetadata([
                "leader.epoch": "\(epoch)", "log.end.offset": "\(endOffset)",
                "high.watermark": "\(replication.highWatermark)",
                "isr": "\(replication.isr.map(\.description).joined(separator: ","))",
            ]))
        signals.signal(partition)
        apply(update, to: partition)
        return true
    }

    /// Records a log opened in directory `index` for `topicID` and applies `role` (leading or following),
    /// unless the manager closed meanwhile; false then.
    private func recordOpened(
        _ partition: TopicPartition, index: Int, topicID: TopicID?, _ role: (inout State) -> Void
    ) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.location[partition] = index
            state.topicIDs[partition] = topicID
            state.refused.remove(partition)
            role(&state)
            return true
        }
    }

    /// Becomes a follower of `partition` (`Partition.makeFollower`): stops serving it, opens its log,
    /// and lists it for the fetchers, which truncate to the leader's log before they fetch.
    private func becomeFollower(_ partition: TopicPartition, _ following: Following, topicID: TopicID?) async -> Bool {
        let wasLeader = state.withLock { $0.leaders.removeValue(forKey: partition) != nil }
        if wasLeader { signals.signal(partition) }
        guard let opened = await openLog(partition, topicID: topicID, { Self.position(of: $0) }) else { return false }
        guard let (index, position) = opened else { return true }
        let recorded = recordOpened(partition, index: index, topicID: topicID) { state in
            state.following[partition] = following
            state.followerPositions[partition] = position
        }
        guard recorded else { return true }
        logger.info(
            "partition became follower",
            metadata: partition.logMetadata([
                "leader": "\(following.leader)", "leader.epoch": "\(following.leaderEpoch)",
                "log.end.offset": "\(position.logEndOffset)",
            ]))
        followChangesInput.yield()
        return true
    }

    /// Deletes a partition's log and forgets it: its topic was deleted (or created again), or
    /// (`notReplica`) this broker is no longer one of its replicas.
    private func deleteLog(_ partition: TopicPartition, notReplica: Bool = false) async {
        guard
            let index = state.withLock({ state -> Int? in
                state.leaders.removeValue(forKey: partition)
                state.following.removeValue(forKey: partition)
                state.followerPositions.removeValue(forKey: partition)
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
            logger.info(
                notReplica ? "partition no longer assigned here; log deleted" : "log deleted",
                metadata: partition.logMetadata())
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

    /// Every 5 s the root checkpoints, and every 60 s a flush that advances the recovery points. Only
    /// the planning holds a directory's lock: the fsyncs and the checkpoint files are written after it
    /// is released, so appends and fetches do not wait for the disk.
    private func writeCheckpoints(flush: Bool) async {
        for directory in directories {
            do {
                try await threadPool.runIfActive {
                    let plans = try directory.withLock { directory -> [(TopicPartition, PartitionLog.FlushPlan)] in
                        guard flush else { return [] }
                        return try directory.topicPartitions.compactMap { partition in
                            let log = directory.log(for: partition)!
                            return try log.flushPlan(upTo: log.logEndOffset).map { (partition, $0) }
                        }
                    }
                    var synced: [(TopicPartition, PartitionLog.FlushPlan)] = []
                    var failure: (any Error)?
                    for (partition, plan) in plans {
                        do {
                            try plan.syncAndClose()
                            synced.append((partition, plan))
                        } catch {
                            failure = failure ?? error
                        }
                    }
                    let files = try directory.withLock { directory in
                        for (partition, plan) in synced { directory.log(for: partition)?.flushed(plan) }
                        let marks = self.state.withLock { $0.leaders.mapValues(\.replication.highWatermark) }
                        for (partition, mark) in marks { directory.log(for: partition)?.updateHighWatermark(mark) }
                        return directory.checkpointFiles()
                    }
                    try LogDirectory.writeCheckpointFiles(files)
                    if let failure { throw failure }
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
            state.leaders.removeAll()
            state.following.removeAll()
        }
        isrProposalsInput.finish()
        followChangesInput.finish()
        for directory in directories {
            do {
                try await threadPool.runIfActive(eventLoop: eventLoop) {
                    try directory.withLock { try $0.close(now: Self.nowMilliseconds()) }
                }.get()
            } catch {
                logger.error("closing logs failed", metadata: ["log.dir": "\(directory.path)", "error": "\(error)"])
            }
        }
        logger.info("logs closed")
    }

    package static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
