import JSON
package import SegmentLog

/// The znode payloads of Kafka's ZooKeeper mode, encoded byte for byte as a Kafka 3.x broker writes
/// them (`ZkData.scala`; key order as Jackson emits Kafka's Scala maps) and decoded as leniently as
/// Kafka decodes them (missing optional fields are empty). Pure: no I/O, no clock.
///
/// A znode is input (STYLE.md §5): decoders check every id, port, epoch and count they hand on, so a
/// bad znode is one `ZkDataError` (that record unusable, logged by the reader), never a trap later.
/// Epochs must stay below `Int32.max`, so the `+ 1` of an election cannot overflow.

// MARK: - /cluster/id

/// `/cluster/id`: `{"version":"1","id":"<22-char base64url UUID>"}` (`ClusterIdZNode`, KIP-78); note
/// the version is the string "1".
package enum ClusterIDPayload {
    package static func encode(_ id: String) -> [UInt8] {
        JSONValue.object([("version", .string("1")), ("id", .string(id))]).bytes
    }

    package static func decode(_ bytes: [UInt8]) throws(ZkDataError) -> String {
        try ZkJSONObject(path: ZkPaths.clusterID, bytes: bytes).string("id")
    }
}

/// Kafka's `Uuid` in its printed form (cluster ids, topic ids).
package enum KafkaUUID {
    /// A random Kafka `Uuid` as Kafka prints it: 16 bytes in URL-safe base64 without padding
    /// (`Uuid.toString`). Kafka avoids ids starting with `-` (`Uuid.randomUuid`), so do we.
    package static func random(using random: inout some RandomNumberGenerator) -> String {
        while true {
            var bytes: [UInt8] = []
            for _ in 0..<16 { bytes.append(UInt8.random(in: 0...255, using: &random)) }
            let id = base64URL(bytes)
            if !id.hasPrefix("-") && bytes != [UInt8](repeating: 0, count: 16) { return id }
        }
    }

    /// URL-safe base64 without padding (the text form SegmentLog's `TopicID` also uses).
    static func base64URL(_ bytes: [UInt8]) -> String { TopicID.text(of: bytes) }
}

// MARK: - /brokers/ids/<id>

/// `/brokers/ids/<id>` version 5 (IBP ≥ 2.7, KIP-584): what a broker advertises.
///
/// `{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://h:9092"],
/// "jmx_port":-1,"port":9092,"host":"h","version":5,"timestamp":"1700000000000"}`; `rack` (after `endpoints`)
/// only when set; `host`/`port` are the first PLAINTEXT endpoint's (else null/-1).
package struct BrokerRegistration: Hashable, Sendable {
    package var id: BrokerID
    package var endpoints: [Endpoint]
    package var rack: String?
    package var jmxPort: Int32 = -1
    /// Registration time, epoch milliseconds (written as a string); nil when a decoded registration
    /// has none or not a number there.
    package var timestamp: Int64?

    package init(id: BrokerID, endpoints: [Endpoint], rack: String?, timestamp: Int64?) {
        self.id = id
        self.endpoints = endpoints
        self.rack = rack
        self.timestamp = timestamp
    }

    package func encode() -> [UInt8] {
        let plaintext = endpoints.first { $0.listenerName == "PLAINTEXT" }
        var members: [(String, JSONValue)] = [
            ("features", .object([])),
            (
                "listener_security_protocol_map",
                .stringMap(Dictionary(endpoints.map { ($0.listenerName, "PLAINTEXT") }, uniquingKeysWith: { a, _ in a }))
            ),
            ("endpoints", .array(endpoints.map { .string($0.description) })),
        ]
        if let rack { members.append(("rack", .string(rack))) }
        members += [
            ("jmx_port", .int(Int64(jmxPort))),
            ("port", .int(Int64(plaintext?.port ?? -1))),
            ("host", plaintext.map { .string($0.host) } ?? .null),
            ("version", .int(5)),
            ("timestamp", .string(String(timestamp ?? 0))),
        ]
        return JSONValue.object(members).bytes
    }

    /// Longest host name accepted from a registration (DNS names are at most 253 bytes).
    package static let maxHostBytes = 255

    /// Decodes versions 1–5 (`BrokerIdZNode.decode`): v1 has only host/port, later ones endpoints.
    /// Refuses a registration without endpoints, with a port outside 1...65535 or a host that is
    /// empty, longer than `maxHostBytes` or not printable ASCII.
    package static func decode(id: BrokerID, _ bytes: [UInt8]) throws(ZkDataError) -> BrokerRegistration {
        let path = ZkPaths.broker(id)
        let json = try ZkJSONObject(path: path, bytes: bytes)
        let version = try json.int("version")
        var endpoints: [Endpoint] = []
        if version <= 1 {
            let host = try json.string("host")
            let port = try json.int("port")
            guard (1...65535).contains(port) else {
                throw ZkDataError.malformed(path: path, reason: "port \(port) is not in 1...65535")
            }
            endpoints = [Endpoint(listenerName: "PLAINTEXT", host: host, port: Int(port))]
        } else {
            for text in try json.stringArray("endpoints") {
                guard let endpoint = Endpoint(parsing: text) else {
                    throw ZkDataError.malformed(path: path, reason: "endpoint \"\(text)\" is not NAME://host:port")
                }
                endpoints.append(endpoint)
            }
        }
        guard !endpoints.isEmpty else { throw ZkDataError.malformed(path: path, reason: "no endpoints") }
        for endpoint in endpoints {
            guard (1...65535).contains(endpoint.port) else {
                throw ZkDataError.malformed(path: path, reason: "endpoint \(endpoint) port is not in 1...65535")
            }
            guard !endpoint.host.isEmpty, endpoint.host.utf8.count <= maxHostBytes,
                endpoint.host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "/" })
            else {
                throw ZkDataError.malformed(
                    path: path, reason: "endpoint host of \(endpoint.host.utf8.count) bytes is not a host name")
            }
        }
        var registration = BrokerRegistration(
            id: id, endpoints: endpoints, rack: try json.optionalString("rack"),
            timestamp: Int64(try json.optionalString("timestamp") ?? ""))
        registration.jmxPort = Int32(truncatingIfNeeded: try json.optionalInt("jmx_port") ?? -1)
        return registration
    }
}

