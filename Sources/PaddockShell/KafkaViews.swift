import JSON
import KafkaZooKeeper
import SegmentLog
package import ZooKeeperWire

/// Summaries of the znodes a Kafka cluster keeps in the ensemble (`/brokers`, `/controller`,
/// `/controller_epoch`; layout and codecs in KafkaZooKeeper). Pure: znode contents in, tables out.
/// A znode the codecs refuse shows as `-` (its raw data stays in the JSON output).
package enum KafkaViews {
    /// One znode as read: its data and Stat.
    package struct Node: Sendable {
        package var data: [UInt8]
        package var stat: Stat

        package init(data: [UInt8], stat: Stat) {
            self.data = data
            self.stat = stat
        }
    }

    /// A topic: its assignment node and its partitions' `state` nodes (nil where missing).
    package struct Topic: Sendable {
        package var name: String
        package var node: Node
        package var states: [String: Node]

        package init(name: String, node: Node, states: [String: Node]) {
            self.name = name
            self.node = node
            self.states = states
        }
    }

    /// `host:port` of every registered broker's first endpoint, for a Kafka client's bootstrap list.
    package static func bootstrap(_ nodes: [(id: String, node: Node)]) -> [String] {
        nodes.compactMap { id, node in registration(id: id, node)?.endpoints.first?.address }
    }

    /// `groups`: each consumer group's state, member count and total lag (from the brokers).
    package static func groups(_ groups: [GroupSummary]) -> Rendered {
        let sorted = groups.sorted { $0.group < $1.group }
        let rows = sorted.map { [$0.group, $0.state, String($0.members), $0.lag.map(String.init) ?? "-"] }
        let json = sorted.map { group in
            JSONValue.object([
                ("group", .string(group.group)), ("state", .string(group.state)),
                ("members", .int(group.members)), ("lag", group.lag.map(JSONValue.int) ?? .null),
            ])
        }
        let text = rows.isEmpty ? "No consumer groups" : Render.table(["GROUP", "STATE", "MEMBERS", "LAG"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// `brokers`: `/brokers/ids/<id>` (ephemeral): endpoints, rack, registration time, the session that
    /// owns the registration and the broker epoch (the znode's czxid).
    package static func brokers(_ nodes: [(id: String, node: Node)]) -> Rendered {
        var rows: [[String]] = []
        var json: [JSONValue] = []
        for (id, node) in nodes.sorted(by: { (Int($0.id) ?? .max, $0.id) < (Int($1.id) ?? .max, $1.id) }) {
            let registration = registration(id: id, node)
            let endpoints = registration?.endpoints.map(\.description) ?? []
            let registered = registration?.timestamp.map { Render.javaDate(milliseconds: $0) }
            let owner = Render.ephemeralOwner(node.stat)
            rows.append([
                id, registration == nil ? "-" : endpoints.joined(separator: ","), registration?.rack ?? "-",
                owner?.description ?? "-", Render.hex(node.stat.czxid), registered ?? "-",
            ])
            json.append(.object([
                ("id", Int(id).map(JSONValue.int) ?? .string(id)), ("endpoints", .array(endpoints.map(JSONValue.string))),
                ("rack", .optional(registration?.rack)), ("session", .optional(owner?.description)),
                ("epoch", .int(node.stat.czxid)), ("timestamp", registration?.timestamp.map(JSONValue.int) ?? .null),
                ("registration", Render.dataJSON(node.data)),
            ]))
        }
        let text = rows.isEmpty ? "No brokers registered under \(ZkPaths.brokerIDs)" : Render.table(
            ["ID", "ENDPOINTS", "RACK", "SESSION", "EPOCH (CZXID)", "REGISTERED"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// `topics`: one row per partition with its replicas (first = preferred leader), leader, ISR and
    /// leader epoch from `/brokers/topics/<t>` and `.../partitions/<p>/state`.
    package static func topics(_ topics: [Topic]) -> Rendered {
        var rows: [[String]] = []
        var json: [JSONValue] = []
        for topic in topics.sorted(by: { $0.name < $1.name }) {
            let assignment = try? TopicAssignment.decode(topic: topic.name, topic.node.data)
            let replicas = Dictionary(
                (assignment?.partitions ?? [:]).map { (String($0.key), $0.value) }, uniquingKeysWith: { first, _ in first })
            let partitions = Set(replicas.keys).union(topic.states.keys).sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
            var partitionJSON: [JSONValue] = []
            for partition in partitions {
                let state = topic.states[partition].flatMap { node in
                    Int32(partition).flatMap { try? PartitionState.decode(TopicPartition(topic.name, $0), node.data) }
                }
                let leader = state.map { $0.leader == .noLeader ? "none" : $0.leader.description }
                rows.append([
                    topic.name, partition, (replicas[partition] ?? []).map(\.description).joined(separator: ","),
                    leader ?? "-", state.map { $0.isr.map(\.description).joined(separator: ",") } ?? "-",
                    state.map { String($0.leaderEpoch) } ?? "-",
                ])
                partitionJSON.append(.object([
                    ("partition", Int(partition).map(JSONValue.int) ?? .string(partition)),
                    ("replicas", .brokerList(replicas[partition] ?? [])),
                    ("leader", state.map { .int($0.leader.rawValue) } ?? .null),
                    ("isr", state.map { .brokerList($0.isr) } ?? .null),
                    ("leaderEpoch", state.map { .int($0.leaderEpoch) } ?? .null),
                ]))
            }
            json.append(.object([
                ("topic", .string(topic.name)), ("topicId", .optional(assignment?.topicID)),
                ("partitions", .array(partitionJSON)),
            ]))
        }
        let text = rows.isEmpty ? "No topics under \(ZkPaths.topics)" : Render.table(
            ["TOPIC", "PARTITION", "REPLICAS", "LEADER", "ISR", "LEADER EPOCH"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// `controller`: the broker holding `/controller` (ephemeral), since when, its session, and
    /// `/controller_epoch` (ASCII integer) with its zkVersion (the fencing token's version).
    package static func controller(controller: Node?, epoch: Node?) -> Rendered {
        let election = controller.flatMap { try? ControllerPayload.decodeElection($0.data) }
        let since = election?.timestamp.map { Render.javaDate(milliseconds: $0) }
        let owner = controller.flatMap { Render.ephemeralOwner($0.stat) }
        let epochValue = epoch.flatMap { try? ControllerEpochPayload.decode($0.data) }
        var lines: [String] = []
        if let controller {
            lines.append("controller: broker \(election?.brokerID.description ?? "?")" + (since.map { " since \($0)" } ?? ""))
            lines.append("session: \(owner?.description ?? "- (not ephemeral)")  czxid: \(Render.hex(controller.stat.czxid))")
        } else {
            lines.append("controller: none (\(ZkPaths.controller) does not exist)")
        }
        if let epoch {
            lines.append("controller_epoch: \(epochValue.map(String.init) ?? "?") (zkVersion \(epoch.stat.version))")
        } else {
            lines.append("controller_epoch: none (\(ZkPaths.controllerEpoch) does not exist)")
        }
        let json: JSONValue = .object([
            ("brokerId", election.map { .int($0.brokerID.rawValue) } ?? .null),
            ("timestamp", election?.timestamp.map(JSONValue.int) ?? .null),
            ("session", .optional(owner?.description)),
            ("controllerEpoch", epochValue.map(JSONValue.int) ?? .null),
            ("controllerEpochZkVersion", epoch.map { JSONValue.int($0.stat.version) } ?? .null),
        ])
        return Rendered(text: lines.joined(separator: "\n"), json: json)
    }

    /// The registration in `node`, nil when `id` is not a broker id or the codec refuses the data.
    private static func registration(id: String, _ node: Node) -> BrokerRegistration? {
        guard let number = Int32(id) else { return nil }
        return try? BrokerRegistration.decode(id: BrokerID(number), node.data)
    }
}

/// One consumer group as the shell's `groups` view shows it.
package struct GroupSummary: Sendable, Hashable {
    package var group: String
    package var state: String
    package var members: Int
    /// The group's lag summed over its partitions; nil when unknown.
    package var lag: Int64?

    package init(group: String, state: String, members: Int, lag: Int64?) {
        self.group = group
        self.state = state
        self.members = members
        self.lag = lag
    }
}

/// Lists consumer groups given the brokers' `host:port` addresses.
package typealias GroupLister = @Sendable ([String]) async throws -> [GroupSummary]
