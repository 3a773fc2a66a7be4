/// A request's `api_key` (`RequestHeader.RequestApiKey`). A struct rather than an enum so that keys this
/// broker does not implement can still be carried in a header and answered.
package struct APIKey: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    package var rawValue: Int16

    package init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    package static func < (lhs: APIKey, rhs: APIKey) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The API's name from `SupportedAPIs`, or its number for keys this broker does not implement.
    package var description: String { SupportedAPIs.api(self)?.name ?? "ApiKey(\(self.rawValue))" }

    // Keys from `clients/src/main/resources/common/message/*Request.json` ("apiKey").
    package static let produce = APIKey(rawValue: 0)
    package static let fetch = APIKey(rawValue: 1)
    package static let listOffsets = APIKey(rawValue: 2)
    package static let metadata = APIKey(rawValue: 3)
    package static let controlledShutdown = APIKey(rawValue: 7)
    package static let offsetCommit = APIKey(rawValue: 8)
    package static let offsetFetch = APIKey(rawValue: 9)
    package static let findCoordinator = APIKey(rawValue: 10)
    package static let joinGroup = APIKey(rawValue: 11)
    package static let heartbeat = APIKey(rawValue: 12)
    package static let leaveGroup = APIKey(rawValue: 13)
    package static let syncGroup = APIKey(rawValue: 14)
    package static let describeGroups = APIKey(rawValue: 15)
    package static let listGroups = APIKey(rawValue: 16)
    package static let apiVersions = APIKey(rawValue: 18)
    package static let createTopics = APIKey(rawValue: 19)
    package static let deleteTopics = APIKey(rawValue: 20)
    package static let initProducerID = APIKey(rawValue: 22)
    package static let offsetForLeaderEpoch = APIKey(rawValue: 23)
    package static let describeConfigs = APIKey(rawValue: 32)
    package static let createPartitions = APIKey(rawValue: 37)
    package static let deleteGroups = APIKey(rawValue: 42)
    package static let electLeaders = APIKey(rawValue: 43)
    package static let alterPartitionReassignments = APIKey(rawValue: 45)
    package static let listPartitionReassignments = APIKey(rawValue: 46)
    package static let offsetDelete = APIKey(rawValue: 47)
}

/// One API this broker implements: its key, its name in Kafka's specs, and the inclusive range of
/// versions it advertises in `ApiVersions` and accepts.
package struct SupportedAPI: Hashable, Sendable {
    package var key: APIKey
    package var name: String
    package var minVersion: Int16
    package var maxVersion: Int16
    /// Kafka's first flexible version of this API (`flexibleVersions` in the JSON spec, Kafka 3.9): from
    /// it on a request uses header v2 and a response header v1. Every supported version is below it.
    package var firstFlexibleVersion: Int16

    /// Whether `version` is within `minVersion...maxVersion`.
    package func supports(_ version: Int16) -> Bool {
        self.minVersion <= version && version <= self.maxVersion
    }
}

