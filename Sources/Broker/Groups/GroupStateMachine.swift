package import KafkaWire
package import NIOCore

/// The broker settings of the classic group protocol (Kafka's `GroupConfig`).
package struct GroupCoordinatorConfig: Hashable, Sendable {
    /// `group.min.session.timeout.ms`: a JoinGroup with a shorter session timeout gets INVALID_SESSION_TIMEOUT.
    package var minSessionTimeoutMs: Int32
    /// `group.max.session.timeout.ms`: a JoinGroup with a longer session timeout gets INVALID_SESSION_TIMEOUT.
    package var maxSessionTimeoutMs: Int32
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits for more members.
    package var initialRebalanceDelayMs: Int32
    /// `group.max.size`; nil is Kafka's default (`Int.MaxValue`, no limit).
    package var maxSize: Int?

    package init(
        minSessionTimeoutMs: Int32 = 6_000, maxSessionTimeoutMs: Int32 = 1_800_000,
        initialRebalanceDelayMs: Int32 = 3_000, maxSize: Int? = nil
    ) {
        self.minSessionTimeoutMs = minSessionTimeoutMs
        self.maxSessionTimeoutMs = maxSessionTimeoutMs
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.maxSize = maxSize
    }
}

/// The driver's name for a parked request (the map from it to a continuation stays in the driver).
package struct GroupRequestID: Hashable, Sendable, CustomStringConvertible {
    package var rawValue: UInt64
    package init(_ rawValue: UInt64) { self.rawValue = rawValue }
    package var description: String { "#\(rawValue)" }
}

/// One protocol a member supports, with the member's metadata for it (JoinGroupRequest `Protocols`).
package struct GroupProtocol: Hashable, Sendable {
    package var name: String
    package var metadata: ByteBuffer
    package init(name: String, metadata: ByteBuffer) {
        self.name = name
        self.metadata = metadata
    }
}

/// A JoinGroup request as the coordinator sees it (`GroupCoordinator.handleJoinGroup`'s parameters).
package struct JoinGroupInput: Hashable, Sendable {
    package var requestID: GroupRequestID
    /// Empty for a member that has no id yet (`JoinGroupRequest.UNKNOWN_MEMBER_ID`).
    package var memberID: String
    /// `group.instance.id` of a static member (KIP-345).
    package var groupInstanceID: String?
    package var clientID: String
    package var clientHost: String
    /// A unique suffix for a member id this request may create (Kafka draws a UUID); the driver supplies it.
    package var memberIDSuffix: String
    /// The request is version 4 or later: an unknown dynamic member first gets MEMBER_ID_REQUIRED (KIP-394).
    package var requireKnownMemberID: Bool
    package var rebalanceTimeoutMs: Int32
    package var sessionTimeoutMs: Int32
    package var protocolType: String
    package var protocols: [GroupProtocol]

    package init(
        requestID: GroupRequestID, memberID: String = "", groupInstanceID: String? = nil, clientID: String,
        clientHost: String = "", memberIDSuffix: String, requireKnownMemberID: Bool = true,
        rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, protocolType: String, protocols: [GroupProtocol]
    ) {
        self.requestID = requestID
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.memberIDSuffix = memberIDSuffix
        self.requireKnownMemberID = requireKnownMemberID
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
    }
}

/// A member as the leader sees it in its JoinGroup response (`JoinGroupResponseMember`).
package struct JoinedMember: Hashable, Sendable {
    package var memberID: String
    package var groupInstanceID: String?
    package var metadata: ByteBuffer
}

/// Kafka's `JoinGroupResult`.
package struct JoinGroupResult: Hashable, Sendable {
    package var error: KafkaErrorCode
    /// -1 (`NoGeneration`) with an error.
    package var generationID: Int32
    package var protocolType: String?
    package var protocolName: String?
    /// Empty (`NoLeader`) with an error.
    package var leaderID: String
    /// KIP-814: the leader of a Stable group that a static member replaced must not compute a new assignment.
    package var skipAssignment: Bool
    package var memberID: String
    /// Every member's metadata for the chosen protocol, for the leader only.
    package var members: [JoinedMember]

    /// `GroupCoordinator.joinError`.
    package static func failure(_ error: KafkaErrorCode, memberID: String) -> JoinGroupResult {
        JoinGroupResult(
            error: error, generationID: -1, protocolType: nil, protocolName: nil, leaderID: "", skipAssignment: false,
            memberID: memberID, members: [])
    }
}

/// Kafka's `SyncGroupResult`.
package struct SyncGroupResult: Hashable, Sendable {
    package var error: KafkaErrorCode
    package var protocolType: String?
    package var protocolName: String?
    package var assignment: ByteBuffer

    package static func failure(_ error: KafkaErrorCode) -> SyncGroupResult {
        SyncGroupResult(error: error, protocolType: nil, protocolName: nil, assignment: ByteBuffer())
    }
}

/// One member named in a LeaveGroup request (v3+ `MemberIdentity`).
package struct LeavingMember: Hashable, Sendable {
    package var memberID: String
    package var groupInstanceID: String?
    package init(memberID: String, groupInstanceID: String? = nil) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
    }
}

/// Kafka's `LeaveGroupResult`: a top-level error and one error per member named.
package struct LeaveGroupResult: Hashable, Sendable {
    package struct Member: Hashable, Sendable {
        package var memberID: String
        package var groupInstanceID: String?
        package var error: KafkaErrorCode
    }
    package var error: KafkaErrorCode
    package var members: [Member]
}

