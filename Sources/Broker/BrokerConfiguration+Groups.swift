extension BrokerConfiguration {
    /// The group coordinator's keys (Kafka's `GroupCoordinatorConfig`, `OffsetConfig`), with Kafka's
    /// defaults and ranges.
    static let groupCoordinatorKeys: Set<String> = [
        "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.initial.rebalance.delay.ms",
        "group.max.size", "offsets.topic.num.partitions", "offsets.topic.replication.factor",
        "offsets.topic.segment.bytes", "offsets.retention.minutes", "offsets.retention.check.interval.ms",
        "offsets.commit.timeout.ms", "offset.metadata.max.bytes", "offsets.load.buffer.size",
    ]

    /// Reads `groupCoordinatorKeys` into `groupCoordinator`.
    mutating func applyGroupCoordinator(_ values: [String: String]) throws(Problem) {
        func number<T: FixedWidthInteger>(_ key: String, _ range: ClosedRange<T>) throws(Problem) -> T? {
            try Self.number(values, key, range)
        }
        var settings = GroupCoordinatorSettings()
        var group = settings.group
        group.minSessionTimeoutMs = try number("group.min.session.timeout.ms", 0...Int32.max) ?? group.minSessionTimeoutMs
        group.maxSessionTimeoutMs = try number("group.max.session.timeout.ms", 0...Int32.max) ?? group.maxSessionTimeoutMs
        guard group.minSessionTimeoutMs <= group.maxSessionTimeoutMs else {
            throw Problem(
                "group.min.session.timeout.ms (\(group.minSessionTimeoutMs)) must not exceed "
                    + "group.max.session.timeout.ms (\(group.maxSessionTimeoutMs))")
        }
        group.initialRebalanceDelayMs =
            try number("group.initial.rebalance.delay.ms", 0...Int32.max) ?? group.initialRebalanceDelayMs
        if let size = try number("group.max.size", 1...Int32.max) { group.maxSize = size == Int32.max ? nil : Int(size) }
        settings.group = group
        settings.offsetsTopicPartitions =
            try number("offsets.topic.num.partitions", 1...Int32(10_000)) ?? settings.offsetsTopicPartitions
        settings.offsetsTopicReplicationFactor =
            try number("offsets.topic.replication.factor", 1...Int16.max) ?? settings.offsetsTopicReplicationFactor
        settings.offsetsTopicSegmentBytes =
            try number("offsets.topic.segment.bytes", 1...Int32.max) ?? settings.offsetsTopicSegmentBytes
        if let minutes = try number("offsets.retention.minutes", 1...Int64(Int32.max)) {
            settings.offsetsRetentionMs = minutes * 60_000
        }
        settings.offsetsRetentionCheckIntervalMs =
            try number("offsets.retention.check.interval.ms", 1...Int64(Int32.max))
            ?? settings.offsetsRetentionCheckIntervalMs
        settings.offsetsCommitTimeoutMs =
            try number("offsets.commit.timeout.ms", 1...Int64(Int32.max)) ?? settings.offsetsCommitTimeoutMs
        settings.offsetMetadataMaxBytes =
            Int(try number("offset.metadata.max.bytes", 0...Int32.max) ?? Int32(settings.offsetMetadataMaxBytes))
        settings.offsetsLoadBufferSize =
            Int(try number("offsets.load.buffer.size", 1...Int32.max) ?? Int32(settings.offsetsLoadBufferSize))
        groupCoordinator = settings
    }

    /// `key` as a whole number within `range`; nil when absent.
    static func number<T: FixedWidthInteger>(
        _ values: [String: String], _ key: String, _ range: ClosedRange<T>
    ) throws(Problem) -> T? {
        guard let text = values[key] else { return nil }
        guard let value = T(text), range.contains(value) else {
            throw Problem("\(key): expected a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }
}
