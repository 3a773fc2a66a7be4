package import SegmentLog

/// A topic's effective configuration: Kafka's topic-level keys (`LogConfig.java`), each either the
/// topic's override from `/config/topics/<t>` or the broker default it falls back to
/// (`log.segment.bytes` → `segment.bytes`, …). DescribeConfigs lists it, CreateTopics validates
/// overrides with it, and the partition manager opens logs with `logConfig`.
package struct TopicConfig: Hashable, Sendable {
    /// One configuration entry.
    package struct Entry: Hashable, Sendable {
        package var name: String
        package var value: String
        /// Set in `/config/topics/<t>` rather than inherited from the broker.
        package var isOverride: Bool
        package var type: ConfigType
    }

    /// `DescribeConfigsResponse.ConfigType` (v3+).
    package enum ConfigType: Int8, Sendable {
        case boolean = 1, string = 2, int = 3, long = 5, list = 7
    }

    /// Sorted by name.
    package let entries: [Entry]
    /// What the partition log uses.
    package let logConfig: LogConfig
    /// `max.message.bytes`: the largest batch a Produce may append.
    package let maxMessageBytes: Int
    /// `min.insync.replicas`: the ISR size an `acks=all` Produce needs (NOT_ENOUGH_REPLICAS below it).
    package let minInsyncReplicas: Int

    /// The effective configuration of a topic with `overrides` on a broker configured as `broker`;
    /// throws when an override Paddock interprets has a bad value, or asks for what Paddock does not do
    /// (`cleanup.policy=compact`).
    package init(broker: BrokerConfiguration, overrides: [String: String]) throws(BrokerConfiguration.Problem) {
        let defaults: [(String, String, ConfigType)] = [
            ("cleanup.policy", "delete", .list),
            ("compression.type", "producer", .string),
            ("index.interval.bytes", "4096", .int),
            ("max.message.bytes", String(broker.messageMaxBytes), .int),
            ("message.timestamp.type", "CreateTime", .string),
            ("min.insync.replicas", String(broker.minInsyncReplicas), .int),
            ("retention.bytes", String(broker.logRetentionBytes), .long),
            ("retention.ms", String(broker.logRetentionMs), .long),
            ("segment.bytes", String(broker.logSegmentBytes), .int),
            ("segment.index.bytes", String(10 << 20), .int),
            ("segment.ms", String(broker.logRollMs), .long),
            ("unclean.leader.election.enable", String(broker.uncleanLeaderElectionEnable), .boolean),
        ]
        var entries: [String: Entry] = [:]
        for (name, value, type) in defaults {
            entries[name] = Entry(
                name: name, value: overrides[name] ?? value, isOverride: overrides[name] != nil, type: type)
        }
        for (name, value) in overrides where entries[name] == nil {
            entries[name] = Entry(name: name, value: value, isOverride: true, type: .string)
        }
        func value(_ name: String) -> String { entries[name]!.value }
        func number(_ name: String, _ range: ClosedRange<Int64>) throws(BrokerConfiguration.Problem) -> Int64 {
            guard let parsed = Int64(value(name)), range.contains(parsed) else {
                throw .init(
                    "\(name): expected a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(value(name))\""
                )
            }
            return parsed
        }
        guard ["delete", "compact", "compact,delete", "delete,compact"].contains(value("cleanup.policy")) else {
            throw .init("cleanup.policy: Paddock supports delete only, got \"\(value("cleanup.policy"))\"")
        }
        var log = LogConfig()
        log.segmentBytes = Int(try number("segment.bytes", 14...Int64(Int32.max)))
        log.segmentMs = try number("segment.ms", 1...Int64.max)
        let retentionMs = try number("retention.ms", -1...Int64.max)
        log.retentionMs = retentionMs < 0 ? nil : retentionMs
        let retentionBytes = try number("retention.bytes", -1...Int64.max)
        log.retentionBytes = retentionBytes < 0 ? nil : retentionBytes
        log.indexIntervalBytes = Int(try number("index.interval.bytes", 0...Int64(Int32.max)))
        log.segmentIndexBytes = Int(try number("segment.index.bytes", 4...Int64(Int32.max)))
        switch value("message.timestamp.type") {
        case "CreateTime": log.timestampType = .createTime
        case "LogAppendTime": log.timestampType = .logAppendTime
        case let other: throw .init("message.timestamp.type: expected CreateTime or LogAppendTime, got \"\(other)\"")
        }
        self.maxMessageBytes = Int(try number("max.message.bytes", 0...Int64(Int32.max)))
        // Kafka's ranges (`LogConfig`): min.insync.replicas at least 1; the rest must parse.
        self.minInsyncReplicas = Int(try number("min.insync.replicas", 1...Int64(Int32.max)))
        guard ["true", "false"].contains(value("unclean.leader.election.enable").lowercased()) else {
            let text = value("unclean.leader.election.enable")
            throw .init("unclean.leader.election.enable: expected true or false, got \"\(text)\"")
        }
        guard Self.compressionTypes.contains(value("compression.type")) else {
            throw .init(
                "compression.type: expected one of \(Self.compressionTypes.sorted().joined(separator: ", ")), "
                    + "got \"\(value("compression.type"))\"")
        }
        // A batch's records may decompress to 64 times the largest batch a Produce may append, and never
        // past the broker's cap, which no topic config can raise.
        log.maxDecompressedBatchBytes = min(max(maxMessageBytes, 1 << 20) * 64, Int(broker.maxDecompressedBatchBytes))
        // A broker key in Kafka, not a topic config: every log of the broker gets the same.
        log.producerIDExpirationMs = Int64(broker.producerIDExpirationMs)
        self.logConfig = log
        self.entries = entries.values.sorted { $0.name < $1.name }
    }

    /// `compression.type`'s values (`BrokerCompressionType`).
    static let compressionTypes: Set<String> = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]
}

