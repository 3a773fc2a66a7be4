import Foundation
import KafkaWire
package import NIOCore
import NIOPosix
package import SegmentLog

/// What `paddock groups reset-offsets` moves a group's offsets to (kafka-consumer-groups' scenarios).
package enum OffsetResetSpec: Hashable, Sendable {
    case earliest
    case latest
    /// The first offset whose timestamp is at or after this time (milliseconds since the epoch).
    case datetime(Int64)
    /// The committed offset moved by this many records (negative: back).
    case shiftBy(Int64)
}

/// One row of `paddock groups describe`, as kafka-consumer-groups prints it.
package struct GroupOffsetRow: Hashable, Sendable {
    package var partition: TopicPartition
    package var committed: Int64?
    package var logEnd: Int64?
    package var consumerID: String?
    package var host: String?
    package var clientID: String?

    /// Log end minus committed offset; nil when either is unknown.
    package var lag: Int64? {
        guard let committed, let logEnd else { return nil }
        return max(logEnd - committed, 0)
    }
}

/// The pure parts of the group tools: reading a consumer's assignment, planning an offset reset, and the
/// table kafka-consumer-groups prints.
package enum GroupAdminPlan {
    /// The partitions of a `consumer`-protocol assignment (`ConsumerProtocolAssignment`: version int16,
    /// AssignedPartitions [Topic string, Partitions []int32], UserData bytes); nil when it is not one.
    package static func assignedPartitions(_ assignment: ByteBuffer) -> [TopicPartition]? {
        guard assignment.readableBytes > 0 else { return [] }
        var reader = KafkaReader(assignment)
        do throws(KafkaWireError) {
            let version = try reader.readInt16(field: "ConsumerProtocolAssignment.Version")
            guard version >= 0 else { return nil }
            let count = try reader.readInt32(field: "ConsumerProtocolAssignment.AssignedPartitions")
            guard count >= 0, Int(count) <= reader.readableBytes / 6 else { return nil }
            var partitions: [TopicPartition] = []
            for _ in 0..<count {
                let topic = try reader.readString(field: "TopicPartition.Topic")
                for index in try reader.readInt32Array(field: "TopicPartition.Partitions") {
                    partitions.append(TopicPartition(topic, index))
                }
            }
            return partitions
        } catch {
            return nil
        }
    }

    /// The offset each partition moves to: `spec` within [earliest, latest] of the partition (an offset
    /// for a time after the last record is the log end, as Kafka's tool does).
    package static func resetTargets(
        _ spec: OffsetResetSpec, partitions: [TopicPartition], committed: [TopicPartition: Int64],
        earliest: [TopicPartition: Int64], latest: [TopicPartition: Int64], atTime: [TopicPartition: Int64]
    ) -> [TopicPartition: Int64] {
        var targets: [TopicPartition: Int64] = [:]
        for partition in partitions {
            guard let low = earliest[partition], let high = latest[partition] else { continue }
            let wanted: Int64
            switch spec {
            case .earliest: wanted = low
            case .latest: wanted = high
            case .datetime: wanted = atTime[partition] ?? high
            case .shiftBy(let shift):
                let (shifted, overflow) = (committed[partition] ?? high).addingReportingOverflow(shift)
                wanted = overflow ? (shift > 0 ? Int64.max : Int64.min) : shifted
            }
            targets[partition] = min(max(wanted, low), high)
        }
        return targets
    }

    /// A table with a header row and columns padded to their widest cell.
    package static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// `paddock groups describe`'s table: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID
    /// HOST CLIENT-ID, unknown values as `-`.
    package static func describeTable(group: String, rows: [GroupOffsetRow]) -> String {
        func text(_ value: Int64?) -> String { value.map(String.init) ?? "-" }
        return table(
            ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"],
            rows.sorted { $0.partition < $1.partition }.map { row in
                [
                    group, row.partition.topic, String(row.partition.partition), text(row.committed), text(row.logEnd),
                    text(row.lag), row.consumerID ?? "-", row.host ?? "-", row.clientID ?? "-",
                ]
            })
    }
}

