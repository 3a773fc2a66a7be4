import Broker
import KafkaWire
import NIOCore
import SegmentLog

/// The consumer-group code's hostile inputs. The first byte picks a mode (modulo 3), the rest is its payload:
/// - 0, a `__consumer_offsets` record: a flags byte (bit 0: a tombstone; the byte as `Int8` halved: the
///   offsets partition count to hash the group id over), a big-endian `UInt16` key length, the key, and the
///   rest as the value. A record that parses is re-encoded and re-parsed: the same record must come back. A
///   group value is then loaded into a `GroupStateMachine` (checked by `GroupsRun.check`), stored and loaded
///   again, and its members rejoin, sync and leave (`GroupsRun.rebalanceLoaded`).
/// - 1, a consumer's protocol bytes: read as a subscription (`subscribedTopics`) and as an assignment
///   (`GroupAdminPlan.assignedPartitions`); what reads must read the same after re-encoding.
/// - 2, a program for one group's state machine: a config byte, then operations (`GroupsOp`) until the
///   bytes run out, each checked against the machine's invariants.
/// Any trap and any failed check is a finding: the harness stops with `preconditionFailure`.
func fuzzGroups(_ bytes: UnsafeRawBufferPointer) {
    guard let mode = bytes.first else { return }
    var payload = ByteBuffer(bytes: bytes.dropFirst())
    switch mode % 3 {
    case 0: fuzzGroupRecord(&payload)
    case 1: fuzzConsumerProtocol(payload)
    default: GroupsRun.run(&payload)
    }
}

private func groupsFinding(_ message: String) -> Never {
    preconditionFailure("groups: \(message)")
}

// MARK: - Records

private func fuzzGroupRecord(_ payload: inout ByteBuffer) {
    let flags = payload.readInteger(as: UInt8.self) ?? 0
    let keyLength = Int(payload.readInteger(as: UInt16.self) ?? 0)
    let key = payload.readSlice(length: min(keyLength, payload.readableBytes)) ?? ByteBuffer()
    let value = flags & 1 == 0 ? payload : nil
    guard let record = try? GroupRecord(key: key, value: value) else { return }
    checkRoundTrip(record)
    for count in [Int32(Int8(bitPattern: flags)) / 2, 50, .max] {
        let partition = offsetsPartition(for: record.groupID, partitionCount: count)
        guard count > 0 ? (0..<count).contains(partition) : partition == 0 else {
            groupsFinding("group \(record.groupID.debugDescription) hashes to partition \(partition) of \(count)")
        }
    }
    guard case .group(let groupID, let stored?) = record else { return }
    for member in stored.members {
        _ = subscribedTopics(member.subscription)
        _ = GroupAdminPlan.assignedPartitions(member.assignment)
    }
    var run = GroupsRun(groupID: groupID, config: GroupsRun.config(0))
    run.load(stored)
    run.storeAndLoad()
    run.rebalanceLoaded()
}

/// Re-encodes `record` as the coordinator writes it and parses that: the same record must come back.
private func checkRoundTrip(_ record: GroupRecord) {
    let again: GroupRecord?
    do {
        again = try GroupRecord(key: record.key, value: record.value)
    } catch {
        groupsFinding("\(record) re-encoded does not parse: \(error)")
    }
    guard again == record else {
        groupsFinding("\(record) re-encoded parses as \(again.map { "\($0)" } ?? "nothing")")
    }
}

// MARK: - Consumer protocol

private func fuzzConsumerProtocol(_ payload: ByteBuffer) {
    if let topics = subscribedTopics(payload) {
        var writer = KafkaWriter()
        writer.writeInt16(0)
        writer.writeStringArray(topics)
        writer.writeNullableBytes(nil)
        guard subscribedTopics(writer.buffer) == topics else {
            groupsFinding("subscription \(topics) does not read back")
        }
    }
    if let partitions = GroupAdminPlan.assignedPartitions(payload), !partitions.isEmpty {
        var writer = KafkaWriter()
        GroupsInput.writeAssignment(partitions, to: &writer)
        guard GroupAdminPlan.assignedPartitions(writer.buffer) == partitions else {
            groupsFinding("assignment \(partitions) does not read back")
        }
    }
}