// MARK: - /brokers/topics/<t>

/// `/brokers/topics/<t>` version 3 (KIP-455, KIP-516): the replica assignment.
///
/// `{"partitions":{"0":[1,2]},"topic_id":"…","adding_replicas":{},"removing_replicas":{},"version":3}`. The
/// first replica of each list is the preferred leader. Versions 1 and 2 decode with empty optional fields.
package struct TopicAssignment: Hashable, Sendable {
    /// Partition id → replicas, in assignment order.
    package var partitions: [Int32: [BrokerID]]
    package var topicID: String?
    package var addingReplicas: [Int32: [BrokerID]] = [:]
    package var removingReplicas: [Int32: [BrokerID]] = [:]

    package init(partitions: [Int32: [BrokerID]], topicID: String?) {
        self.partitions = partitions
        self.topicID = topicID
    }

    /// Partition ids in ascending order.
    package var partitionIDs: [Int32] { partitions.keys.sorted() }

    package func encode() -> [UInt8] {
        func map(_ lists: [Int32: [BrokerID]]) -> JSONValue {
            .object(lists.sorted { $0.key < $1.key }.map { (String($0.key), .brokerList($0.value)) })
        }
        var members: [(String, JSONValue)] = [("partitions", map(partitions))]
        if let topicID { members.append(("topic_id", .string(topicID))) }
        members += [("adding_replicas", map(addingReplicas)), ("removing_replicas", map(removingReplicas)), ("version", .int(3))]
        return JSONValue.object(members).bytes
    }

    package static func decode(topic: String, _ bytes: [UInt8]) throws(ZkDataError) -> TopicAssignment {
        let path = ZkPaths.topic(topic)
        let json = try ZkJSONObject(path: path, bytes: bytes)
        func lists(_ key: String) throws(ZkDataError) -> [Int32: [BrokerID]] {
            var result: [Int32: [BrokerID]] = [:]
            for (key, replicas) in try json.object(key)?.brokerLists() ?? [:] {
                guard let partition = Int32(key), partition >= 0 else {
                    throw ZkDataError.malformed(path: path, reason: "partition key \"\(key)\" is not a partition id")
                }
                guard replicas.allSatisfy({ $0.rawValue >= 0 }), Set(replicas).count == replicas.count else {
                    throw ZkDataError.malformed(
                        path: path, reason: "replicas of partition \(partition) are not distinct broker ids")
                }
                result[partition] = replicas
            }
            return result
        }
        let partitions = try lists("partitions")
        guard !partitions.isEmpty, partitions.values.allSatisfy({ !$0.isEmpty }) else {
            throw ZkDataError.malformed(path: path, reason: "no partitions, or a partition without replicas")
        }
        var assignment = TopicAssignment(partitions: partitions, topicID: try json.optionalString("topic_id"))
        assignment.addingReplicas = try lists("adding_replicas")
        assignment.removingReplicas = try lists("removing_replicas")
        return assignment
    }
}

