import KafkaWire
import KafkaZooKeeper
package import Logging
package import NIOCore
import NIOPosix
import SegmentLog
import Synchronization

/// The follower side of replication (Kafka's `ReplicaFetcherManager` + `ReplicaFetcherThread`).
///
/// Every partition this broker follows (`PartitionManager.followed()`) is fetched by one fetcher:
/// the one for its leader and `hash(partition) % num.replica.fetchers`. A fetcher keeps one
/// connection to its leader's `inter.broker.listener.name` endpoint and loops:
/// 1. Partitions whose leader epoch it has not truncated for ask the leader OffsetForLeaderEpoch with
///    their latest epoch and truncate to the divergence point (`FollowerTruncation`, KIP-101/279),
///    asking again until both logs name the same epoch.
/// 2. One Fetch (v11, replica id = this broker, `replica.fetch.*`) for the truncated partitions, each
///    at its log end offset with the leader epoch it follows (a stale leader answers
///    FENCED_LEADER_EPOCH). What comes back is appended byte for byte (`appendAsFollower`) with the
///    leader's high watermark.
/// 3. OFFSET_OUT_OF_RANGE below the leader's log start restarts the log there; otherwise the
///    partition truncates again. Other errors back the partition off `replica.fetch.backoff.ms` until
///    the metadata moves on; a broken connection backs the whole fetcher off.
///
/// A fetcher with no partition left closes its connection and idles; fetchers are started on demand
/// and live as long as the manager.
package final class ReplicaFetcherManager: Sendable {
    private struct FetcherKey: Hashable, Sendable {
        var leader: BrokerID
        var index: Int
    }

    private let configuration: BrokerConfiguration
    private let metadata: MetadataCache
    private let partitions: PartitionManager
    private let group: any EventLoopGroup
    private let logger: Logger
    private let started = Mutex<Set<FetcherKey>>([])

    package init(
        configuration: BrokerConfiguration, metadata: MetadataCache, partitions: PartitionManager,
        group: any EventLoopGroup, logger: Logger
    ) {
        self.configuration = configuration
        self.metadata = metadata
        self.partitions = partitions
        self.group = group
        self.logger = logger
    }

    /// Starts a fetcher for every leader (and fetcher index) with followed partitions, as they appear,
    /// until cancelled.
    package func run() async throws {
        try await withThrowingDiscardingTaskGroup { tasks in
            for await _ in partitions.followChanges {
                let needed = Set(partitions.followed().map { key(of: $0.key, leader: $0.value.leader) })
                let new = started.withLock { started in
                    let new = needed.subtracting(started)
                    started.formUnion(new)
                    return new
                }
                for key in new {
                    tasks.addTask {
                        let fetcher = ReplicaFetcher(
                            leader: key.leader, index: key.index, owner: self, logger: self.logger)
                        await fetcher.run()
                    }
                }
            }
        }
    }

    private func key(of partition: TopicPartition, leader: BrokerID) -> FetcherKey {
        // Asked for every followed partition on every fetch: with one fetcher per leader (the
        // default) there is nothing to hash.
        guard configuration.numReplicaFetchers > 1 else { return FetcherKey(leader: leader, index: 0) }
        // A stable hash (Swift's `hashValue` is seeded per process).
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in partition.topic.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        hash = (hash ^ UInt64(UInt32(bitPattern: partition.partition))) &* 1_099_511_628_211
        return FetcherKey(leader: leader, index: Int(hash % UInt64(configuration.numReplicaFetchers)))
    }

    /// One fetcher: the partitions led by `leader` that hash to `index`.
    private struct ReplicaFetcher {
        let leader: BrokerID
        let index: Int
        let owner: ReplicaFetcherManager
        let logger: Logger

        init(leader: BrokerID, index: Int, owner: ReplicaFetcherManager, logger: Logger) {
            self.leader = leader
            self.index = index
            self.owner = owner
            var logger = logger
            logger[metadataKey: "fetcher.leader"] = "\(leader)"
            logger[metadataKey: "fetcher.id"] = "\(index)"
            self.logger = logger
        }

        private var configuration: BrokerConfiguration { owner.configuration }
        private var partitions: PartitionManager { owner.partitions }
        private var backoff: Duration { .milliseconds(configuration.replicaFetchBackoffMs) }
        private static let idlePoll = Duration.milliseconds(250)

        /// The partitions this fetcher fetches now.
        private func assigned() -> [TopicPartition: PartitionManager.Following] {
            partitions.followed().filter { partition, following in
                following.leader == leader && owner.key(of: partition, leader: leader).index == index
            }
        }

        /// The leader's endpoint on the inter-broker listener, from the metadata.
        private func endpoint() -> Endpoint? {
            owner.metadata.current.brokers[leader]?.endpoints.first {
                $0.listenerName == configuration.interBrokerListener
            }
        }

        func run() async {
            var session = FetchSession()
            var lastProblem: String?
            while !Task.isCancelled {
                guard !assigned().isEmpty else {
                    try? await Task.sleep(for: Self.idlePoll)
                    continue
                }
                guard let endpoint = endpoint() else {
                    try? await Task.sleep(for: backoff)
                    continue
                }
                do {
                    try await withConnection(to: endpoint) { connection in
                        lastProblem = nil
                        try await fetchLoop(connection, endpoint: endpoint, session: &session)
                    }
                } catch is CancellationError {
                    return
                } catch {
                    let problem = "\(error)"
                    if problem != lastProblem {
                        logger.warning(
                            "replica fetcher lost its leader connection; retrying",
                            metadata: ["endpoint": "\(endpoint)", "error": "\(problem)"])
                        lastProblem = problem
                    }
                    try? await Task.sleep(for: backoff)
                }
            }
        }

        /// What a fetcher remembers between fetches.
        private struct FetchSession {
            /// The leader epoch each partition has truncated for.
            var truncated: [TopicPartition: Int32] = [:]
            /// Partitions backed off after an error, until this instant.
            var backedOff: [TopicPartition: ContinuousClock.Instant] = [:]
        }

        /// Fetches while the connection holds and the leader's endpoint stays the same.
        private func fetchLoop(_ connection: KafkaClientConnection, endpoint: Endpoint, session: inout FetchSession) async throws {
            while !Task.isCancelled {
                let mine = assigned()
                guard !mine.isEmpty, self.endpoint() == endpoint else { return }
                let now = ContinuousClock.now
                session.backedOff = session.backedOff.filter { $0.value > now && mine[$0.key] != nil }
                session.truncated = session.truncated.filter { mine[$0.key]?.leaderEpoch == $0.value }
                let toTruncate = mine.filter { session.truncated[$0.key] == nil && session.backedOff[$0.key] == nil }
                if !toTruncate.isEmpty {
                    try await truncate(toTruncate, connection: connection, session: &session)
                }
                let ready = mine.filter { session.truncated[$0.key] == $0.value.leaderEpoch && session.backedOff[$0.key] == nil }
                guard !ready.isEmpty else {
                    let wake = session.backedOff.values.min().map { $0 - ContinuousClock.now } ?? backoff
                    try await Task.sleep(for: max(min(wake, backoff), .milliseconds(10)))
                    continue
                }
                try await fetch(ready, connection: connection, session: &session)
            }
        }

        /// Asks the leader where each partition's latest epoch ends and truncates to it (one round).
        private func truncate(
            _ assigned: [TopicPartition: PartitionManager.Following], connection: KafkaClientConnection,
            session: inout FetchSession
        ) async throws {
            var asked: [String: [OffsetForLeaderEpochRequest.Partition]] = [:]
            for (partition, following) in assigned {
                guard let position = partitions.followerPosition(partition, following: following) else { continue }
                guard let latest = position.latestEpoch else {
                    // An empty log, or one with no epochs: nothing of its own to keep beyond the high watermark.
                    _ = try await partitions.truncateFollower(partition, following: following, answer: .undefined)
                    session.truncated[partition] = following.leaderEpoch
                    continue
                }
                asked[partition.topic, default: []].append(
                    .init(partition: partition.partition, currentLeaderEpoch: following.leaderEpoch, leaderEpoch: latest.rawValue))
            }
            guard !asked.isEmpty else { return }
            let request = OffsetForLeaderEpochRequest(
                replicaID: configuration.brokerID.rawValue,
                topics: asked.sorted { $0.key < $1.key }.map { .init(topic: $0.key, partitions: $0.value) })
            guard case .offsetForLeaderEpoch(let response) = try await connection.send(.offsetForLeaderEpoch(request), version: 3)
            else { throw KafkaClientConnection.Failure.unexpectedResponse }
            for topic in response.topics {
                for result in topic.partitions {
                    let partition = TopicPartition(topic.topic, result.partition)
                    guard let following = assigned[partition] else { continue }
                    guard result.errorCode == .noError else {
                        session.backedOff[partition] = .now + backoff
                        logger.debug(
                            "leader refused OffsetForLeaderEpoch",
                            metadata: partition.logMetadata(["error": "\(result.errorCode)"]))
                        continue
                    }
                    let answer: FollowerTruncation.LeaderAnswer =
                        result.leaderEpoch < 0 || result.endOffset < 0
                        ? .undefined : .epochEnd(epoch: LeaderEpoch(result.leaderEpoch), endOffset: LogOffset(result.endOffset))
                    guard let decision = try await partitions.truncateFollower(partition, following: following, answer: answer)
                    else { continue }
                    if decision.completed { session.truncated[partition] = following.leaderEpoch }
                }
            }
        }

        /// One Fetch for `ready` and what follows from its answer.
        private func fetch(
            _ ready: [TopicPartition: PartitionManager.Following], connection: KafkaClientConnection,
            session: inout FetchSession
        ) async throws {
            var topics: [String: [FetchRequest.Partition]] = [:]
            var offsets: [TopicPartition: LogOffset] = [:]
            for (partition, following) in ready {
                guard let position = partitions.followerPosition(partition, following: following) else { continue }
                offsets[partition] = position.logEndOffset
                topics[partition.topic, default: []].append(
                    .init(
                        partition: partition.partition, currentLeaderEpoch: following.leaderEpoch,
                        fetchOffset: position.logEndOffset.rawValue, logStartOffset: position.logStartOffset.rawValue,
                        partitionMaxBytes: configuration.replicaFetchMaxBytes))
            }
            guard !topics.isEmpty else { return }
            let request = FetchRequest(
                replicaID: configuration.brokerID.rawValue, maxWaitMs: configuration.replicaFetchWaitMaxMs,
                minBytes: configuration.replicaFetchMinBytes, maxBytes: configuration.replicaFetchResponseMaxBytes,
                topics: topics.sorted { $0.key < $1.key }.map { .init(topic: $0.key, partitions: $0.value) })
            guard case .fetch(let response) = try await connection.send(.fetch(request), version: 11) else {
                throw KafkaClientConnection.Failure.unexpectedResponse
            }
            guard response.errorCode == .noError else {
                throw KafkaClientConnection.Failure.refused("\(response.errorCode)")
            }
            for topic in response.responses {
                for data in topic.partitions {
                    let partition = TopicPartition(topic.topic, data.partitionIndex)
                    guard let following = ready[partition], let fetchOffset = offsets[partition] else { continue }
                    await handle(data, of: partition, following: following, fetchOffset: fetchOffset, session: &session)
                }
            }
        }

        private func handle(
            _ data: FetchResponse.PartitionData, of partition: TopicPartition, following: PartitionManager.Following,
            fetchOffset: LogOffset, session: inout FetchSession
        ) async {
            switch data.errorCode {
            case .noError:
                do {
                    _ = try await partitions.appendAsFollower(
                        partition, following: following, records: data.records ?? ByteBuffer(),
                        leaderHighWatermark: data.highWatermark)
                } catch {
                    session.backedOff[partition] = .now + backoff
                    logger.error(
                        "cannot append what the leader sent", metadata: partition.logMetadata(["error": "\(error)"]))
                }
            case .offsetOutOfRange:
                // The leader's log start is input from the network: a value no log can hold is ignored.
                if data.logStartOffset > fetchOffset.rawValue, data.logStartOffset <= LogOffset.largest.rawValue {
                    do {
                        _ = try await partitions.restartFollower(
                            partition, following: following, at: LogOffset(data.logStartOffset))
                        logger.info(
                            "follower log restarted at the leader's log start",
                            metadata: partition.logMetadata(["log.start.offset": "\(data.logStartOffset)"]))
                    } catch {
                        session.backedOff[partition] = .now + backoff
                        logger.error(
                            "cannot restart the follower log", metadata: partition.logMetadata(["error": "\(error)"]))
                    }
                } else {
                    // Past the leader's end: find the divergence point again.
                    session.truncated.removeValue(forKey: partition)
                }
            default:
                // FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH…: the metadata moves on.
                session.backedOff[partition] = .now + backoff
                logger.debug("leader refused the fetch", metadata: partition.logMetadata(["error": "\(data.errorCode)"]))
            }
        }

        private func withConnection(
            to endpoint: Endpoint, _ body: (KafkaClientConnection) async throws -> Void
        ) async throws {
            try await KafkaClientConnection.withConnection(
                host: endpoint.host, port: endpoint.port, group: owner.group,
                clientID: "broker-\(configuration.brokerID)-fetcher-\(index)",
                timeout: .milliseconds(configuration.replicaSocketTimeoutMs + Int64(configuration.replicaFetchWaitMaxMs)),
                maxFrameSize: Int(configuration.socketRequestMaxBytes), body)
        }
    }
}