// MARK: - Programs

/// The operations of a program, by an op byte modulo their count; each reads a fixed number of parameter
/// bytes (zero when the input has run out), `loadBytes` a `UInt16` length and that many bytes more.
enum GroupsOp: UInt8, CaseIterable {
    /// member, flags (instance, client, KIP-394 off, session and rebalance timeouts), protocols.
    case join
    /// member, flags (instance, generation, protocol type and name), assignment choice.
    case sync
    /// member, flags (instance, generation).
    case heartbeat
    /// count (1-3), then a member and an instance byte per leaving member.
    case leave
    /// member, flags (instance, generation).
    case commit
    /// how far: bits 6-7 pick 10 ms or 1 s steps of the low 6 bits, the next deadline, or no time at all.
    case tick
    /// The coordinator loses the group (`unloaded`).
    case unload
    /// `storedValue` written as a record, parsed, and `loaded` by a new coordinator.
    case storeAndLoad
    /// A GroupMetadataValue from the input, loaded by a new coordinator (a tombstone: a new group).
    case loadBytes

    var parameterCount: Int {
        switch self {
        case .join, .sync: 3
        case .heartbeat, .commit: 2
        case .leave, .tick: 1
        case .unload, .storeAndLoad, .loadBytes: 0
        }
    }
}

/// The vocabulary of programs, shared by the harness and the seeds.
enum GroupsInput {
    static let instances: [String?] = [nil, "i0", "i1", nil]
    static let sessionTimeouts: [Int32] = [1_000, 100, 6_000, 50]
    static let rebalanceTimeouts: [Int32] = [2_000, 0, 10_000, -1]
    static let protocolLists: [[String]] = [
        ["range"], ["range", "roundrobin"], ["roundrobin", "range"], ["roundrobin"], ["sticky", "range"], [],
        ["range"], ["range", "range"],
    ]
    static let topicLists: [[String]] = [["t0"], ["t0", "t1"], [], ["t1"]]
    static let subscriptions = topicLists.map(subscription)
    static let otherTopics = subscription(["t9"])
    /// The assignment of the n-th member: partition n of t0.
    static let assignments = (0..<8).map { assignment([TopicPartition("t0", Int32($0))]) }

    /// `ConsumerProtocolSubscription` v0: the topics and no user data.
    static func subscription(_ topics: [String]) -> ByteBuffer {
        var writer = KafkaWriter()
        writer.writeInt16(0)
        writer.writeStringArray(topics)
        writer.writeNullableBytes(nil)
        return writer.buffer
    }

    /// `ConsumerProtocolAssignment` v0: one entry per partition and no user data.
    static func writeAssignment(_ partitions: [TopicPartition], to writer: inout KafkaWriter) {
        writer.writeInt16(0)
        writer.writeInt32(Int32(partitions.count))
        for partition in partitions {
            writer.writeString(partition.topic)
            writer.writeInt32Array([partition.partition])
        }
        writer.writeNullableBytes(nil)
    }

    static func assignment(_ partitions: [TopicPartition]) -> ByteBuffer {
        var writer = KafkaWriter()
        writeAssignment(partitions, to: &writer)
        return writer.buffer
    }

    /// One operation's bytes (for seeds).
    static func op(_ op: GroupsOp, _ parameters: UInt8...) -> [UInt8] {
        [op.rawValue] + parameters + [UInt8](repeating: 0, count: max(op.parameterCount - parameters.count, 0))
    }