// MARK: - /brokers/topics/<t>/partitions/<p>/state

/// `/brokers/topics/<t>/partitions/<p>/state` version 1 (`TopicPartitionStateZNode`): leader and ISR.
///
/// `{"controller_epoch":7,"leader":1,"version":1,"leader_epoch":4,"isr":[1,2]}`, plus
/// `"leader_recovery_state":1` only while RECOVERING after an unclean election (KIP-704, Kafka 3.2).
/// `leader` -1 means no leader. The partition epoch is the znode's data version.
package struct PartitionState: Hashable, Sendable {
    package var leader: BrokerID
    package var leaderEpoch: Int32
    package var isr: [BrokerID]
    package var controllerEpoch: Int32
    /// True after an unclean election until the new leader has recovered (`LeaderRecoveryState.RECOVERING`).
    package var recovering = false

    package init(leader: BrokerID, leaderEpoch: Int32, isr: [BrokerID], controllerEpoch: Int32, recovering: Bool = false) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.controllerEpoch = controllerEpoch
        self.recovering = recovering
    }

    package func encode() -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("controller_epoch", .int(Int64(controllerEpoch))), ("leader", .int(Int64(leader.rawValue))),
            ("version", .int(1)), ("leader_epoch", .int(Int64(leaderEpoch))), ("isr", .brokerList(isr)),
        ]
        if recovering { members.append(("leader_recovery_state", .int(1))) }
        return JSONValue.object(members).bytes
    }

    package static func decode(_ partition: TopicPartition, _ bytes: [UInt8]) throws(ZkDataError) -> PartitionState {
        let json = try ZkJSONObject(path: ZkPaths.partitionState(partition), bytes: bytes)
        func int32(_ key: String) throws(ZkDataError) -> Int32 {
            let value = try json.int(key)
            guard let narrow = Int32(exactly: value) else {
                throw ZkDataError.malformed(path: ZkPaths.partitionState(partition), reason: "field \(key) out of range")
            }
            return narrow
        }
        let state = PartitionState(
            leader: BrokerID(try int32("leader")), leaderEpoch: try int32("leader_epoch"), isr: try json.brokers("isr"),
            controllerEpoch: try int32("controller_epoch"), recovering: try json.optionalInt("leader_recovery_state") == 1)
        guard state.leader.rawValue >= -1, (0..<Int32.max).contains(state.leaderEpoch),
            (0..<Int32.max).contains(state.controllerEpoch), state.isr.allSatisfy({ $0.rawValue >= 0 }),
            Set(state.isr).count == state.isr.count
        else {
            throw ZkDataError.malformed(
                path: ZkPaths.partitionState(partition),
                reason: "leader \(state.leader), leader_epoch \(state.leaderEpoch), controller_epoch "
                    + "\(state.controllerEpoch) or isr \(state.isr) out of range")
        }
        return state
    }
}

// MARK: - /controller, /controller_epoch

/// `/controller` version 2 (Kafka 3.4+, KIP-866): `{"version":2,"brokerid":1,"timestamp":"…","kraftControllerEpoch":-1}`.
/// Version 1 (without `kraftControllerEpoch`) decodes too.
package enum ControllerPayload {
    package static func encode(brokerID: BrokerID, timestamp: Int64) -> [UInt8] {
        JSONValue.object([
            ("version", .int(2)), ("brokerid", .int(Int64(brokerID.rawValue))), ("timestamp", .string(String(timestamp))),
            ("kraftControllerEpoch", .int(-1)),
        ]).bytes
    }

    /// The controller's broker id.
    package static func decode(_ bytes: [UInt8]) throws(ZkDataError) -> BrokerID { try decodeElection(bytes).brokerID }

    /// The controller's broker id and when it was elected (epoch milliseconds; nil when the znode has
    /// no timestamp or not a number there).
    package static func decodeElection(_ bytes: [UInt8]) throws(ZkDataError) -> (brokerID: BrokerID, timestamp: Int64?) {
        let json = try ZkJSONObject(path: ZkPaths.controller, bytes: bytes)
        let value = try json.int("brokerid")
        guard let id = Int32(exactly: value), id >= 0 else {
            throw ZkDataError.malformed(path: ZkPaths.controller, reason: "brokerid \(value) out of range")
        }
        return (BrokerID(id), json.value("timestamp")?.string.flatMap { Int64($0) })
    }
}

