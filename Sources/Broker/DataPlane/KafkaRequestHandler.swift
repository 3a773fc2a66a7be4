import KafkaWire
import KafkaZooKeeper
import Logging
import NIOCore
import SegmentLog

/// What a connection does once a request has been handled.
enum KafkaReply: Sendable {
    /// Send this response, encoded at the request's version.
    case respond(KafkaResponse)
    /// Send nothing: a Produce with acks=0 that succeeded.
    case noResponse
    /// Close the connection: a Produce with acks=0 failed, and closing is the only way the producer learns
    /// of it (Kafka's `KafkaApis.handleProduceRequest` closes the connection the same way).
    case close(reason: String)
}

/// Answers one decoded Kafka request (Kafka's `KafkaApis`): reads the metadata cache, works on the
/// partition logs through the `PartitionManager`, and does admin work through the ensemble. One
/// instance serves every connection of a listener; it holds no per-connection state.
struct KafkaRequestHandler: Sendable {
    let server: BrokerServer
    let partitions: PartitionManager
    let producerIDs: ProducerIDAllocator
    /// The group coordinator; nil in tests that serve no groups.
    let groups: GroupCoordinator?
    /// The listener requests arrive on: Metadata advertises the brokers' endpoints of the same name.
    let listenerName: String
    /// `queued.max.requests`, whose permit a request holds while handled, but not while parked.
    let permits: RequestPermits?
    let logger: Logger

    /// How long a request for a partition this broker just became leader of waits for its log to open.
    static let servingWait = Duration.seconds(1)

    init(
        server: BrokerServer, partitions: PartitionManager, producerIDs: ProducerIDAllocator,
        groups: GroupCoordinator? = nil, listenerName: String, permits: RequestPermits? = nil, logger: Logger
    ) {
        self.server = server
        self.partitions = partitions
        self.producerIDs = producerIDs
        self.groups = groups
        self.listenerName = listenerName
        self.permits = permits
        self.logger = logger
    }

    /// Runs `wait` (a Fetch or admin request waiting for data or metadata, for as long as the client asked)
    /// without holding the request's `queued.max.requests` permit, so parked requests never starve the
    /// others. Only under cancellation (shutdown) does the permit not come back before the listener's
    /// release, which then adds one; nothing is served after that.
    func parked<T>(_ wait: () async -> T) async -> T {
        guard let permits else { return await wait() }
        permits.release()
        let result = await wait()
        _ = await permits.acquire()
        return result
    }

    var configuration: BrokerConfiguration { server.configuration }
    var brokerID: BrokerID { server.configuration.brokerID }

    /// Handles one request of a supported API and version.
    /// `clientHost` is the connection's peer as Kafka shows it (`/127.0.0.1`), for DescribeGroups.
    func handle(_ request: KafkaRequest, header: RequestHeader, clientHost: String = "") async -> KafkaReply {
        let version = header.apiVersion
        switch request {
        case .apiVersions:
            return .respond(.apiVersions(.supported()))
        case .metadata(let body):
            return .respond(.metadata(await metadata(body, version: version)))
        case .produce(let body):
            return await produce(body, version: version)
        case .fetch(let body):
            let response = await fetch(body, version: version)
            for topic in response.responses {
                server.metrics.fetched(
                    bytes: topic.partitions.reduce(0) { $0 + ($1.records?.readableBytes ?? 0) }, from: topic.topic)
            }
            return .respond(.fetch(response))
        case .listOffsets(let body):
            return .respond(.listOffsets(await listOffsets(body)))
        case .offsetForLeaderEpoch(let body):
            return .respond(.offsetForLeaderEpoch(await offsetForLeaderEpoch(body)))
        case .createTopics(let body):
            return .respond(.createTopics(await createTopics(body)))
        case .deleteTopics(let body):
            return .respond(.deleteTopics(await deleteTopics(body, version: version)))
        case .describeConfigs(let body):
            return .respond(.describeConfigs(await describeConfigs(body)))
        case .initProducerID(let body):
            return .respond(.initProducerID(await initProducerID(body)))
        case .controlledShutdown(let body):
            return .respond(.controlledShutdown(await controlledShutdown(body)))
        case .electLeaders(let body):
            return .respond(.electLeaders(await electLeaders(body, version: version)))
        case .createPartitions(let body):
            return .respond(.createPartitions(await createPartitions(body)))
        case .alterPartitionReassignments(let body):
            return .respond(.alterPartitionReassignments(await alterPartitionReassignments(body)))
        case .listPartitionReassignments(let body):
            return .respond(.listPartitionReassignments(await listPartitionReassignments(body)))
        case .findCoordinator(let body):
            return .respond(.findCoordinator(await findCoordinator(body)))
        case .joinGroup(let body):
            return .respond(
                .joinGroup(
                    await joinGroup(body, version: version, clientID: header.clientID ?? "", clientHost: clientHost)))
        case .syncGroup(let body):
            return .respond(.syncGroup(await syncGroup(body)))
        case .heartbeat(let body):
            return .respond(.heartbeat(await heartbeat(body)))
        case .leaveGroup(let body):
            return .respond(.leaveGroup(await leaveGroup(body, version: version)))
        case .offsetCommit(let body):
            return .respond(.offsetCommit(await offsetCommit(body, version: version)))
        case .offsetFetch(let body):
            return .respond(.offsetFetch(offsetFetch(body, version: version)))
        case .listGroups(let body):
            return .respond(.listGroups(listGroups(body)))
        case .describeGroups(let body):
            return .respond(.describeGroups(describeGroups(body)))
        case .deleteGroups(let body):
            return .respond(.deleteGroups(await deleteGroups(body)))
        case .offsetDelete(let body):
            return .respond(.offsetDelete(await offsetDelete(body)))
        }
    }