    /// A `loadBytes` operation with `value` (for seeds).
    static func load(_ value: ByteBuffer) -> [UInt8] {
        let bytes = Array(value.readableBytesView)
        return [GroupsOp.loadBytes.rawValue, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
    }
}

/// One group's state machine driven by a program, as the coordinator drives it: requests get ids, responses
/// are matched against them, and the machine's invariants are checked after every step.
struct GroupsRun {
    /// Longer programs only slow the fuzzer down: an operation takes tens of microseconds in the debug build.
    static let maxOperations = 1_024

    let groupID: String
    let config: GroupCoordinatorConfig
    var group: GroupStateMachine
    var nowMs: Int64 = 1_000_000
    var nextRequest: UInt64 = 0
    /// Requests sent and not yet answered: exactly those parked in the machine.
    var outstanding: Set<UInt64> = []
    /// Member ids seen in responses, the latest last (at most 8).
    var seenIDs: [String] = []
    var nextSuffix = 0
    /// The generation never goes below this (until the group is loaded anew).
    var minGeneration: Int32 = 0

    init(groupID: String, config: GroupCoordinatorConfig) {
        self.groupID = groupID
        self.config = config
        self.group = GroupStateMachine(groupID: groupID, config: config)
    }

    /// Bits 0-1 of `byte`: the initial rebalance delay; bits 2-3: `group.max.size`.
    static func config(_ byte: UInt8) -> GroupCoordinatorConfig {
        GroupCoordinatorConfig(
            minSessionTimeoutMs: 100, maxSessionTimeoutMs: 10_000,
            initialRebalanceDelayMs: [0, 100, 1_000, 3_000][Int(byte & 3)], maxSize: [nil, 3, 1, 2][Int(byte >> 2 & 3)])
    }

    /// Runs the program in `input` (after the mode byte); returns the run at its end.
    @discardableResult
    static func run(_ input: inout ByteBuffer) -> GroupsRun {
        let configByte = input.readInteger(as: UInt8.self) ?? 0
        var run = GroupsRun(groupID: "g", config: config(configByte))
        var operations = 0
        while operations < maxOperations, let byte = input.readInteger(as: UInt8.self) {
            operations += 1
            let op = GroupsOp.allCases[Int(byte) % GroupsOp.allCases.count]
            var parameters: [UInt8] = []
            for _ in 0..<op.parameterCount { parameters.append(input.readInteger(as: UInt8.self) ?? 0) }
            run.perform(op, parameters, input: &input)
        }
        return run
    }

    // MARK: Operations

