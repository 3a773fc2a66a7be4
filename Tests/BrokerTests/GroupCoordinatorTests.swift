import KafkaWire
import NIOCore
import SimulationKit
import Testing
import TestSupport

@testable import Broker

/// The classic group membership protocol (`GroupStateMachine`), input by input, and a seeded run of many
/// clients checking its invariants.
@Suite struct GroupCoordinatorTests {
    static let config = GroupCoordinatorConfig(
        minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 300_000, initialRebalanceDelayMs: 0)

    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func protocols(_ names: [String], tag: String = "") -> [GroupProtocol] {
        names.map { GroupProtocol(name: $0, metadata: bytes("\($0)\(tag)")) }
    }

    static func join(
        _ id: UInt64, member: String = "", instance: String? = nil, client: String = "c", suffix: String = "",
        protocols: [String] = ["range"], type: String = "consumer", session: Int32 = 10_000,
        rebalance: Int32 = 30_000, requireKnown: Bool = true
    ) -> JoinGroupInput {
        JoinGroupInput(
            requestID: GroupRequestID(id), memberID: member, groupInstanceID: instance, clientID: client,
            memberIDSuffix: suffix, requireKnownMemberID: requireKnown, rebalanceTimeoutMs: rebalance,
            sessionTimeoutMs: session, protocolType: type, protocols: Self.protocols(protocols))
    }

    static func joinResult(_ output: GroupOutput, _ id: UInt64) -> JoinGroupResult? {
        for case .join(let request, let result) in output.responses where request == GroupRequestID(id) {
            return result
        }
        return nil
    }

    static func syncResult(_ output: GroupOutput, _ id: UInt64) -> SyncGroupResult? {
        for case .sync(let request, let result) in output.responses where request == GroupRequestID(id) {
            return result
        }
        return nil
    }

    static func heartbeatError(_ output: GroupOutput) -> KafkaErrorCode? {
        for case .heartbeat(_, let error) in output.responses { return error }
        return nil
    }

    static func leaveErrors(_ output: GroupOutput) -> [KafkaErrorCode] {
        for case .leave(_, let result) in output.responses { return result.members.map(\.error) }
        return []
    }

    /// Joins `clients` (client id, MEMBER_ID_REQUIRED round included) at `nowMs`, completes the rebalance and
    /// syncs with the leader assigning "p-<member>"; returns the group Stable at generation 1 and the member ids.
    static func stableGroup(
        _ clients: [String], instances: [String?]? = nil, config: GroupCoordinatorConfig = config, nowMs: Int64 = 0
    ) -> (GroupStateMachine, [String]) {
        var group = GroupStateMachine(groupID: "g", config: config)
        var ids: [String] = []
        for (i, client) in clients.enumerated() {
            let instance = instances?[i] ?? nil
            var memberID = ""
            if instance == nil {
                let first = group.joinGroupReceived(join(UInt64(100 + i), client: client, suffix: "\(i)"), nowMs: nowMs)
                memberID = joinResult(first, UInt64(100 + i))!.memberID
            }
            let out = group.joinGroupReceived(
                join(UInt64(200 + i), member: memberID, instance: instance, client: client, suffix: "\(i)"),
                nowMs: nowMs)
            #expect(out.responses.isEmpty, "the join is parked")
            ids.append(memberID.isEmpty ? "\(instance!)-\(i)" : memberID)
        }
        let completed = group.tick(nowMs: nowMs)
        #expect(completed.responses.count == clients.count)
        #expect(group.state == .completingRebalance)
        let assignments = Dictionary(uniqueKeysWithValues: ids.map { ($0, bytes("p-\($0)")) })
        for (i, id) in ids.enumerated().reversed() {
            _ = group.syncGroupReceived(
                requestID: GroupRequestID(UInt64(300 + i)), memberID: id, generationID: 1,
                assignments: id == group.leaderID ? assignments : [:], nowMs: nowMs)
        }
        #expect(group.state == .stable)
        return (group, ids)
    }

    // MARK: - JoinGroup

    @Test func oneMemberJoinsThroughTheMemberIDRequiredRoundAndSyncs() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        let first = group.joinGroupReceived(Self.join(1, client: "app", suffix: "u1"), nowMs: 1_000)
        #expect(Self.joinResult(first, 1) == .failure(.memberIDRequired, memberID: "app-u1"))
        #expect(first.timers == [.pendingMember(memberID: "app-u1", deadlineMs: 11_000)])
        #expect(group.state == .empty && group.members.isEmpty && group.isPending("app-u1"))

        let second = group.joinGroupReceived(Self.join(2, member: "app-u1", client: "app"), nowMs: 1_100)
        #expect(second.responses.isEmpty, "parked until the (zero) initial delay passes")
        #expect(second.timers.contains(.rebalance(deadlineMs: 1_100)))
        #expect(group.state == .preparingRebalance && !group.isPending("app-u1"))

