import Foundation
import KafkaZooKeeper
package import SegmentLog

/// A topic's effective configuration: Kafka's topic-level keys (`LogConfig.java`), each either the
/// topic's override from `/config/topics/<t>` or the broker default it falls back to
/// (`log.segment.bytes` → `segment.bytes`, …). DescribeConfigs lists it, CreateTopics validates
/// overrides with it, and the partition manager opens logs with `logConfig`.
///
/// Every key of Kafka 3.9's topic configs (`TopicConfig.java`, plus the two replication-throttle
/// lists of `QuotaConfig`) is accepted with Kafka's type and range; those Paddock does not act on
/// (flush, preallocation, remote storage, throttles, compression levels, timestamp bounds, …) are
/// validated, stored and listed. Any other name is refused, as Kafka's `LogConfig.validateNames` does.
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
        case boolean = 1, string = 2, int = 3, long = 5, double = 6, list = 7
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
    /// throws, naming the key, for a name that is not a Kafka topic config or a value outside Kafka's
    /// type and range (`min.compaction.lag.ms` above `max.compaction.lag.ms` included).
    package init(broker: BrokerConfiguration, overrides: [String: String]) throws(BrokerConfiguration.Problem) {
        let definitions = Self.definitions(broker: broker)
        if let unknown = overrides.keys.sorted().first(where: { definitions[$0] == nil }) {
            throw .init("Unknown topic config name: \(unknown)")
        }
        var entries: [String: Entry] = [:]
        for (name, definition) in definitions {
            let value = overrides[name] ?? definition.defaultValue
            if overrides[name] != nil, let expected = definition.check(value) {
                throw .init("\(name): expected \(expected), got \"\(value)\"")
            }
            entries[name] = Entry(name: name, value: value, isOverride: overrides[name] != nil, type: definition.type)
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
        guard let policy = CleanupPolicy(parsing: value("cleanup.policy")) else {
            let text = value("cleanup.policy")
            throw .init("cleanup.policy: expected delete, compact or compact,delete, got \"\(text)\"")
        }
        var log = LogConfig()
        log.cleanupPolicy = policy
        log.segmentBytes = Int(try number("segment.bytes", 14...Int64(Int32.max)))
        log.segmentMs = try number("segment.ms", 1...Int64.max)
        let retentionMs = try number("retention.ms", -1...Int64.max)
        log.retentionMs = retentionMs < 0 ? nil : retentionMs
        let retentionBytes = try number("retention.bytes", -1...Int64.max)
        log.retentionBytes = retentionBytes < 0 ? nil : retentionBytes
        log.indexIntervalBytes = Int(try number("index.interval.bytes", 0...Int64(Int32.max)))
        log.segmentIndexBytes = Int(try number("segment.index.bytes", 4...Int64(Int32.max)))
        log.deleteRetentionMs = try number("delete.retention.ms", 0...Int64.max)
        log.minCompactionLagMs = try number("min.compaction.lag.ms", 0...Int64.max)
        log.maxCompactionLagMs = try number("max.compaction.lag.ms", 1...Int64.max)
        guard log.minCompactionLagMs <= log.maxCompactionLagMs else {
            throw .init(
                "conflict topic config setting min.compaction.lag.ms (\(log.minCompactionLagMs)) > "
                    + "max.compaction.lag.ms (\(log.maxCompactionLagMs))")
        }
        guard let ratio = Double(value("min.cleanable.dirty.ratio")), (0...1).contains(ratio) else {
            throw .init(
                "min.cleanable.dirty.ratio: expected a number in 0...1, got \"\(value("min.cleanable.dirty.ratio"))\"")
        }
        log.minCleanableDirtyRatio = ratio
        switch value("message.timestamp.type") {
        case "CreateTime": log.timestampType = .createTime
        case "LogAppendTime": log.timestampType = .logAppendTime
        case let other: throw .init("message.timestamp.type: expected CreateTime or LogAppendTime, got \"\(other)\"")
        }
        self.maxMessageBytes = Int(try number("max.message.bytes", 0...Int64(Int32.max)))
        // Kafka's ranges (`LogConfig`): min.insync.replicas at least 1; the rest must parse.
        self.minInsyncReplicas = Int(try number("min.insync.replicas", 1...Int64(Int32.max)))
        // A batch's records may decompress to 64 times the largest batch a Produce may append, and never
        // past the broker's cap, which no topic config can raise.
        log.maxDecompressedBatchBytes = min(max(maxMessageBytes, 1 << 20) * 64, Int(broker.maxDecompressedBatchBytes))
        // A broker key in Kafka, not a topic config: every log of the broker gets the same.
        log.producerIDExpirationMs = Int64(broker.producerIDExpirationMs)
        self.logConfig = log
        self.entries = entries.values.sorted { $0.name < $1.name }
    }

    /// Whether `overrides` are Kafka topic configs with valid values, whatever the broker's defaults
    /// (`AdminZkClient.validateTopicCreate` → `LogConfig.validate`); the problem otherwise.
    package static func validate(overrides: [String: String]) throws(BrokerConfiguration.Problem) {
        _ = try TopicConfig(broker: BrokerConfiguration(), overrides: overrides)
    }

    /// `compression.type`'s values (`BrokerCompressionType`).
    static let compressionTypes: Set<String> = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]

    // MARK: - Definitions

    /// One topic config key: its type, its value when not overridden, and Kafka's check of an
    /// override (nil when fine, else what was expected).
    private struct Definition {
        var type: ConfigType
        var defaultValue: String
        var check: (String) -> String?
    }

    /// Kafka 3.9's topic configs (`LogConfig.CONFIG`), defaults from `broker` where the broker has the
    /// key (`log.segment.bytes`, `log.cleaner.delete.retention.ms`, …), Kafka's defaults otherwise.
    private static func definitions(broker: BrokerConfiguration) -> [String: Definition] {
        func long(_ value: Int64, atLeast minimum: Int64) -> Definition {
            Definition(type: .long, defaultValue: String(value)) { text in
                Int64(text).map { $0 >= minimum } == true ? nil : "a whole number of at least \(minimum)"
            }
        }
        func int(_ value: Int64, _ range: ClosedRange<Int64>) -> Definition {
            Definition(type: .int, defaultValue: String(value)) { text in
                Int64(text).map { range.contains($0) && Int32(exactly: $0) != nil } == true
                    ? nil : "a whole number in \(range.lowerBound)...\(min(range.upperBound, Int64(Int32.max)))"
            }
        }
        func boolean(_ value: Bool) -> Definition {
            Definition(type: .boolean, defaultValue: String(value)) { text in
                ["true", "false"].contains(text.lowercased()) ? nil : "true or false"
            }
        }
        let int32 = Int64(Int32.max)
        return [
            "cleanup.policy": Definition(type: .list, defaultValue: broker.logCleanupPolicy.description) {
                CleanupPolicy(parsing: $0) == nil ? "delete, compact or compact,delete" : nil
            },
            "compression.gzip.level": Definition(type: .int, defaultValue: "-1") { text in
                Int(text).map { $0 == -1 || (1...9).contains($0) } == true ? nil : "-1 or a level in 1...9"
            },
            "compression.lz4.level": int(9, 1...17),
            "compression.type": Definition(type: .string, defaultValue: "producer") { text in
                compressionTypes.contains(text) ? nil : "one of \(compressionTypes.sorted().joined(separator: ", "))"
            },
            "compression.zstd.level": int(3, -131_072...22),
            "delete.retention.ms": long(broker.logCleanerDeleteRetentionMs, atLeast: 0),
            "file.delete.delay.ms": long(60_000, atLeast: 0),
            "flush.messages": long(.max, atLeast: 1),
            "flush.ms": long(.max, atLeast: 0),
            "follower.replication.throttled.replicas": Definition(
                type: .list, defaultValue: "", check: throttledReplicas),
            "index.interval.bytes": int(4096, 0...int32),
            "leader.replication.throttled.replicas": Definition(
                type: .list, defaultValue: "", check: throttledReplicas),
            "local.retention.bytes": long(-2, atLeast: -2),
            "local.retention.ms": long(-2, atLeast: -2),
            "max.compaction.lag.ms": long(broker.logCleanerMaxCompactionLagMs, atLeast: 1),
            "max.message.bytes": int(Int64(broker.messageMaxBytes), 0...int32),
            "message.downconversion.enable": boolean(true),
            "message.format.version": Definition(type: .string, defaultValue: "3.0-IV1") { text in
                text.first?.isNumber == true ? nil : "a Kafka version such as 3.0-IV1"
            },
            "message.timestamp.after.max.ms": long(.max, atLeast: 0),
            "message.timestamp.before.max.ms": long(.max, atLeast: 0),
            "message.timestamp.difference.max.ms": long(.max, atLeast: 0),
            "message.timestamp.type": Definition(type: .string, defaultValue: "CreateTime") { text in
                ["CreateTime", "LogAppendTime"].contains(text) ? nil : "CreateTime or LogAppendTime"
            },
            "min.cleanable.dirty.ratio": Definition(
                type: .double, defaultValue: "\(broker.logCleanerMinCleanableRatio)"
            ) { Double($0).map { (0...1).contains($0) } == true ? nil : "a number in 0...1" },
            "min.compaction.lag.ms": long(broker.logCleanerMinCompactionLagMs, atLeast: 0),
            "min.insync.replicas": int(Int64(broker.minInsyncReplicas), 1...int32),
            "preallocate": boolean(false),
            "remote.log.copy.disable": boolean(false),
            "remote.log.delete.on.disable": boolean(false),
            "remote.storage.enable": boolean(false),
            "retention.bytes": long(broker.logRetentionBytes, atLeast: -1),
            "retention.ms": long(broker.logRetentionMs, atLeast: -1),
            "segment.bytes": int(Int64(broker.logSegmentBytes), 14...int32),
            "segment.index.bytes": int(10 << 20, 4...int32),
            "segment.jitter.ms": long(0, atLeast: 0),
            "segment.ms": long(broker.logRollMs, atLeast: 1),
            "unclean.leader.election.enable": boolean(broker.uncleanLeaderElectionEnable),
        ]
    }

    /// `ThrottledReplicaListValidator`: empty, `*`, or `partition:broker` pairs separated by commas.
    private static func throttledReplicas(_ text: String) -> String? {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if text.trimmingCharacters(in: .whitespaces).isEmpty || items == ["*"] { return nil }
        let valid = items.allSatisfy { item in
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 2 && parts.allSatisfy { Int32($0.trimmingCharacters(in: .whitespaces)) != nil }
        }
        return valid ? nil : "* or partition:broker pairs separated by commas"
    }
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
            ("log.cleaner.backoff.ms", String(logCleanerBackoffMs), .long),
            ("log.cleaner.dedupe.buffer.size", String(logCleanerDedupeBufferSize), .long),
            ("log.cleaner.delete.retention.ms", String(logCleanerDeleteRetentionMs), .long),
            ("log.cleaner.enable", String(logCleanerEnable), .boolean),
            ("log.cleaner.max.compaction.lag.ms", String(logCleanerMaxCompactionLagMs), .long),
            ("log.cleaner.min.cleanable.ratio", "\(logCleanerMinCleanableRatio)", .double),
            ("log.cleaner.min.compaction.lag.ms", String(logCleanerMinCompactionLagMs), .long),
            ("log.cleaner.threads", String(logCleanerThreads), .int),
            ("log.cleanup.policy", logCleanupPolicy.description, .list),
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