    mutating func perform(_ op: GroupsOp, _ p: [UInt8], input: inout ByteBuffer) {
        switch op {
        case .join:
            let instance = GroupsInput.instances[Int(p[1] & 3)]
            let clientID = p[1] & 4 == 0 ? "c0" : "c1"
            let suffix = freshSuffix(for: instance ?? clientID)
            let id = request()
            let protocolNames = GroupsInput.protocolLists[Int(p[2] & 7)]
            let topics = GroupsInput.subscriptions[Int(p[2] >> 4 & 3)]
            let join = JoinGroupInput(
                requestID: GroupRequestID(id), memberID: memberID(p[0]),
                groupInstanceID: instance, clientID: clientID, clientHost: "/127.0.0.1", memberIDSuffix: suffix,
                requireKnownMemberID: p[1] & 8 == 0,
                rebalanceTimeoutMs: GroupsInput.rebalanceTimeouts[Int(p[1] >> 6)],
                sessionTimeoutMs: GroupsInput.sessionTimeouts[Int(p[1] >> 4 & 3)],
                protocolType: p[2] & 8 == 0 ? "consumer" : "connect",
                protocols: protocolNames.enumerated().map { index, name in
                    // List 6 is list 0 with other metadata: the member's protocols no longer match.
                    GroupProtocol(name: name, metadata: index == 0 && p[2] & 7 == 6 ? GroupsInput.otherTopics : topics)
                })
            apply(group.joinGroupReceived(join, nowMs: nowMs))
        case .sync:
            let id = request()
            let memberID = memberID(p[0])
            // All members, every other one, none, or all and one that is not a member.
            let choice = p[2] & 3
            var assignments: [String: ByteBuffer] = [:]
            for (index, member) in group.members.enumerated() where choice != 2 && (choice != 1 || index % 2 == 0) {
                assignments[member.memberID] = GroupsInput.assignments[index % GroupsInput.assignments.count]
            }
            if choice == 3 { assignments["ghost"] = GroupsInput.assignments[0] }
            let protocolType = [nil, group.protocolType, "wrong", nil][Int(p[1] >> 4 & 3)]
            let protocolName = [nil, group.protocolName, "wrong", nil][Int(p[1] >> 6)]
            apply(
                group.syncGroupReceived(
                    requestID: GroupRequestID(id), memberID: memberID,
                    groupInstanceID: GroupsInput.instances[Int(p[1] & 3)], generationID: generation(p[1] >> 2),
                    protocolType: protocolType, protocolName: protocolName, assignments: assignments,
                    nowMs: nowMs))
        case .heartbeat:
            let id = request()
            apply(
                group.heartbeatReceived(
                    requestID: GroupRequestID(id), memberID: memberID(p[0]),
                    groupInstanceID: GroupsInput.instances[Int(p[1] & 3)], generationID: generation(p[1] >> 2),
                    nowMs: nowMs))
        case .leave:
            var leaving: [LeavingMember] = []
            for _ in 0...(Int(p[0]) % 3) {
                let member = input.readInteger(as: UInt8.self) ?? 0
                let instance = GroupsInput.instances[Int((input.readInteger(as: UInt8.self) ?? 0) & 3)]
                leaving.append(LeavingMember(memberID: memberID(member), groupInstanceID: instance))
            }
            let id = request()
            apply(group.leaveGroupReceived(requestID: GroupRequestID(id), members: leaving, nowMs: nowMs))
        case .commit:
            let (_, output) = group.offsetCommitReceived(
                memberID: memberID(p[0]), groupInstanceID: GroupsInput.instances[Int(p[1] & 3)],
                generationID: generation(p[1] >> 2), nowMs: nowMs)
            apply(output)
        case .tick:
            let steps = Int64(p[0] & 63)
            switch p[0] >> 6 {
            case 0: nowMs += steps * 10
            case 1: nowMs += steps * 1_000
            case 2: nowMs = max(nowMs, group.nextDeadlineMs ?? nowMs)
            default: break
            }
            apply(group.tick(nowMs: nowMs))
        case .unload:
            apply(group.unloaded())
        case .storeAndLoad:
            storeAndLoad()
        case .loadBytes:
            let length = Int(input.readInteger(as: UInt16.self) ?? 0)
            let value = input.readSlice(length: min(length, input.readableBytes)) ?? ByteBuffer()
            guard let record = try? GroupRecord(key: GroupRecord.group(groupID, nil).key, value: value),
                case .group(_, let stored?) = record
            else { return }
            load(stored)
        }
    }

    /// A member id suffix: the broker's is a random UUID, so a new member id is never one the group holds,
    /// even one read from disk.
    mutating func freshSuffix(for prefix: String) -> String {
        while [group.members.map(\.memberID), group.pendingMembers.map(\.memberID)].joined()
            .contains(prefix + "-\(nextSuffix)")
        {
            nextSuffix += 1
        }
        defer { nextSuffix += 1 }
        return "\(nextSuffix)"
    }

    /// A new request id, outstanding until answered.
    mutating func request() -> UInt64 {
        nextRequest += 1
        outstanding.insert(nextRequest)
        return nextRequest
    }

    /// By `byte` modulo their count: no id, an id never handed out, the current members, pending ids, and ids
    /// seen in earlier responses.
    func memberID(_ byte: UInt8) -> String {
        var candidates = ["", "ghost"]
        for id in group.members.map(\.memberID) + group.pendingMembers.map(\.memberID) + seenIDs
        where !candidates.contains(id) {
            candidates.append(id)
        }
        return candidates[Int(byte) % candidates.count]
    }

