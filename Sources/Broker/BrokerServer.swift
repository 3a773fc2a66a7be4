import Foundation
import KafkaWire
package import KafkaZooKeeper
package import NIOCore
package import KeeperClient
package import Logging
import ServiceLifecycle
import Synchronization
import ZooKeeperWire
package import SegmentLog

/// One broker's control plane as a `Service`: a session with the ensemble, registration, controller
/// election, the controller itself while elected, and the `MetadataCache` every broker keeps.
///
/// Per session (`runSession`): create the persistent paths and `/cluster/id`, register
/// `/brokers/ids/<id>`, then loop: read a `ClusterSnapshot` (leaving watches), publish it to
/// `metadata`, stand for election when `/controller` is absent, feed the snapshot to the
/// `ControllerStateMachine` while controller and run its writes, wait for the next watch event.
/// Session expiry starts a new session (re-registration, a new election, a controller that starts
/// from scratch: fencing). Graceful shutdown closes the session, which removes our ephemerals.
///
/// `KafkaDataPlane` runs next to this service: it reads `metadata`, checks leadership with
/// `metadata.current.leadership(of:for:)`, asks for topic auto-creation with `createTopic`, and does
/// admin work through `currentClient`.
package final class BrokerServer: Service, Sendable {
    package let configuration: BrokerConfiguration
    package let metadata = MetadataCache()
    /// Counted by the data plane, served on `admin.port`.
    package let metrics = BrokerMetrics()
    private let logger: Logger
    private let hostName: String
    private let client = Mutex<ZooKeeperClient?>(nil)
    /// What the controller loop is asked to do between watch events.
    private struct ControllerInbox {
        /// Controlled shutdown requests: broker → its broker epoch.
        var shutdowns: [BrokerID: Int64] = [:]
        var imbalanceCheckDue = false
        /// Wakes the current session's controller loop.
        var wake: AsyncStream<Void>.Continuation?
    }
    private let inbox = Mutex(ControllerInbox())
    /// This broker's current registration epoch (the czxid of `/brokers/ids/<id>`), nil between sessions.
    private let registeredEpoch = Mutex<Int64?>(nil)

    /// - Parameter hostName: advertised for listeners without a host (Kafka uses the canonical host name).
    package init(configuration: BrokerConfiguration, logger: Logger, hostName: String = ProcessInfo.processInfo.hostName) {
        self.configuration = configuration
        self.logger = logger
        self.hostName = hostName
    }

    /// Reads and validates a `server.properties` file; unknown keys are logged, one warning each.
    package static func load(configPath: String, logger: Logger) throws -> BrokerServer {
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
        let configuration = try BrokerConfiguration.parse(text)
        for key in configuration.ignoredKeys {
            logger.warning("ignoring unknown or unsupported configuration key", metadata: ["key": "\(key)", "file": "\(configPath)"])
        }
        for divergence in configuration.divergences {
            logger.warning("configuration value read differently from kafka", metadata: ["note": "\(divergence)"])
        }
        return BrokerServer(configuration: configuration, logger: logger)
    }

    // MARK: - Service

    package func run() async throws {
        var logger = self.logger
        logger[metadataKey: "broker.id"] = "\(configuration.brokerID)"
        try await run(logger: logger)
    }

    private func run(logger: Logger) async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.runSessions(logger: logger) }
        } catch is CancellationError {
            logger.debug("broker cancelled")
        }
        if let current = client.withLock({ $0.take() }) {
            // Closing the session deletes /brokers/ids/<id> (and /controller if we hold it) at once.
            do { try await current.close() } catch { logger.debug("closing the session failed", metadata: ["error": "\(error)"]) }
        }
        logger.info("broker stopped")
    }

    /// The current session's client, for admin work on behalf of Kafka clients; throws CONNECTIONLOSS
    /// between sessions.
    package var currentClient: ZooKeeperClient {
        get throws {
            guard let client = client.withLock({ $0 }) else { throw ZooKeeperError(code: .connectionLoss) }
            return client
        }
    }

    /// Topic administration on the current session, creating znodes with this broker's ACLs; throws
    /// CONNECTIONLOSS between sessions.
    package var topicAdmin: TopicAdmin {
        get throws { TopicAdmin(client: try currentClient, acls: configuration.zkACLPolicy) }
    }

    /// Creates `name` with the broker defaults (`num.partitions`, `default.replication.factor`), as
    /// auto-creation does (`auto.create.topics.enable`; the caller checks that flag).
    package func createTopic(_ name: String, configs: [String: String] = [:]) async throws -> TopicAssignment {
        var random = SystemRandomNumberGenerator()
        return try await topicAdmin.create(
            name, partitions: configuration.numPartitions, replicationFactor: Int(configuration.defaultReplicationFactor),
            configs: configs, random: &random)
    }

    /// How a leader's ISR change went.
    package enum ISRWriteResult: Sendable, Equatable {
        /// The state znode holds the new ISR at this data version (the new partition epoch).
        case written(version: Int32)
        /// The znode's version moved on (the controller or a newer leader wrote it): nothing changed.
        case conflict
        /// The ensemble could not be asked, nor the znode read back (between sessions): whether the write
        /// happened is unknown.
        case failed(String)
    }

    /// A leader's ISR change as Kafka's leader writes it in ZooKeeper mode: the partition state znode set
    /// at `version` (the partition epoch this leader knows), and an `/isr_change_notification` sequential
    /// node for the controller, in one multi so neither exists without the other.
    package func writeISR(_ partition: TopicPartition, state: PartitionState, version: Int32) async -> ISRWriteResult {
        let client: ZooKeeperClient
        do { client = try currentClient } catch { return .failed("\(error)") }
        let notification = IsrChangeNotificationPayload.encode([partition])
        let path = ZkPaths.isrChangeNotificationPrefix
        let failure: String
        do {
            let results = try await client.multi([
                .setData(path: ZkPaths.partitionState(partition), data: state.encode(), version: version),
                .create(
                    path: path, data: notification, acl: configuration.zkACLPolicy.acl(for: path),
                    mode: .persistentSequential),
            ])
            if case .setData(let stat)? = results.first { return .written(version: stat.version) }
            failure = "\(results.compactMap(\.error))"
        } catch {
            failure = "\(error)"
        }
        // Refused, or no answer (a write in flight when the connection dropped may or may not have been
        // applied): the znode says which. Kafka's leader reads it back the same way
        // (`ReplicationUtils.checkLeaderAndIsrZkData`).
        do {
            guard case let (data, stat)? = try await client.dataIfExists(ZkPaths.partitionState(partition)) else {
                return .conflict
            }
            return try PartitionState.decode(partition, data) == state ? .written(version: stat.version) : .conflict
        } catch {
            return .failed("\(failure); reading it back: \(error)")
        }
    }

    // MARK: - Controlled shutdown

    /// As the controller: `broker`, registered with `brokerEpoch`, asks to stop (ControlledShutdown). Its
    /// leaderships move to other in-sync replicas and it leaves the ISRs
    /// (`PartitionLeaderElection.controlledShutdown`; a request from an older registration is ignored).
    /// Returns the partitions it still leads with other replicas assigned, once that is none or after
    /// `wait`; nil when this broker is not the controller.
    package func requestControlledShutdown(
        broker: BrokerID, brokerEpoch: Int64, wait: Duration = .seconds(5)
    ) async -> [TopicPartition]? {
        guard metadata.current.controller == configuration.brokerID else { return nil }
        inbox.withLock { inbox in
            inbox.shutdowns[broker] = brokerEpoch
            inbox.wake?.yield()
        }
        @Sendable func remaining(_ snapshot: MetadataCache.Snapshot) -> [TopicPartition] {
            snapshot.topics.values.flatMap(\.partitions.values)
                .filter { $0.leader == broker && $0.replicas.count > 1 }.map(\.topicPartition).sorted()
        }
        let updates = metadata.updates()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await snapshot in updates where remaining(snapshot).isEmpty { return }
            }
            group.addTask { try? await Task.sleep(for: wait) }
            await group.next()
            group.cancelAll()
        }
        return remaining(metadata.current)
    }

    /// On SIGTERM, before the data plane stops (`controlled.shutdown.enable`): asks the controller to move
    /// this broker's leaderships away, up to `controlled.shutdown.max.retries` more times
    /// `controlled.shutdown.retry.backoff.ms` apart while some remain (`KafkaServer.controlledShutdown`).
    /// A rolling restart then takes no partition offline. One log line with the outcome.
    package func controlledShutdown(group: any EventLoopGroup, logger: Logger) async {
        guard configuration.controlledShutdownEnable, let epoch = registeredEpoch.withLock({ $0 }) else { return }
        // Leading nothing that another replica could take over, there is nothing to move: closing the
        // session takes this broker out of the ISRs at once.
        let me = configuration.brokerID
        guard metadata.current.topics.values.contains(where: { $0.partitions.values.contains { $0.leader == me && $0.replicas.count > 1 } })
        else {
            logger.info("controlled shutdown complete: no partition led here", metadata: ["attempts": "0"])
            return
        }
        var remaining: [TopicPartition] = []
        for attempt in 0...Int(configuration.controlledShutdownMaxRetries) {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(configuration.controlledShutdownRetryBackoffMs)) }
            do {
                remaining = try await askControllerToStop(epoch: epoch, group: group)
            } catch {
                logger.warning(
                    "controlled shutdown request failed", metadata: ["attempt": "\(attempt + 1)", "error": "\(error)"])
                continue
            }
            if remaining.isEmpty {
                logger.info("controlled shutdown complete: no partition led here", metadata: ["attempts": "\(attempt + 1)"])
                return
            }
        }
        logger.warning(
            "controlled shutdown incomplete; stopping anyway",
            metadata: ["remaining": "\(remaining.map(\.description).joined(separator: ","))"])
    }

    private func askControllerToStop(epoch: Int64, group: any EventLoopGroup) async throws -> [TopicPartition] {
        let snapshot = metadata.current
        guard let controller = snapshot.controller else { throw ControlledShutdownFailure.noController }
        if controller == configuration.brokerID {
            guard let remaining = await requestControlledShutdown(broker: controller, brokerEpoch: epoch) else {
                throw ControlledShutdownFailure.noController
            }
            return remaining
        }
        guard
            let endpoint = snapshot.brokers[controller]?.endpoints.first(where: {
                $0.listenerName == configuration.interBrokerListener
            })
        else { throw ControlledShutdownFailure.noController }
        var answer: ControlledShutdownResponse?
        try await KafkaClientConnection.withConnection(
            host: endpoint.host, port: endpoint.port, group: group, clientID: "broker-\(configuration.brokerID)-shutdown",
            timeout: .seconds(30), maxFrameSize: Int(configuration.socketRequestMaxBytes)
        ) { connection in
            let request = ControlledShutdownRequest(brokerID: configuration.brokerID.rawValue, brokerEpoch: epoch)
            guard case .controlledShutdown(let response) = try await connection.send(.controlledShutdown(request), version: 2)
            else { throw KafkaClientConnection.Failure.unexpectedResponse }
            answer = response
        }
        guard let answer, answer.errorCode == .noError else {
            throw ControlledShutdownFailure.refused("\(answer?.errorCode ?? .unknownServerError)")
        }
        return answer.remainingPartitions.map { TopicPartition($0.topicName, $0.partitionIndex) }
    }

    private enum ControlledShutdownFailure: Error, CustomStringConvertible {
        case noController
        case refused(String)

        var description: String {
            switch self {
            case .noController: "no controller known"
            case .refused(let code): "controller answered \(code)"
            }
        }
    }

    /// A topic's config overrides (`/config/topics/<t>`); empty when it has none.
    package func topicConfigOverrides(_ topic: String) async throws -> [String: String] {
        try await topicAdmin.configOverrides(topic)
    }

    private func runSessions(logger: Logger) async throws {
        try await ensureChroot(logger: logger)
        var firstSession = true
        while !Task.isCancelled {
            let session = try ZooKeeperClient(
                connectString: configuration.zookeeperConnect, sessionTimeout: configuration.sessionTimeout, logger: logger)
            do {
                try await session.connect(timeout: configuration.connectionTimeout)
            } catch {
                // Kafka gives up at startup after zookeeper.connection.timeout.ms, and retries later.
                if firstSession { throw error }
                logger.warning("cannot reach the ensemble; retrying", metadata: ["error": "\(error)"])
                continue
            }
            do {
                try await authenticate(session, logger: logger)
            } catch {
                try? await session.close()  // the session is unusable either way; the error says why
                throw error
            }
            firstSession = false
            client.withLock { $0 = session }
            do {
                try await runSession(session, logger: logger)
            } catch _ where Task.isCancelled {
                // Shutting down: whatever the session's tasks threw on the way out does not matter.
            } catch let error as ZooKeeperError where error.code == .sessionExpired {
                logger.warning("session expired; registering again with a new session")
            } catch BrokerError.sessionExpired {
                logger.warning("session expired; registering again with a new session")
            }
            client.withLock { $0 = nil }
            try? await session.close()
        }
    }

    /// Kafka creates the chroot of `zookeeper.connect` if it is missing (`createChrootIfNecessary`).
    private func ensureChroot(logger: Logger) async throws {
        guard let chroot = Self.chroot(of: configuration.zookeeperConnect),
            let slash = configuration.zookeeperConnect.firstIndex(of: "/")
        else { return }
        let root = try ZooKeeperClient(
            connectString: String(configuration.zookeeperConnect[..<slash]), sessionTimeout: configuration.sessionTimeout,
            logger: logger)
        try await root.connect(timeout: configuration.connectionTimeout)
        do {
            try await authenticate(root, logger: logger)
            try await root.ensurePath(chroot, acls: configuration.zkACLPolicy)
        } catch {
            try? await root.close()
            throw error
        }
        try await root.close()
    }

    /// Adds the ensemble credential to a new session before it writes anything (Kafka logs in with SASL
    /// while connecting). The digest scheme accepts any `user:password`; a wrong password shows up as
    /// NOAUTH on the first write to a node another broker created, reported by `runSession`.
    private func authenticate(_ session: ZooKeeperClient, logger: Logger) async throws {
        guard let credential = configuration.zookeeperDigest else { return }
        try await session.addAuth(scheme: "digest", credential: credential.authData)
        logger.debug("authenticated to the ensemble", metadata: ["zk.auth_user": "\(credential.user)"])
    }

    /// With `zookeeper.set.acl`, one warning per session when the namespace root lets anyone delete the
    /// top-level nodes (`ZkACLPolicy.isWorldWritable`).
    private func warnIfRootIsOpen(_ session: ZooKeeperClient, logger: Logger) async throws {
        guard configuration.zookeeperSetACL else { return }
        let (acl, _) = try await session.getACL("/")
        guard ZkACLPolicy.isWorldWritable(acl) else { return }
        logger.warning(
            """
            the root of the cluster's znodes is world-writable: anyone may delete /controller or /controller_epoch; \
            use a chroot in zookeeper.connect or give the root a secure acl
            """,
            metadata: ["zk.path": "\(Self.chroot(of: configuration.zookeeperConnect) ?? "/")"])
    }

    /// The chroot of a connect string (`host:port/chroot`), nil without one.
    private static func chroot(of connect: String) -> String? {
        guard let slash = connect.firstIndex(of: "/") else { return nil }
        let chroot = String(connect[slash...])
        return chroot == "/" ? nil : chroot
    }

    private func runSession(_ session: ZooKeeperClient, logger: Logger) async throws {
        do {
            try await runAuthorizedSession(session, logger: logger)
        } catch let error as ZooKeeperError where error.code == .noAuth {
            throw BrokerError.notAuthorized(path: error.path ?? "?", user: configuration.zookeeperDigest?.user)
        }
    }

    private func runAuthorizedSession(_ session: ZooKeeperClient, logger: Logger) async throws {
        let sessionEvents = session.sessionEvents()
        let watchEvents = session.watchEvents()
        let registrar = BrokerRegistrar(client: session, acls: configuration.zkACLPolicy, logger: logger)
        var random = SystemRandomNumberGenerator()
        try await warnIfRootIsOpen(session, logger: logger)
        try await registrar.createPersistentPaths()
        let clusterID = try await registrar.clusterID(using: &random)
        let registration = BrokerRegistration(
            id: configuration.brokerID, endpoints: configuration.advertisedEndpoints(hostName: hostName),
            rack: configuration.brokerRack, timestamp: Self.nowMilliseconds())
        // A crashed predecessor's node lives until its session expires: one session timeout plus slack.
        let brokerEpoch = try await registrar.register(registration, previousSessionWait: configuration.sessionTimeout * 2 + .seconds(5))
        logger.info(
            "registered",
            metadata: [
                "cluster.id": "\(clusterID)", "broker.epoch": "\(brokerEpoch)",
                "endpoints": "\(registration.endpoints.map(\.description).joined(separator: ","))",
            ])
        let (signal, signalContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        registeredEpoch.withLock { $0 = brokerEpoch }
        inbox.withLock { $0.wake = signalContinuation }
        defer {
            registeredEpoch.withLock { $0 = nil }
            inbox.withLock { $0 = ControllerInbox() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in sessionEvents {
                    switch event {
                    case .expired: throw BrokerError.sessionExpired
                    case .closed, .authFailed: throw BrokerError.sessionClosed
                    case .connected, .disconnected: continue
                    }
                }
                throw BrokerError.sessionClosed
            }
            group.addTask {
                for await _ in watchEvents { signalContinuation.yield() }
                signalContinuation.finish()
            }
            group.addTask {
                try await self.coordinate(session, clusterID: clusterID, signal: signal, logger: logger)
            }
            if configuration.autoLeaderRebalanceEnable {
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(self.configuration.leaderImbalanceCheckIntervalSeconds))
                        self.inbox.withLock { inbox in
                            inbox.imbalanceCheckDue = true
                            inbox.wake?.yield()
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            // The session-events task ends every session by throwing why (expired, or closed). The
            // watch relay and the controller loop end without an error when the session's streams
            // finish, which can happen first: waiting on them alone lost the reason, and a broker
            // whose session expired registered again without saying so.
            while try await group.next() != nil {}
        }
    }

    /// The read → decide → write loop of one session.
    private func coordinate(_ session: ZooKeeperClient, clusterID: String, signal: AsyncStream<Void>, logger: Logger) async throws {
        var controller = ControllerStateMachine(brokerID: configuration.brokerID, settings: .init(configuration))
        var random = SystemRandomNumberGenerator()
        var wakeUps = signal.makeAsyncIterator()
        defer {
            for action in controller.resign(reason: "session ended") { log(action, logger: logger) }
        }
        while !Task.isCancelled {
            let next: NextStep
            do {
                next = try await step(session, clusterID: clusterID, controller: &controller, random: &random, logger: logger)
            } catch let error as ZooKeeperError where error.code == .connectionLoss {
                // The client reconnects with the same session (watches are restored); start over then.
                logger.debug("connection lost; reading again", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            if next == .waitForChange {
                guard await wakeUps.next() != nil else { return }
            }
        }
    }

    private enum NextStep {
        case readAgain
        case waitForChange
    }

    /// One read of the ensemble and what follows from it.
    private func step(
        _ session: ZooKeeperClient, clusterID: String, controller: inout ControllerStateMachine,
        random: inout SystemRandomNumberGenerator, logger: Logger
    ) async throws -> NextStep {
        let snapshot = try await ClusterReader(client: session).read(watch: true, topicConfigs: controller.isActive)
        for problem in snapshot.problems { logger.warning("skipping malformed znode", metadata: ["problem": "\(problem)"]) }
        metadata.update(MetadataCache.Snapshot(clusterID: clusterID, cluster: snapshot))
        if !controller.isActive, snapshot.controller == nil {
            let election = ControllerElection(
                client: session, brokerID: configuration.brokerID, acls: configuration.zkACLPolicy)
            if let won = try await election.attempt(timestamp: Self.nowMilliseconds()) {
                for action in controller.becameController(epoch: won.epoch, epochZkVersion: won.version) { log(action, logger: logger) }
            }
            return .readAgain  // winner or not: act on a fresh full read
        }
        guard controller.isActive else { return .waitForChange }
        let (shutdowns, imbalanceCheckDue) = inbox.withLock { inbox in
            defer {
                inbox.shutdowns = [:]
                inbox.imbalanceCheckDue = false
            }
            return (inbox.shutdowns, inbox.imbalanceCheckDue)
        }
        for (broker, epoch) in shutdowns.sorted(by: { $0.key < $1.key }) {
            controller.controlledShutdownRequested(broker: broker, brokerEpoch: epoch)
            logger.info("controlled shutdown requested", metadata: ["broker": "\(broker)", "broker.epoch": "\(epoch)"])
        }
        if imbalanceCheckDue { controller.leaderImbalanceCheckDue() }
        let actions = controller.clusterRead(snapshot, random: &random)
        // Everything written and nothing failed: read again to see the result and follow up.
        return try await execute(actions, controller: &controller, session: session, logger: logger) ? .readAgain : .waitForChange
    }

    /// Runs the controller's actions in order; true if it wrote something and nothing failed.
    /// Fenced writes coalesced into one multi: consecutive `.write`s behind the same epoch check (a
    /// failover's elections, hundreds of partition states) go to the ensemble as one request of up to
    /// this many ops, each all-or-nothing as before; their notes are logged once they are written.
    static let maxOpsPerMulti = 200

    private func execute(
        _ actions: [ControllerStateMachine.Action], controller: inout ControllerStateMachine, session: ZooKeeperClient,
        logger: Logger
    ) async throws -> Bool {
        var wrote = false
        var batch: [Op] = []
        var batchNotes: [ControllerStateMachine.Action] = []
        /// Writes the pending batch; false when it failed (the controller has been told).
        func flush() async throws -> Bool {
            guard !batch.isEmpty else { return true }
            let ops = batch
            let notes = batchNotes
            batch = []
            batchNotes = []
            let results = try await session.multi(ops)
            guard results.firstError == nil else {
                for follow in controller.writeFailed(ops, results: results) { log(follow, logger: logger) }
                return false
            }
            for note in notes { log(note, logger: logger) }
            wrote = true
            return true
        }
        for action in actions {
            guard controller.isActive else { return false }
            switch action {
            case .note:
                if batch.isEmpty { log(action, logger: logger) } else { batchNotes.append(action) }
            case .write(let ops):
                if let check = ops.first, batch.first == check, batch.count + ops.count - 1 <= Self.maxOpsPerMulti {
                    batch += ops.dropFirst()
                } else {
                    guard try await flush() else { return false }
                    batch = ops
                }
            case .createIfAbsent(let creates, let check):
                guard try await flush() else { return false }
                for create in creates {
                    let ops = [check, create]
                    let results = try await session.multi(ops)
                    if let code = results.firstError, code != .nodeExists {
                        for follow in controller.writeFailed(ops, results: results) { log(follow, logger: logger) }
                        return false
                    }
                }
                wrote = true
            case .deleteRecursive(let path, let check):
                guard try await flush() else { return false }
                guard try await deleteRecursive(path, check: check, controller: &controller, session: session, logger: logger) else {
                    return false
                }
                wrote = true
            }
        }
        guard try await flush() else { return false }
        return wrote
    }

    /// Deletes `path`'s subtree deepest first, each delete fenced; false if a fenced delete failed.
    private func deleteRecursive(
        _ path: String, check: Op, controller: inout ControllerStateMachine, session: ZooKeeperClient, logger: Logger
    ) async throws -> Bool {
        for child in try await session.childrenIfExists(path) {
            guard try await deleteRecursive("\(path)/\(child)", check: check, controller: &controller, session: session, logger: logger)
            else { return false }
        }
        let ops = [check, Op.delete(path: path)]
        let results = try await session.multi(ops)
        if let code = results.firstError, code != .noNode {
            for follow in controller.writeFailed(ops, results: results) { log(follow, logger: logger) }
            return false
        }
        return true
    }

    private func log(_ action: ControllerStateMachine.Action, logger: Logger) {
        guard case .note(let note) = action else { return }
        switch note {
        case .becameController(let epoch):
            logger.info("became controller", metadata: ["controller.epoch": "\(epoch)"])
        case .resigned(let reason):
            logger.info("resigned as controller", metadata: ["reason": "\(reason)"])
        case .partitionCreated(let partition, let leader, let isr):
            logger.info(
                "partition leader elected",
                metadata: Self.partitionMetadata(partition, leader: leader, epoch: 0, isr: isr, reason: "new partition"))
        case .leaderChanged(let partition, let state, let reason):
            let message = reason == .isrShrunk ? "partition isr shrunk" : "partition leader elected"
            logger.info(
                "\(message)",
                metadata: Self.partitionMetadata(partition, leader: state.leader, epoch: state.leaderEpoch, isr: state.isr, reason: "\(reason)"))
        case .partitionOffline(let partition, let reason):
            logger.warning("partition has no leader", metadata: ["kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)", "reason": "\(reason)"])
        case .replicasAssigned(let topic, let partitions):
            logger.info("assigned replicas", metadata: ["kafka.topic": "\(topic)", "partitions": "\(partitions)"])
        case .topicCreated(let topic, let partitions):
            logger.info("topic created", metadata: ["kafka.topic": "\(topic)", "partitions": "\(partitions)"])
        case .replicasUnassignable(let topic, let reason):
            logger.warning("cannot assign replicas", metadata: ["kafka.topic": "\(topic)", "reason": "\(reason)"])
        case .topicDeleted(let topic):
            logger.info("topic deleted", metadata: ["kafka.topic": "\(topic)"])
        case .deletionIgnored(let topic, let reason):
            logger.info("topic deletion request removed", metadata: ["kafka.topic": "\(topic)", "reason": "\(reason)"])
        case .writeConflict(let path, let code):
            logger.debug("controller write conflicted; re-reading", metadata: ["path": "\(path)", "code": "\(code)"])
        case .reassignmentStarted(let partition, let replicas, let adding, let removing):
            logger.info(
                "partition reassignment started",
                metadata: [
                    "kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)",
                    "replicas": "\(Self.list(replicas))", "adding": "\(Self.list(adding))", "removing": "\(Self.list(removing))",
                ])
        case .reassignmentCompleted(let partition, let replicas, let leader):
            logger.info(
                "partition reassignment completed",
                metadata: [
                    "kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)",
                    "replicas": "\(Self.list(replicas))", "leader": "\(leader)",
                ])
        case .reassignmentDropped(let partition, let reason):
            logger.warning(
                "partition reassignment dropped",
                metadata: ["kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)", "reason": "\(reason)"])
        case .reassignmentRequestDeleted(let reason):
            logger.info("partition reassignment request deleted", metadata: ["reason": "\(reason)"])
        case .writeNotAuthorized(let path):
            logger.warning(
                "controller write refused by the node's acl (NOAUTH)",
                metadata: ["path": "\(path)", "zk.auth_user": "\(configuration.zookeeperDigest?.user ?? "none")"])
        }
    }

    private static func list(_ ids: [BrokerID]) -> String { ids.map(\.description).joined(separator: ",") }

    private static func partitionMetadata(
        _ partition: TopicPartition, leader: BrokerID, epoch: Int32, isr: [BrokerID], reason: String
    ) -> Logger.Metadata {
        [
            "kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)", "leader": "\(leader)",
            "leader.epoch": "\(epoch)", "isr": "\(isr.map(\.description).joined(separator: ","))", "reason": "\(reason)",
        ]
    }

    private static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