/// The APIs and versions this broker implements: the single source the `ApiVersions` response is built
/// from and requests are checked against. Phase 1 of reference/kafka.md §3.5: no flexible versions;
/// ApiVersions v3+ is answered through the KIP-511 downgrade.
package enum SupportedAPIs {
    /// Every implemented API, ordered by key.
    package static let all: [SupportedAPI] = [
        // Advertises 0–8 although the broker rejects 0–2 (no RecordBatch v2 before 3): librdkafka < 2.11.1
        // enables compression only if the range contains 0 (reference/kafka.md §3.4 #1).
        SupportedAPI(key: .produce, name: "Produce", minVersion: 0, maxVersion: 8, firstFlexibleVersion: 9),
        // 4 is the first version with RecordBatch v2 (MsgVer2), as Redpanda.
        SupportedAPI(key: .fetch, name: "Fetch", minVersion: 4, maxVersion: 11, firstFlexibleVersion: 12),
        SupportedAPI(key: .listOffsets, name: "ListOffsets", minVersion: 1, maxVersion: 5, firstFlexibleVersion: 6),
        // v7 (leader epoch) obliges OffsetForLeaderEpoch (reference/kafka.md §3.4 #6).
        SupportedAPI(key: .metadata, name: "Metadata", minVersion: 0, maxVersion: 7, firstFlexibleVersion: 9),
        // Brokers' own: a stopping broker asks the controller to move its leaderships (v0's header differs).
        SupportedAPI(
            key: .controlledShutdown,
            name: "ControlledShutdown",
            minVersion: 1,
            maxVersion: 2,
            firstFlexibleVersion: 3
        ),
        // The group coordinator (issue 10): every version of Kafka 3.9 but the KIP-848 ones.
        SupportedAPI(key: .offsetCommit, name: "OffsetCommit", minVersion: 0, maxVersion: 8, firstFlexibleVersion: 8),
        SupportedAPI(key: .offsetFetch, name: "OffsetFetch", minVersion: 0, maxVersion: 8, firstFlexibleVersion: 6),
        SupportedAPI(key: .findCoordinator, name: "FindCoordinator", minVersion: 0, maxVersion: 4, firstFlexibleVersion: 3),
        SupportedAPI(key: .joinGroup, name: "JoinGroup", minVersion: 0, maxVersion: 9, firstFlexibleVersion: 6),
        SupportedAPI(key: .heartbeat, name: "Heartbeat", minVersion: 0, maxVersion: 4, firstFlexibleVersion: 4),
        SupportedAPI(key: .leaveGroup, name: "LeaveGroup", minVersion: 0, maxVersion: 5, firstFlexibleVersion: 4),
        SupportedAPI(key: .syncGroup, name: "SyncGroup", minVersion: 0, maxVersion: 5, firstFlexibleVersion: 4),
        SupportedAPI(key: .describeGroups, name: "DescribeGroups", minVersion: 0, maxVersion: 5, firstFlexibleVersion: 5),
        SupportedAPI(key: .listGroups, name: "ListGroups", minVersion: 0, maxVersion: 4, firstFlexibleVersion: 3),
        // 0–2 as librdkafka's mock broker; clients that send 3 get the KIP-511 downgrade answer.
        SupportedAPI(key: .apiVersions, name: "ApiVersions", minVersion: 0, maxVersion: 2, firstFlexibleVersion: 3),
        SupportedAPI(key: .createTopics, name: "CreateTopics", minVersion: 0, maxVersion: 4, firstFlexibleVersion: 5),
        SupportedAPI(key: .deleteTopics, name: "DeleteTopics", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 4),
        // v3 carries an idempotent producer's id and epoch (KIP-360); answered as v0 is, with a new id.
        SupportedAPI(
            key: .initProducerID,
            name: "InitProducerId",
            minVersion: 0,
            maxVersion: 4,
            firstFlexibleVersion: 2
        ),
        // librdkafka validates positions with exactly v2.
        SupportedAPI(
            key: .offsetForLeaderEpoch,
            name: "OffsetForLeaderEpoch",
            minVersion: 2,
            maxVersion: 3,
            firstFlexibleVersion: 4
        ),
        SupportedAPI(
            key: .describeConfigs,
            name: "DescribeConfigs",
            minVersion: 0,
            maxVersion: 3,
            firstFlexibleVersion: 4
        ),
        SupportedAPI(
            key: .createPartitions,
            name: "CreatePartitions",
            minVersion: 0,
            maxVersion: 1,
            firstFlexibleVersion: 2
        ),
        SupportedAPI(key: .deleteGroups, name: "DeleteGroups", minVersion: 0, maxVersion: 2, firstFlexibleVersion: 2),
        SupportedAPI(key: .electLeaders, name: "ElectLeaders", minVersion: 0, maxVersion: 1, firstFlexibleVersion: 2),
        // Flexible from their first version (KIP-455): request header v2, response header v1.
        SupportedAPI(
            key: .alterPartitionReassignments,
            name: "AlterPartitionReassignments",
            minVersion: 0,
            maxVersion: 0,
            firstFlexibleVersion: 0
        ),
        SupportedAPI(
            key: .listPartitionReassignments,
            name: "ListPartitionReassignments",
            minVersion: 0,
            maxVersion: 0,
            firstFlexibleVersion: 0
        ),
        // No flexible version.
        SupportedAPI(key: .offsetDelete, name: "OffsetDelete", minVersion: 0, maxVersion: 0, firstFlexibleVersion: 1),
    ]

    private static let byKey: [APIKey: SupportedAPI] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    /// The entry for `key`, or nil if this broker does not implement it.
    package static func api(_ key: APIKey) -> SupportedAPI? { self.byKey[key] }
}