    /// By the low 2 bits of `bits`: the current generation, the one before, none (-1), the one after.
    func generation(_ bits: UInt8) -> Int32 {
        [group.generationID, group.generationID &- 1, -1, group.generationID &+ 1][Int(bits & 3)]
    }

    /// The members of a group loaded from disk rejoin as their clients would (the same ids, instance ids,
    /// protocol type and protocol), the rebalance completes, the leader assigns and everyone syncs, then a
    /// member leaves and the group is stored and loaded again.
    mutating func rebalanceLoaded() {
        for member in group.members.prefix(4) {
            let suffix = freshSuffix(for: member.groupInstanceID ?? member.clientID)
            let id = request()
            let join = JoinGroupInput(
                requestID: GroupRequestID(id), memberID: member.memberID, groupInstanceID: member.groupInstanceID,
                clientID: member.clientID, clientHost: member.clientHost, memberIDSuffix: suffix,
                rebalanceTimeoutMs: 500, sessionTimeoutMs: 1_000, protocolType: member.protocolType,
                protocols: [GroupProtocol(name: group.protocolName ?? "range", metadata: ByteBuffer())])
            apply(group.joinGroupReceived(join, nowMs: nowMs))
        }
        for _ in 0..<2 {
            nowMs = max(nowMs, group.nextDeadlineMs ?? nowMs)
            apply(group.tick(nowMs: nowMs))
        }
        for member in group.members {
            let id = request()
            let assignments = Dictionary(
                group.members.map { ($0.memberID, GroupsInput.assignments[0]) }, uniquingKeysWith: { old, _ in old })
            apply(
                group.syncGroupReceived(
                    requestID: GroupRequestID(id), memberID: member.memberID, groupInstanceID: member.groupInstanceID,
                    generationID: group.generationID, assignments: assignments, nowMs: nowMs))
        }
        if let member = group.members.last {
            let id = request()
            apply(
                group.leaveGroupReceived(
                    requestID: GroupRequestID(id),
                    members: [LeavingMember(memberID: member.memberID, groupInstanceID: member.groupInstanceID)],
                    nowMs: nowMs))
        }
        storeAndLoad()
    }

    // MARK: Persistence

    /// The coordinator moves: the old one unloads the group, a new one loads `value` (as read from disk).
    mutating func load(_ value: GroupMetadataValue) {
        apply(group.unloaded())
        let (loaded, output) = GroupStateMachine.loaded(groupID: groupID, config: config, from: value, nowMs: nowMs)
        group = loaded
        minGeneration = loaded.generationID
        apply(output)
    }

    /// `storedValue` as the coordinator writes it to `__consumer_offsets`, read back and loaded: the same
    /// members and generation come back, and storing and loading again changes nothing more.
    mutating func storeAndLoad() {
        let before = group
        let record = GroupRecord.group(groupID, before.storedValue(currentStateTimestampMs: nowMs))
        let parsed: GroupRecord?
        do {
            parsed = try GroupRecord(key: record.key, value: record.value)
        } catch {
            groupsFinding("the stored group \(record) does not parse: \(error)")
        }
        guard parsed == record, case .group(_, let stored?) = parsed else {
            groupsFinding("the stored group \(record) parses as \(parsed.map { "\($0)" } ?? "nothing")")
        }
        load(stored)
        guard group.members.map(\.memberID) == before.members.map(\.memberID),
            group.generationID == before.generationID
        else {
            groupsFinding(
                "stored and loaded, generation \(before.generationID) members \(before.members.map(\.memberID)) "
                    + "became generation \(group.generationID) members \(group.members.map(\.memberID))")
        }
        let once = group.storedValue(currentStateTimestampMs: nowMs)
        let (twice, _) = GroupStateMachine.loaded(groupID: groupID, config: config, from: once, nowMs: nowMs)
        guard twice.storedValue(currentStateTimestampMs: nowMs) == once else {
            groupsFinding("a loaded group stores differently when loaded again: \(once)")
        }
    }