        let done = group.tick(nowMs: 1_100)
        let result = Self.joinResult(done, 2)
        #expect(result?.error == .noError)
        #expect(result?.generationID == 1)
        #expect(result?.leaderID == "app-u1")
        #expect(result?.protocolName == "range")
        #expect(
            result?.members == [JoinedMember(memberID: "app-u1", groupInstanceID: nil, metadata: Self.bytes("range"))])
        #expect(done.timers.contains(.heartbeat(memberID: "app-u1", deadlineMs: 11_100)))

        let sync = group.syncGroupReceived(
            requestID: GroupRequestID(3), memberID: "app-u1", generationID: 1,
            assignments: ["app-u1": Self.bytes("all")], nowMs: 1_200)
        #expect(Self.syncResult(sync, 3)?.assignment == Self.bytes("all"))
        #expect(group.state == .stable)
    }

    @Test func anOldClientJoinsWithoutTheMemberIDRound() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        let out = group.joinGroupReceived(Self.join(1, client: "old", suffix: "s", requireKnown: false), nowMs: 0)
        #expect(out.responses.isEmpty)
        #expect(group.has("old-s"))
        #expect(Self.joinResult(group.tick(nowMs: 0), 1)?.memberID == "old-s")
    }

    @Test func anUnusedPendingMemberIDExpiresAfterTheSessionTimeout() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        _ = group.joinGroupReceived(Self.join(1, client: "a", suffix: "1", session: 6_000), nowMs: 0)
        #expect(group.nextDeadlineMs == 6_000)
        _ = group.tick(nowMs: 6_000)
        #expect(!group.isPending("a-1"))
        let late = group.joinGroupReceived(Self.join(2, member: "a-1", client: "a"), nowMs: 6_001)
        #expect(Self.joinResult(late, 2)?.error == .unknownMemberID)
    }

    @Test func threeMembersJoinAndTheLeaderAloneGetsTheMembersMetadata() {
        let (group, ids) = Self.stableGroup(["a", "b", "c"])
        #expect(group.generationID == 1)
        #expect(group.leaderID == ids[0])
        #expect(group.members.map(\.assignment) == ids.map { Self.bytes("p-\($0)") })
    }

    @Test func joinResponsesCarryTheMembersOnlyForTheLeader() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        for (i, client) in ["a", "b", "c"].enumerated() {
            _ = group.joinGroupReceived(
                Self.join(UInt64(i), client: client, suffix: "x", requireKnown: false), nowMs: 0)
        }
        let done = group.tick(nowMs: 0)
        #expect(Self.joinResult(done, 0)?.members.map(\.memberID) == ["a-x", "b-x", "c-x"])
        #expect(Self.joinResult(done, 1)?.members == [])
        #expect(Self.joinResult(done, 2)?.leaderID == "a-x")
        #expect(Set(done.responses.map { Self.joinResult(done, $0.requestID.rawValue)?.generationID }) == [1])
    }

    /// `InitialDelayedJoin`: each delay a member joined in extends it, never past the rebalance timeout.
    @Test func theInitialDelayExtendsWhileMembersArriveUpToTheRebalanceTimeout() {
        let config = GroupCoordinatorConfig(initialRebalanceDelayMs: 3_000)
        var group = GroupStateMachine(groupID: "g", config: config)
        #expect(
            group.joinGroupReceived(
                Self.join(1, client: "a", suffix: "1", rebalance: 5_000, requireKnown: false), nowMs: 0
            )
            .timers.contains(.rebalance(deadlineMs: 3_000)))
        _ = group.joinGroupReceived(
            Self.join(2, client: "b", suffix: "2", rebalance: 5_000, requireKnown: false), nowMs: 1_000)
        // All members joined, but the initial delay does not complete early.
        #expect(group.state == .preparingRebalance)
        let extended = group.tick(nowMs: 3_000)
        #expect(extended.responses.isEmpty)
        #expect(extended.timers == [.rebalance(deadlineMs: 5_000)], "min(3000, 5000 - 3000 remaining)")
        _ = group.joinGroupReceived(
            Self.join(3, client: "c", suffix: "3", rebalance: 5_000, requireKnown: false), nowMs: 4_000)
        let done = group.tick(nowMs: 5_000)
        #expect(done.responses.count == 3, "no time left in the rebalance timeout: complete")
        #expect(group.generationID == 1 && group.members.count == 3)
    }

    @Test func theInitialDelayEndsWhenNobodyArrivedDuringIt() {
        let config = GroupCoordinatorConfig(initialRebalanceDelayMs: 3_000)
        var group = GroupStateMachine(groupID: "g", config: config)
        _ = group.joinGroupReceived(Self.join(1, client: "a", suffix: "1", requireKnown: false), nowMs: 0)
        #expect(group.tick(nowMs: 2_999).responses.isEmpty)
        #expect(Self.joinResult(group.tick(nowMs: 3_000), 1)?.generationID == 1)
    }

    @Test func aMemberThatDoesNotRejoinInTimeIsRemoved() {
        var (group, ids) = Self.stableGroup(["a", "b"])
        // The leader rejoins (to pick up new topics): a rebalance starts, bounded by the rebalance timeout.
        let rejoin = group.joinGroupReceived(Self.join(10, member: ids[0], client: "a"), nowMs: 1_000)
        #expect(rejoin.timers == [.rebalance(deadlineMs: 31_000)])
        #expect(group.state == .preparingRebalance)
        // b keeps its session alive but never rejoins.
        for t in stride(from: Int64(5_000), through: 30_000, by: 5_000) {
            let beat = group.heartbeatReceived(
                requestID: GroupRequestID(11), memberID: ids[1], generationID: 1, nowMs: t)
            #expect(Self.heartbeatError(beat) == .rebalanceInProgress)
        }
        #expect(group.tick(nowMs: 30_999).responses.isEmpty)
        let done = group.tick(nowMs: 31_000)
        #expect(Self.joinResult(done, 10)?.generationID == 2)
        #expect(Self.joinResult(done, 10)?.members.map(\.memberID) == [ids[0]])
        #expect(group.members.map(\.memberID) == [ids[0]])
        let late = group.heartbeatReceived(
            requestID: GroupRequestID(12), memberID: ids[1], generationID: 1, nowMs: 31_001)
        #expect(Self.heartbeatError(late) == .unknownMemberID)
    }

    @Test func protocolsMustBeCompatible() {
        var (group, _) = Self.stableGroup(["a"])
        let otherType = group.joinGroupReceived(
            Self.join(1, client: "x", type: "connect", requireKnown: false), nowMs: 0)
        #expect(Self.joinResult(otherType, 1)?.error == .inconsistentGroupProtocol)
        let noCommon = group.joinGroupReceived(
            Self.join(2, client: "x", protocols: ["sticky"], requireKnown: false), nowMs: 0)
        #expect(Self.joinResult(noCommon, 2)?.error == .inconsistentGroupProtocol)
        var empty = GroupStateMachine(groupID: "g", config: Self.config)
        let noProtocols = empty.joinGroupReceived(Self.join(3, client: "x", protocols: []), nowMs: 0)
        #expect(Self.joinResult(noProtocols, 3)?.error == .inconsistentGroupProtocol)
    }

    @Test func theProtocolIsChosenByVotesAmongThoseEveryMemberSupports() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        let preferences = [["range", "roundrobin"], ["roundrobin", "range"], ["roundrobin", "range", "sticky"]]
        for (i, names) in preferences.enumerated() {
            _ = group.joinGroupReceived(
                Self.join(UInt64(i), client: "c\(i)", suffix: "x", protocols: names, requireKnown: false), nowMs: 0)
        }
        let done = group.tick(nowMs: 0)
        #expect(Self.joinResult(done, 0)?.protocolName == "roundrobin")
        #expect(
            Self.joinResult(done, 0)?.members.map(\.metadata) == Array(repeating: Self.bytes("roundrobin"), count: 3))
    }

    @Test func sessionTimeoutsOutsideTheBrokerBoundsAreRefused() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        let short = group.joinGroupReceived(Self.join(1, client: "a", session: 5_999), nowMs: 0)
        #expect(Self.joinResult(short, 1)?.error == .invalidSessionTimeout)
        let long = group.joinGroupReceived(Self.join(2, client: "a", session: 300_001), nowMs: 0)
        #expect(Self.joinResult(long, 2)?.error == .invalidSessionTimeout)
        #expect(group.pendingMembers.isEmpty && group.members.isEmpty)
    }

    @Test func aFullGroupRefusesNewMembers() {
        var config = Self.config
        config.maxSize = 2
        var (group, _) = Self.stableGroup(["a", "b"], config: config)
        let third = group.joinGroupReceived(Self.join(1, client: "c"), nowMs: 0)
        #expect(Self.joinResult(third, 1) == .failure(.groupMaxSizeReached, memberID: ""))
        #expect(group.state == .stable)
    }

    // MARK: - SyncGroup

    @Test func followersWaitForTheLeadersAssignment() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        for (i, client) in ["a", "b", "c"].enumerated() {
            _ = group.joinGroupReceived(
                Self.join(UInt64(i), client: client, suffix: "x", requireKnown: false), nowMs: 0)
        }
        _ = group.tick(nowMs: 0)
        let follower = group.syncGroupReceived(
            requestID: GroupRequestID(10), memberID: "b-x", generationID: 1, assignments: [:], nowMs: 10)
        #expect(follower.responses.isEmpty, "parked until the leader syncs")
        let leader = group.syncGroupReceived(
            requestID: GroupRequestID(11), memberID: "a-x", generationID: 1,
            assignments: ["a-x": Self.bytes("0"), "b-x": Self.bytes("1")], nowMs: 20)
        #expect(Self.syncResult(leader, 10)?.assignment == Self.bytes("1"))
        #expect(Self.syncResult(leader, 11)?.assignment == Self.bytes("0"))
        #expect(Self.syncResult(leader, 11)?.protocolName == "range")
        #expect(group.state == .stable)
        let late = group.syncGroupReceived(
            requestID: GroupRequestID(12), memberID: "c-x", generationID: 1, assignments: [:], nowMs: 30)
        #expect(Self.syncResult(late, 12)?.assignment == ByteBuffer(), "left out by the leader: empty")
    }

    @Test func syncGroupErrors() {
        var (group, ids) = Self.stableGroup(["a", "b"])
        func sync(_ member: String, generation: Int32, _ id: UInt64, name: String? = nil) -> SyncGroupResult? {
            Self.syncResult(
                group.syncGroupReceived(
                    requestID: GroupRequestID(id), memberID: member, generationID: generation, protocolName: name,
                    assignments: [:], nowMs: 0), id)
        }
        #expect(sync("ghost", generation: 1, 1)?.error == .unknownMemberID)
        #expect(sync(ids[1], generation: 0, 2)?.error == .illegalGeneration)
        #expect(sync(ids[1], generation: 1, 3, name: "roundrobin")?.error == .inconsistentGroupProtocol)
        #expect(sync(ids[1], generation: 1, 4)?.assignment == Self.bytes("p-\(ids[1])"))
        _ = group.joinGroupReceived(Self.join(5, member: ids[0], client: "a"), nowMs: 0)
        #expect(sync(ids[1], generation: 1, 6)?.error == .rebalanceInProgress)
    }

    @Test func aParkedSyncIsToldToRejoinWhenANewMemberArrives() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        _ = group.joinGroupReceived(Self.join(1, client: "a", suffix: "x", requireKnown: false), nowMs: 0)
        _ = group.joinGroupReceived(Self.join(2, client: "b", suffix: "x", requireKnown: false), nowMs: 0)
        _ = group.tick(nowMs: 0)
        _ = group.syncGroupReceived(
            requestID: GroupRequestID(3), memberID: "b-x", generationID: 1, assignments: [:], nowMs: 1)
        let newcomer = group.joinGroupReceived(Self.join(4, client: "c", suffix: "x", requireKnown: false), nowMs: 2)
        #expect(Self.syncResult(newcomer, 3) == .failure(.rebalanceInProgress))
        #expect(group.state == .preparingRebalance)
    }

    // MARK: - Heartbeat and LeaveGroup

    @Test func anExpiredSessionRemovesTheMemberAndRebalances() {
        var (group, ids) = Self.stableGroup(["a", "b"])
        #expect(group.nextDeadlineMs == 10_000)
        let beat = group.heartbeatReceived(
            requestID: GroupRequestID(1), memberID: ids[0], generationID: 1, nowMs: 8_000)
        #expect(Self.heartbeatError(beat) == .noError)
        #expect(beat.timers == [.heartbeat(memberID: ids[0], deadlineMs: 18_000)])
        let expiry = group.tick(nowMs: 10_000)
        #expect(!group.has(ids[1]))
        #expect(group.state == .preparingRebalance)
        #expect(expiry.timers == [.rebalance(deadlineMs: 40_000)])
        let told = group.heartbeatReceived(
            requestID: GroupRequestID(2), memberID: ids[0], generationID: 1, nowMs: 11_000)
        #expect(Self.heartbeatError(told) == .rebalanceInProgress)
        let rejoin = group.joinGroupReceived(Self.join(3, member: ids[0], client: "a"), nowMs: 12_000)
        #expect(Self.joinResult(rejoin, 3)?.generationID == 2, "everyone left rejoined: complete at once")
        #expect(Self.joinResult(rejoin, 3)?.members.map(\.memberID) == [ids[0]])
    }

    @Test func heartbeatErrors() {
        var (group, ids) = Self.stableGroup(["a"])
        func beat(_ member: String, _ generation: Int32) -> KafkaErrorCode? {
            Self.heartbeatError(
                group.heartbeatReceived(
                    requestID: GroupRequestID(1), memberID: member, generationID: generation, nowMs: 1))
        }
        #expect(beat("ghost", 1) == .unknownMemberID)
        #expect(beat(ids[0], 2) == .illegalGeneration)
        #expect(beat(ids[0], 1) == .noError)
        let unknownJoin = group.joinGroupReceived(Self.join(2, member: "ghost", client: "x"), nowMs: 1)
        #expect(Self.joinResult(unknownJoin, 2) == .failure(.unknownMemberID, memberID: "ghost"))
        _ = group.unloaded()
        #expect(beat(ids[0], 1) == .coordinatorNotAvailable)
    }

    @Test func leavingMembersTriggerARebalance() {
        var (group, ids) = Self.stableGroup(["a", "b", "c"])
        let leave = group.leaveGroupReceived(
            requestID: GroupRequestID(1),
            members: [LeavingMember(memberID: ids[1]), LeavingMember(memberID: ids[2]), LeavingMember(memberID: "zz")],
            nowMs: 100)
        #expect(
            leave.responses == [
                .leave(
                    GroupRequestID(1),
                    LeaveGroupResult(
                        error: .noError,
                        members: [
                            .init(memberID: ids[1], groupInstanceID: nil, error: .noError),
                            .init(memberID: ids[2], groupInstanceID: nil, error: .noError),
                            .init(memberID: "zz", groupInstanceID: nil, error: .unknownMemberID),
                        ]))
            ])
        #expect(group.state == .preparingRebalance)
        let rejoin = group.joinGroupReceived(Self.join(2, member: ids[0], client: "a"), nowMs: 200)
        #expect(Self.joinResult(rejoin, 2)?.generationID == 2)
        #expect(group.members.map(\.memberID) == [ids[0]])
    }

    @Test func theLastMemberLeavingEmptiesTheGroup() {
        var (group, ids) = Self.stableGroup(["a"])
        _ = group.leaveGroupReceived(requestID: GroupRequestID(1), members: [LeavingMember(memberID: ids[0])], nowMs: 1)
        #expect(group.state == .empty)
        #expect(group.generationID == 2)
        #expect(group.leaderID == nil)
    }

    // MARK: - Static membership

    @Test func aRestartedStaticMemberReplacesItsOldIDWithoutRebalance() {
        var (group, ids) = Self.stableGroup(["a", "b"], instances: ["ia", "ib"])
        #expect(ids == ["ia-0", "ib-1"])
        let restarted = group.joinGroupReceived(
            Self.join(1, instance: "ib", client: "b", suffix: "new"), nowMs: 5_000)
        let result = Self.joinResult(restarted, 1)
        #expect(result?.error == .noError)
        #expect(result?.memberID == "ib-new")
        #expect(result?.generationID == 1, "no new generation")
        #expect(result?.leaderID == "ia-0")
        #expect(group.state == .stable)
        #expect(group.staticMembers["ib"] == "ib-new")
        let sync = group.syncGroupReceived(
            requestID: GroupRequestID(2), memberID: "ib-new", groupInstanceID: "ib", generationID: 1, assignments: [:],
            nowMs: 5_001)
        #expect(Self.syncResult(sync, 2)?.assignment == Self.bytes("p-ib-1"), "the old assignment carries over")

        // The old incarnation is fenced everywhere.
        let zombieBeat = group.heartbeatReceived(
            requestID: GroupRequestID(3), memberID: "ib-1", groupInstanceID: "ib", generationID: 1, nowMs: 5_002)
        #expect(Self.heartbeatError(zombieBeat) == .fencedInstanceID)
        let zombieJoin = group.joinGroupReceived(
            Self.join(4, member: "ib-1", instance: "ib", client: "b"), nowMs: 5_003)
        #expect(Self.joinResult(zombieJoin, 4)?.error == .fencedInstanceID)
        let zombieSync = group.syncGroupReceived(
            requestID: GroupRequestID(5), memberID: "ib-1", groupInstanceID: "ib", generationID: 1, assignments: [:],
            nowMs: 5_004)
        #expect(Self.syncResult(zombieSync, 5) == .failure(.fencedInstanceID))
        let zombieLeave = group.leaveGroupReceived(
            requestID: GroupRequestID(6), members: [LeavingMember(memberID: "ib-1", groupInstanceID: "ib")],
            nowMs: 5_005)
        #expect(Self.leaveErrors(zombieLeave) == [.fencedInstanceID])
        #expect(group.state == .stable && group.generationID == 1)
    }

    @Test func aRestartedStaticLeaderIsToldToSkipTheAssignment() {
        var (group, _) = Self.stableGroup(["a", "b"], instances: ["ia", "ib"])
        let restarted = group.joinGroupReceived(Self.join(1, instance: "ia", client: "a", suffix: "new"), nowMs: 1)
        let result = Self.joinResult(restarted, 1)
        #expect(result?.leaderID == "ia-new")
        #expect(result?.skipAssignment == true)
        #expect(result?.members.map(\.memberID) == ["ia-new", "ib-1"])
        #expect(group.state == .stable)
    }

    @Test func aStaticMemberThatDoesNotRejoinStaysUntilItsSessionEnds() {
        var (group, _) = Self.stableGroup(["a", "b"], instances: ["ia", "ib"])
        _ = group.joinGroupReceived(Self.join(1, member: "ia-0", instance: "ia", client: "a"), nowMs: 0)
        for t in [Int64(8_000), 16_000, 24_000] {
            _ = group.heartbeatReceived(requestID: GroupRequestID(9), memberID: "ib-1", generationID: 1, nowMs: t)
        }
        let done = group.tick(nowMs: 30_000)
        #expect(Self.joinResult(done, 1)?.members.map(\.memberID) == ["ia-0", "ib-1"], "static members are kept")
        #expect(group.generationID == 2)
        // No heartbeat from ib: its session ends and it leaves.
        _ = group.heartbeatReceived(requestID: GroupRequestID(2), memberID: "ia-0", generationID: 2, nowMs: 35_000)
        _ = group.tick(nowMs: 40_000)
        #expect(!group.has("ib-1") && group.staticMembers["ib"] == nil)
        #expect(group.state == .preparingRebalance)
    }

    @Test func aStaticMemberRestartingDuringCompletingRebalanceFencesTheOldSyncAndRebalances() {
        var group = GroupStateMachine(groupID: "g", config: Self.config)
        _ = group.joinGroupReceived(Self.join(1, instance: "ia", client: "a", suffix: "0"), nowMs: 0)
        _ = group.joinGroupReceived(Self.join(2, instance: "ib", client: "b", suffix: "0"), nowMs: 0)
        _ = group.tick(nowMs: 0)
        #expect(group.state == .completingRebalance)
        let beat = group.heartbeatReceived(requestID: GroupRequestID(3), memberID: "ib-0", generationID: 1, nowMs: 1)
        #expect(Self.heartbeatError(beat) == .noError, "a member may heartbeat before its SyncGroup")
        _ = group.syncGroupReceived(
            requestID: GroupRequestID(4), memberID: "ib-0", generationID: 1, assignments: [:], nowMs: 2)
        let restarted = group.joinGroupReceived(Self.join(5, instance: "ib", client: "b", suffix: "1"), nowMs: 3)
        #expect(Self.syncResult(restarted, 4) == .failure(.fencedInstanceID))
        #expect(Self.joinResult(restarted, 5) == nil, "parked: the leader may be assigning to the old id")
        #expect(group.state == .preparingRebalance)
        let leader = group.joinGroupReceived(Self.join(6, member: "ia-0", instance: "ia", client: "a"), nowMs: 4)
        #expect(Self.joinResult(leader, 5)?.generationID == 2)
        #expect(Self.joinResult(leader, 6)?.members.map(\.memberID) == ["ia-0", "ib-1"])
    }

    @Test func aStaticMemberRestartingDuringARebalanceFencesTheOldJoin() {
        var (group, _) = Self.stableGroup(["a", "b"], instances: ["ia", "ib"])
        _ = group.joinGroupReceived(Self.join(1, member: "ia-0", instance: "ia", client: "a"), nowMs: 0)
        _ = group.joinGroupReceived(Self.join(2, member: "ib-1", instance: "ib", client: "b"), nowMs: 0)
        #expect(group.state == .completingRebalance)
        let leaderRejoin = group.joinGroupReceived(Self.join(3, member: "ia-0", instance: "ia", client: "a"), nowMs: 1)
        #expect(Self.joinResult(leaderRejoin, 3)?.members.count == 2, "a lost response is sent again")
        _ = group.joinGroupReceived(
            Self.join(4, member: "ia-0", instance: "ia", client: "a", protocols: ["range", "rr"]), nowMs: 2)
        #expect(group.state == .preparingRebalance, "changed metadata: rebalance")
        let restarted = group.joinGroupReceived(Self.join(5, instance: "ia", client: "a", suffix: "z"), nowMs: 3)
        #expect(Self.joinResult(restarted, 4) == .failure(.fencedInstanceID, memberID: "ia-0"))
        #expect(group.leaderID == "ia-z")
    }

    @Test func aFullGroupStillTakesBackARestartedStaticMember() {
        var config = Self.config
        config.maxSize = 2
        var (group, _) = Self.stableGroup(["a", "b"], instances: ["ia", "ib"], config: config)
        let restarted = group.joinGroupReceived(Self.join(1, instance: "ib", client: "b", suffix: "z"), nowMs: 0)
        #expect(Self.joinResult(restarted, 1)?.error == .noError)
    }

    @Test func unloadingAnswersParkedRequestsWithNotCoordinator() {
        var group = GroupStateMachine(groupID: "g", config: GroupCoordinatorConfig(initialRebalanceDelayMs: 3_000))
        _ = group.joinGroupReceived(Self.join(1, client: "a", suffix: "x", requireKnown: false), nowMs: 0)
        let out = group.unloaded()
        #expect(out.responses == [.join(GroupRequestID(1), .failure(.notCoordinator, memberID: "a-x"))])
        #expect(group.state == .dead && group.nextDeadlineMs == nil)
        let join = group.joinGroupReceived(Self.join(2, client: "b"), nowMs: 1)
        #expect(Self.joinResult(join, 2)?.error == .coordinatorNotAvailable)
    }

    @Test func theLeaderLeavingPassesLeadershipToARejoinedMember() {
        var (group, ids) = Self.stableGroup(["a", "b"])
        _ = group.leaveGroupReceived(requestID: GroupRequestID(1), members: [LeavingMember(memberID: ids[0])], nowMs: 1)
        #expect(group.leaderID == ids[1])
        let rejoin = group.joinGroupReceived(Self.join(2, member: ids[1], client: "b"), nowMs: 2)
        #expect(Self.joinResult(rejoin, 2)?.leaderID == ids[1])
        #expect(Self.joinResult(rejoin, 2)?.members.map(\.memberID) == [ids[1]])
    }

    // MARK: - Randomized

    /// Many clients join, sync, heartbeat, leave and crash at random over a fake clock. After every step: each
    /// request is answered at most once; the generation never decreases; the leader is a member; at most one
    /// client acts as leader of the current generation; a Stable group's members all hold an assignment made
    /// for the current generation. At the end, with crashes stopped, the live clients settle into a Stable group.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8, 42, 1_234] as [UInt64])
    func randomMembershipKeepsTheInvariants(seed: UInt64) {
        var sim = GroupSimulation(seed: seed)
        for _ in 0..<3_000 { sim.step(chaos: true) }
        for _ in 0..<1_500 { sim.step(chaos: false) }
        sim.settle()
        let live = Set(sim.clients.filter { $0.alive && !$0.memberID.isEmpty }.map(\.memberID))
        #expect(sim.group.state == .stable, "seed \(seed)")
        #expect(Set(sim.group.members.map(\.memberID)) == live, "seed \(seed)")
    }
}

