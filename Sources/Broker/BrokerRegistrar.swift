import KafkaZooKeeper
import KeeperClient
import Logging
import ZooKeeperWire

/// Startup writes of a broker session, as `KafkaServer.startup` / `KafkaZkClient` do them: the
/// top-level persistent paths, `/cluster/id`, and the ephemeral `/brokers/ids/<id>` registration.
struct BrokerRegistrar {
    let client: ZooKeeperClient
    /// `zookeeper.set.acl`'s choice for every node created here.
    let acls: ZkACLPolicy
    let logger: Logger

    /// `KafkaZkClient.createTopLevelPaths`.
    func createPersistentPaths() async throws {
        for path in ZkPaths.persistentPaths { try await client.ensurePath(path, acls: acls) }
    }

    /// `KafkaZkClient.createOrGetClusterId`: the existing id, or a new random one.
    func clusterID(using random: inout some RandomNumberGenerator) async throws -> String {
        if case let (data, _)? = try await client.dataIfExists(ZkPaths.clusterID) {
            return try ClusterIDPayload.decode(data)
        }
        let id = KafkaUUID.random(using: &random)
        try await client.ensurePath(ZkPaths.cluster, acls: acls)
        do {
            _ = try await client.create(
                ZkPaths.clusterID, data: ClusterIDPayload.encode(id), acl: acls.acl(for: ZkPaths.clusterID))
            return id
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            return try await clusterID(using: &random)
        }
    }

    /// Registers `registration` as the ephemeral `/brokers/ids/<id>` and returns the broker epoch (its czxid).
    ///
    /// `KafkaZkClient.registerBroker` → `CheckedEphemeral.create`: `multi(create EPHEMERAL with no
    /// data, setData(payload, version 0))`; on NODEEXISTS the node is ours if its ephemeral owner is
    /// our session (a retried request). Kafka then fails; Paddock also recognises its own previous
    /// incarnation (a node with exactly our endpoints, left by a session not yet expired after a
    /// crash or a quick restart) and waits up to `previousSessionWait` for it to vanish.
    func register(_ registration: BrokerRegistration, previousSessionWait: Duration) async throws -> Int64 {
        let path = ZkPaths.broker(registration.id)
        let deadline = ContinuousClock.now + previousSessionWait
        var waitingLogged = false
        while true {
            let results = try await client.multi([
                .create(path: path, data: [], acl: acls.acl(for: path), mode: .ephemeral),
                .setData(path: path, data: registration.encode(), version: 0),
            ])
            if results.firstError == nil, case .setData(let stat) = results[1] { return stat.czxid }
            guard results.firstError == .nodeExists else {
                throw ZooKeeperError(code: results.firstError ?? .systemError, path: path)
            }
            let watches = client.watchEvents()
            guard case let (data, stat)? = try await client.dataIfExists(path, watch: true) else { continue }
            if stat.ephemeralOwner == client.sessionID?.rawValue { return stat.czxid }
            let existing = try? BrokerRegistration.decode(id: registration.id, data)
            guard let existing, existing.endpoints == registration.endpoints else {
                throw BrokerError.brokerIDInUse(
                    registration.id, registeredEndpoints: existing?.endpoints.map(\.description) ?? [],
                    ownerSession: stat.ephemeralOwner)
            }
            if !waitingLogged {
                logger.info(
                    "waiting for the registration of a previous session to expire",
                    metadata: ["broker.id": "\(registration.id)", "zk.session_id": "0x\(String(stat.ephemeralOwner, radix: 16))"])
                waitingLogged = true
            }
            guard try await Self.waitForDeletion(of: path, events: watches, until: deadline) else {
                throw BrokerError.previousRegistrationStuck(registration.id, waited: previousSessionWait)
            }
        }
    }

    /// Waits for a NodeDeleted event on `path` (a watch must be set); false at the deadline.
    static func waitForDeletion(of path: String, events: AsyncStream<WatchEvent>, until deadline: ContinuousClock.Instant) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in events where event.path == path && event.type == .nodeDeleted { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(until: deadline)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
    }
}