extension BrokerConfiguration {
    /// The broker-level entries DescribeConfigs answers for this broker (Kafka's names, static
    /// `server.properties` values), sorted by name.
    package var describedEntries: [TopicConfig.Entry] {
        let entries: [(String, String, TopicConfig.ConfigType)] = [
            (
                "advertised.listeners", (advertisedListeners ?? listeners).map(\.description).joined(separator: ","),
                .string
            ),
            ("auto.create.topics.enable", String(autoCreateTopicsEnable), .boolean),
            ("broker.id", String(brokerID.rawValue), .int),
            ("default.replication.factor", String(defaultReplicationFactor), .int),
            ("delete.topic.enable", String(deleteTopicEnable), .boolean),
            ("listeners", listeners.map(\.description).joined(separator: ","), .string),
            ("log.cleanup.policy", "delete", .list),
            ("log.dirs", logDirs.joined(separator: ","), .string),
            ("log.retention.bytes", String(logRetentionBytes), .long),
            ("log.retention.check.interval.ms", String(logRetentionCheckIntervalMs), .long),
            ("log.retention.ms", String(logRetentionMs), .long),
            ("log.roll.ms", String(logRollMs), .long),
            ("log.segment.bytes", String(logSegmentBytes), .int),
            ("message.max.bytes", String(messageMaxBytes), .int),
            ("min.insync.replicas", String(minInsyncReplicas), .int),
            ("num.partitions", String(numPartitions), .int),
            ("producer.id.expiration.ms", String(producerIDExpirationMs), .int),
            ("socket.request.max.bytes", String(socketRequestMaxBytes), .int),
            ("fetch.max.bytes", String(fetchMaxBytes), .int),
            ("queued.max.requests", String(queuedMaxRequests), .int),
            ("connections.max.idle.ms", String(connectionsMaxIdleMs), .long),
            ("unclean.leader.election.enable", String(uncleanLeaderElectionEnable), .boolean),
            ("zookeeper.connect", zookeeperConnect, .string),
            ("zookeeper.session.timeout.ms", String(zookeeperSessionTimeoutMs), .int),
        ]
        return entries.map { TopicConfig.Entry(name: $0.0, value: $0.1, isOverride: false, type: $0.2) }
    }
}