/// A seeded crowd of well-behaved (and some crashing) clients around one `GroupStateMachine`.
struct GroupSimulation {
    struct Client {
        var name: String
        var instance: String?
        var alive = true
        var memberID = ""
        var generation: Int32 = -1
        var needsJoin = true
        var needsSync = false
        var isLeader = false
        var syncMembers: [String] = []
        var inFlight: UInt64?
        var lastHeartbeatMs: Int64 = 0
    }

    var rng: Xoshiro256StarStar
    var group = GroupStateMachine(
        groupID: "g",
        config: GroupCoordinatorConfig(
            minSessionTimeoutMs: 1_000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 500))
    var clients: [Client] = []
    var nowMs: Int64 = 0
    var nextRequest: UInt64 = 0
    var owners: [UInt64: Int] = [:]
    var answered: Set<UInt64> = []
    var maxGeneration: Int32 = 0
    let seed: UInt64

    init(seed: UInt64) {
        self.seed = seed
        rng = Xoshiro256StarStar(seed: seed)
        for i in 0..<6 {
            clients.append(Client(name: "c\(i)", instance: i % 3 == 0 ? "i\(i)" : nil))
        }
    }

    static let sessionMs: Int32 = 6_000
    static let rebalanceMs: Int32 = 10_000

    mutating func step(chaos: Bool) {
        let roll = Int.random(in: 0..<100, using: &rng)
        if roll < 30 {
            nowMs += Int64.random(in: 0...1_500, using: &rng)
            apply(group.tick(nowMs: nowMs))
        } else {
            let index = Int.random(in: 0..<clients.count, using: &rng)
            act(index, chaos: chaos)
        }
        checkInvariants()
    }