/// A response for a request the driver holds, parked or not.
package enum GroupResponse: Hashable, Sendable {
    case join(GroupRequestID, JoinGroupResult)
    case sync(GroupRequestID, SyncGroupResult)
    case heartbeat(GroupRequestID, KafkaErrorCode)
    case leave(GroupRequestID, LeaveGroupResult)

    package var requestID: GroupRequestID {
        switch self {
        case .join(let id, _), .sync(let id, _), .heartbeat(let id, _), .leave(let id, _): id
        }
    }
}

/// A deadline the driver should call `GroupStateMachine.tick(nowMs:)` at. A deadline that no longer
/// matters when it comes (the member heartbeated meanwhile) is ignored by the tick, as Kafka's
/// `DelayedHeartbeat` checks `shouldKeepAlive` when it expires; so timers never need cancelling.
package enum GroupTimer: Hashable, Sendable {
    /// `DelayedHeartbeat`: the member's session (or a new member's join) runs out.
    case heartbeat(memberID: String, deadlineMs: Int64)
    /// `DelayedHeartbeat(isPending = true)`: a member id handed out with MEMBER_ID_REQUIRED was not used.
    case pendingMember(memberID: String, deadlineMs: Int64)
    /// `DelayedJoin` / `InitialDelayedJoin`: the rebalance completes with whoever rejoined.
    case rebalance(deadlineMs: Int64)

    package var deadlineMs: Int64 {
        switch self {
        case .heartbeat(_, let ms), .pendingMember(_, let ms), .rebalance(let ms): ms
        }
    }
}

/// What the driver does after an input: deliver `responses` in order, then arm `timers`.
package struct GroupOutput: Hashable, Sendable {
    package var responses: [GroupResponse] = []
    package var timers: [GroupTimer] = []
}

