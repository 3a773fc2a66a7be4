import Foundation
package import KafkaZooKeeper
package import SegmentLog

/// A broker's configuration, read from Kafka's own `server.properties` format so a file that starts
/// an Apache Kafka broker in ZooKeeper mode starts a Paddock broker.
///
/// Defaults are Kafka's (`ServerConfigs`, `ServerLogConfigs`, `ZkConfigs`, `ReplicationConfigs`;
/// reference/kafka.md §1.4 and §2.2). Keys Paddock does not know are collected in `ignoredKeys`
/// (one warning line each at start-up); a bad value is an error naming the key and the value.
package struct BrokerConfiguration: Sendable, Equatable {
    /// `broker.id`. Required: Paddock does not generate ids from `/brokers/seqid`.
    package var brokerID = BrokerID(0)
    /// `listeners` (default `PLAINTEXT://:9092`).
    package var listeners = [Endpoint(listenerName: "PLAINTEXT", host: "", port: 9092)]
    /// `advertised.listeners`; nil means "the listeners".
    package var advertisedListeners: [Endpoint]?
    /// `listener.security.protocol.map`: listener name → security protocol.
    package var securityProtocolMap: [String: String] = [
        "PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL",
    ]
    /// `log.dirs`, else `log.dir` (default `/tmp/kafka-logs`).
    package var logDirs = ["/tmp/kafka-logs"]
    /// `zookeeper.connect`: `host:port[,host:port…][/chroot]`. Required.
    package var zookeeperConnect = ""
    package var zookeeperSessionTimeoutMs = 18_000
    /// `zookeeper.set.acl` (Kafka's key and default, false): give every znode the broker creates Kafka's
    /// secure ACLs (`ZkACLPolicy`). Needs `zookeeperDigest`, as Kafka needs ZooKeeper SASL or TLS for it.
    package var zookeeperSetACL = false
    /// `paddock.zookeeper.digest.user` + `paddock.zookeeper.digest.password.file` (Paddock's own; Kafka
    /// uses a JAAS `Client` section): the identity the broker authenticates as before it writes anything.
    package var zookeeperDigest: ZkDigestCredential?
    /// `zookeeper.connection.timeout.ms`; nil means the session timeout (Kafka's default).
    package var zookeeperConnectionTimeoutMs: Int?
    package var numPartitions: Int32 = 1
    package var defaultReplicationFactor: Int16 = 1
    package var autoCreateTopicsEnable = true
    package var deleteTopicEnable = true
    package var uncleanLeaderElectionEnable = false
    package var logSegmentBytes: Int32 = 1_073_741_824
    /// `log.roll.ms`, else `log.roll.hours` (168).
    package var logRollMs: Int64 = 168 * 3_600_000
    /// `log.retention.ms`, else `.minutes`, else `.hours` (168); -1 keeps logs forever.
    package var logRetentionMs: Int64 = 168 * 3_600_000
    package var logRetentionBytes: Int64 = -1
    package var logRetentionCheckIntervalMs: Int64 = 300_000
    /// `log.cleanup.policy` (`delete`): the default of the topics' `cleanup.policy`.
    package var logCleanupPolicy = CleanupPolicy.delete
    /// `log.cleaner.enable` (true): run the log cleaner, which compacts topics whose `cleanup.policy`
    /// contains `compact`.
    package var logCleanerEnable = true
    /// `log.cleaner.threads` (1): logs compacted at once, each by its own thread.
    package var logCleanerThreads: Int32 = 1
    /// `log.cleaner.dedupe.buffer.size` (128 MiB): the memory of the cleaners' offset maps, shared by
    /// the threads (at least 1 MiB each, as Kafka requires; at most 2 GiB each, as Kafka caps it).
    package var logCleanerDedupeBufferSize: Int64 = 134_217_728
    /// `log.cleaner.backoff.ms` (15,000): how long a cleaner thread sleeps when no log needs cleaning.
    package var logCleanerBackoffMs: Int64 = 15_000
    /// `log.cleaner.min.cleanable.ratio` (0.5): the default of `min.cleanable.dirty.ratio`.
    package var logCleanerMinCleanableRatio = 0.5
    /// `log.cleaner.delete.retention.ms` (1 day): the default of `delete.retention.ms`.
    package var logCleanerDeleteRetentionMs: Int64 = 86_400_000
    /// `log.cleaner.min.compaction.lag.ms` (0): the default of `min.compaction.lag.ms`.
    package var logCleanerMinCompactionLagMs: Int64 = 0
    /// `log.cleaner.max.compaction.lag.ms` (Long.MAX): the default of `max.compaction.lag.ms`.
    package var logCleanerMaxCompactionLagMs: Int64 = .max
    package var messageMaxBytes: Int32 = 1_048_588
    package var socketRequestMaxBytes: Int32 = 104_857_600
    package var minInsyncReplicas: Int32 = 1
    /// `fetch.max.bytes` (Kafka's broker key and default, 57,671,680 = 55 MiB): the most record bytes one
    /// Fetch response carries, whatever the client's `max_bytes` (at least one batch still goes out).
    package var fetchMaxBytes: Int32 = 57_671_680
    /// `queued.max.requests` (Kafka's key and default, 500): requests being handled at once across every
    /// connection; past it connections are not read until one finishes. Each connection also has at most
    /// one request in flight (Kafka mutes a connection until its response is sent).
    package var queuedMaxRequests: Int32 = 500
    /// `queued.max.request.bytes` (Kafka's key): the bytes of request frames held at once across every
    /// connection, from a frame's size until its request is handled; past it connections whose next
    /// frame does not fit are not read until bytes are released (`QueuedRequestBytes`).
    ///
    /// Diverges from Kafka: Kafka's default is -1, no bound, so 100 connections that each declare a
    /// 100 MiB frame and then send it slowly hold 10 GiB. Paddock always bounds it: nil (the key absent,
    /// or Kafka's "unbounded" -1 or 0, which get a warning at start-up) means `defaultQueuedMaxRequestBytes`
    /// or `socket.request.max.bytes`, whichever is larger. As in Kafka, a set value must be at least
    /// `socket.request.max.bytes`, so any one frame fits.
    package var queuedMaxRequestBytes: Int64?
    /// `connections.max.idle.ms` (Kafka's key and default, 600,000): a client connection with no bytes in
    /// or out for this long is closed.
    package var connectionsMaxIdleMs: Int64 = 600_000
    /// `paddock.max.decompressed.batch.bytes` (Paddock's own; Kafka has none): the most bytes one stored
    /// batch's records may decompress to, whatever a topic's `max.message.bytes` says; 64 MiB by default.
    package var maxDecompressedBatchBytes: Int32 = 64 << 20
    /// `paddock.max.partitions.per.topic` (Paddock's own; Kafka checks only for int32): the most partitions
    /// a CreateTopics may ask for, 10,000 by default, so that a request for 2^31-1 partitions is refused
    /// (INVALID_PARTITIONS) before an assignment is built, and an assignment znode stays far below
    /// ZooKeeper's `jute.maxbuffer` (1 MiB).
    package var maxPartitionsPerTopic: Int32 = 10_000
    /// `replica.lag.time.max.ms` (Kafka's key and default, 30,000): a follower that has not caught up with
    /// the leader's log end for this long leaves the ISR.
    package var replicaLagTimeMaxMs: Int64 = 30_000
    /// `replica.fetch.wait.max.ms` (500): how long a follower's fetch waits at the leader for data.
    package var replicaFetchWaitMaxMs: Int32 = 500
    /// `replica.fetch.min.bytes` (1): the bytes a follower's fetch waits for.
    package var replicaFetchMinBytes: Int32 = 1
    /// `replica.fetch.max.bytes` (1 MiB): the bytes a follower asks for per partition (at least one batch
    /// still comes).
    package var replicaFetchMaxBytes: Int32 = 1_048_576
    /// `replica.fetch.response.max.bytes` (10 MiB): the bytes a follower asks for per fetch.
    package var replicaFetchResponseMaxBytes: Int32 = 10_485_760
    /// `replica.fetch.backoff.ms` (1,000): how long a follower waits after a failed fetch.
    package var replicaFetchBackoffMs: Int64 = 1_000
    /// `num.replica.fetchers` (1): fetcher connections per source broker.
    package var numReplicaFetchers: Int32 = 1
    /// `replica.socket.timeout.ms` (30,000): a follower gives up on a fetch answer after this long.
    package var replicaSocketTimeoutMs: Int64 = 30_000
    /// `controlled.shutdown.enable` (true): on SIGTERM the broker asks the controller to move its
    /// leaderships before it stops.
    package var controlledShutdownEnable = true
    /// `controlled.shutdown.max.retries` (3) and `controlled.shutdown.retry.backoff.ms` (5,000).
    package var controlledShutdownMaxRetries: Int32 = 3
    package var controlledShutdownRetryBackoffMs: Int64 = 5_000
    /// `auto.leader.rebalance.enable` (true): the controller gives partitions back to their preferred
    /// replica every `leader.imbalance.check.interval.seconds` (300) when a broker's share of them led by
    /// others is above `leader.imbalance.per.broker.percentage` (10).
    package var autoLeaderRebalanceEnable = true
    package var leaderImbalanceCheckIntervalSeconds: Int64 = 300
    package var leaderImbalancePerBrokerPercentage: Int32 = 10
    /// `producer.id.expiration.ms` (Kafka's key and default, 86,400,000 = 1 day): a partition forgets an
    /// idempotent producer whose last batch is this much older than now, when it writes or loads a
    /// producer-state snapshot.
    package var producerIDExpirationMs: Int32 = 86_400_000
    /// `inter.broker.listener.name`: the listener followers fetch through; nil means PLAINTEXT if it
    /// exists, else the first listener (Kafka derives it from `security.inter.broker.protocol`).
    package var interBrokerListenerName: String?
    /// `broker.rack`.
    package var brokerRack: String?
    /// The group coordinator's settings (`group.*`, `offsets.*`).
    package var groupCoordinator = GroupCoordinatorSettings()
    /// `admin.port` (Paddock's own): the admin HTTP and `/metrics` port; nil disables it.
    package var adminPort: Int?
    /// Keys Paddock does not know or does not use, in file order.
    package var ignoredKeys: [String] = []
    /// Values Paddock reads differently from Kafka, one sentence each, for a warning at start-up.
    package var divergences: [String] = []

    /// Paddock's `queued.max.request.bytes` when none is set: 256 MiB.
    package static let defaultQueuedMaxRequestBytes: Int64 = 256 << 20

    /// The bound on queued request bytes in effect (`queuedMaxRequestBytes`).
    package var queuedRequestBytesLimit: Int {
        Int(clamping: queuedMaxRequestBytes ?? max(Self.defaultQueuedMaxRequestBytes, Int64(socketRequestMaxBytes)))
    }

    package init() {}

    /// A bad configuration: names the key and what was wrong with its value.
    package struct Problem: Error, CustomStringConvertible, Equatable {
        package var message: String
        package init(_ message: String) { self.message = message }
        package var description: String { message }
    }

    /// The session timeout as a `Duration`.
    package var sessionTimeout: Duration { .milliseconds(zookeeperSessionTimeoutMs) }
    /// How long to wait for the first connection (`zookeeper.connection.timeout.ms`).
    package var connectionTimeout: Duration { .milliseconds(zookeeperConnectionTimeoutMs ?? zookeeperSessionTimeoutMs) }

    /// The endpoints written to `/brokers/ids/<id>`: the advertised listeners (else the listeners),
    /// an empty host replaced by `hostName` as Kafka uses the canonical host name.
    package func advertisedEndpoints(hostName: String) -> [Endpoint] {
        (advertisedListeners ?? listeners).map { endpoint in
            var endpoint = endpoint
            if endpoint.host.isEmpty { endpoint.host = hostName }
            return endpoint
        }
    }

    /// The listener followers reach their leaders through (`interBrokerListenerName`).
    package var interBrokerListener: String {
        interBrokerListenerName
            ?? (listeners.contains { $0.listenerName == "PLAINTEXT" } ? "PLAINTEXT" : listeners.first?.listenerName
                ?? "PLAINTEXT")
    }

    /// The ACLs of the znodes this broker creates.
    package var zkACLPolicy: ZkACLPolicy { ZkACLPolicy(isSecure: zookeeperSetACL) }

    /// Parses the text of a `server.properties` file. `readFile` reads the files the configuration
    /// names (the ensemble password file); it is given the most bytes it needs to return, and returning
    /// more means the file is too long.
    package static func parse(
        _ text: String, readFile: (_ path: String, _ limit: Int) throws -> [UInt8] = BrokerConfiguration.readFile
    ) throws(Problem) -> BrokerConfiguration {
        var config = BrokerConfiguration()
        var values: [String: String] = [:]
        for entry in JavaProperties.parse(text) {
            if values[entry.key] == nil, !Self.knownKeys.contains(entry.key),
                !Self.groupCoordinatorKeys.contains(entry.key) { config.ignoredKeys.append(entry.key) }
            values[entry.key] = entry.value.trimmingCharacters(in: .whitespaces)
        }
        try config.apply(values)
        try config.applyZookeeperSecurity(values, readFile: readFile)
        return config
    }

    /// Up to `limit` bytes of the file at `path`.
    package static func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Problem("no such file, or not readable")
        }
        defer { try? handle.close() }  // read-only: nothing to lose if close fails
        return Array(try handle.read(upToCount: limit) ?? Data())
    }

    static let knownKeys: Set<String> = [
        "broker.id", "listeners", "advertised.listeners", "listener.security.protocol.map", "log.dirs", "log.dir",
        "zookeeper.connect", "zookeeper.session.timeout.ms", "zookeeper.connection.timeout.ms", "num.partitions",
        "default.replication.factor", "auto.create.topics.enable", "delete.topic.enable",
        "unclean.leader.election.enable", "log.segment.bytes", "log.roll.ms", "log.roll.hours", "log.retention.ms",
        "log.retention.minutes", "log.retention.hours", "log.retention.bytes", "log.retention.check.interval.ms",
        "message.max.bytes", "socket.request.max.bytes", "min.insync.replicas", "broker.rack", "admin.port",
        "fetch.max.bytes", "queued.max.requests", "queued.max.request.bytes", "connections.max.idle.ms",
        "paddock.max.decompressed.batch.bytes", "paddock.max.partitions.per.topic", "zookeeper.set.acl",
        "producer.id.expiration.ms",
        "paddock.zookeeper.digest.user", "paddock.zookeeper.digest.password.file", "replica.lag.time.max.ms",
        "replica.fetch.wait.max.ms", "replica.fetch.min.bytes", "replica.fetch.max.bytes",
        "replica.fetch.response.max.bytes", "replica.fetch.backoff.ms", "num.replica.fetchers",
        "replica.socket.timeout.ms", "inter.broker.listener.name", "controlled.shutdown.enable",
        "controlled.shutdown.max.retries", "controlled.shutdown.retry.backoff.ms", "auto.leader.rebalance.enable",
        "leader.imbalance.check.interval.seconds", "leader.imbalance.per.broker.percentage", "log.cleanup.policy",
        "log.cleaner.enable", "log.cleaner.threads", "log.cleaner.dedupe.buffer.size", "log.cleaner.backoff.ms",
        "log.cleaner.min.cleanable.ratio", "log.cleaner.delete.retention.ms", "log.cleaner.min.compaction.lag.ms",
        "log.cleaner.max.compaction.lag.ms",
    ]

    private mutating func apply(_ values: [String: String]) throws(Problem) {
        func number<T: FixedWidthInteger>(_ key: String, _ range: ClosedRange<T>) throws(Problem) -> T? {
            try Self.number(values, key, range)
        }
        func bool(_ key: String) throws(Problem) -> Bool? {
            guard let text = values[key] else { return nil }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw Problem("\(key): expected true or false, got \"\(text)\"")
            }
        }
        func list(_ key: String) -> [String]? {
            values[key].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        func endpoints(_ key: String) throws(Problem) -> [Endpoint]? {
            guard let items = list(key) else { return nil }
            var parsed: [Endpoint] = []
            for item in items {
                guard let endpoint = Endpoint(parsing: item) else {
                    throw Problem("\(key): expected NAME://host:port, got \"\(item)\"")
                }
                guard !parsed.contains(where: { $0.listenerName == endpoint.listenerName }) else {
                    throw Problem("\(key): listener name \(endpoint.listenerName) appears twice in \"\(values[key] ?? "")\"")
                }
                parsed.append(endpoint)
            }
            guard !parsed.isEmpty else { throw Problem("\(key): expected at least one NAME://host:port, got \"\(values[key] ?? "")\"") }
            return parsed
        }

        let int32 = Int32(0)...Int32.max
        guard let id = try number("broker.id", int32) else {
            throw Problem("broker.id: required (Paddock does not generate broker ids)")
        }
        brokerID = BrokerID(id)
        if let parsed = try endpoints("listeners") { listeners = parsed }
        advertisedListeners = try endpoints("advertised.listeners")
        if let text = values["listener.security.protocol.map"] {
            var map: [String: String] = [:]
            for pair in list("listener.security.protocol.map") ?? [] {
                let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw Problem("listener.security.protocol.map: expected NAME:PROTOCOL pairs, got \"\(text)\"")
                }
                map[parts[0].uppercased()] = parts[1].uppercased()
            }
            securityProtocolMap = map
        }
        for endpoint in listeners + (advertisedListeners ?? []) {
            guard let security = securityProtocolMap[endpoint.listenerName] else {
                throw Problem("listener.security.protocol.map: no security protocol for listener \(endpoint.listenerName)")
            }
            guard security == "PLAINTEXT" else {
                throw Problem("listener.security.protocol.map: listener \(endpoint.listenerName) uses \(security); Paddock supports PLAINTEXT only")
            }
        }
        if let dirs = list("log.dirs") ?? list("log.dir") {
            guard !dirs.isEmpty else { throw Problem("log.dirs: expected at least one directory") }
            logDirs = dirs
        }
        guard let connect = values["zookeeper.connect"], !connect.isEmpty else {
            throw Problem("zookeeper.connect: required (host:port[,host:port...][/chroot])")
        }
        guard Self.isValidConnectString(connect) else {
            throw Problem("zookeeper.connect: expected host:port[,host:port...][/chroot], got \"\(connect)\"")
        }
        zookeeperConnect = connect
        zookeeperSessionTimeoutMs = try number("zookeeper.session.timeout.ms", 1...Int(Int32.max)) ?? zookeeperSessionTimeoutMs
        zookeeperConnectionTimeoutMs = try number("zookeeper.connection.timeout.ms", 1...Int(Int32.max))
        numPartitions = try number("num.partitions", 1...Int32.max) ?? numPartitions
        defaultReplicationFactor = try number("default.replication.factor", 1...Int16.max) ?? defaultReplicationFactor
        autoCreateTopicsEnable = try bool("auto.create.topics.enable") ?? autoCreateTopicsEnable
        deleteTopicEnable = try bool("delete.topic.enable") ?? deleteTopicEnable
        uncleanLeaderElectionEnable = try bool("unclean.leader.election.enable") ?? uncleanLeaderElectionEnable
        logSegmentBytes = try number("log.segment.bytes", 14...Int32.max) ?? logSegmentBytes
        if let ms = try number("log.roll.ms", 1...Int64.max) {
            logRollMs = ms
        } else if let hours = try number("log.roll.hours", 1...Int64(Int32.max)) {
            logRollMs = hours * 3_600_000
        }
        if let ms = try number("log.retention.ms", -1...Int64.max) {
            logRetentionMs = ms
        } else if let minutes = try number("log.retention.minutes", -1...Int64(Int32.max)) {
            logRetentionMs = minutes < 0 ? -1 : minutes * 60_000
        } else if let hours = try number("log.retention.hours", -1...Int64(Int32.max)) {
            logRetentionMs = hours < 0 ? -1 : hours * 3_600_000
        }
        logRetentionBytes = try number("log.retention.bytes", -1...Int64.max) ?? logRetentionBytes
        logRetentionCheckIntervalMs = try number("log.retention.check.interval.ms", 1...Int64.max) ?? logRetentionCheckIntervalMs
        // `log.cleanup.policy` and `log.cleaner.*` (`CleanerConfig`, and `KafkaConfig`'s 1 MiB per thread).
        if let text = values["log.cleanup.policy"] {
            guard let policy = CleanupPolicy(parsing: text) else {
                throw Problem("log.cleanup.policy: expected delete, compact or compact,delete, got \"\(text)\"")
            }
            logCleanupPolicy = policy
        }
        logCleanerEnable = try bool("log.cleaner.enable") ?? logCleanerEnable
        logCleanerThreads = try number("log.cleaner.threads", 1...1024) ?? logCleanerThreads
        logCleanerDedupeBufferSize =
            try number("log.cleaner.dedupe.buffer.size", 0...Int64.max) ?? logCleanerDedupeBufferSize
        guard logCleanerDedupeBufferSize / Int64(logCleanerThreads) > 1 << 20 else {
            throw Problem(
                "log.cleaner.dedupe.buffer.size: must be at least 1MB per cleaner thread, got "
                    + "\(logCleanerDedupeBufferSize) for \(logCleanerThreads) thread(s)")
        }
        logCleanerBackoffMs = try number("log.cleaner.backoff.ms", 0...Int64.max) ?? logCleanerBackoffMs
        if let text = values["log.cleaner.min.cleanable.ratio"] {
            guard let ratio = Double(text), (0...1).contains(ratio) else {
                throw Problem("log.cleaner.min.cleanable.ratio: expected a number in 0...1, got \"\(text)\"")
            }
            logCleanerMinCleanableRatio = ratio
        }
        logCleanerDeleteRetentionMs =
            try number("log.cleaner.delete.retention.ms", 0...Int64.max) ?? logCleanerDeleteRetentionMs
        logCleanerMinCompactionLagMs =
            try number("log.cleaner.min.compaction.lag.ms", 0...Int64.max) ?? logCleanerMinCompactionLagMs
        logCleanerMaxCompactionLagMs =
            try number("log.cleaner.max.compaction.lag.ms", 1...Int64.max) ?? logCleanerMaxCompactionLagMs
        messageMaxBytes = try number("message.max.bytes", int32) ?? messageMaxBytes
        socketRequestMaxBytes = try number("socket.request.max.bytes", 1...Int32.max) ?? socketRequestMaxBytes
        minInsyncReplicas = try number("min.insync.replicas", 1...Int32.max) ?? minInsyncReplicas
        fetchMaxBytes = try number("fetch.max.bytes", int32) ?? fetchMaxBytes
        queuedMaxRequests = try number("queued.max.requests", 1...Int32.max) ?? queuedMaxRequests
        switch try number("queued.max.request.bytes", Int64.min...Int64.max) {
        case nil:
            queuedMaxRequestBytes = nil
        case let bytes? where bytes <= 0:
            queuedMaxRequestBytes = nil
            divergences.append(
                "queued.max.request.bytes=\(bytes) means no bound in Kafka; Paddock keeps its bound of "
                    + "\(queuedRequestBytesLimit) bytes")
        case let bytes?:
            guard bytes >= Int64(socketRequestMaxBytes) else {
                throw Problem(
                    "queued.max.request.bytes: must be at least socket.request.max.bytes (\(socketRequestMaxBytes)), "
                        + "got \(bytes)")
            }
            queuedMaxRequestBytes = bytes
        }
        connectionsMaxIdleMs = try number("connections.max.idle.ms", 1...Int64(Int32.max)) ?? connectionsMaxIdleMs
        maxDecompressedBatchBytes =
            try number("paddock.max.decompressed.batch.bytes", 1...Int32.max) ?? maxDecompressedBatchBytes
        maxPartitionsPerTopic = try number("paddock.max.partitions.per.topic", 1...Int32.max) ?? maxPartitionsPerTopic
        replicaLagTimeMaxMs = try number("replica.lag.time.max.ms", 1...Int64(Int32.max)) ?? replicaLagTimeMaxMs
        replicaFetchWaitMaxMs = try number("replica.fetch.wait.max.ms", 0...Int32.max) ?? replicaFetchWaitMaxMs
        replicaFetchMinBytes = try number("replica.fetch.min.bytes", 1...Int32.max) ?? replicaFetchMinBytes
        replicaFetchMaxBytes = try number("replica.fetch.max.bytes", 0...Int32.max) ?? replicaFetchMaxBytes
        replicaFetchResponseMaxBytes =
            try number("replica.fetch.response.max.bytes", 0...Int32.max) ?? replicaFetchResponseMaxBytes
        replicaFetchBackoffMs = try number("replica.fetch.backoff.ms", 0...Int64(Int32.max)) ?? replicaFetchBackoffMs
        numReplicaFetchers = try number("num.replica.fetchers", 1...1024) ?? numReplicaFetchers
        replicaSocketTimeoutMs = try number("replica.socket.timeout.ms", 1...Int64(Int32.max)) ?? replicaSocketTimeoutMs
        controlledShutdownEnable = try bool("controlled.shutdown.enable") ?? controlledShutdownEnable
        controlledShutdownMaxRetries = try number("controlled.shutdown.max.retries", 0...1000) ?? controlledShutdownMaxRetries
        controlledShutdownRetryBackoffMs =
            try number("controlled.shutdown.retry.backoff.ms", 0...Int64(Int32.max)) ?? controlledShutdownRetryBackoffMs
        autoLeaderRebalanceEnable = try bool("auto.leader.rebalance.enable") ?? autoLeaderRebalanceEnable
        leaderImbalanceCheckIntervalSeconds =
            try number("leader.imbalance.check.interval.seconds", 1...Int64(Int32.max)) ?? leaderImbalanceCheckIntervalSeconds
        leaderImbalancePerBrokerPercentage =
            try number("leader.imbalance.per.broker.percentage", 0...100) ?? leaderImbalancePerBrokerPercentage
        producerIDExpirationMs = try number("producer.id.expiration.ms", 1...Int32.max) ?? producerIDExpirationMs
        if let name = values["inter.broker.listener.name"], !name.isEmpty {
            guard listeners.contains(where: { $0.listenerName == name }) else {
                throw Problem("inter.broker.listener.name: no listener is named \"\(name)\"")
            }
            interBrokerListenerName = name
        }
        brokerRack = values["broker.rack"].flatMap { $0.isEmpty ? nil : $0 }
        adminPort = try number("admin.port", 0...65535)
        try applyGroupCoordinator(values)
    }

    /// `zookeeper.set.acl` and the digest credential. Error texts name the password file, never its content.
    private mutating func applyZookeeperSecurity(
        _ values: [String: String], readFile: (String, Int) throws -> [UInt8]
    ) throws(Problem) {
        let userKey = "paddock.zookeeper.digest.user"
        let fileKey = "paddock.zookeeper.digest.password.file"
        switch values["zookeeper.set.acl"]?.lowercased() {
        case nil, "false": zookeeperSetACL = false
        case "true": zookeeperSetACL = true
        case let text?: throw Problem("zookeeper.set.acl: expected true or false, got \"\(text)\"")
        }
        let user = values[userKey].flatMap { $0.isEmpty ? nil : $0 }
        let file = values[fileKey].flatMap { $0.isEmpty ? nil : $0 }
        switch (user, file) {
        case (nil, nil):
            guard !zookeeperSetACL else {
                throw Problem(
                    "zookeeper.set.acl: true needs the ensemble credential the brokers authenticate with: "
                        + "set \(userKey) and \(fileKey)")
            }
            zookeeperDigest = nil
        case (nil, _?): throw Problem("\(userKey): required with \(fileKey)")
        case (_?, nil): throw Problem("\(fileKey): required with \(userKey)")
        case (let user?, let file?):
            zookeeperDigest = try ZkDigestCredential.load(
                user: user, passwordFile: file, userKey: userKey, fileKey: fileKey, readFile: readFile)
        }
    }

    /// `host:port[,host:port…][/chroot]` with numeric ports and a chroot that is an absolute path.
    static func isValidConnectString(_ text: String) -> Bool {
        var hosts = Substring(text)
        if let slash = text.firstIndex(of: "/") {
            hosts = text[..<slash]
            let chroot = text[slash...]
            let components = chroot.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            if chroot != "/", components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) { return false }
        }
        let entries = hosts.split(separator: ",")
        guard !entries.isEmpty else { return false }
        for entry in entries {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard let colon = trimmed.lastIndex(of: ":") else {
                if trimmed.isEmpty { return false }
                continue
            }
            guard colon != trimmed.startIndex, let port = Int(trimmed[trimmed.index(after: colon)...]),
                (1...65535).contains(port)
            else { return false }
        }
        return true
    }
}