    // MARK: - Leadership

    /// The outcome of a leadership check.
    enum LeaderCheck {
        case leader(LeaderEpoch)
        /// Not (or not yet) served here: the error code to answer.
        case refused(KafkaErrorCode)
    }

    /// Whether this broker leads `partition` in the current metadata, as a client's `currentLeaderEpoch`
    /// (KIP-320; -1 when the client sends none) expects it: the leader epoch, or the error to answer.
    func leaderEpoch(of partition: TopicPartition, currentLeaderEpoch: Int32 = -1) -> LeaderCheck {
        let snapshot = server.metadata.current
        guard snapshot.topics[partition.topic]?.markedForDeletion == false else {
            return .refused(.unknownTopicOrPartition)
        }
        switch snapshot.leadership(of: partition, for: brokerID) {
        case .leader(let epoch):
            if currentLeaderEpoch >= 0 && currentLeaderEpoch < epoch { return .refused(.fencedLeaderEpoch) }
            if currentLeaderEpoch > epoch { return .refused(.unknownLeaderEpoch) }
            return .leader(LeaderEpoch(epoch))
        case .follower, .notReplica:
            return .refused(.notLeaderOrFollower)
        case .unknownTopicOrPartition:
            return .refused(.unknownTopicOrPartition)
        }
    }

    /// `leaderEpoch(of:currentLeaderEpoch:)`, and the partition's log open here: a partition this broker
    /// has just been elected for gets `servingWait` to open before the client hears NOT_LEADER_OR_FOLLOWER.
    func servedLeaderEpoch(of partition: TopicPartition, currentLeaderEpoch: Int32 = -1) async -> LeaderCheck {
        let result = leaderEpoch(of: partition, currentLeaderEpoch: currentLeaderEpoch)
        guard case .leader = result, !partitions.isServing(partition) else { return result }
        let seen = partitions.signals.versions(of: [partition])
        if !partitions.isServing(partition) { await partitions.signals.wait(for: seen, timeout: Self.servingWait) }
        return partitions.isServing(partition) ? result : .refused(.notLeaderOrFollower)
    }

    // MARK: - InitProducerId

    /// Allocates a new producer id for an idempotent producer, epoch 0, as Kafka does
    /// (`TransactionCoordinator.handleInitProducerId` with a null transactional id "blindly accepts" and
    /// generates a new id whatever id and epoch a v3+ request carries). Idempotent producers bump their
    /// epoch themselves, without asking (KIP-360: the Java client's `bumpIdempotentProducerEpoch`), and send
    /// InitProducerId only once the epoch is exhausted; the partition logs accept the bumped epoch from
    /// sequence 0. A v3+ request with only one of id and epoch set is INVALID_REQUEST (`KafkaApis`).
    /// Transactional ids are refused: Paddock has no transaction coordinator.
    private func initProducerID(_ request: InitProducerIDRequest) async -> InitProducerIDResponse {
        guard request.transactionalID == nil, (request.producerID == -1) == (request.producerEpoch == -1) else {
            return InitProducerIDResponse(errorCode: .invalidRequest, producerID: -1, producerEpoch: -1)
        }
        do {
            let id = try await producerIDs.allocate(using: server.currentClient)
            return InitProducerIDResponse(errorCode: .noError, producerID: id, producerEpoch: 0)
        } catch {
            logger.warning("cannot allocate a producer id", metadata: ["error": "\(error)"])
            return InitProducerIDResponse(errorCode: .coordinatorNotAvailable, producerID: -1, producerEpoch: -1)
        }
    }
}
