import Consensus
import NIOCore
import Testing

/// Issue 11: a peer message or persisted state no correct member produces is rejected before it
/// reaches `RaftNode` (whose log traps on broken invariants), and rejecting changes nothing.
@Suite struct MalformedInputTests {
    /// A follower of member 1 in term 2 holding entries 1...3.
    static func follower() -> RaftNode {
        makeNode(2, persisted: PersistedRaftState(hardState: HardState(term: t(2)), entries: log(terms: [1, 1, 2])))
    }

    static func rejects(_ node: RaftNode, _ message: Envelope, sender: Int = 1, field: String) {
        #expect(throws: MalformedConsensusInput.self) { try node.validate(message, sender: n(sender)) }
        do {
            try node.validate(message, sender: n(sender))
        } catch {
            #expect(error.field.hasPrefix(field), "\(error)")
        }
    }

    @Test func wellFormedAppendPasses() throws {
        let node = Self.follower()
        try node.validate(
            envelope(1, 2, 2, .append(prevIndex: i(3), prevTerm: t(2), entries: [entry(4, 2), entry(5, 2)], commit: i(3))),
            sender: n(1))
    }

    @Test func nonContiguousEntriesAreRejected() {
        Self.rejects(
            Self.follower(),
            envelope(1, 2, 2, .append(prevIndex: i(3), prevTerm: t(2), entries: [entry(4, 2), entry(6, 2)], commit: i(3))),
            field: "append.entries[1].index")
        // Entries that start before prevIndex + 1 would reach the committed prefix.
        Self.rejects(
            Self.follower(),
            envelope(1, 2, 2, .append(prevIndex: i(3), prevTerm: t(2), entries: [entry(1, 2)], commit: i(3))),
            field: "append.entries[0].index")
    }

    @Test func entryTermsMustNotDecreaseOrPassTheLeadersTerm() {
        Self.rejects(
            Self.follower(),
            envelope(1, 2, 3, .append(prevIndex: i(3), prevTerm: t(2), entries: [entry(4, 3), entry(5, 2)], commit: i(3))),
            field: "append.entries[1].term")
        Self.rejects(
            Self.follower(),
            envelope(1, 2, 2, .append(prevIndex: i(3), prevTerm: t(2), entries: [entry(4, 9)], commit: i(3))),
            field: "append.entries[0].term")
    }

    @Test func termsAndIndexesOutOfRangeAreRejected() {
        let node = Self.follower()
        Self.rejects(node, envelope(1, 2, UInt64.max, .heartbeat(commit: i(1), context: 0)), field: "envelope.term")
        Self.rejects(node, envelope(1, 2, 2, .heartbeat(commit: i(-1), context: 0)), field: "heartbeat.commit")
        Self.rejects(node, envelope(1, 2, 2, .appendResponse(success: false, index: i(Int64.max), rejectHint: .zero)),
            field: "appendResponse.index")
        Self.rejects(node, envelope(1, 2, 2, .vote(lastIndex: i(3), lastTerm: t(7), leadershipTransfer: false)),
            field: "vote.lastTerm")
        Self.rejects(node, envelope(1, 2, 2, .snapshot(SnapshotMetadata(index: i(-5), term: t(1)))), field: "snapshot.index")
        Self.rejects(node, envelope(1, 2, 2, .append(prevIndex: i(Int64.max - 1), prevTerm: t(1), entries: [], commit: .zero)),
            field: "append.prevIndex")
    }

    @Test func routingMustMatchTheLink() {
        let node = Self.follower()
        // Claims to be member 3 on member 1's link.
        Self.rejects(node, envelope(3, 2, 2, .heartbeat(commit: i(1), context: 0)), sender: 1, field: "envelope.from")
        Self.rejects(node, envelope(9, 2, 2, .heartbeat(commit: i(1), context: 0)), sender: 9, field: "envelope.from")
        Self.rejects(node, envelope(1, 3, 2, .heartbeat(commit: i(1), context: 0)), field: "envelope.to")
    }

    /// A leader's log only grows while it leads, so a success in its term past its last index is
    /// a lie that would otherwise push the follower into snapshot state.
    @Test func leaderRejectsAcknowledgementsPastItsLog() {
        var leader = makeNode(1)
        leader.becomeLeaderForTesting()
        Self.rejects(
            leader, envelope(2, 1, leader.term.rawValue, .appendResponse(success: true, index: i(1_000), rejectHint: .zero)),
            sender: 2, field: "appendResponse.index")
    }

    @Test func appendsAreBoundedInBytesButALargeEntryGoesAlone() {
        var leader = makeNode(1) { $0.maxAppendBytes = 100 }
        leader.becomeLeaderForTesting()
        for size in [60, 60, 500, 60] {
            _ = leader.propose(ByteBuffer(repeating: 0x61, count: size))
        }
        let ready = leader.flush()
        let batches = ready.messages.compactMap { message -> [Int]? in
            guard message.to == n(2), case .append(_, _, let entries, _) = message.message else { return nil }
            return entries.map(\.payload.readableBytes)
        }
        #expect(batches.first == [60])
        #expect(batches.contains([500]))
        #expect(batches.allSatisfy { $0.count == 1 || $0.reduce(0, +) <= 100 })
    }

    @Test func campaignInNextTermMovesALeaderToANewTerm() {
        var leader = makeNode(1, members: [1])
        leader.tick(20)
        #expect(leader.role == .leader)
        let term = leader.term
        leader.campaignInNextTerm()
        #expect(leader.role == .leader)
        #expect(leader.term == term.next)
    }

    @Test(arguments: [
        ("hardState.vote", PersistedRaftState(hardState: HardState(term: t(2), vote: n(7)))),
        ("hardState.term", PersistedRaftState(hardState: HardState(term: Term(UInt64.max)))),
        ("hardState.commit", PersistedRaftState(hardState: HardState(term: t(2), commit: i(5)), entries: log(terms: [1, 2]))),
        ("entries[1].index", PersistedRaftState(hardState: HardState(term: t(2)), entries: [entry(1, 1), entry(3, 1)])),
        ("entries[1].term", PersistedRaftState(hardState: HardState(term: t(3)), entries: log(terms: [2, 1]))),
        ("entries[0].term", PersistedRaftState(hardState: HardState(term: t(1)), entries: log(terms: [4]))),
        ("applied", PersistedRaftState(hardState: HardState(term: t(1), commit: i(1)), entries: log(terms: [1, 1]), applied: i(2))),
        ("snapshot.index", PersistedRaftState(hardState: HardState(term: t(1)), snapshot: SnapshotMetadata(index: i(-3), term: t(1)))),
    ])
    func corruptPersistedStateIsRefusedNamingTheField(field: String, state: PersistedRaftState) {
        #expect(throws: MalformedConsensusInput.self) { try state.validate(members: [n(1), n(2), n(3)]) }
        do {
            try state.validate(members: [n(1), n(2), n(3)])
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }
}
