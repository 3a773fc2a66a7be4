package import ZooKeeperWire

/// Summaries of the znodes a Kafka cluster keeps in the ensemble (`/brokers`, `/controller`,
/// `/controller_epoch`; layout in Kafka's `ZkData.scala`). Pure: znode contents in, tables out.
package enum KafkaViews {
    /// One znode as read: its data and Stat.
    package struct Node: Sendable {
        package var data: [UInt8]
        package var stat: Stat

        package init(data: [UInt8], stat: Stat) {
            self.data = data
            self.stat = stat
        }

        var json: JSONDocument? { String(validating: data, as: UTF8.self).flatMap { JSONDocument(parsing: $0) } }
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
        nodes.compactMap { _, node in
            guard let endpoint = node.json?["endpoints"].flatMap(strings)?.first,
                let scheme = endpoint.firstRange(of: "://")
            else { return nil }
            return String(endpoint[scheme.upperBound...])
        }
    }

    /// `groups`: each consumer group's state, member count and total lag (from the brokers).
    package static func groups(_ groups: [GroupSummary]) -> Rendered {
        let sorted = groups.sorted { $0.group < $1.group }
        let rows = sorted.map { [$0.group, $0.state, String($0.members), $0.lag.map(String.init) ?? "-"] }
        let json = sorted.map { group in
            JSONDocument.object([
                .init("group", .string(group.group)), .init("state", .string(group.state)),
                .init("members", .int(Int64(group.members))), .init("lag", group.lag.map(JSONDocument.int) ?? .null),
            ])
        }
        let text = rows.isEmpty ? "No consumer groups" : Render.table(["GROUP", "STATE", "MEMBERS", "LAG"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// `brokers`: `/brokers/ids/<id>` (ephemeral): endpoints, rack, registration time, the session that
    /// owns the registration and the broker epoch (the znode's czxid).
    package static func brokers(_ nodes: [(id: String, node: Node)]) -> Rendered {
        var rows: [[String]] = []
        var json: [JSONDocument] = []
        for (id, node) in nodes.sorted(by: { (Int($0.id) ?? .max, $0.id) < (Int($1.id) ?? .max, $1.id) }) {
            let registration = node.json
            var endpoints = registration?["endpoints"].flatMap(strings) ?? []
            if endpoints.isEmpty, let host = registration?["host"]?.text, let port = registration?["port"]?.text {
                endpoints = ["\(host):\(port)"]
            }
            let rack = registration?["rack"]?.text
            let registered = registration?["timestamp"]?.integer.map { Render.javaDate(milliseconds: $0) }
            let owner = Render.ephemeralOwner(node.stat)
            rows.append([
                id, endpoints.joined(separator: ","), rack ?? "-", owner?.description ?? "-", Render.hex(node.stat.czxid),
                registered ?? "-",
            ])
            json.append(.object([
                .init("id", Int(id).map(JSONDocument.int) ?? .string(id)), .init("endpoints", .array(endpoints.map(JSONDocument.string))),
                .init("rack", .optional(rack)), .init("session", .optional(owner?.description)),
                .init("epoch", .int(node.stat.czxid)), .init("timestamp", registration?["timestamp"]?.integer.map(JSONDocument.int) ?? .null),
                .init("registration", registration ?? Render.dataJSON(node.data)),
            ]))
        }
        let text = rows.isEmpty ? "No brokers registered under /brokers/ids" : Render.table(
            ["ID", "ENDPOINTS", "RACK", "SESSION", "EPOCH (CZXID)", "REGISTERED"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// `topics`: one row per partition with its replicas (first = preferred leader), leader, ISR and
    /// leader epoch from `/brokers/topics/<t>` and `.../partitions/<p>/state`.
    package static func topics(_ topics: [Topic]) -> Rendered {
        var rows: [[String]] = []
        var json: [JSONDocument] = []
        for topic in topics.sorted(by: { $0.name < $1.name }) {
            let assignment = topic.node.json
            let replicas: [String: [String]] = {
                guard case .object(let members)? = assignment?["partitions"] else { return [:] }
                return Dictionary(members.map { ($0.key, strings($0.value) ?? []) }, uniquingKeysWith: { first, _ in first })
            }()
            let partitions = Set(replicas.keys).union(topic.states.keys).sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
            var partitionJSON: [JSONDocument] = []
            for partition in partitions {
                let state = topic.states[partition]?.json
                let leader = state?["leader"]?.text
                let isr = state?["isr"].flatMap(strings)
                let epoch = state?["leader_epoch"]?.text
                rows.append([
                    topic.name, partition, (replicas[partition] ?? []).joined(separator: ","),
                    leader.map { $0 == "-1" ? "none" : $0 } ?? "-", isr?.joined(separator: ",") ?? "-", epoch ?? "-",
                ])
                partitionJSON.append(.object([
                    .init("partition", Int(partition).map(JSONDocument.int) ?? .string(partition)),
                    .init("replicas", .array((replicas[partition] ?? []).map(JSONDocument.number))),
                    .init("leader", leader.map(JSONDocument.number) ?? .null),
                    .init("isr", isr.map { JSONDocument.array($0.map(JSONDocument.number)) } ?? .null),
                    .init("leaderEpoch", epoch.map(JSONDocument.number) ?? .null),
                ]))
            }
            json.append(.object([
                .init("topic", .string(topic.name)), .init("topicId", .optional(assignment?["topic_id"]?.text)),
                .init("partitions", .array(partitionJSON)),
            ]))
        }
        let text = rows.isEmpty ? "No topics under /brokers/topics" : Render.table(
            ["TOPIC", "PARTITION", "REPLICAS", "LEADER", "ISR", "LEADER EPOCH"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// `controller`: the broker holding `/controller` (ephemeral), since when, its session, and
    /// `/controller_epoch` (ASCII integer) with its zkVersion (the fencing token's version).
    package static func controller(controller: Node?, epoch: Node?) -> Rendered {
        let registration = controller?.json
        let broker = registration?["brokerid"]?.text
        let since = registration?["timestamp"]?.integer.map { Render.javaDate(milliseconds: $0) }
        let owner = controller.flatMap { Render.ephemeralOwner($0.stat) }
        let epochValue = epoch.map { String(decoding: $0.data, as: UTF8.self).trimming(" \n") }
        var lines: [String] = []
        if let controller {
            lines.append("controller: broker \(broker ?? "?")" + (since.map { " since \($0)" } ?? ""))
            lines.append("session: \(owner?.description ?? "- (not ephemeral)")  czxid: \(Render.hex(controller.stat.czxid))")
        } else {
            lines.append("controller: none (/controller does not exist)")
        }
        if let epoch, let epochValue {
            lines.append("controller_epoch: \(epochValue) (zkVersion \(epoch.stat.version))")
        } else {
            lines.append("controller_epoch: none (/controller_epoch does not exist)")
        }
        let json: JSONDocument = .object([
            .init("brokerId", broker.map(JSONDocument.number) ?? .null),
            .init("timestamp", registration?["timestamp"]?.integer.map(JSONDocument.int) ?? .null),
            .init("session", .optional(owner?.description)),
            .init("controllerEpoch", epochValue.flatMap { Int64($0) }.map(JSONDocument.int) ?? .null),
            .init("controllerEpochZkVersion", epoch.map { JSONDocument.int($0.stat.version) } ?? .null),
        ])
        return Rendered(text: lines.joined(separator: "\n"), json: json)
    }

    /// The items of a JSON array as text (numbers and strings).
    private static func strings(_ document: JSONDocument) -> [String]? {
        guard case .array(let items) = document else { return nil }
        return items.compactMap(\.text)
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