    /// Time passes with everyone well-behaved until the group is Stable with every live client synced.
    mutating func settle() {
        for _ in 0..<2_000 {
            let live = Set(clients.filter { $0.alive && !$0.memberID.isEmpty }.map(\.memberID))
            if group.state == .stable && Set(group.members.map(\.memberID)) == live
                && clients.allSatisfy({ !$0.alive || (!$0.needsJoin && !$0.needsSync) })
            {
                return
            }
            nowMs += 200
            apply(group.tick(nowMs: nowMs))
            for index in clients.indices { act(index, chaos: false) }
            checkInvariants()
        }
    }

    mutating func act(_ index: Int, chaos: Bool) {
        var client = clients[index]
        if !client.alive {
            // A restart waits until the crashed incarnation's parked request was answered.
            if chaos && client.inFlight == nil && Int.random(in: 0..<10, using: &rng) == 0 {
                client = Client(name: client.name, instance: client.instance)
                client.lastHeartbeatMs = nowMs
                clients[index] = client
            }
            return
        }
        guard client.inFlight == nil else { return }
        if chaos {
            let roll = Int.random(in: 0..<100, using: &rng)
            if roll < 2 {
                clients[index].alive = false  // crash: silent
                return
            }
            if roll < 4 && !client.memberID.isEmpty {
                let id = request(for: index)
                apply(
                    group.leaveGroupReceived(
                        requestID: GroupRequestID(id),
                        members: [LeavingMember(memberID: client.memberID, groupInstanceID: client.instance)],
                        nowMs: nowMs))
                return
            }
        }
        if client.needsJoin {
            let id = request(for: index)
            let input = JoinGroupInput(
                requestID: GroupRequestID(id), memberID: client.memberID, groupInstanceID: client.instance,
                clientID: client.name, memberIDSuffix: "\(id)", requireKnownMemberID: true,
                rebalanceTimeoutMs: Self.rebalanceMs, sessionTimeoutMs: Self.sessionMs, protocolType: "consumer",
                protocols: [GroupProtocol(name: "range", metadata: ByteBuffer())])
            apply(group.joinGroupReceived(input, nowMs: nowMs))
        } else if client.needsSync {
            let id = request(for: index)
            let assignments =
                client.isLeader
                ? Dictionary(
                    uniqueKeysWithValues: client.syncMembers.map { ($0, ByteBuffer(string: "g\(client.generation)")) })
                : [:]
            apply(
                group.syncGroupReceived(
                    requestID: GroupRequestID(id), memberID: client.memberID, groupInstanceID: client.instance,
                    generationID: client.generation, assignments: assignments, nowMs: nowMs))
        } else if nowMs - client.lastHeartbeatMs >= 1_000 {
            let id = request(for: index)
            clients[index].lastHeartbeatMs = nowMs
            apply(
                group.heartbeatReceived(
                    requestID: GroupRequestID(id), memberID: client.memberID, groupInstanceID: client.instance,
                    generationID: client.generation, nowMs: nowMs))
        }
    }