    // MARK: Checks

    /// Matches the responses against the outstanding requests and checks the invariants.
    mutating func apply(_ output: GroupOutput) {
        for response in output.responses {
            let id = response.requestID.rawValue
            guard outstanding.remove(id) != nil else {
                groupsFinding("request \(id) answered twice or never sent: \(response)")
            }
            if case .join(_, let result) = response, !result.memberID.isEmpty, !seenIDs.contains(result.memberID) {
                seenIDs.append(result.memberID)
                if seenIDs.count > 8 { seenIDs.removeFirst() }
            }
        }
        for timer in output.timers where timer.deadlineMs < nowMs {
            groupsFinding("timer \(timer) is in the past at \(nowMs)")
        }
        check()
    }

    /// The state machine's invariants: member ids are unique and no pending id is a member; every static
    /// member entry names a member of that instance id and back; the leader is a member (and there is one
    /// in CompletingRebalance and Stable); a group is Empty exactly when it has no members (but while it
    /// rebalances or is dead); the generation never goes back (but across a load); the rebalance timer runs
    /// exactly in PreparingRebalance; JoinGroups park only then and SyncGroups only in CompletingRebalance;
    /// and the requests parked are exactly those sent and not answered, each once.
    mutating func check() {
        let members = group.members
        let ids = members.map(\.memberID)
        guard Set(ids).count == ids.count else { groupsFinding("member ids repeat: \(ids)") }
        let pending = group.pendingMembers.map(\.memberID)
        guard Set(pending).count == pending.count, Set(pending).isDisjoint(with: ids) else {
            groupsFinding("pending ids \(pending) repeat or are members \(ids)")
        }
        for (instance, owner) in group.staticMembers where group.member(owner)?.groupInstanceID != instance {
            groupsFinding("static member \(instance) → \(owner) is not a member with that instance id: \(ids)")
        }
        for member in members {
            if let instance = member.groupInstanceID, group.staticMembers[instance] != member.memberID {
                groupsFinding("member \(member.memberID) of instance \(instance) is not its static member")
            }
        }
        if let leader = group.leaderID, !group.has(leader) {
            groupsFinding("leader \(leader) is not a member: \(ids)")
        }
        let state = group.state
        if [.completingRebalance, .stable].contains(state), group.leaderID == nil {
            groupsFinding("\(state) without a leader: \(ids)")
        }
        if state != .dead && state != .preparingRebalance && (state == .empty) != members.isEmpty {
            groupsFinding("\(state) with members \(ids)")
        }
        // Past `Int32.max` (only a record from disk holds it) the generation wraps, as Kafka's int does.
        guard group.generationID >= minGeneration || (minGeneration == .max && group.generationID == .min) else {
            groupsFinding("generation went from \(minGeneration) back to \(group.generationID)")
        }
        minGeneration = group.generationID
        if (group.rebalanceTimer != nil) != (state == .preparingRebalance) {
            groupsFinding("\(state) with rebalance timer \(String(describing: group.rebalanceTimer))")
        }
        // Every request sent and not answered is parked in the machine, once.
        var parked: [UInt64] = []
        for member in members {
            if let join = member.awaitingJoin {
                guard state == .preparingRebalance else { groupsFinding("a JoinGroup parked in \(state)") }
                parked.append(join.rawValue)
            }
            if let sync = member.awaitingSync {
                guard state == .completingRebalance else { groupsFinding("a SyncGroup parked in \(state)") }
                parked.append(sync.rawValue)
            }
        }
        guard parked.count == Set(parked).count, Set(parked) == outstanding else {
            groupsFinding("parked \(parked.sorted()) but outstanding \(outstanding.sorted()) (\(state), \(ids))")
        }
    }
}