/// `/controller_epoch`: the epoch as ASCII digits (not JSON), created as `0` (`KafkaController.InitialControllerEpoch`).
package enum ControllerEpochPayload {
    package static func encode(_ epoch: Int32) -> [UInt8] { Array(String(epoch).utf8) }

    package static func decode(_ bytes: [UInt8]) throws(ZkDataError) -> Int32 {
        guard let epoch = Int32(String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }),
            (0..<Int32.max).contains(epoch)
        else { throw ZkDataError.malformed(path: ZkPaths.controllerEpoch, reason: "not an integer in 0..<2^31-1") }
        return epoch
    }
}

// MARK: - /isr_change_notification

/// `/isr_change_notification/isr_change_<seq>` (`IsrChangeNotificationSequenceZNode`): the partitions
/// whose ISR a leader changed, for the controller: `{"version":1,"partitions":[{"topic":"t","partition":0}]}`.
package enum IsrChangeNotificationPayload {
    package static func encode(_ partitions: [TopicPartition]) -> [UInt8] {
        JSONValue.object([("version", .int(1)), ("partitions", PreferredReplicaElectionPayload.partitionList(partitions))]).bytes
    }
}

// MARK: - /config/topics/<t>, /feature

/// `/config/<type>/<name>`: `{"version":1,"config":{"retention.ms":"86400000"}}` (values are strings).
package enum EntityConfigPayload {
    package static func encode(_ config: [String: String]) -> [UInt8] {
        JSONValue.object([("version", .int(1)), ("config", .stringMap(config))]).bytes
    }

    package static func decode(path: String, _ bytes: [UInt8]) throws(ZkDataError) -> [String: String] {
        guard !bytes.isEmpty else { return [:] }
        return try ZkJSONObject(path: path, bytes: bytes).object("config")?.strings() ?? [:]
    }
}

/// `/admin/preferred_replica_election` (`PreferredReplicaElectionZNode`), as kafka-leader-election writes
/// it in ZooKeeper mode: `{"version":1,"partitions":[{"topic":"t","partition":0}]}`.
package enum PreferredReplicaElectionPayload {
    package static func encode(_ partitions: [TopicPartition]) -> [UInt8] {
        JSONValue.object([("version", .int(1)), ("partitions", partitionList(partitions.sorted()))]).bytes
    }

    /// `[{"topic":"t","partition":0},…]` in the order given.
    static func partitionList(_ partitions: [TopicPartition]) -> JSONValue {
        .array(partitions.map { .object([("topic", .string($0.topic)), ("partition", .int($0.partition))]) })
    }

    package static func decode(_ bytes: [UInt8]) throws(ZkDataError) -> Set<TopicPartition> {
        let json = try ZkJSONObject(path: ZkPaths.preferredReplicaElection, bytes: bytes)
        var result: Set<TopicPartition> = []
        for entry in try json.objects("partitions") {
            guard let partition = Int32(exactly: try entry.int("partition")), partition >= 0 else {
                throw ZkDataError.malformed(path: ZkPaths.preferredReplicaElection, reason: "partition out of range")
            }
            result.insert(TopicPartition(try entry.string("topic"), partition))
        }
        return result
    }
}

