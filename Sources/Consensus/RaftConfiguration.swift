/// Static configuration of one member. Membership is fixed (no joint consensus).
package struct RaftConfiguration: Sendable {
    package var id: NodeID
    /// The voters, including `id`.
    package var members: [NodeID]
    /// Followers campaign after a randomized timeout in `[electionTicks, 2 * electionTicks)` ticks
    /// without hearing from a leader (Raft §5.2). Also the check-quorum and lease period.
    package var electionTicks: Int = 10
    /// A leader sends heartbeats every `heartbeatTicks` ticks.
    package var heartbeatTicks: Int = 1
    /// Run a pre-vote round before a real election (thesis §9.6).
    package var preVote = true
    /// Leaders step down without hearing from a quorum within an election timeout, and followers
    /// with a live leader ignore vote requests (thesis §6.2, §4.2.3).
    package var checkQuorum = true
    package var maxEntriesPerAppend = 256
    /// An append carries entries totalling at most this many payload bytes, except that one
    /// larger entry still goes alone (etcd's `MaxSizePerMsg`), so a follower behind by large
    /// writes catches up in frames of bounded size.
    package var maxAppendBytes = 1 << 20
    /// In-flight append messages per follower in replicate state (etcd's `MaxInflightMsgs`).
    package var maxInflightAppends = 64

    package init(
        id: NodeID,
        members: [NodeID],
        electionTicks: Int = 10,
        heartbeatTicks: Int = 1,
        preVote: Bool = true,
        checkQuorum: Bool = true,
        maxEntriesPerAppend: Int = 256,
        maxInflightAppends: Int = 64,
        maxAppendBytes: Int = 1 << 20
    ) {
        self.id = id
        self.members = members
        self.electionTicks = electionTicks
        self.heartbeatTicks = heartbeatTicks
        self.preVote = preVote
        self.checkQuorum = checkQuorum
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.maxInflightAppends = maxInflightAppends
        self.maxAppendBytes = maxAppendBytes
    }
}