    mutating func request(for index: Int) -> UInt64 {
        nextRequest += 1
        owners[nextRequest] = index
        clients[index].inFlight = nextRequest
        return nextRequest
    }

    mutating func apply(_ output: GroupOutput) {
        for response in output.responses {
            let id = response.requestID.rawValue
            #expect(!answered.contains(id), "request \(id) answered twice, seed \(seed)")
            answered.insert(id)
            guard let index = owners[id] else {
                Issue.record("response to unknown request \(id), seed \(seed)")
                continue
            }
            clients[index].inFlight = nil
            guard clients[index].alive else { continue }
            handle(response, client: &clients[index])
        }
    }

    func handle(_ response: GroupResponse, client: inout Client) {
        func reset(_ error: KafkaErrorCode) {
            switch error {
            case .unknownMemberID:
                client.memberID = ""
                client.needsJoin = true
            case .fencedInstanceID:
                client.alive = false
            default:
                client.needsJoin = true
            }
            client.needsSync = false
            client.isLeader = false
        }
        switch response {
        case .join(_, let result):
            switch result.error {
            case .noError:
                client.memberID = result.memberID
                client.generation = result.generationID
                client.isLeader = result.leaderID == result.memberID && !result.skipAssignment
                client.syncMembers = result.members.map(\.memberID)
                client.needsJoin = false
                client.needsSync = true
            case .memberIDRequired:
                client.memberID = result.memberID
            default:
                reset(result.error)
            }
        case .sync(_, let result):
            if result.error == .noError {
                client.needsSync = false
                client.isLeader = false
                #expect(
                    result.assignment == ByteBuffer(string: "g\(client.generation)"),
                    "assignment from another generation, seed \(seed)")
            } else {
                reset(result.error)
            }
        case .heartbeat(_, let error):
            if error != .noError { reset(error) }
        case .leave:
            client.alive = false
        }
    }

    mutating func checkInvariants() {
        #expect(group.generationID >= maxGeneration, "generation went back, seed \(seed)")
        maxGeneration = max(maxGeneration, group.generationID)
        if let leader = group.leaderID {
            #expect(group.has(leader), "leader \(leader) is not a member, seed \(seed)")
        }
        let leaders = clients.filter { $0.alive && $0.isLeader && $0.generation == group.generationID }
        #expect(leaders.count <= 1, "two leaders of generation \(group.generationID), seed \(seed)")
        if group.state == .stable {
            for member in group.members {
                #expect(
                    member.assignment == ByteBuffer(string: "g\(group.generationID)"),
                    "\(member.memberID) has no assignment of generation \(group.generationID), seed \(seed)")
            }
        }
    }
}