/// `/admin/reassign_partitions` (`ReassignPartitionsZNode`), as kafka-reassign-partitions writes it in
/// ZooKeeper mode and as its `--reassignment-json-file` reads:
/// `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3,4]}]}` (a file's optional
/// `log_dirs` is ignored). The target replicas of each partition, in their new order.
///
/// The znode is written by any ensemble client, so decoding refuses what the controller could not act
/// on: a partition id or broker id below 0 or beyond Int32, an empty or repeated replica list, a topic
/// named twice for one partition, an illegal topic name, more than `maxPartitions` entries or more than
/// `maxReplicas` replicas in one.
package enum PartitionReassignmentPayload {
    /// Entries accepted in one request (a 1 MiB znode holds about 20,000).
    package static let maxPartitions = 100_000
    /// Replicas accepted per partition.
    package static let maxReplicas = 1_000

    package static func encode(_ targets: [TopicPartition: [BrokerID]]) -> [UInt8] {
        JSONValue.object([
            ("version", .int(1)),
            (
                "partitions",
                .array(
                    targets.sorted { $0.key < $1.key }.map {
                        .object([
                            ("topic", .string($0.key.topic)), ("partition", .int(Int64($0.key.partition))),
                            ("replicas", .brokerList($0.value)),
                        ])
                    })
            ),
        ]).bytes
    }

    /// Decodes the znode (or a reassignment JSON file, named by `path` in errors).
    package static func decode(
        _ bytes: [UInt8], path: String = ZkPaths.reassignPartitions
    ) throws(ZkDataError) -> [TopicPartition: [BrokerID]] {
        let json = try ZkJSONObject(path: path, bytes: bytes)
        let entries = try json.objects("partitions")
        guard entries.count <= maxPartitions else {
            throw ZkDataError.malformed(path: path, reason: "\(entries.count) partitions, more than \(maxPartitions)")
        }
        var result: [TopicPartition: [BrokerID]] = [:]
        for entry in entries {
            let topic = try entry.string("topic")
            if let problem = TopicName.problem(topic) {
                throw ZkDataError.malformed(path: path, reason: problem)
            }
            let number = try entry.int("partition")
            guard let id = Int32(exactly: number), id >= 0 else {
                throw ZkDataError.malformed(path: path, reason: "partition \(number) of \(topic) out of range")
            }
            let partition = TopicPartition(topic, id)
            let replicas = try entry.brokers("replicas")
            guard !replicas.isEmpty, replicas.count <= maxReplicas, replicas.allSatisfy({ $0.rawValue >= 0 }),
                Set(replicas).count == replicas.count
            else {
                throw ZkDataError.malformed(
                    path: path, reason: "replicas of \(partition) are not 1...\(maxReplicas) distinct broker ids")
            }
            guard result.updateValue(replicas, forKey: partition) == nil else {
                throw ZkDataError.malformed(path: path, reason: "partition \(partition) is listed twice")
            }
        }
        return result
    }
}

/// `/feature` version 2 as the ZooKeeper-mode controller writes it when the IBP is ≥ 2.7: versioning
/// enabled (status 1), no finalized features: `{"features":{},"version":2,"status":1}`.
package enum FeaturePayload {
    package static func encodeEnabledWithoutFeatures() -> [UInt8] {
        JSONValue.object([("features", .object([])), ("version", .int(2)), ("status", .int(1))]).bytes
    }
}

// MARK: - /latest_producer_id_block

/// `/latest_producer_id_block`: the last block of producer ids handed to a broker
/// (`ProducerIdBlockZNode`): `{"version":1,"broker":1,"block_start":"0","block_end":"999"}`, offsets as
/// strings. A broker takes the next block with a version-checked setData.
package struct ProducerIDBlock: Hashable, Sendable {
    /// `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
    package static let size: Int64 = 1000

    package var broker: BrokerID
    package var start: Int64
    package var end: Int64

    package init(broker: BrokerID, start: Int64, end: Int64) {
        self.broker = broker
        self.start = start
        self.end = end
    }

    /// The block after `previous` (the first block when there is none), for `broker`.
    package static func next(after previous: ProducerIDBlock?, for broker: BrokerID) -> ProducerIDBlock {
        let start = previous.map { $0.end + 1 } ?? 0
        return ProducerIDBlock(broker: broker, start: start, end: start + size - 1)
    }

    package func encode() -> [UInt8] {
        JSONValue.object([
            ("version", .int(1)), ("broker", .int(Int64(broker.rawValue))), ("block_start", .string(String(start))),
            ("block_end", .string(String(end))),
        ]).bytes
    }

    /// Nil for an empty znode (no block handed out yet).
    package static func decode(_ bytes: [UInt8]) throws(ZkDataError) -> ProducerIDBlock? {
        guard !bytes.isEmpty else { return nil }
        let path = ZkPaths.latestProducerIDBlock
        let json = try ZkJSONObject(path: path, bytes: bytes)
        guard let start = Int64(try json.string("block_start")), let end = Int64(try json.string("block_end")),
            0 <= start, start <= end, end < Int64.max - size
        else { throw ZkDataError.malformed(path: path, reason: "block_start/block_end are not an offset range") }
        return ProducerIDBlock(broker: BrokerID(Int32(truncatingIfNeeded: try json.int("broker"))), start: start, end: end)
    }
}
