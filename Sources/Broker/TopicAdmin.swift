import Foundation
package import KafkaZooKeeper
package import KeeperClient
package import SegmentLog
import ZooKeeperWire

/// Topic administration through the ensemble, as `kafka-topics.sh --zookeeper` did it
/// (`AdminZkClient`, `TopicCommand.ZookeeperTopicService` of Kafka 2.x): writes the topic's config and
/// assignment znodes and leaves leader election to the controller. Used by `paddock topics` and by
/// the broker's topic auto-creation.
package struct TopicAdmin {
    /// A refused request, with kafka-topics' wording where it has one.
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidTopicName(String)
        case topicExists(String)
        case topicCollides(String, existing: String)
        case topicNotFound(String)
        case alreadyMarkedForDeletion(String)
        case invalidReplicaAssignment(String)
        case invalidPartitions(String)
        case invalidConfig(String)
        case assignment(ReplicaAssignment.Failure)
        /// The topic znode changed while we rewrote it.
        case concurrentModification(String)
        /// `/admin/reassign_partitions` exists.
        case reassignmentInProgress
        case noReassignmentInProgress(String)

        package var description: String {
            switch self {
            case .invalidTopicName(let reason): reason
            case .topicExists(let topic): "Topic '\(topic)' already exists."
            case .topicCollides(let topic, let existing): "Topic '\(topic)' collides with existing topics: \(existing)"
            case .topicNotFound(let topic): "Topic '\(topic)' does not exist as expected"
            case .alreadyMarkedForDeletion(let topic): "Topic \(topic) is already marked for deletion."
            case .invalidReplicaAssignment(let reason): reason
            case .invalidPartitions(let reason): reason
            case .invalidConfig(let reason): reason
            case .assignment(let failure): failure.description
            case .concurrentModification(let topic): "Topic '\(topic)' was modified concurrently; try again."
            case .reassignmentInProgress: "There is an existing assignment running."
            case .noReassignmentInProgress(let partition): "No reassignment of \(partition) is in progress."
            }
        }
    }

    package let client: ZooKeeperClient
    /// The ACLs of the znodes it creates: the broker's `zookeeper.set.acl`; for `paddock topics`,
    /// secure when it authenticated (as kafka-topics was secure when ZooKeeper SASL was configured).
    package let acls: ZkACLPolicy

    package init(client: ZooKeeperClient, acls: ZkACLPolicy) {
        self.client = client
        self.acls = acls
    }

    // MARK: - Create

    /// Creates a topic (`AdminZkClient.createTopicWithAssignment`): `/config/topics/<t>` first, then
    /// `/brokers/topics/<t>` with a new topic id; the controller creates the partition states.
    ///
    /// Without `assignment`, replicas are placed over the live brokers with Kafka's rack-unaware
    /// algorithm (random start and shift from `random`).
    @discardableResult
    package func create(
        _ name: String,
        partitions: Int32,
        replicationFactor: Int,
        assignment explicit: [Int32: [BrokerID]]? = nil,
        configs: [String: String] = [:],
        random: inout some RandomNumberGenerator
    ) async throws -> TopicAssignment {
        if let problem = TopicName.problem(name) { throw Failure.invalidTopicName(problem) }
        do throws(BrokerConfiguration.Problem) {
            try TopicConfig.validate(overrides: configs)
        } catch {
            throw Failure.invalidConfig(error.description)
        }
        let existing = try await client.childrenIfExists(ZkPaths.topics)
        if existing.contains(name) { throw Failure.topicExists(name) }
        let colliding = existing.filter { TopicName.collides($0, name) }
        if !colliding.isEmpty { throw Failure.topicCollides(name, existing: colliding.joined(separator: ", ")) }
        let replicas: [Int32: [BrokerID]]
        if let explicit {
            try Self.validate(explicit)
            replicas = explicit
        } else {
            let live = try await liveBrokers()
            do {
                replicas = try ReplicaAssignment.assignNewTopic(
                    partitions: partitions, replicationFactor: replicationFactor, brokers: live, random: &random)
            } catch {
                throw Failure.assignment(error)
            }
        }
        let assignment = TopicAssignment(partitions: replicas, topicID: KafkaUUID.random(using: &random))
        try await client.ensurePath(ZkPaths.topicConfigs, acls: acls)
        do {
            let path = ZkPaths.topicConfig(name)
            _ = try await client.create(path, data: EntityConfigPayload.encode(configs), acl: acls.acl(for: path))
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            // Left by an earlier, interrupted creation or deletion: Kafka overwrites it too.
            try await client.setData(ZkPaths.topicConfig(name), data: EntityConfigPayload.encode(configs))
        }
        do {
            let path = ZkPaths.topic(name)
            _ = try await client.create(path, data: assignment.encode(), acl: acls.acl(for: path))
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            throw Failure.topicExists(name)
        }
        return assignment
    }

    /// Broker ids separated by `separator` (blanks around each allowed); `context` names the option in
    /// the error for an item that is not a broker id.
    private static func parseBrokerIDs(
        _ text: Substring, separator: Character, in context: String
    ) throws(Failure) -> [BrokerID] {
        var brokers: [BrokerID] = []
        for item in text.split(separator: separator, omittingEmptySubsequences: false) {
            guard let id = Int32(item.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw .invalidReplicaAssignment("Invalid \(context): \"\(item)\" is not a broker id")
            }
            brokers.append(BrokerID(id))
        }
        return brokers
    }

    /// `--replica-assignment 1:2,2:3`: partition i gets the i-th colon-separated broker list.
    package static func parseReplicaAssignment(_ text: String) throws(Failure) -> [Int32: [BrokerID]] {
        var result: [Int32: [BrokerID]] = [:]
        for (index, list) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            result[Int32(index)] = try parseBrokerIDs(list, separator: ":", in: "replica assignment \"\(text)\"")
        }
        try validate(result)
        return result
    }

    /// `AdminUtils`' checks: no duplicate replicas, the same replication factor everywhere.
    static func validate(_ assignment: [Int32: [BrokerID]]) throws(Failure) {
        guard let first = assignment[0] else { throw .invalidReplicaAssignment("Replica assignment must start at partition 0") }
        for (partition, replicas) in assignment.sorted(by: { $0.key < $1.key }) {
            if replicas.isEmpty { throw .invalidReplicaAssignment("Partition \(partition) has no replicas") }
            if Set(replicas).count != replicas.count {
                throw .invalidReplicaAssignment(
                    "Partition replica lists may not contain duplicate entries: \(replicas.map(\.description).joined(separator: ","))")
            }
            if replicas.count != first.count {
                throw .invalidReplicaAssignment("All partitions should have the same number of replicas")
            }
        }
    }

    /// `--config k=v`.
    package static func parseConfig(_ items: [String]) throws(Failure) -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw .invalidConfig("Invalid topic config \"\(item)\": expected key=value")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }

    // MARK: - List, describe

    /// One line of `--list`.
    package struct Listing: Hashable, Sendable {
        package var name: String
        package var markedForDeletion: Bool

        package var rendered: String { markedForDeletion ? "\(name) - marked for deletion" : name }
    }

    package func list() async throws -> [Listing] {
        let deleting = Set(try await client.childrenIfExists(ZkPaths.deleteTopics))
        return try await client.childrenIfExists(ZkPaths.topics).map { Listing(name: $0, markedForDeletion: deleting.contains($0)) }
    }

    /// What `--describe` prints for one topic.
    package struct Description: Hashable, Sendable {
        package var name: String
        package var topicID: String?
        package var configs: [String: String]
        package var markedForDeletion: Bool
        package var partitions: [MetadataCache.Partition]

        /// kafka-topics' format (`TopicCommand` of Kafka 2.8, ZooKeeper mode): a topic line, then one
        /// tab-indented line per partition.
        package var rendered: String { render(only: nil) }

        /// Only the lines of partitions `only` keeps, without the topic line (kafka-topics'
        /// `--under-replicated-partitions` and `--unavailable-partitions`); nil: the whole description.
        package func render(only: ((MetadataCache.Partition) -> Bool)?) -> String {
            let replicationFactor = partitions.first?.replicas.count ?? 0
            let configText = configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let deletion = markedForDeletion ? "\tMarkedForDeletion: true" : ""
            var lines =
                only != nil
                ? []
                : [
                    "Topic: \(name)\tTopicId: \(topicID ?? "")\tPartitionCount: \(partitions.count)\t"
                        + "ReplicationFactor: \(replicationFactor)\tConfigs: \(configText)\(deletion)"
                ]
            for partition in partitions where only?(partition) ?? true {
                lines.append(
                    "\tTopic: \(name)\tPartition: \(partition.topicPartition.partition)\t"
                        + "Leader: \(partition.leader.map(\.description) ?? "none")\t"
                        + "Replicas: \(partition.replicas.map(\.description).joined(separator: ","))\t"
                        + "Isr: \(partition.isr.map(\.description).joined(separator: ","))\(deletion)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Every topic, or only `topic` (which must exist).
    package func describe(topic: String? = nil) async throws -> [Description] {
        try await describeWithBrokers(topic: topic).topics
    }

    /// `describe`, and the live brokers (to tell unavailable partitions).
    package func describeWithBrokers(topic: String? = nil) async throws -> (topics: [Description], live: Set<BrokerID>) {
        let snapshot = MetadataCache.Snapshot(clusterID: nil, cluster: try await ClusterReader(client: client).read(watch: false))
        if let topic, snapshot.topics[topic] == nil { throw Failure.topicNotFound(topic) }
        var result: [Description] = []
        for name in snapshot.topics.keys.sorted() where topic == nil || topic == name {
            guard let info = snapshot.topics[name] else { continue }
            result.append(
                Description(
                    name: name, topicID: info.topicID, configs: try await configOverrides(name), markedForDeletion: info.markedForDeletion,
                    partitions: info.partitions.values.sorted { $0.topicPartition < $1.topicPartition }))
        }
        return (result, Set(snapshot.brokers.keys))
    }

    /// The topic's config overrides (`/config/topics/<t>`); empty when it has none.
    package func configOverrides(_ name: String) async throws -> [String: String] {
        guard case let (data, _)? = try await client.dataIfExists(ZkPaths.topicConfig(name)) else { return [:] }
        return try EntityConfigPayload.decode(path: ZkPaths.topicConfig(name), data)
    }

    // MARK: - Delete, alter

    /// Marks a topic for deletion (`/admin/delete_topics/<t>`); the controller deletes it.
    package func delete(_ name: String) async throws {
        guard try await client.exists(ZkPaths.topic(name)) != nil else { throw Failure.topicNotFound(name) }
        try await client.ensurePath(ZkPaths.deleteTopics, acls: acls)
        do {
            _ = try await client.create(ZkPaths.deleteTopic(name), acl: acls.acl(for: ZkPaths.deleteTopic(name)))
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            throw Failure.alreadyMarkedForDeletion(name)
        }
    }

    /// Grows a topic to `partitions` partitions (`AdminZkClient.addPartitions`); the assignment is
    /// rewritten with a version-checked setData, the controller creates the new partitions' states.
    /// `assignments`, when given, are the new partitions' replicas (CreatePartitions' `Assignments`): one
    /// list per new partition, each of registered brokers, without duplicates, as long as the topic's
    /// replication factor.
    @discardableResult
    package func addPartitions(
        _ name: String, to partitions: Int32, assignments: [[BrokerID]]? = nil
    ) async throws -> TopicAssignment {
        guard case let (data, stat)? = try await client.dataIfExists(ZkPaths.topic(name)) else { throw Failure.topicNotFound(name) }
        var assignment = try TopicAssignment.decode(topic: name, data)
        let current = Int32(assignment.partitions.count)
        guard partitions > current else {
            throw Failure.invalidPartitions(
                "The number of partitions for a topic can only be increased. Topic \(name) currently has \(current) partitions, "
                    + "\(partitions) would not be an increase.")
        }
        let live = try await liveBrokers()
        if let assignments {
            let factor = assignment.partitions.values.first?.count ?? 0
            guard Int(partitions - current) == assignments.count else {
                throw Failure.invalidReplicaAssignment(
                    "Increasing the number of partitions by \(partitions - current) but \(assignments.count) assignments provided.")
            }
            for (offset, replicas) in assignments.enumerated() {
                guard !replicas.isEmpty, Set(replicas).count == replicas.count, replicas.count == factor else {
                    throw Failure.invalidReplicaAssignment(
                        "Inconsistent replication factor or duplicate brokers in \(replicas.map(\.description)): "
                            + "the topic's replication factor is \(factor).")
                }
                guard replicas.allSatisfy(live.contains) else {
                    throw Failure.invalidReplicaAssignment(
                        "Unknown broker(s) in replica assignment: \(replicas.filter { !live.contains($0) }.map(\.description)).")
                }
                assignment.partitions[current + Int32(offset)] = replicas
            }
        } else {
            do {
                let added = try ReplicaAssignment.assignAddedPartitions(
                    existing: assignment.partitions, newTotal: partitions, brokers: live)
                assignment.partitions.merge(added) { old, _ in old }
            } catch {
                throw Failure.assignment(error)
            }
        }
        do {
            try await client.setData(ZkPaths.topic(name), data: assignment.encode(), version: stat.version)
        } catch let error as ZooKeeperError where error.code == .badVersion {
            throw Failure.concurrentModification(name)
        }
        return assignment
    }

    /// Asks the controller to give `partitions` (every partition when nil) back to their preferred
    /// replicas, as kafka-leader-election does in ZooKeeper mode: `/admin/preferred_replica_election`.
    /// Throws NODEEXISTS while an earlier request is still being carried out.
    package func requestPreferredElection(_ partitions: [TopicPartition]?) async throws -> [TopicPartition] {
        var chosen = partitions ?? []
        if partitions == nil {
            let snapshot = try await ClusterReader(client: client).read(watch: false)
            chosen = snapshot.topics.flatMap { name, topic in topic.assignment.partitionIDs.map { TopicPartition(name, $0) } }
        }
        try await client.ensurePath(ZkPaths.admin, acls: acls)
        _ = try await client.create(
            ZkPaths.preferredReplicaElection, data: PreferredReplicaElectionPayload.encode(chosen),
            acl: acls.acl(for: ZkPaths.preferredReplicaElection))
        return chosen.sorted()
    }

    /// `paddock topics elect-leaders`: requests a preferred election for every partition, a topic's, or
    /// one partition (`requestPreferredElection`), and polls the ensemble until each is led by its
    /// preferred replica or `timeout` passes. Returns the partitions (as `topic-partition`) led by their
    /// preferred replica, and the rest.
    package func electPreferredLeaders(
        topic: String?, partition: Int32?, timeout: Duration
    ) async throws -> (elected: [String], notElected: [String]) {
        var wanted: [TopicPartition]?
        if let topic {
            wanted = try await describe(topic: topic).flatMap(\.partitions).map(\.topicPartition)
                .filter { partition == nil || $0.partition == partition }
            guard wanted?.isEmpty == false else { throw Failure.topicNotFound("\(topic)-\(partition ?? -1)") }
        }
        let asked = try await requestPreferredElection(wanted)
        let deadline = ContinuousClock.now + timeout
        var pending = asked
        while true {
            let led = Set(
                try await describe().flatMap(\.partitions).filter { $0.leader != nil && $0.leader == $0.replicas.first }
                    .map(\.topicPartition))
            pending = asked.filter { !led.contains($0) }
            if pending.isEmpty || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let elected = asked.filter { !pending.contains($0) }
        return (elected.map(\.description), pending.map(\.description))
    }

    // MARK: - Reassign

    /// `paddock topics reassign`, kafka-reassign-partitions' ZooKeeper-mode `--execute`: checks the
    /// request against the cluster (`ReassignPartitionsCommand.validateAndParseArgs`: known partitions,
    /// registered brokers) and creates `/admin/reassign_partitions`, refusing while one exists. The
    /// controller carries it out. Returns the current replicas of the named partitions (for a rollback file).
    package func reassign(_ targets: [TopicPartition: [BrokerID]]) async throws -> [TopicPartition: [BrokerID]] {
        guard !targets.isEmpty else { throw Failure.invalidReplicaAssignment("Partition reassignment list cannot be empty") }
        if try await client.exists(ZkPaths.reassignPartitions) != nil { throw Failure.reassignmentInProgress }
        let snapshot = try await ClusterReader(client: client).read(watch: false)
        var current: [TopicPartition: [BrokerID]] = [:]
        for (partition, replicas) in targets.sorted(by: { $0.key < $1.key }) {
            guard let existing = snapshot.topics[partition.topic]?.assignment.partitions[partition.partition] else {
                throw Failure.invalidReplicaAssignment("The proposed assignment contains non-existent partitions: \(partition)")
            }
            let unknown = replicas.filter { snapshot.brokers[$0] == nil }
            guard unknown.isEmpty else {
                throw Failure.invalidReplicaAssignment(
                    "The proposed assignment contains non-existent brokerIDs: \(unknown.map(\.description).joined(separator: ","))")
            }
            current[partition] = existing
        }
        try await client.ensurePath(ZkPaths.admin, acls: acls)
        do {
            _ = try await client.create(
                ZkPaths.reassignPartitions, data: PartitionReassignmentPayload.encode(targets),
                acl: acls.acl(for: ZkPaths.reassignPartitions))
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            throw Failure.reassignmentInProgress
        }
        return current
    }

    /// AlterPartitionReassignments (KIP-455): adds `changes` to `/admin/reassign_partitions` (creating it,
    /// or merging into the one there with a version-checked write), so reassignments can be submitted
    /// while others run. A nil target cancels the partition's reassignment in progress: its target
    /// becomes its original replicas (the controller moves them back). Returns the partitions refused:
    /// unknown ones, and cancellations of partitions not being reassigned.
    package func submitReassignments(
        _ changes: [TopicPartition: [BrokerID]?]
    ) async throws -> [TopicPartition: Failure] {
        for _ in 0..<5 {
            let snapshot = try await ClusterReader(client: client).read(watch: false)
            let pending = snapshot.partitionReassignment?.targets ?? [:]
            var targets = pending
            var refused: [TopicPartition: Failure] = [:]
            for (partition, target) in changes {
                guard let assignment = snapshot.topics[partition.topic]?.assignment,
                    let replicas = assignment.partitions[partition.partition]
                else {
                    refused[partition] = .topicNotFound("\(partition)")
                    continue
                }
                if let target {
                    targets[partition] = target
                    continue
                }
                let plan = PartitionReassignment.Plan(
                    replicas: replicas, adding: assignment.addingReplicas[partition.partition] ?? [],
                    removing: assignment.removingReplicas[partition.partition] ?? [])
                // As ListPartitionReassignments sees it: a requested target the partition already has
                // (a cancellation the controller has not cleared yet) is no reassignment in progress.
                let requested = pending[partition].map { $0 != replicas } ?? false
                guard requested || !plan.adding.isEmpty || !plan.removing.isEmpty else {
                    refused[partition] = .noReassignmentInProgress("\(partition)")
                    continue
                }
                targets[partition] = PartitionReassignment.original(of: plan)
            }
            guard targets != pending else { return refused }
            do {
                if let version = snapshot.partitionReassignment?.version {
                    try await client.setData(
                        ZkPaths.reassignPartitions, data: PartitionReassignmentPayload.encode(targets), version: version)
                } else {
                    try await client.ensurePath(ZkPaths.admin, acls: acls)
                    _ = try await client.create(
                        ZkPaths.reassignPartitions, data: PartitionReassignmentPayload.encode(targets),
                        acl: acls.acl(for: ZkPaths.reassignPartitions))
                }
                return refused
            } catch let error as ZooKeeperError where error.code == .badVersion || error.code == .nodeExists || error.code == .noNode {
                continue  // the controller or another client changed it: merge again
            }
        }
        throw Failure.concurrentModification(ZkPaths.reassignPartitions)
    }

    /// ListPartitionReassignments: the partitions being reassigned (in the topic znodes, or still only
    /// requested), each with its replicas and those being added and removed; only `partitions` when given.
    package func ongoingReassignments(
        _ partitions: Set<TopicPartition>?
    ) async throws -> [TopicPartition: PartitionReassignment.Plan] {
        let snapshot = try await ClusterReader(client: client).read(watch: false)
        let pending = snapshot.partitionReassignment?.targets ?? [:]
        var result: [TopicPartition: PartitionReassignment.Plan] = [:]
        for (name, topic) in snapshot.topics {
            for (id, replicas) in topic.assignment.partitions {
                let partition = TopicPartition(name, id)
                guard partitions?.contains(partition) ?? true else { continue }
                let plan = PartitionReassignment.Plan(
                    replicas: replicas, adding: topic.assignment.addingReplicas[id] ?? [],
                    removing: topic.assignment.removingReplicas[id] ?? [])
                if !plan.adding.isEmpty || !plan.removing.isEmpty {
                    result[partition] = plan
                } else if let target = pending[partition], target != replicas {
                    result[partition] = PartitionReassignment.Plan(original: replicas, target: target)
                }
            }
        }
        return result
    }

    /// How one partition of a reassignment stands (kafka-reassign-partitions `--verify`).
    package enum ReassignmentStatus: Hashable, Sendable {
        case complete
        case inProgress
        /// The partition's replicas (`current`, empty when it does not exist) are not the target and no
        /// reassignment of it is pending.
        case failed(current: [BrokerID])
    }

    /// `--verify`: a partition is complete when its replicas are the target and nothing is being added
    /// or removed; in progress while the request or its topic znode still shows it moving.
    package func verifyReassignment(_ targets: [TopicPartition: [BrokerID]]) async throws -> [(TopicPartition, ReassignmentStatus)] {
        let snapshot = try await ClusterReader(client: client).read(watch: false)
        let pending = snapshot.partitionReassignment?.targets ?? [:]
        return targets.keys.sorted().map { partition in
            let assignment = snapshot.topics[partition.topic]?.assignment
            let id = partition.partition
            guard let replicas = assignment?.partitions[id] else { return (partition, .failed(current: [])) }
            let current = PartitionReassignment.Plan(
                replicas: replicas, adding: assignment?.addingReplicas[id] ?? [], removing: assignment?.removingReplicas[id] ?? [])
            if pending[partition] != nil || !current.adding.isEmpty || !current.removing.isEmpty {
                return (partition, .inProgress)
            }
            let complete = PartitionReassignment.isComplete(current, target: targets[partition] ?? [])
            return (partition, complete ? .complete : .failed(current: replicas))
        }
    }

    /// `--topic T --partition P --replicas 2,3,4`: one partition's target.
    package static func parseReassignment(
        topic: String, partition: Int32, replicas text: String
    ) throws(Failure) -> [TopicPartition: [BrokerID]] {
        let replicas = try parseBrokerIDs(Substring(text), separator: ",", in: "replicas \"\(text)\"")
        guard partition >= 0 else { throw .invalidPartitions("Invalid partition \(partition)") }
        let json = PartitionReassignmentPayload.encode([TopicPartition(topic, partition): replicas])
        return try parseReassignmentJSON(json, source: "--replicas")
    }

    /// A `--reassignment-json-file`'s content, validated as the znode is
    /// (`PartitionReassignmentPayload.decode`).
    package static func parseReassignmentJSON(_ bytes: [UInt8], source: String) throws(Failure) -> [TopicPartition: [BrokerID]] {
        do {
            return try PartitionReassignmentPayload.decode(bytes, path: source)
        } catch {
            throw .invalidReplicaAssignment(error.description)
        }
    }

    private func liveBrokers() async throws -> [BrokerID] {
        try await client.childrenIfExists(ZkPaths.brokerIDs).compactMap { Int32($0).map { BrokerID($0) } }.sorted()
    }

    /// kafka-topics' warning for names that may collide in metric names.
    package static func collisionWarning(for name: String) -> String? {
        guard name.contains(".") || name.contains("_") else { return nil }
        return "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. "
            + "To avoid issues it is best to use either, but not both."
    }
}