/// The group tools' Kafka client (kafka-consumer-groups): each request on its own connection to the
/// broker it must reach (the group's coordinator, a partition's leader).
package struct GroupAdmin: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }

    /// A group as `describe` reports it.
    package struct Description: Sendable {
        package var state: String
        package var protocolName: String
        package var members: Int
        package var rows: [GroupOffsetRow]
    }

    private let bootstrap: [(host: String, port: Int)]
    private let group: any EventLoopGroup
    private let timeout: Duration

    /// `bootstrap`: `host:port[,host:port...]`.
    package init(bootstrap: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: Duration = .seconds(15)) throws {
        var brokers: [(String, Int)] = []
        for item in bootstrap.split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (1...65535).contains(port), colon != text.startIndex
            else { throw Failure("--bootstrap-server: expected host:port[,host:port...], got \"\(bootstrap)\"") }
            brokers.append((String(text[..<colon]), port))
        }
        guard !brokers.isEmpty else { throw Failure("--bootstrap-server: no broker given") }
        self.bootstrap = brokers
        self.group = group
        self.timeout = timeout
    }

    private func send(_ request: KafkaRequest, version: Int16, to broker: (host: String, port: Int)) async throws
        -> KafkaResponse
    {
        var response: KafkaResponse?
        try await KafkaClientConnection.withConnection(
            host: broker.host, port: broker.port, group: group, clientID: "paddock-groups", timeout: timeout,
            maxFrameSize: 100 << 20
        ) { connection in
            response = try await connection.send(request, version: version)
        }
        guard let response else { throw Failure("no answer from \(broker.host):\(broker.port)") }
        return response
    }

    /// The first bootstrap broker that answers.
    private func sendToAny(_ request: KafkaRequest, version: Int16) async throws -> KafkaResponse {
        var last: (any Error)?
        for broker in bootstrap {
            do { return try await send(request, version: version, to: broker) } catch { last = error }
        }
        throw Failure("no bootstrap broker answered: \(last.map { "\($0)" } ?? "none given")")
    }

    private func metadata(topics: [String]?) async throws -> MetadataResponse {
        guard
            case .metadata(let metadata) = try await sendToAny(
                .metadata(MetadataRequest(topics: topics?.map { .init(name: $0) }, allowAutoTopicCreation: false)),
                version: 4)
        else { throw Failure("unexpected answer to Metadata") }
        return metadata
    }

    private static func address(of id: Int32, in metadata: MetadataResponse) -> (host: String, port: Int)? {
        metadata.brokers.first { $0.nodeID == id }.map { ($0.host, Int($0.port)) }
    }

    /// The group's coordinator.
    private func coordinator(of groupID: String) async throws -> (host: String, port: Int) {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard
                case .findCoordinator(let found) = try await sendToAny(
                    .findCoordinator(FindCoordinatorRequest(key: groupID)), version: 2)
            else { throw Failure("unexpected answer to FindCoordinator") }
            if found.errorCode == .noError { return (found.host, Int(found.port)) }
            guard ContinuousClock.now < deadline, found.errorCode == .coordinatorNotAvailable else {
                throw Failure("no coordinator for group \(groupID): \(found.errorCode)")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Every group of the cluster with its state (ListGroups to every broker).
    package func list() async throws -> [(group: String, state: String)] {
        let metadata = try await metadata(topics: [])
        var groups: [String: String] = [:]
        for broker in metadata.brokers {
            guard
                case .listGroups(let listed) = try await send(
                    .listGroups(ListGroupsRequest()), version: 4, to: (broker.host, Int(broker.port)))
            else { throw Failure("unexpected answer to ListGroups") }
            guard listed.errorCode == .noError else {
                throw Failure("broker \(broker.nodeID) cannot list its groups: \(listed.errorCode)")
            }
            for group in listed.groups { groups[group.groupID] = group.groupState }
        }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }

    /// The group's members and, per partition it committed or is assigned, the committed offset, the log
    /// end and the lag.
    package func describe(_ groupID: String) async throws -> Description {
        let coordinator = try await coordinator(of: groupID)
        guard
            case .describeGroups(let described) = try await send(
                .describeGroups(DescribeGroupsRequest(groups: [groupID])), version: 4, to: coordinator),
            let group = described.groups.first
        else { throw Failure("unexpected answer to DescribeGroups") }
        guard group.errorCode == .noError else { throw Failure("cannot describe group \(groupID): \(group.errorCode)") }
        let committed = try await committedOffsets(groupID, coordinator: coordinator)
        var rows: [TopicPartition: GroupOffsetRow] = [:]
        for (partition, offset) in committed { rows[partition] = GroupOffsetRow(partition: partition, committed: offset) }
        for member in group.members {
            for partition in GroupAdminPlan.assignedPartitions(member.memberAssignment) ?? [] {
                var row = rows[partition] ?? GroupOffsetRow(partition: partition)
                row.consumerID = member.memberID
                row.host = member.clientHost
                row.clientID = member.clientID
                rows[partition] = row
            }
        }
        let ends = try await offsets(of: Array(rows.keys), at: -1)
        for partition in rows.keys { rows[partition]!.logEnd = ends[partition] }
        return Description(
            state: group.groupState, protocolName: group.protocolData, members: group.members.count,
            rows: rows.values.sorted { $0.partition < $1.partition })
    }

    private func committedOffsets(
        _ groupID: String, coordinator: (host: String, port: Int)
    ) async throws -> [TopicPartition: Int64] {
        guard
            case .offsetFetch(let fetched) = try await send(
                .offsetFetch(OffsetFetchRequest(groupID: groupID, topics: nil)), version: 7, to: coordinator),
            let group = fetched.groups.first
        else { throw Failure("unexpected answer to OffsetFetch") }
        guard group.errorCode == .noError else { throw Failure("cannot read the offsets of \(groupID): \(group.errorCode)") }
        var offsets: [TopicPartition: Int64] = [:]
        for topic in group.topics {
            for partition in topic.partitions where partition.committedOffset >= 0 {
                offsets[TopicPartition(topic.name, partition.partitionIndex)] = partition.committedOffset
            }
        }
        return offsets
    }

    /// ListOffsets v1 at `timestamp` (-1 latest, -2 earliest) from each partition's leader; partitions whose
    /// leader does not answer are left out.
    private func offsets(of partitions: [TopicPartition], at timestamp: Int64) async throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let metadata = try await metadata(topics: Array(Set(partitions.map(\.topic))).sorted())
        var byLeader: [Int32: [TopicPartition]] = [:]
        for partition in partitions {
            guard let topic = metadata.topics.first(where: { $0.name == partition.topic }),
                let info = topic.partitions.first(where: { $0.partitionIndex == partition.partition }), info.leaderID >= 0
            else { continue }
            byLeader[info.leaderID, default: []].append(partition)
        }
        var result: [TopicPartition: Int64] = [:]
        for (leader, led) in byLeader {
            guard let address = Self.address(of: leader, in: metadata) else { continue }
            let topics = Dictionary(grouping: led, by: \.topic).map { topic, partitions in
                ListOffsetsRequest.Topic(
                    name: topic, partitions: partitions.map { .init(partitionIndex: $0.partition, timestamp: timestamp) })
            }
            guard
                case .listOffsets(let answer) = try await send(
                    .listOffsets(ListOffsetsRequest(topics: topics)), version: 1, to: address)
            else { throw Failure("unexpected answer to ListOffsets") }
            for topic in answer.topics {
                for partition in topic.partitions where partition.errorCode == .noError && partition.offset >= 0 {
                    result[TopicPartition(topic.name, partition.partitionIndex)] = partition.offset
                }
            }
        }
        return result
    }

    /// Plans (and with `execute` commits) new offsets for `topics` (every partition of each; nil: every
    /// partition the group has committed). The group must have no members, as Kafka's tool requires.
    package func resetOffsets(
        _ groupID: String, topics: [String]?, to spec: OffsetResetSpec, execute: Bool
    ) async throws -> [TopicPartition: Int64] {
        let coordinator = try await coordinator(of: groupID)
        guard
            case .describeGroups(let described) = try await send(
                .describeGroups(DescribeGroupsRequest(groups: [groupID])), version: 4, to: coordinator),
            let group = described.groups.first
        else { throw Failure("unexpected answer to DescribeGroups") }
        guard group.members.isEmpty else {
            throw Failure(
                "Assignments can only be reset if the group '\(groupID)' is inactive, but the current state is "
                    + "\(group.groupState).")
        }
        let committed = try await committedOffsets(groupID, coordinator: coordinator)
        var partitions: [TopicPartition]
        if let topics {
            let metadata = try await metadata(topics: topics)
            partitions = []
            for topic in metadata.topics {
                guard topic.errorCode == .noError else { throw Failure("topic \(topic.name): \(topic.errorCode)") }
                partitions += topic.partitions.map { TopicPartition(topic.name, $0.partitionIndex) }
            }
        } else {
            partitions = Array(committed.keys)
        }
        partitions.sort()
        let earliest = try await offsets(of: partitions, at: -2)
        let latest = try await offsets(of: partitions, at: -1)
        var atTime: [TopicPartition: Int64] = [:]
        if case .datetime(let time) = spec { atTime = try await offsets(of: partitions, at: time) }
        let targets = GroupAdminPlan.resetTargets(
            spec, partitions: partitions, committed: committed, earliest: earliest, latest: latest, atTime: atTime)
        guard execute, !targets.isEmpty else { return targets }
        let topicsToCommit = Dictionary(grouping: targets.keys, by: \.topic).map { topic, partitions in
            OffsetCommitRequest.Topic(
                name: topic,
                partitions: partitions.sorted().map {
                    .init(partitionIndex: $0.partition, committedOffset: targets[$0]!, committedMetadata: "")
                })
        }
        guard
            case .offsetCommit(let answer) = try await send(
                .offsetCommit(OffsetCommitRequest(groupID: groupID, topics: topicsToCommit)), version: 7, to: coordinator)
        else { throw Failure("unexpected answer to OffsetCommit") }
        for topic in answer.topics {
            for partition in topic.partitions where partition.errorCode != .noError {
                throw Failure("cannot commit \(topic.name)-\(partition.partitionIndex): \(partition.errorCode)")
            }
        }
        return targets
    }

    /// Deletes an empty group and its offsets.
    package func delete(_ groupID: String) async throws {
        let coordinator = try await coordinator(of: groupID)
        guard
            case .deleteGroups(let answer) = try await send(
                .deleteGroups(DeleteGroupsRequest(groupNames: [groupID])), version: 1, to: coordinator),
            let result = answer.results.first
        else { throw Failure("unexpected answer to DeleteGroups") }
        guard result.errorCode == .noError else { throw Failure("cannot delete group \(groupID): \(result.errorCode)") }
    }
}
