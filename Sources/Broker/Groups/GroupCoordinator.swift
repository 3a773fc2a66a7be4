import Foundation
package import KafkaWire
package import KafkaZooKeeper
package import Logging
package import NIOCore
package import SegmentLog
import Synchronization

/// The broker settings of the group coordinator and its `__consumer_offsets` topic (Kafka's
/// `GroupCoordinatorConfig` and `OffsetConfig`; reference/kafka.md §4.2).
package struct GroupCoordinatorSettings: Hashable, Sendable {
    package var group = GroupCoordinatorConfig()
    /// `offsets.topic.num.partitions` (50).
    package var offsetsTopicPartitions: Int32 = 50
    /// `offsets.topic.replication.factor` (3); fewer while fewer brokers are alive.
    package var offsetsTopicReplicationFactor: Int16 = 3
    /// `offsets.topic.segment.bytes` (100 MiB).
    package var offsetsTopicSegmentBytes: Int32 = 104_857_600
    /// `offsets.retention.minutes` (7 days), in milliseconds.
    package var offsetsRetentionMs: Int64 = 7 * 24 * 3_600_000
    /// `offsets.retention.check.interval.ms` (10 minutes).
    package var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offsets.commit.timeout.ms` (5 s): how long a commit waits for the offsets partition's ISR.
    package var offsetsCommitTimeoutMs: Int64 = 5_000
    /// `offset.metadata.max.bytes` (4096): a longer metadata string gets OFFSET_METADATA_TOO_LARGE.
    package var offsetMetadataMaxBytes: Int = 4_096
    /// `offsets.load.buffer.size` (5 MiB): how much of an offsets partition one read takes while loading.
    package var offsetsLoadBufferSize: Int = 5 << 20

    package init() {}
}

/// A group as DescribeGroups and ListGroups show it.
package struct GroupSummary: Hashable, Sendable {
    package struct Member: Hashable, Sendable {
        package var memberID: String
        package var groupInstanceID: String?
        package var clientID: String
        package var clientHost: String
        /// The member's metadata for the chosen protocol; empty unless the group is Stable.
        package var metadata: ByteBuffer
        /// The member's assignment; empty unless the group is Stable.
        package var assignment: ByteBuffer
    }
    package var groupID: String
    /// Kafka's state names: `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable`, `Dead`.
    package var state: String
    package var protocolType: String
    package var protocolName: String
    package var members: [Member]
}

/// The classic group coordinator (Kafka's `GroupCoordinator` and `GroupMetadataManager`): a thin driver
/// around one `GroupStateMachine` per group, keeping the groups whose `__consumer_offsets` partition this
/// broker leads.
///
/// - A group belongs to partition `abs(javaHash(group)) % offsets.topic.num.partitions`
///   (`offsetsPartition(for:partitionCount:)`); its coordinator is that partition's leader.
/// - When this broker becomes the leader of an offsets partition it reads the partition from its log
///   start to its log end and rebuilds the groups and committed offsets in it; meanwhile their requests
///   get COORDINATOR_LOAD_IN_PROGRESS. When it stops leading one it drops them (parked requests get
///   NOT_COORDINATOR, later ones NOT_COORDINATOR too).
/// - Offset commits and each completed rebalance are appended to the partition and acknowledged only
///   once the partition's ISR has them (`acks=all`, `offsets.commit.timeout.ms`), so they survive the
///   loss of the coordinator.
/// - Requests Kafka parks (a JoinGroup until the rebalance completes, a SyncGroup until the leader's
///   assignment) wait on continuations, holding no thread. One ticker runs every group's deadlines
///   (sessions, rebalance timeouts) every `tickInterval`.
/// - Offsets of a group that has been empty for `offsets.retention.minutes`, and offsets committed with
///   an explicit expiry, are deleted (tombstones) every `offsets.retention.check.interval.ms`; an empty
///   group without offsets goes with them.
package final class GroupCoordinator: Sendable {
    package static let offsetsTopic = "__consumer_offsets"
    /// How often group deadlines are checked: the resolution of session and rebalance timeouts.
    static let tickInterval = Duration.milliseconds(50)

    /// Whether a group's requests are served here.
    package enum Ownership: Hashable, Sendable {
        case served(partition: Int32)
        case refused(KafkaErrorCode)
    }

    private enum PartitionStatus: Hashable {
        case loading(epoch: Int32)
        case loaded(epoch: Int32)
    }

    /// What was last written for a group: a rebalance that changes none of it writes nothing.
    private struct StoredKey: Hashable {
        var generation: Int32
        var memberIDs: [String]
        var state: GroupStateMachine.State
    }

    private struct Group {
        var machine: GroupStateMachine
        let partition: Int32
        var offsets: [TopicPartition: OffsetAndMetadata] = [:]
        var stored: StoredKey?
        var lastState: GroupStateMachine.State
        /// When the group last changed state (`currentStateTimestamp`): offsets of a group empty since
        /// longer than `offsets.retention.minutes` expire.
        var stateSinceMs: Int64

        init(machine: GroupStateMachine, partition: Int32, stateSinceMs: Int64) {
            self.machine = machine
            self.partition = partition
            self.lastState = machine.state
            self.stateSinceMs = stateSinceMs
        }

        var storeKey: StoredKey? {
            switch machine.state {
            case .stable, .empty:
                StoredKey(generation: machine.generationID, memberIDs: machine.members.map(\.memberID), state: machine.state)
            case .preparingRebalance, .completingRebalance, .dead: nil
            }
        }
    }

    private struct State {
        var partitions: [Int32: PartitionStatus] = [:]
        var groups: [String: Group] = [:]
        /// Requests waiting for their group's answer.
        var waiting: [GroupRequestID: CheckedContinuation<GroupResponse?, Never>] = [:]
        var nextRequestID: UInt64 = 0
        /// Each group's latest metadata write; the next one waits for it.
        var groupWrites: [String: Task<Void, Never>] = [:]
        /// Rebalances completed (joins that ended) since start.
        var completedRebalances: Int64 = 0
        var closed = false
    }

    private let brokerID: BrokerID
    private let settings: GroupCoordinatorSettings
    private let partitions: PartitionManager
    private let metadata: MetadataCache
    private let maxDecompressedBytes: Int
    private let logger: Logger
    private let state = Mutex(State())

    package init(
        brokerID: BrokerID, settings: GroupCoordinatorSettings, partitions: PartitionManager, metadata: MetadataCache,
        maxDecompressedBytes: Int, logger: Logger
    ) {
        self.brokerID = brokerID
        self.settings = settings
        self.partitions = partitions
        self.metadata = metadata
        self.maxDecompressedBytes = maxDecompressedBytes
        self.logger = logger
    }

    package var partitionCount: Int32 { settings.offsetsTopicPartitions }

    /// The offsets partition of `groupID`.
    package func partition(of groupID: String) -> Int32 {
        offsetsPartition(for: groupID, partitionCount: settings.offsetsTopicPartitions)
    }

    /// Follows the metadata (loading and unloading offsets partitions), runs group deadlines and offset
    /// expiry until cancelled; then answers every parked request with NOT_COORDINATOR.
    package func run() async throws {
        defer { close() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await snapshot in self.metadata.updates() { self.follow(snapshot) }
            }
            tasks.addTask {
                while true {
                    try await Task.sleep(for: Self.tickInterval)
                    self.tick()
                }
            }
            tasks.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(self.settings.offsetsRetentionCheckIntervalMs))
                    await self.expireOffsets()
                }
            }
            try await tasks.next()
        }
    }

    // MARK: - Ownership

    /// Whether this broker coordinates `groupID` now.
    package func ownership(of groupID: String) -> Ownership {
        state.withLock { ownership(of: groupID, in: $0) }
    }

    /// Loads the offsets partitions this broker newly leads, unloads those it no longer leads.
    private func follow(_ snapshot: MetadataCache.Snapshot) {
        var led: [Int32: Int32] = [:]
        if let topic = snapshot.topics[Self.offsetsTopic], !topic.markedForDeletion {
            for (id, info) in topic.partitions where info.leader == brokerID { led[id] = info.leaderEpoch }
        }
        let (toLoad, unloaded) = state.withLock { state -> ([(Int32, Int32)], [GroupOutput]) in
            guard !state.closed else { return ([], []) }
            var toLoad: [(Int32, Int32)] = []
            for (partition, epoch) in led where state.partitions[partition] == nil {
                state.partitions[partition] = .loading(epoch: epoch)
                toLoad.append((partition, epoch))
            }
            var outputs: [GroupOutput] = []
            for partition in state.partitions.keys where led[partition] == nil {
                state.partitions[partition] = nil
                outputs += Self.unload(partition, in: &state)
            }
            return (toLoad, outputs)
        }
        answer(unloaded)
        for (partition, epoch) in toLoad {
            Task { await self.load(partition, epoch: epoch) }
        }
    }

    private static func unload(_ partition: Int32, in state: inout State) -> [GroupOutput] {
        var outputs: [GroupOutput] = []
        for (id, group) in state.groups where group.partition == partition {
            var machine = group.machine
            outputs.append(machine.unloaded())
            state.groups[id] = nil
            state.groupWrites[id] = nil
        }
        return outputs
    }

    // MARK: - Loading

    /// Reads offsets partition `partition` (led in `epoch`) and installs its groups, unless leadership moved
    /// on meanwhile.
    private func load(_ partition: Int32, epoch: Int32) async {
        let topicPartition = TopicPartition(Self.offsetsTopic, partition)
        let started = ContinuousClock.now
        @Sendable func stillLoading() -> Bool { state.withLock { $0.partitions[partition] == .loading(epoch: epoch) } }
        // The partition manager opens the log after the same metadata change: wait for it.
        while !partitions.isServing(topicPartition) {
            guard stillLoading(), !Task.isCancelled else { return }
            let seen = partitions.signals.versions(of: [topicPartition])
            if !partitions.isServing(topicPartition) { await partitions.signals.wait(for: seen, timeout: .seconds(1)) }
        }
        var replay = Replay()
        do {
            try await read(topicPartition, into: &replay, while: stillLoading)
        } catch {
            logger.error(
                "cannot load the groups of an offsets partition",
                metadata: topicPartition.logMetadata(["error": "\(error)"]))
            // Left loading: its groups answer COORDINATOR_LOAD_IN_PROGRESS until leadership changes.
            return
        }
        let nowMs = PartitionManager.nowMilliseconds()
        let installed = state.withLock { state -> Int? in
            guard state.partitions[partition] == .loading(epoch: epoch) else { return nil }
            for (groupID, group) in replay.groups(settings: settings.group, partition: partition, nowMs: nowMs) {
                state.groups[groupID] = group
            }
            state.partitions[partition] = .loaded(epoch: epoch)
            return state.groups.values.count { $0.partition == partition }
        }
        guard let installed else { return }
        logger.info(
            "loaded groups of offsets partition",
            metadata: topicPartition.logMetadata([
                "groups": "\(installed)", "offsets": "\(replay.offsetCount)",
                "duration.ms": "\(Self.milliseconds(ContinuousClock.now - started))",
            ]))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Groups and offsets as the records of an offsets partition leave them.
    private struct Replay {
        var offsets: [String: [TopicPartition: OffsetAndMetadata]] = [:]
        var values: [String: GroupMetadataValue] = [:]

        var offsetCount: Int { offsets.values.reduce(0) { $0 + $1.count } }

        mutating func apply(_ record: GroupRecord) {
            switch record {
            case .offset(let group, let partition, let offset):
                offsets[group, default: [:]][partition] = offset
                if offsets[group]?.isEmpty == true { offsets[group] = nil }
            case .group(let group, let value):
                values[group] = value
            }
        }

        func groups(settings: GroupCoordinatorConfig, partition: Int32, nowMs: Int64) -> [String: Group] {
            var groups: [String: Group] = [:]
            for groupID in Set(offsets.keys).union(values.keys) {
                let machine: GroupStateMachine
                var since = nowMs
                if let value = values[groupID] {
                    (machine, _) = GroupStateMachine.loaded(groupID: groupID, config: settings, from: value, nowMs: nowMs)
                    if value.currentStateTimestampMs > 0 { since = value.currentStateTimestampMs }
                } else {
                    machine = GroupStateMachine(groupID: groupID, config: settings)
                }
                var group = Group(machine: machine, partition: partition, stateSinceMs: since)
                group.offsets = offsets[groupID] ?? [:]
                group.stored = group.storeKey
                groups[groupID] = group
            }
            return groups
        }
    }

    private func read(
        _ partition: TopicPartition, into replay: inout Replay, while loading: @Sendable () -> Bool
    ) async throws {
        let maxBytes = settings.offsetsLoadBufferSize
        var next: LogOffset?
        while loading() {
            let from = next
            guard
                let (bytes, end) = try await partitions.withLog(partition, { log -> (ByteBuffer, LogOffset) in
                    let start = from ?? log.logStartOffset
                    switch try log.read(from: max(start, log.logStartOffset), maxBytes: maxBytes) {
                    case .batches(let bytes): return (bytes, log.logEndOffset)
                    case .offsetOutOfRange: return (ByteBuffer(), log.logEndOffset)
                    }
                })
            else { return }
            var position = bytes.readerIndex
            var reachedOffset = next ?? LogOffset(0)
            while position < bytes.writerIndex {
                let header = try RecordBatchHeader(verifying: bytes, at: position)
                let batch = bytes.getSlice(at: position, length: header.totalSize)!
                position += header.totalSize
                reachedOffset = LogOffset(header.lastOffset + 1)
                guard !header.attributes.isControl else { continue }
                for record in try header.records(in: batch, maxDecompressedBytes: maxDecompressedBytes) {
                    guard let key = record.key else { continue }
                    do throws(GroupRecordError) {
                        guard let parsed = try GroupRecord(key: key, value: record.value) else { continue }
                        replay.apply(parsed)
                    } catch {
                        // One bad record costs its group's state, not the partition's other groups.
                        logger.warning(
                            "skipped an unreadable group record",
                            metadata: partition.logMetadata(["offset": "\(header.baseOffset)", "error": "\(error)"]))
                    }
                }
            }
            if bytes.readableBytes == 0 || reachedOffset >= end { return }
            next = reachedOffset
        }
    }

    // MARK: - Membership

    /// JoinGroup: parked until the rebalance completes (or answered at once). `input` builds the request
    /// with the id it is parked under.
    package func join(_ groupID: String, _ input: @escaping (GroupRequestID) -> JoinGroupInput) async -> JoinGroupResult {
        let nowMs = PartitionManager.nowMilliseconds()
        let response = await park(groupID) { state, id -> GroupOutput? in
            let request = input(id)
            var group: Group
            if let existing = state.groups[groupID] {
                group = existing
            } else if request.memberID.isEmpty, case .served(let partition) = self.ownership(of: groupID, in: state) {
                // A new member creates the group; a member that names an id cannot (UNKNOWN_MEMBER_ID).
                group = Group(
                    machine: GroupStateMachine(groupID: groupID, config: self.settings.group), partition: partition,
                    stateSinceMs: nowMs)
            } else {
                return nil
            }
            let output = group.machine.joinGroupReceived(request, nowMs: nowMs)
            state.groups[groupID] = group
            return output
        }
        guard case .join(_, let result)? = response else {
            return .failure(refusal(groupID, unknownGroup: .unknownMemberID), memberID: "")
        }
        return result
    }

    /// SyncGroup: the leader's assignment completes the rebalance; a follower waits for it.
    package func sync(
        _ groupID: String, memberID: String, groupInstanceID: String?, generationID: Int32, protocolType: String?,
        protocolName: String?, assignments: [String: ByteBuffer]
    ) async -> SyncGroupResult {
        let nowMs = PartitionManager.nowMilliseconds()
        let response = await park(groupID) { state, id -> GroupOutput? in
            guard state.groups[groupID] != nil else { return nil }
            return state.groups[groupID]!.machine.syncGroupReceived(
                requestID: id, memberID: memberID, groupInstanceID: groupInstanceID, generationID: generationID,
                protocolType: protocolType, protocolName: protocolName, assignments: assignments, nowMs: nowMs)
        }
        guard case .sync(_, let result)? = response else {
            return .failure(refusal(groupID, unknownGroup: .unknownMemberID))
        }
        return result
    }

    package func heartbeat(
        _ groupID: String, memberID: String, groupInstanceID: String?, generationID: Int32
    ) async -> KafkaErrorCode {
        let nowMs = PartitionManager.nowMilliseconds()
        let response = await park(groupID) { state, id -> GroupOutput? in
            guard state.groups[groupID] != nil else { return nil }
            return state.groups[groupID]!.machine.heartbeatReceived(
                requestID: id, memberID: memberID, groupInstanceID: groupInstanceID, generationID: generationID,
                nowMs: nowMs)
        }
        guard case .heartbeat(_, let error)? = response else { return refusal(groupID, unknownGroup: .unknownMemberID) }
        return error
    }

    package func leave(_ groupID: String, members: [LeavingMember]) async -> LeaveGroupResult {
        let nowMs = PartitionManager.nowMilliseconds()
        let response = await park(groupID) { state, id -> GroupOutput? in
            guard state.groups[groupID] != nil else { return nil }
            return state.groups[groupID]!.machine.leaveGroupReceived(requestID: id, members: members, nowMs: nowMs)
        }
        guard case .leave(_, let result)? = response else {
            let error = refusal(groupID, unknownGroup: .unknownMemberID)
            guard error == .unknownMemberID else { return LeaveGroupResult(error: error, members: []) }
            // A group that does not exist: each member named is unknown (`handleLeaveGroup`).
            return LeaveGroupResult(
                error: .noError,
                members: members.map { .init(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, error: error) })
        }
        return result
    }

    /// The error for a request about a group this coordinator does not hold: the ownership refusal, or
    /// `unknownGroup` when the group is served here but does not exist.
    private func refusal(_ groupID: String, unknownGroup: KafkaErrorCode) -> KafkaErrorCode {
        if case .refused(let error) = ownership(of: groupID) { return error }
        return unknownGroup
    }

    private func ownership(of groupID: String, in state: State) -> Ownership {
        let partition = partition(of: groupID)
        switch state.partitions[partition] {
        case .loaded?: return .served(partition: partition)
        case .loading?: return .refused(.coordinatorLoadInProgress)
        case nil: return .refused(.notCoordinator)
        }
    }

    /// Registers a request, feeds it to group `groupID` under the lock (`body` returns nil when the group is
    /// not here), acts on the output, and waits for the request's own response; nil when `body` refused or
    /// the coordinator closed.
    private func park(
        _ groupID: String, _ body: @escaping (inout State, GroupRequestID) -> GroupOutput?
    ) async -> GroupResponse? {
        await withCheckedContinuation { (continuation: CheckedContinuation<GroupResponse?, Never>) in
            let output = state.withLock { state -> GroupOutput? in
                guard !state.closed, case .served = ownership(of: groupID, in: state) else { return nil }
                state.nextRequestID += 1
                let id = GroupRequestID(state.nextRequestID)
                state.waiting[id] = continuation
                guard let output = body(&state, id) else {
                    state.waiting[id] = nil
                    return nil
                }
                return output
            }
            guard let output else {
                continuation.resume(returning: nil)
                return
            }
            handle(output, of: groupID)
        }
    }

    // MARK: - Output

    /// Answers the requests `output` responds to. When the group completed a rebalance (or emptied) its new
    /// state is written to its offsets partition first, and the SyncGroup answers wait for that write
    /// (`GroupMetadataManager.storeGroup`): a failed write turns them into the write's error.
    private func handle(_ output: GroupOutput, of groupID: String) {
        let nowMs = PartitionManager.nowMilliseconds()
        let now = state.withLock { state -> [(Continuation, GroupResponse)] in
            var write: (Int32, GroupRecord)?
            if var group = state.groups[groupID] {
                if group.machine.state != group.lastState {
                    if group.lastState == .preparingRebalance, [.completingRebalance, .empty].contains(group.machine.state) {
                        state.completedRebalances += 1
                    }
                    group.lastState = group.machine.state
                    group.stateSinceMs = nowMs
                }
                if let key = group.storeKey, key != group.stored {
                    group.stored = key
                    let value = group.machine.storedValue(currentStateTimestampMs: group.stateSinceMs)
                    write = (group.partition, .group(groupID, value))
                }
                state.groups[groupID] = group
            }
            var now: [(Continuation, GroupResponse)] = []
            var held: [(Continuation, GroupResponse)] = []
            for response in output.responses {
                guard let continuation = state.waiting.removeValue(forKey: response.requestID) else { continue }
                if write != nil, case .sync(_, let result) = response, result.error == .noError {
                    held.append((continuation, response))
                } else {
                    now.append((continuation, response))
                }
            }
            if let (partition, record) = write {
                // One group's writes go in the order its rebalances completed: each waits for the one before.
                let previous = state.groupWrites[groupID]
                state.groupWrites[groupID] = Task {
                    await previous?.value
                    await self.store(record, of: groupID, to: partition, answering: held)
                }
            }
            return now
        }
        for (continuation, response) in now { continuation.resume(returning: response) }
    }

    /// Writes a group's metadata record, then answers the SyncGroups that waited for it.
    private func store(
        _ record: GroupRecord, of groupID: String, to partition: Int32, answering held: [(Continuation, GroupResponse)]
    ) async {
        let error = await append([record], to: partition)
        if error != .noError {
            logger.warning("cannot store group metadata", metadata: ["kafka.group": "\(groupID)", "error": "\(error)"])
            // Written again after the next change.
            state.withLock { $0.groups[groupID]?.stored = nil }
        }
        for (continuation, response) in held {
            guard error != .noError, case .sync(let id, _) = response else {
                continuation.resume(returning: response)
                continue
            }
            continuation.resume(returning: .sync(id, .failure(error)))
        }
    }

    private typealias Continuation = CheckedContinuation<GroupResponse?, Never>

    /// Answers the requests of groups that went away (unloaded): nothing is written for them.
    private func answer(_ outputs: [GroupOutput]) {
        for response in outputs.flatMap(\.responses) {
            state.withLock { $0.waiting.removeValue(forKey: response.requestID) }?.resume(returning: response)
        }
    }

    /// Runs every group deadline that has passed.
    private func tick() {
        let nowMs = PartitionManager.nowMilliseconds()
        let outputs = state.withLock { state -> [(String, GroupOutput)] in
            var outputs: [(String, GroupOutput)] = []
            for (id, group) in state.groups {
                guard let deadline = group.machine.nextDeadlineMs, deadline <= nowMs else { continue }
                outputs.append((id, state.groups[id]!.machine.tick(nowMs: nowMs)))
            }
            return outputs
        }
        for (groupID, output) in outputs { handle(output, of: groupID) }
    }

    /// Answers every parked request (NOT_COORDINATOR) and serves nothing more.
    private func close() {
        let (outputs, rest) = state.withLock { state -> ([GroupOutput], [Continuation]) in
            state.closed = true
            var outputs: [GroupOutput] = []
            for partition in state.partitions.keys { outputs += Self.unload(partition, in: &state) }
            state.partitions = [:]
            let answered = Set(outputs.flatMap(\.responses).map(\.requestID))
            let rest = state.waiting.filter { !answered.contains($0.key) }.map(\.value)
            state.waiting = state.waiting.filter { answered.contains($0.key) }
            return (outputs, rest)
        }
        answer(outputs)
        for continuation in rest { continuation.resume(returning: nil) }
    }

    // MARK: - Writes

    /// Appends `records` to offsets partition `partition` as its leader and waits until its ISR has them;
    /// the error an OffsetCommit (or SyncGroup) answers (`GroupMetadataManager.storeOffsets`' mapping).
    private func append(_ records: [GroupRecord], to partition: Int32) async -> KafkaErrorCode {
        let topicPartition = TopicPartition(Self.offsetsTopic, partition)
        guard case .leader(let epoch) = metadata.current.leadership(of: topicPartition, for: brokerID),
            let config = partitions.config(of: topicPartition),
            let (_, underMinISR) = partitions.insyncReplicas(of: topicPartition)
        else { return .notCoordinator }
        guard !underMinISR else { return .coordinatorNotAvailable }
        let nowMs = PartitionManager.nowMilliseconds()
        let batchRecords = records.enumerated().map { index, record in
            BatchRecord(timestampDelta: 0, offsetDelta: Int32(index), key: record.key, value: record.value, headers: [])
        }
        let bytes = UncompressedRecordBatch.encode(records: batchRecords, baseTimestamp: nowMs)
        let batches: ProduceRecordBatches
        do throws(RecordBatchError) {
            batches = try ProduceRecordBatches(validating: bytes, maxBatchBytes: config.maxMessageBytes)
        } catch {
            return error.kafkaErrorCode == .messageTooLarge ? .invalidCommitOffsetSize : .unknownServerError
        }
        guard batches.largestBatchSize <= config.logConfig.segmentBytes else { return .invalidCommitOffsetSize }
        let leaderEpoch = LeaderEpoch(rawValue: epoch)
        do {
            guard let appended = try await partitions.append(batches, to: topicPartition, leaderEpoch: leaderEpoch)
            else { return .notCoordinator }
            let deadline = ContinuousClock.now + .milliseconds(settings.offsetsCommitTimeoutMs)
            let outcome = await partitions.awaitReplication(
                topicPartition, leaderEpoch: leaderEpoch,
                requiredOffset: LogOffset(rawValue: appended.result.lastOffset.rawValue + 1), deadline: deadline)
            switch outcome {
            case .acknowledged: return .noError
            case .notEnoughReplicasAfterAppend: return .coordinatorNotAvailable
            case .timedOut: return .requestTimedOut
            case .notLeader: return .notCoordinator
            }
        } catch {
            logger.error("offsets append failed", metadata: topicPartition.logMetadata(["error": "\(error)"]))
            return .notCoordinator
        }
    }

    // MARK: - Offsets

    /// OffsetCommit (`handleCommitOffsets`): each partition's error. The offsets are stored only once the
    /// offsets partition's ISR has them.
    package func commitOffsets(
        _ groupID: String, memberID: String, groupInstanceID: String?, generationID: Int32,
        offsets: [(TopicPartition, OffsetAndMetadata)]
    ) async -> [TopicPartition: KafkaErrorCode] {
        let nowMs = PartitionManager.nowMilliseconds()
        func all(_ error: KafkaErrorCode) -> [TopicPartition: KafkaErrorCode] {
            Dictionary(offsets.map { ($0.0, error) }, uniquingKeysWith: { first, _ in first })
        }
        let admitted = state.withLock { state -> Result<(Int32, GroupOutput), KafkaErrorCode> in
            guard !state.closed else { return .failure(.notCoordinator) }
            guard case .served(let partition) = ownership(of: groupID, in: state) else {
                if case .refused(let error) = ownership(of: groupID, in: state) { return .failure(error) }
                return .failure(.notCoordinator)
            }
            if state.groups[groupID] == nil {
                // A consumer that only keeps its offsets here (`assign()`) creates an Empty group.
                guard generationID < 0 else { return .failure(.illegalGeneration) }
                state.groups[groupID] = Group(
                    machine: GroupStateMachine(groupID: groupID, config: settings.group), partition: partition,
                    stateSinceMs: nowMs)
            }
            let (error, output) = state.groups[groupID]!.machine.offsetCommitReceived(
                memberID: memberID, groupInstanceID: groupInstanceID, generationID: generationID, nowMs: nowMs)
            if let error { return .failure(error) }
            return .success((partition, output))
        }
        let partition: Int32
        switch admitted {
        case .failure(let error): return all(error)
        case .success(let (admittedPartition, output)):
            partition = admittedPartition
            handle(output, of: groupID)
        }
        var errors: [TopicPartition: KafkaErrorCode] = [:]
        var accepted: [(TopicPartition, OffsetAndMetadata)] = []
        for (topicPartition, offset) in offsets {
            if offset.metadata.utf8.count > settings.offsetMetadataMaxBytes {
                errors[topicPartition] = .offsetMetadataTooLarge
            } else {
                accepted.append((topicPartition, offset))
            }
        }
        guard !accepted.isEmpty else { return errors }
        let error = await append(accepted.map { .offset(group: groupID, partition: $0.0, $0.1) }, to: partition)
        if error == .noError {
            state.withLock { state in
                guard state.groups[groupID]?.partition == partition else { return }
                for (topicPartition, offset) in accepted { state.groups[groupID]!.offsets[topicPartition] = offset }
            }
        }
        for (topicPartition, _) in accepted { errors[topicPartition] = error }
        return errors
    }

    /// OffsetFetch: the committed offsets of `requested` partitions (nil: every partition with one), a
    /// partition without a commit as nil; or the group-level error.
    package func fetchOffsets(
        _ groupID: String, partitions requested: [TopicPartition]?
    ) -> Result<[(TopicPartition, OffsetAndMetadata?)], KafkaErrorCode> {
        state.withLock { state in
            if case .refused(let error) = ownership(of: groupID, in: state) { return .failure(error) }
            let offsets = state.groups[groupID]?.offsets ?? [:]
            guard let requested else {
                return .success(offsets.keys.sorted().map { ($0, offsets[$0]) })
            }
            return .success(requested.map { ($0, offsets[$0]) })
        }
    }

    // MARK: - Administration

    /// ListGroups: every group this broker coordinates, or COORDINATOR_LOAD_IN_PROGRESS while an offsets
    /// partition is loading.
    package func listGroups() -> (KafkaErrorCode, [GroupSummary]) {
        state.withLock { state in
            let loading = state.partitions.values.contains { if case .loading = $0 { true } else { false } }
            let groups = state.groups.keys.sorted().map { Self.summary(state.groups[$0]!.machine, detailed: false) }
            return (loading ? .coordinatorLoadInProgress : .noError, groups)
        }
    }

    /// DescribeGroups: one group; a group that does not exist is `Dead` with no members, as in Kafka.
    package func describe(_ groupID: String) -> Result<GroupSummary, KafkaErrorCode> {
        state.withLock { state in
            if case .refused(let error) = ownership(of: groupID, in: state) { return .failure(error) }
            guard let group = state.groups[groupID] else {
                return .success(
                    GroupSummary(groupID: groupID, state: "Dead", protocolType: "", protocolName: "", members: []))
            }
            return .success(Self.summary(group.machine, detailed: true))
        }
    }

    private static func summary(_ machine: GroupStateMachine, detailed: Bool) -> GroupSummary {
        let stable = machine.state == .stable
        let members =
            detailed
            ? machine.members.map { member in
                GroupSummary.Member(
                    memberID: member.memberID, groupInstanceID: member.groupInstanceID, clientID: member.clientID,
                    clientHost: member.clientHost,
                    metadata: stable
                        ? member.protocols.first { $0.name == machine.protocolName }?.metadata ?? ByteBuffer()
                        : ByteBuffer(),
                    assignment: stable ? member.assignment : ByteBuffer())
            } : []
        return GroupSummary(
            groupID: machine.groupID, state: stateName(machine.state), protocolType: machine.protocolType ?? "",
            protocolName: stable ? machine.protocolName ?? "" : "", members: members)
    }

    /// Kafka's `GroupState` names.
    package static func stateName(_ state: GroupStateMachine.State) -> String {
        switch state {
        case .empty: "Empty"
        case .preparingRebalance: "PreparingRebalance"
        case .completingRebalance: "CompletingRebalance"
        case .stable: "Stable"
        case .dead: "Dead"
        }
    }

    /// DeleteGroups: each empty group and its offsets are deleted (tombstones written); a group with
    /// members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
    package func deleteGroups(_ groupIDs: [String]) async -> [(String, KafkaErrorCode)] {
        var results: [(String, KafkaErrorCode)] = []
        for groupID in groupIDs {
            let taken = state.withLock { state -> Result<(Int32, [GroupRecord], GroupOutput), KafkaErrorCode> in
                if case .refused(let error) = ownership(of: groupID, in: state) { return .failure(error) }
                guard var group = state.groups[groupID] else { return .failure(.groupIDNotFound) }
                guard group.machine.state == .empty else { return .failure(.nonEmptyGroup) }
                let records =
                    group.offsets.keys.sorted().map { GroupRecord.offset(group: groupID, partition: $0, nil) }
                    + [.group(groupID, nil)]
                let output = group.machine.unloaded()
                state.groups[groupID] = nil
                state.groupWrites[groupID] = nil
                return .success((group.partition, records, output))
            }
            switch taken {
            case .failure(let error):
                results.append((groupID, error))
            case .success(let (partition, records, output)):
                handle(output, of: groupID)
                let error = await append(records, to: partition)
                logger.info("deleted group", metadata: ["kafka.group": "\(groupID)", "error": "\(error)"])
                results.append((groupID, error))
            }
        }
        return results
    }

    /// OffsetDelete: deletes the group's offsets of `requested` partitions, except those of topics its
    /// members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC). The group-level error, and each partition's.
    package func deleteOffsets(
        _ groupID: String, partitions requested: [TopicPartition]
    ) async -> (KafkaErrorCode, [TopicPartition: KafkaErrorCode]) {
        let taken = state.withLock {
            state -> Result<(Int32, [TopicPartition], [TopicPartition: KafkaErrorCode]), KafkaErrorCode> in
            if case .refused(let error) = ownership(of: groupID, in: state) { return .failure(error) }
            guard let group = state.groups[groupID] else { return .failure(.groupIDNotFound) }
            var subscribed: Set<String> = []
            if group.machine.state != .empty {
                guard group.machine.protocolType == "consumer" else { return .failure(.nonEmptyGroup) }
                for member in group.machine.members {
                    let metadata = member.protocols.first { $0.name == group.machine.protocolName }?.metadata
                    subscribed.formUnion(metadata.flatMap(subscribedTopics) ?? [])
                }
            }
            var errors: [TopicPartition: KafkaErrorCode] = [:]
            var deleting: [TopicPartition] = []
            for partition in requested {
                if subscribed.contains(partition.topic) {
                    errors[partition] = .groupSubscribedToTopic
                } else {
                    errors[partition] = .noError
                    if group.offsets[partition] != nil { deleting.append(partition) }
                }
            }
            for partition in deleting { state.groups[groupID]!.offsets[partition] = nil }
            return .success((group.partition, deleting, errors))
        }
        switch taken {
        case .failure(let error):
            return (error, [:])
        case .success(let (partition, deleting, errors)):
            guard !deleting.isEmpty else { return (.noError, errors) }
            let error = await append(deleting.map { .offset(group: groupID, partition: $0, nil) }, to: partition)
            return (error, error == .noError ? errors : errors.mapValues { $0 == .noError ? error : $0 })
        }
    }

    // MARK: - Expiry

    /// Deletes offsets past their retention (`GroupMetadataManager.cleanupGroupMetadata`): all offsets of a
    /// group Empty for `offsets.retention.minutes`, and those committed with an expiry that passed; an
    /// Empty group left without offsets is deleted too.
    private func expireOffsets() async {
        let nowMs = PartitionManager.nowMilliseconds()
        let retention = settings.offsetsRetentionMs
        let expired = state.withLock { state -> [Int32: [GroupRecord]] in
            var records: [Int32: [GroupRecord]] = [:]
            for (groupID, group) in state.groups {
                guard case .loaded? = state.partitions[group.partition] else { continue }
                let emptyExpired =
                    group.machine.state == .empty
                    && group.stateSinceMs.addingReportingOverflow(retention).partialValue <= nowMs
                let gone = group.offsets.filter { _, offset in
                    if let expire = offset.expireTimestampMs { return expire <= nowMs }
                    return emptyExpired
                }.keys.sorted()
                for partition in gone {
                    state.groups[groupID]!.offsets[partition] = nil
                    records[group.partition, default: []].append(.offset(group: groupID, partition: partition, nil))
                }
                if group.machine.state == .empty, state.groups[groupID]!.offsets.isEmpty {
                    state.groups[groupID] = nil
                    state.groupWrites[groupID] = nil
                    records[group.partition, default: []].append(.group(groupID, nil))
                }
            }
            return records
        }
        for (partition, records) in expired.sorted(by: { $0.key < $1.key }) {
            let error = await append(records, to: partition)
            logger.info(
                "expired group offsets",
                metadata: ["offsets.partition": "\(partition)", "records": "\(records.count)", "error": "\(error)"])
        }
    }
}

// MARK: - Metrics

extension GroupCoordinator {
    /// The coordinator's Prometheus families, as text:
    /// - `kafka.coordinator.group:type=GroupMetadataManager` gauges under the JMX exporter's names
    ///   (`kafka_coordinator_group_groupmetadatamanager_numgroups`, `..._numgroups<state>`, `..._numoffsets`);
    /// - `kafka.server:type=group-coordinator-metrics`' `group-completed-rebalance-count`
    ///   (`kafka_server_group_coordinator_metrics_group_completed_rebalance_count`);
    /// - per group, kafka_exporter's consumer-group families (`kafka_consumergroup_members`,
    ///   `kafka_consumergroup_current_offset`, and `kafka_consumergroup_lag` with `_lag_sum`), lag being the
    ///   high watermark of this broker's replica of the partition minus the committed offset; partitions
    ///   without a replica here have no lag series.
    package func metricsText(highWatermark: (TopicPartition) -> LogOffset?) -> String {
        struct Row {
            var group: String
            var members: Int
            var offsets: [(TopicPartition, Int64)]
        }
        let (counts, rows, rebalances) = state.withLock { state -> ([String: Int], [Row], Int64) in
            var counts: [String: Int] = [:]
            var rows: [Row] = []
            for (id, group) in state.groups {
                counts[Self.stateName(group.machine.state), default: 0] += 1
                rows.append(
                    Row(
                        group: id, members: group.machine.members.count,
                        offsets: group.offsets.map { ($0.key, $0.value.offset) }.sorted { $0.0 < $1.0 }))
            }
            return (counts, rows.sorted { $0.group < $1.group }, state.completedRebalances)
        }
        func family(_ name: String, _ type: String, _ help: String) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func label(_ value: String) -> String { BrokerMetrics.escapeLabelValue(value) }
        let manager = "kafka_coordinator_group_groupmetadatamanager_"
        var text = family(manager + "numgroups", "gauge", "Groups this broker coordinates")
        text += "\(manager)numgroups \(rows.count)\n"
        for state in ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"] {
            let name = manager + "numgroups" + state.lowercased()
            text += family(name, "gauge", "Groups this broker coordinates in state \(state)")
            text += "\(name) \(counts[state] ?? 0)\n"
        }
        text += family(manager + "numoffsets", "gauge", "Committed offsets this broker keeps")
        text += "\(manager)numoffsets \(rows.reduce(0) { $0 + $1.offsets.count })\n"
        let rebalanceName = "kafka_server_group_coordinator_metrics_group_completed_rebalance_count"
        text += family(rebalanceName, "counter", "Rebalances completed by groups this broker coordinated")
        text += "\(rebalanceName) \(rebalances)\n"
        text += family("kafka_consumergroup_members", "gauge", "Members of the consumer group")
        for row in rows { text += "kafka_consumergroup_members{consumergroup=\"\(label(row.group))\"} \(row.members)\n" }
        text += family("kafka_consumergroup_current_offset", "gauge", "Committed offset of the group in the partition")
        var lags: [(String, TopicPartition, Int64)] = []
        for row in rows {
            for (partition, offset) in row.offsets {
                text +=
                    "kafka_consumergroup_current_offset{consumergroup=\"\(label(row.group))\",topic=\"\(label(partition.topic))\","
                    + "partition=\"\(partition.partition)\"} \(offset)\n"
                if let mark = highWatermark(partition) {
                    lags.append((row.group, partition, max(mark.rawValue &- offset, 0)))
                }
            }
        }
        text += family("kafka_consumergroup_lag", "gauge", "High watermark minus the group's committed offset")
        var sums: [String: [String: Int64]] = [:]
        for (group, partition, lag) in lags {
            text +=
                "kafka_consumergroup_lag{consumergroup=\"\(label(group))\",topic=\"\(label(partition.topic))\","
                + "partition=\"\(partition.partition)\"} \(lag)\n"
            sums[group, default: [:]][partition.topic, default: 0] &+= lag
        }
        text += family("kafka_consumergroup_lag_sum", "gauge", "The group's lag summed over the topic's partitions")
        for group in sums.keys.sorted() {
            for topic in sums[group]!.keys.sorted() {
                text +=
                    "kafka_consumergroup_lag_sum{consumergroup=\"\(label(group))\",topic=\"\(label(topic))\"} "
                    + "\(sums[group]![topic]!)\n"
            }
        }
        return text
    }
}