/// One consumer group's membership under the classic protocol (Kafka's `GroupCoordinator`,
/// `GroupMetadata` and `MemberMetadata`, Kafka 3.x semantics): JoinGroup, SyncGroup, Heartbeat and
/// LeaveGroup, session expiry, the initial rebalance delay and static membership (KIP-345).
///
/// Pure: time is an input (`nowMs`), member id suffixes are inputs, nothing is written. Requests that
/// Kafka parks in its purgatories (a JoinGroup until the rebalance completes, a follower's SyncGroup
/// until the leader's assignment arrives) are answered later by request id, in some later output.
/// The group metadata record Kafka writes to `__consumer_offsets` (`storeGroup`) is not modelled: the
/// leader's assignment takes effect at once.
package struct GroupStateMachine: Hashable, Sendable {
    /// `GroupState`.
    package enum State: Hashable, Sendable {
        case empty
        case preparingRebalance
        case completingRebalance
        case stable
        case dead
    }

    /// `MemberMetadata`.
    package struct Member: Hashable, Sendable {
        package var memberID: String
        package var groupInstanceID: String?
        package var clientID: String
        package var clientHost: String
        package var rebalanceTimeoutMs: Int32
        package var sessionTimeoutMs: Int32
        package var protocolType: String
        package var protocols: [GroupProtocol]
        /// The assignment of the current generation (empty until the leader's SyncGroup).
        package var assignment: ByteBuffer = ByteBuffer()
        /// The parked JoinGroup (`awaitingJoinCallback`).
        package var awaitingJoin: GroupRequestID?
        /// The parked SyncGroup (`awaitingSyncCallback`).
        package var awaitingSync: GroupRequestID?
        /// Joined but not yet through a completed join (`isNew`): its join times out after `newMemberJoinTimeoutMs`.
        package var isNew: Bool = true
        /// When the heartbeat timer of this member expires; nil while it is kept alive by a parked request.
        package var heartbeatDeadlineMs: Int64?

        /// `MemberMetadata.matches`: the same protocols with the same metadata, in the same order.
        func matches(_ protocols: [GroupProtocol]) -> Bool { self.protocols == protocols }

        func metadata(for protocolName: String?) -> ByteBuffer {
            protocols.first { $0.name == protocolName }?.metadata ?? ByteBuffer()
        }
    }

    /// A member id handed out with MEMBER_ID_REQUIRED and not yet used (`pendingMembers`).
    package struct PendingMember: Hashable, Sendable {
        package var memberID: String
        package var deadlineMs: Int64
    }

    /// The join phase's timer: `DelayedJoin`, or `InitialDelayedJoin` while `initialRemainingMs` is set.
    package struct RebalanceTimer: Hashable, Sendable {
        package var deadlineMs: Int64
        /// `InitialDelayedJoin`: the current delay and how much of the rebalance timeout is left after it.
        package var initialDelayMs: Int64?
        package var initialRemainingMs: Int64?
    }

    /// `GroupCoordinator.NewMemberJoinTimeoutMs`: how long a new member's parked JoinGroup may wait.
    package static let newMemberJoinTimeoutMs: Int64 = 5 * 60 * 1000

    package let groupID: String
    package let config: GroupCoordinatorConfig
    package private(set) var state: State = .empty
    package private(set) var generationID: Int32 = 0
    package private(set) var protocolType: String?
    package private(set) var protocolName: String?
    package private(set) var leaderID: String?
    /// In the order they joined (Kafka's is a hash map; an ordered list keeps outputs deterministic).
    package private(set) var members: [Member] = []
    package private(set) var pendingMembers: [PendingMember] = []
    /// `group.instance.id` → member id.
    package private(set) var staticMembers: [String: String] = [:]
    package private(set) var rebalanceTimer: RebalanceTimer?
    /// `newMemberAdded`: a member joined during the initial delay, which then extends.
    package private(set) var newMemberAdded = false

    /// The output being assembled by the current input.
    private var output = GroupOutput()

    package init(groupID: String, config: GroupCoordinatorConfig) {
        self.groupID = groupID
        self.config = config
    }

    // MARK: - Queries

    package func member(_ memberID: String) -> Member? { members.first { $0.memberID == memberID } }

    package func has(_ memberID: String) -> Bool { members.contains { $0.memberID == memberID } }

    package func isPending(_ memberID: String) -> Bool { pendingMembers.contains { $0.memberID == memberID } }

    /// `GroupMetadata.rebalanceTimeoutMs`: the largest rebalance timeout of the members.
    package var rebalanceTimeoutMs: Int64 { Int64(members.map { max($0.rebalanceTimeoutMs, 0) }.max() ?? 0) }

    /// The earliest deadline the driver must tick at, if any.
    package var nextDeadlineMs: Int64? {
        let deadlines =
            members.compactMap(\.heartbeatDeadlineMs) + pendingMembers.map(\.deadlineMs)
            + [rebalanceTimer?.deadlineMs].compactMap { $0 }
        return deadlines.min()
    }

    /// `GroupMetadata.isStaticMemberFenced`: the instance id belongs to another member id.
    func isStaticMemberFenced(_ memberID: String, _ groupInstanceID: String?) -> Bool {
        guard let groupInstanceID, let owner = staticMembers[groupInstanceID] else { return false }
        return owner != memberID
    }

    /// `GroupMetadata.supportsProtocols`: an empty group takes any non-empty protocol type and list; otherwise
    /// the type must match and one of the protocols must be supported by every member.
    func supportsProtocols(_ type: String, _ protocols: [GroupProtocol]) -> Bool {
        if state == .empty { return !type.isEmpty && !protocols.isEmpty }
        guard type == protocolType else { return false }
        return protocols.contains { candidate in
            members.allSatisfy { member in member.protocols.contains { $0.name == candidate.name } }
        }
    }

    /// `GroupMetadata.selectProtocol`: among the protocols every member supports, each member votes for the
    /// first in its own preference order; the most votes win. Kafka breaks ties arbitrarily (hash order); here
    /// the tie goes to the protocol the earliest member prefers.
    package func selectProtocol() -> String? {
        guard let first = members.first else { return nil }
        let candidates = first.protocols.map(\.name).filter { name in
            members.allSatisfy { member in member.protocols.contains { $0.name == name } }
        }
        var votes: [String: Int] = [:]
        for member in members {
            if let vote = member.protocols.first(where: { candidates.contains($0.name) }) {
                votes[vote.name, default: 0] += 1
            }
        }
        var best: (name: String, votes: Int)?
        for candidate in candidates where votes[candidate, default: 0] > best?.votes ?? -1 {
            best = (candidate, votes[candidate, default: 0])
        }
        return best?.name ?? first.protocols.first?.name
    }

    /// `GroupMetadata.currentMemberMetadata`: what the leader gets in its JoinGroup response.
    package var currentMemberMetadata: [JoinedMember] {
        members.map {
            JoinedMember(
                memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: $0.metadata(for: protocolName))
        }
    }

    // MARK: - JoinGroup

    /// A JoinGroup request arrived (`handleJoinGroup`, `doUnknownJoinGroup`, `doJoinGroup`).
    package mutating func joinGroupReceived(_ request: JoinGroupInput, nowMs: Int64) -> GroupOutput {
        output = GroupOutput()
        let isUnknownMember = request.memberID.isEmpty
        if state == .dead {
            // The group moved away: the member finds the coordinator again.
            respondJoin(request.requestID, .failure(.coordinatorNotAvailable, memberID: request.memberID))
        } else if request.sessionTimeoutMs < config.minSessionTimeoutMs
            || request.sessionTimeoutMs > config.maxSessionTimeoutMs
        {
            respondJoin(request.requestID, .failure(.invalidSessionTimeout, memberID: request.memberID))
        } else if let maxSize = config.maxSize, isUnknownMember, members.count >= maxSize,
            request.groupInstanceID.flatMap({ staticMembers[$0] }) == nil
        {
            // A known static member restarting replaces itself; it does not grow the group.
            respondJoin(request.requestID, .failure(.groupMaxSizeReached, memberID: ""))
        } else if !supportsProtocols(request.protocolType, request.protocols) {
            respondJoin(request.requestID, .failure(.inconsistentGroupProtocol, memberID: request.memberID))
        } else if isUnknownMember {
            joinUnknownMember(request, nowMs: nowMs)
        } else {
            joinKnownMember(request, nowMs: nowMs)
        }
        maybeCompleteJoin(nowMs: nowMs)
        return takeOutput()
    }

    /// `doUnknownJoinGroup`: a member without an id.
    private mutating func joinUnknownMember(_ request: JoinGroupInput, nowMs: Int64) {
        // `GroupMetadata.generateMemberId`: the instance id (or client id), a dash and a unique suffix.
        let newMemberID = (request.groupInstanceID ?? request.clientID) + "-" + request.memberIDSuffix
        if let instanceID = request.groupInstanceID, let oldMemberID = staticMembers[instanceID] {
            rejoinStaticMember(request, oldMemberID: oldMemberID, newMemberID: newMemberID, nowMs: nowMs)
        } else if request.requireKnownMemberID && request.groupInstanceID == nil {
            // KIP-394: hand out the id and wait for the member to come back with it.
            let deadline = nowMs + Int64(request.sessionTimeoutMs)
            pendingMembers.append(PendingMember(memberID: newMemberID, deadlineMs: deadline))
            output.timers.append(.pendingMember(memberID: newMemberID, deadlineMs: deadline))
            respondJoin(request.requestID, .failure(.memberIDRequired, memberID: newMemberID))
        } else {
            addMemberAndRebalance(request, memberID: newMemberID, nowMs: nowMs)
        }
    }

    /// `doJoinGroup`: a member that names its id.
    private mutating func joinKnownMember(_ request: JoinGroupInput, nowMs: Int64) {
        let memberID = request.memberID
        if isPending(memberID) {
            if request.groupInstanceID != nil {
                // Pending ids are only ever handed to dynamic members; Kafka treats this as impossible.
                respondJoin(request.requestID, .failure(.unknownMemberID, memberID: memberID))
            } else if let maxSize = config.maxSize, members.count >= maxSize {
                removePending(memberID)
                respondJoin(request.requestID, .failure(.groupMaxSizeReached, memberID: ""))
            } else {
                addMemberAndRebalance(request, memberID: memberID, nowMs: nowMs)
            }
            return
        }
        if isStaticMemberFenced(memberID, request.groupInstanceID) {
            respondJoin(request.requestID, .failure(.fencedInstanceID, memberID: memberID))
            return
        }
        let instanceNotFound = request.groupInstanceID.map { staticMembers[$0] == nil } ?? false
        guard let index = memberIndex(memberID), !instanceNotFound else {
            respondJoin(request.requestID, .failure(.unknownMemberID, memberID: memberID))
            return
        }
        switch state {
        case .preparingRebalance:
            updateMemberAndRebalance(at: index, request, nowMs: nowMs)
        case .completingRebalance:
            if members[index].matches(request.protocols) {
                // It lost the response of the completed join: send it again.
                respondJoin(request.requestID, currentGenerationResult(for: memberID, leaderGetsMembers: true))
            } else {
                updateMemberAndRebalance(at: index, request, nowMs: nowMs)
            }
        case .stable:
            if leaderID == memberID || !members[index].matches(request.protocols) {
                // The leader rejoins to have metadata changes (new topics) reassigned.
                updateMemberAndRebalance(at: index, request, nowMs: nowMs)
            } else {
                respondJoin(request.requestID, currentGenerationResult(for: memberID, leaderGetsMembers: false))
            }
        case .empty, .dead:
            respondJoin(request.requestID, .failure(.unknownMemberID, memberID: memberID))
        }
    }

    /// `updateStaticMemberAndRebalance`: a known `group.instance.id` joins without a member id. It takes over
    /// the old member (whose parked requests get FENCED_INSTANCE_ID); a Stable group whose protocol choice
    /// does not change keeps its generation and assignment (KIP-345), and a CompletingRebalance group
    /// rebalances because the leader may be assigning to the old member id.
    private mutating func rejoinStaticMember(
        _ request: JoinGroupInput, oldMemberID: String, newMemberID: String, nowMs: Int64
    ) {
        guard let index = memberIndex(oldMemberID) else {
            preconditionFailure("static member \(oldMemberID) of group \(groupID) is not a member")
        }
        var member = members[index]
        if let parked = member.awaitingJoin {
            respondJoin(parked, .failure(.fencedInstanceID, memberID: oldMemberID))
        }
        if let parked = member.awaitingSync {
            respondSync(parked, .failure(.fencedInstanceID))
        }
        member.memberID = newMemberID
        member.awaitingJoin = nil
        member.awaitingSync = nil
        members[index] = member
        if let instanceID = request.groupInstanceID { staticMembers[instanceID] = newMemberID }
        if leaderID == oldMemberID { leaderID = newMemberID }
        scheduleHeartbeat(at: index, timeoutMs: Int64(request.sessionTimeoutMs), nowMs: nowMs)
        let previousProtocol = protocolName
        updateMember(at: index, request)

        switch state {
        case .preparingRebalance:
            break
        case .completingRebalance:
            prepareRebalance(nowMs: nowMs)
        case .stable:
            if selectProtocol() == previousProtocol {
                members[index].awaitingJoin = nil
                let isLeader = leaderID == newMemberID
                var result = currentGenerationResult(for: newMemberID, leaderGetsMembers: isLeader)
                result.skipAssignment = isLeader
                respondJoin(request.requestID, result)
            } else {
                prepareRebalance(nowMs: nowMs)
            }
        case .empty, .dead:
            preconditionFailure("group \(groupID) has static member \(oldMemberID) in state \(state)")
        }
    }

    /// `addMemberAndRebalance`.
    private mutating func addMemberAndRebalance(_ request: JoinGroupInput, memberID: String, nowMs: Int64) {
        if state == .preparingRebalance && generationID == 0 { newMemberAdded = true }
        if members.isEmpty { protocolType = request.protocolType }
        members.append(
            Member(
                memberID: memberID, groupInstanceID: request.groupInstanceID, clientID: request.clientID,
                clientHost: request.clientHost, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
                sessionTimeoutMs: request.sessionTimeoutMs, protocolType: request.protocolType,
                protocols: request.protocols, awaitingJoin: request.requestID))
        if leaderID == nil { leaderID = memberID }
        // A new member cannot heartbeat before its join completes; its join may wait this long.
        scheduleHeartbeat(at: members.count - 1, timeoutMs: Self.newMemberJoinTimeoutMs, nowMs: nowMs)
        if let instanceID = request.groupInstanceID {
            staticMembers[instanceID] = memberID
        } else {
            removePending(memberID)
        }
        maybePrepareRebalance(nowMs: nowMs)
    }

    /// `updateMemberAndRebalance`.
    private mutating func updateMemberAndRebalance(at index: Int, _ request: JoinGroupInput, nowMs: Int64) {
        updateMember(at: index, request)
        maybePrepareRebalance(nowMs: nowMs)
    }

    /// `GroupMetadata.updateMember`: new protocols and timeouts, and this request parked. A request the member
    /// had parked before is answered (Kafka drops it; its client already gave up on it).
    private mutating func updateMember(at index: Int, _ request: JoinGroupInput) {
        if let superseded = members[index].awaitingJoin {
            respondJoin(superseded, .failure(.unknownMemberID, memberID: members[index].memberID))
        }
        members[index].protocols = request.protocols
        members[index].rebalanceTimeoutMs = request.rebalanceTimeoutMs
        members[index].sessionTimeoutMs = request.sessionTimeoutMs
        members[index].awaitingJoin = request.requestID
    }

    private func currentGenerationResult(for memberID: String, leaderGetsMembers: Bool) -> JoinGroupResult {
        JoinGroupResult(
            error: .noError, generationID: generationID, protocolType: protocolType, protocolName: protocolName,
            leaderID: leaderID ?? "", skipAssignment: false, memberID: memberID,
            members: leaderGetsMembers && leaderID == memberID ? currentMemberMetadata : [])
    }

    // MARK: - Rebalance

    /// `maybePrepareRebalance`: `canRebalance` is true in Empty, Stable and CompletingRebalance.
    private mutating func maybePrepareRebalance(nowMs: Int64) {
        switch state {
        case .empty, .stable, .completingRebalance: prepareRebalance(nowMs: nowMs)
        case .preparingRebalance, .dead: break
        }
    }

    /// `prepareRebalance`: parked SyncGroups get REBALANCE_IN_PROGRESS; an empty group waits
    /// `group.initial.rebalance.delay.ms` (`InitialDelayedJoin`), others up to the rebalance timeout (`DelayedJoin`).
    private mutating func prepareRebalance(nowMs: Int64) {
        if state == .completingRebalance { resetAndPropagateAssignmentError(.rebalanceInProgress) }
        let timer: RebalanceTimer
        if state == .empty {
            let delay = Int64(max(config.initialRebalanceDelayMs, 0))
            timer = RebalanceTimer(
                deadlineMs: nowMs + delay, initialDelayMs: delay, initialRemainingMs: max(rebalanceTimeoutMs - delay, 0)
            )
            newMemberAdded = false
        } else {
            timer = RebalanceTimer(deadlineMs: nowMs + rebalanceTimeoutMs)
        }
        state = .preparingRebalance
        armRebalance(timer)
    }

    private mutating func armRebalance(_ timer: RebalanceTimer) {
        rebalanceTimer = timer
        output.timers.append(.rebalance(deadlineMs: timer.deadlineMs))
    }

    /// `GroupMetadata.hasAllMembersJoined`: every member has a parked JoinGroup and no member id is pending.
    private var hasAllMembersJoined: Bool {
        pendingMembers.isEmpty && members.allSatisfy { $0.awaitingJoin != nil }
    }

    /// `DelayedJoin.tryComplete` (the initial delay never completes early).
    private mutating func maybeCompleteJoin(nowMs: Int64) {
        guard state == .preparingRebalance, let timer = rebalanceTimer, timer.initialRemainingMs == nil,
            hasAllMembersJoined
        else { return }
        completeJoin(nowMs: nowMs)
    }

    /// The rebalance timer expired (`InitialDelayedJoin.onComplete`, `DelayedJoin.onExpiration`).
    private mutating func rebalanceTimerExpired(nowMs: Int64) {
        guard let timer = rebalanceTimer else { return }
        if let remaining = timer.initialRemainingMs, let delay = timer.initialDelayMs, newMemberAdded, remaining != 0 {
            // Someone joined during the delay: wait once more, but never past the rebalance timeout. Nobody
            // can join within this input, so a zero delay would expire at once with nobody new: complete now.
            newMemberAdded = false
            let next = min(Int64(max(config.initialRebalanceDelayMs, 0)), remaining)
            guard next > 0 else {
                completeJoin(nowMs: nowMs)
                return
            }
            armRebalance(
                RebalanceTimer(
                    deadlineMs: nowMs + next, initialDelayMs: next, initialRemainingMs: max(remaining - delay, 0)))
        } else {
            completeJoin(nowMs: nowMs)
        }
    }

    /// `onCompleteJoin`: dynamic members that did not rejoin leave; a leader is chosen among those that did;
    /// the next generation starts and every parked JoinGroup is answered (the leader's with all members).
    private mutating func completeJoin(nowMs: Int64) {
        rebalanceTimer = nil
        for failed in members where failed.awaitingJoin == nil && failed.groupInstanceID == nil {
            removeMember(failed.memberID)
        }
        guard state != .dead else { return }
        if !maybeElectNewJoinedLeader() && !members.isEmpty {
            // Only static members that did not rejoin are left: wait for them, or for their sessions to end.
            armRebalance(RebalanceTimer(deadlineMs: nowMs + rebalanceTimeoutMs))
            return
        }
        // `initNextGeneration`. Kafka's int wraps; only a record read from disk can hold `Int32.max`.
        generationID &+= 1
        if members.isEmpty {
            protocolName = nil
            state = .empty
            return
        }
        protocolName = selectProtocol()
        state = .completingRebalance
        for index in members.indices {
            if let parked = members[index].awaitingJoin {
                members[index].awaitingJoin = nil
                respondJoin(parked, currentGenerationResult(for: members[index].memberID, leaderGetsMembers: true))
            }
            scheduleHeartbeat(at: index, timeoutMs: Int64(members[index].sessionTimeoutMs), nowMs: nowMs)
            members[index].isNew = false
        }
    }

    /// `maybeElectNewJoinedLeader`: keep a leader that rejoined, else take the first member that did.
    private mutating func maybeElectNewJoinedLeader() -> Bool {
        if let leaderID, member(leaderID)?.awaitingJoin != nil { return true }
        leaderID = members.first { $0.awaitingJoin != nil }?.memberID
        return leaderID != nil
    }

    /// `resetAndPropagateAssignmentError`: assignments are cleared and parked SyncGroups get `error`.
    private mutating func resetAndPropagateAssignmentError(_ error: KafkaErrorCode) {
        for index in members.indices {
            members[index].assignment = ByteBuffer()
            if let parked = members[index].awaitingSync {
                members[index].awaitingSync = nil
                respondSync(parked, .failure(error))
            }
        }
    }

    // MARK: - SyncGroup

    /// A SyncGroup request arrived (`doSyncGroup`). `assignments` is the leader's, by member id; the optional
    /// protocol type and name are SyncGroup v5's.
    package mutating func syncGroupReceived(
        requestID: GroupRequestID, memberID: String, groupInstanceID: String? = nil, generationID: Int32,
        protocolType: String? = nil, protocolName: String? = nil, assignments: [String: ByteBuffer], nowMs: Int64
    ) -> GroupOutput {
        output = GroupOutput()
        if state == .dead {
            respondSync(requestID, .failure(.coordinatorNotAvailable))
        } else if isStaticMemberFenced(memberID, groupInstanceID) {
            respondSync(requestID, .failure(.fencedInstanceID))
        } else if let index = memberIndex(memberID) {
            if generationID != self.generationID {
                respondSync(requestID, .failure(.illegalGeneration))
            } else if protocolType.map({ $0 != self.protocolType }) ?? false
                || protocolName.map({ $0 != self.protocolName }) ?? false
            {
                respondSync(requestID, .failure(.inconsistentGroupProtocol))
            } else {
                syncMember(at: index, requestID: requestID, assignments: assignments, nowMs: nowMs)
            }
        } else {
            respondSync(requestID, .failure(.unknownMemberID))
        }
        return takeOutput()
    }

    private mutating func syncMember(
        at index: Int, requestID: GroupRequestID, assignments: [String: ByteBuffer], nowMs: Int64
    ) {
        switch state {
        case .empty, .dead:
            respondSync(requestID, .failure(.unknownMemberID))
        case .preparingRebalance:
            respondSync(requestID, .failure(.rebalanceInProgress))
        case .completingRebalance:
            if let superseded = members[index].awaitingSync {
                respondSync(superseded, .failure(.unknownMemberID))
            }
            members[index].awaitingSync = requestID
            guard members[index].memberID == leaderID else { return }
            // `setAndPropagateAssignment`: members the leader left out get an empty assignment.
            for i in members.indices {
                members[i].assignment = assignments[members[i].memberID] ?? ByteBuffer()
            }
            for i in members.indices {
                guard let parked = members[i].awaitingSync else { continue }
                members[i].awaitingSync = nil
                respondSync(parked, currentAssignment(of: i))
                scheduleHeartbeat(at: i, timeoutMs: Int64(members[i].sessionTimeoutMs), nowMs: nowMs)
            }
            state = .stable
        case .stable:
            respondSync(requestID, currentAssignment(of: index))
            scheduleHeartbeat(at: index, timeoutMs: Int64(members[index].sessionTimeoutMs), nowMs: nowMs)
        }
    }

    private func currentAssignment(of index: Int) -> SyncGroupResult {
        SyncGroupResult(
            error: .noError, protocolType: protocolType, protocolName: protocolName,
            assignment: members[index].assignment)
    }

    // MARK: - Heartbeat

    /// A Heartbeat request arrived (`handleHeartbeat`).
    package mutating func heartbeatReceived(
        requestID: GroupRequestID, memberID: String, groupInstanceID: String? = nil, generationID: Int32, nowMs: Int64
    ) -> GroupOutput {
        output = GroupOutput()
        let error: KafkaErrorCode
        if state == .dead {
            error = .coordinatorNotAvailable
        } else if isStaticMemberFenced(memberID, groupInstanceID) {
            error = .fencedInstanceID
        } else if let index = memberIndex(memberID) {
            if generationID != self.generationID {
                error = .illegalGeneration
            } else {
                switch state {
                case .empty, .dead:
                    error = .unknownMemberID
                case .preparingRebalance:
                    scheduleHeartbeat(at: index, timeoutMs: Int64(members[index].sessionTimeoutMs), nowMs: nowMs)
                    error = .rebalanceInProgress
                case .completingRebalance, .stable:
                    // Kafka 2.5+: a member may heartbeat between its JoinGroup and SyncGroup responses.
                    scheduleHeartbeat(at: index, timeoutMs: Int64(members[index].sessionTimeoutMs), nowMs: nowMs)
                    error = .noError
                }
            }
        } else {
            error = .unknownMemberID
        }
        output.responses.append(.heartbeat(requestID, error))
        return takeOutput()
    }

    // MARK: - LeaveGroup

    /// A LeaveGroup request arrived (`handleLeaveGroup`, v3+: several members, by member id or instance id).
    package mutating func leaveGroupReceived(
        requestID: GroupRequestID, members leaving: [LeavingMember], nowMs: Int64
    ) -> GroupOutput {
        output = GroupOutput()
        guard state != .dead else {
            output.responses.append(.leave(requestID, LeaveGroupResult(error: .coordinatorNotAvailable, members: [])))
            return takeOutput()
        }
        var results: [LeaveGroupResult.Member] = []
        for identity in leaving {
            let error: KafkaErrorCode
            let staticOwner = identity.groupInstanceID.flatMap { staticMembers[$0] }
            if !identity.memberID.isEmpty && isStaticMemberFenced(identity.memberID, identity.groupInstanceID) {
                error = .fencedInstanceID
            } else if isPending(identity.memberID) {
                removePending(identity.memberID)
                error = .noError
            } else if let memberID = staticOwner ?? (has(identity.memberID) ? identity.memberID : nil) {
                removeMemberAndUpdateGroup(memberID, nowMs: nowMs)
                error = .noError
            } else {
                error = .unknownMemberID
            }
            results.append(
                LeaveGroupResult.Member(
                    memberID: identity.memberID, groupInstanceID: identity.groupInstanceID, error: error))
        }
        maybeCompleteJoin(nowMs: nowMs)
        output.responses.append(.leave(requestID, LeaveGroupResult(error: .noError, members: results)))
        return takeOutput()
    }

    // MARK: - Time

    /// Time passed to `nowMs`: expire heartbeats (`onExpireHeartbeat`), unused pending member ids, and the
    /// rebalance timer, in deadline order (members before the rebalance at the same instant). Deadlines set
    /// while ticking wait for the next tick.
    package mutating func tick(nowMs: Int64) -> GroupOutput {
        output = GroupOutput()
        enum Due { case pending(String), heartbeat(String), rebalance }
        var due: [(deadline: Int64, order: Int, event: Due)] = []
        for (i, pending) in pendingMembers.enumerated() where pending.deadlineMs <= nowMs {
            due.append((pending.deadlineMs, i, .pending(pending.memberID)))
        }
        for (i, member) in members.enumerated() {
            if let deadline = member.heartbeatDeadlineMs, deadline <= nowMs {
                due.append((deadline, pendingMembers.count + i, .heartbeat(member.memberID)))
            }
        }
        if let timer = rebalanceTimer, timer.deadlineMs <= nowMs {
            due.append((timer.deadlineMs, Int.max, .rebalance))
        }
        due.sort { ($0.deadline, $0.order) < ($1.deadline, $1.order) }
        for (_, _, event) in due {
            switch event {
            case .pending(let memberID):
                // `removePendingMemberAndUpdateGroup`.
                if let pending = pendingMembers.first(where: { $0.memberID == memberID }), pending.deadlineMs <= nowMs {
                    removePending(memberID)
                    maybeCompleteJoin(nowMs: nowMs)
                }
            case .heartbeat(let memberID):
                heartbeatExpired(memberID, nowMs: nowMs)
            case .rebalance:
                if let timer = rebalanceTimer, timer.deadlineMs <= nowMs { rebalanceTimerExpired(nowMs: nowMs) }
            }
        }
        return takeOutput()
    }

    /// `onExpireHeartbeat` with `MemberMetadata.shouldKeepAlive`: a member with a parked SyncGroup, or a parked
    /// JoinGroup after its first completed join, stays (its timer restarts when its request is answered).
    private mutating func heartbeatExpired(_ memberID: String, nowMs: Int64) {
        guard let index = memberIndex(memberID), let deadline = members[index].heartbeatDeadlineMs,
            deadline <= nowMs
        else { return }
        let member = members[index]
        if member.awaitingSync != nil || (member.awaitingJoin != nil && !member.isNew) {
            members[index].heartbeatDeadlineMs = nil
        } else {
            removeMemberAndUpdateGroup(memberID, nowMs: nowMs)
            maybeCompleteJoin(nowMs: nowMs)
        }
    }

    /// The coordinator lost the group's partition or deleted the group (`onGroupUnloaded`): parked requests
    /// get NOT_COORDINATOR and every later request COORDINATOR_NOT_AVAILABLE.
    package mutating func unloaded() -> GroupOutput {
        output = GroupOutput()
        for index in members.indices {
            if let parked = members[index].awaitingJoin {
                respondJoin(parked, .failure(.notCoordinator, memberID: members[index].memberID))
            }
            if let parked = members[index].awaitingSync {
                respondSync(parked, .failure(.notCoordinator))
            }
            members[index].awaitingJoin = nil
            members[index].awaitingSync = nil
            members[index].heartbeatDeadlineMs = nil
        }
        pendingMembers = []
        rebalanceTimer = nil
        state = .dead
        return takeOutput()
    }

    // MARK: - Offsets and persistence

    /// Whether an OffsetCommit from this member may be stored now (`GroupCoordinator.handleCommitOffsets`):
    /// nil when it may, else the error to answer. A commit with a negative generation to an Empty group is
    /// a consumer that uses the group only to keep offsets (`assign()` and commit). A member that commits in
    /// Stable or PreparingRebalance is alive: its session timer restarts, as a heartbeat's would.
    package mutating func offsetCommitReceived(
        memberID: String, groupInstanceID: String?, generationID: Int32, nowMs: Int64
    ) -> (error: KafkaErrorCode?, output: GroupOutput) {
        output = GroupOutput()
        let error: KafkaErrorCode?
        if state == .dead {
            error = .coordinatorNotAvailable
        } else if generationID < 0 && state == .empty {
            error = nil
        } else if isStaticMemberFenced(memberID, groupInstanceID) {
            error = .fencedInstanceID
        } else if let index = memberIndex(memberID) {
            if generationID != self.generationID {
                error = .illegalGeneration
            } else {
                switch state {
                case .stable, .preparingRebalance:
                    scheduleHeartbeat(at: index, timeoutMs: Int64(members[index].sessionTimeoutMs), nowMs: nowMs)
                    error = nil
                case .completingRebalance:
                    error = .rebalanceInProgress
                case .empty, .dead:
                    error = .unknownMemberID
                }
            }
        } else {
            error = generationID < 0 && memberID.isEmpty ? .illegalGeneration : .unknownMemberID
        }
        return (error, takeOutput())
    }

    /// The group as `__consumer_offsets` keeps it (`GroupMetadataManager.groupMetadataValue`): written after
    /// each completed rebalance, and when the group becomes Empty.
    package func storedValue(currentStateTimestampMs: Int64) -> GroupMetadataValue {
        GroupMetadataValue(
            protocolType: protocolType ?? "", generation: generationID, protocolName: protocolName,
            leader: leaderID, currentStateTimestampMs: currentStateTimestampMs,
            members: members.map { member in
                GroupMetadataValue.Member(
                    memberID: member.memberID, groupInstanceID: member.groupInstanceID, clientID: member.clientID,
                    clientHost: member.clientHost, rebalanceTimeoutMs: member.rebalanceTimeoutMs,
                    sessionTimeoutMs: member.sessionTimeoutMs, subscription: member.metadata(for: protocolName),
                    assignment: member.assignment)
            })
    }

    /// A group read back from `__consumer_offsets` by a new coordinator (`GroupMetadata.loadGroup`): Stable
    /// with its members and assignments, or Empty without members; each member's session starts now. The
    /// record is input from disk: a member id or instance id that repeats is kept once.
    package static func loaded(
        groupID: String, config: GroupCoordinatorConfig, from value: GroupMetadataValue, nowMs: Int64
    ) -> (GroupStateMachine, GroupOutput) {
        var group = GroupStateMachine(groupID: groupID, config: config)
        group.generationID = value.generation
        group.protocolType = value.protocolType.isEmpty ? nil : value.protocolType
        group.protocolName = value.protocolName
        var seen: Set<String> = []
        for stored in value.members where seen.insert(stored.memberID).inserted {
            var instanceID = stored.groupInstanceID
            if let id = instanceID, group.staticMembers[id] != nil { instanceID = nil }
            if let id = instanceID { group.staticMembers[id] = stored.memberID }
            var member = Member(
                memberID: stored.memberID, groupInstanceID: instanceID, clientID: stored.clientID,
                clientHost: stored.clientHost, rebalanceTimeoutMs: stored.rebalanceTimeoutMs,
                sessionTimeoutMs: stored.sessionTimeoutMs, protocolType: value.protocolType,
                protocols: [GroupProtocol(name: value.protocolName ?? "", metadata: stored.subscription)])
            member.assignment = stored.assignment
            member.isNew = false
            group.members.append(member)
            group.scheduleHeartbeat(
                at: group.members.count - 1, timeoutMs: Int64(stored.sessionTimeoutMs), nowMs: nowMs)
        }
        if group.members.isEmpty {
            group.state = .empty
        } else {
            group.state = .stable
            group.leaderID = value.leader.flatMap { group.has($0) ? $0 : nil } ?? group.members.first?.memberID
        }
        return (group, group.takeOutput())
    }

    // MARK: - Members

    /// `removeMemberAndUpdateGroup`: a parked JoinGroup gets UNKNOWN_MEMBER_ID (the client rejoins if it is
    /// alive), and a Stable or CompletingRebalance group rebalances.
    private mutating func removeMemberAndUpdateGroup(_ memberID: String, nowMs: Int64) {
        removeMember(memberID)
        switch state {
        case .stable, .completingRebalance: maybePrepareRebalance(nowMs: nowMs)
        case .empty, .dead, .preparingRebalance: break
        }
    }

    /// `GroupMetadata.remove` and `removeStaticMember`; the leadership passes to the first remaining member.
    private mutating func removeMember(_ memberID: String) {
        guard let index = memberIndex(memberID) else { return }
        let member = members.remove(at: index)
        if let parked = member.awaitingJoin {
            respondJoin(parked, .failure(.unknownMemberID, memberID: ""))
        }
        if let parked = member.awaitingSync {
            respondSync(parked, .failure(.unknownMemberID))
        }
        if let instanceID = member.groupInstanceID, staticMembers[instanceID] == memberID {
            staticMembers[instanceID] = nil
        }
        if leaderID == memberID { leaderID = members.first?.memberID }
    }

    private mutating func removePending(_ memberID: String) {
        pendingMembers.removeAll { $0.memberID == memberID }
    }

    /// `completeAndScheduleNextExpiration`.
    private mutating func scheduleHeartbeat(at index: Int, timeoutMs: Int64, nowMs: Int64) {
        let deadline = nowMs + max(timeoutMs, 0)
        members[index].heartbeatDeadlineMs = deadline
        output.timers.append(.heartbeat(memberID: members[index].memberID, deadlineMs: deadline))
    }

    private func memberIndex(_ memberID: String) -> Int? { members.firstIndex { $0.memberID == memberID } }

    // MARK: - Output

    private mutating func respondJoin(_ requestID: GroupRequestID, _ result: JoinGroupResult) {
        output.responses.append(.join(requestID, result))
    }

    private mutating func respondSync(_ requestID: GroupRequestID, _ result: SyncGroupResult) {
        output.responses.append(.sync(requestID, result))
    }

    private mutating func takeOutput() -> GroupOutput {
        defer { output = GroupOutput() }
        return output
    }
}
