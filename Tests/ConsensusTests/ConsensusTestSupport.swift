import Consensus
import NIOCore

/// A generator for which `Int.random(in: 0..<n)` returns 0, so the randomized election timeout
/// equals `electionTicks` exactly. (It draws 1, not 0: the standard library's rejection sampling
/// rejects an all-zero word forever.)
struct ZeroRandom: RandomNumberGenerator {
    mutating func next() -> UInt64 { 1 }
}

/// A tiny deterministic generator for tests that want varied draws.
struct CountingRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}

func n(_ id: Int) -> NodeID { NodeID(id) }
func t(_ term: UInt64) -> Term { Term(term) }
func i(_ index: Int64) -> LogIndex { LogIndex(index) }

func payload(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func entry(_ index: Int64, _ term: UInt64, _ text: String = "x") -> LogEntry {
    LogEntry(index: i(index), term: t(term), payload: payload(text))
}

/// Entries 1...terms.count with the given terms.
func log(terms: [UInt64]) -> [LogEntry] {
    terms.enumerated().map { entry(Int64($0.offset + 1), $0.element, "e\($0.offset + 1)") }
}

func makeNode(
    _ id: Int,
    members: [Int] = [1, 2, 3],
    persisted: PersistedRaftState = .empty,
    preVote: Bool = false,
    checkQuorum: Bool = false,
    configure: (inout RaftConfiguration) -> Void = { _ in }
) -> RaftNode {
    var configuration = RaftConfiguration(
        id: n(id), members: members.map(n), preVote: preVote, checkQuorum: checkQuorum)
    configure(&configuration)
    return RaftNode(configuration: configuration, persisted: persisted)
}

func envelope(_ from: Int, _ to: Int, _ term: UInt64, _ message: Message) -> Envelope {
    Envelope(from: n(from), to: n(to), term: t(term), message: message)
}

extension RaftNode {
    mutating func tick(_ count: Int) {
        var random = ZeroRandom()
        for _ in 0..<count { tick(using: &random) }
    }

    /// Takes the pending `Ready` (if any), pretends the driver executed it, and returns it.
    @discardableResult
    mutating func flush() -> Ready {
        guard hasReady() else { return Ready() }
        let ready = takeReady()
        advance()
        return ready
    }

    /// The messages of the pending `Ready` (which is executed).
    mutating func sent() -> [Envelope] { flush().messages }

    /// Elects this node (of a fresh three-member ensemble, pre-vote off) at `term + 1` and
    /// commits its no-op with the help of `peers`' acknowledgements. Returns the no-op's index.
    @discardableResult
    mutating func becomeLeaderForTesting() -> LogIndex {
        tick(configuration.electionTicks)
        let term = self.term
        for peer in configuration.members where peer != id {
            receive(Envelope(from: peer, to: id, term: term, message: .voteResponse(granted: true)))
        }
        precondition(role == .leader, "not elected")
        flush()
        for peer in configuration.members where peer != id {
            receive(
                Envelope(
                    from: peer, to: id, term: term,
                    message: .appendResponse(success: true, index: lastIndex, rejectHint: .zero)))
        }
        flush()
        return lastIndex
    }
}

/// A synchronous network of `RaftNode`s for multi-node rule tests (etcd's test `network`): every
/// `Ready` is executed at once and its messages delivered in order until the ensemble is quiet.
struct TestNetwork {
    var nodes: [RaftNode]
    /// Directed links that lose every message.
    var cut: Set<[Int]> = []
    var delivered: [Envelope] = []

    init(size: Int, preVote: Bool = false, checkQuorum: Bool = false, configure: (inout RaftConfiguration) -> Void = { _ in }) {
        let members = Array(1...size)
        nodes = members.map {
            makeNode($0, members: members, preVote: preVote, checkQuorum: checkQuorum, configure: configure)
        }
    }

    subscript(id: Int) -> RaftNode {
        get { nodes[id - 1] }
        set { nodes[id - 1] = newValue }
    }

    mutating func isolate(_ id: Int) {
        for other in 1...nodes.count where other != id {
            cut.insert([id, other])
            cut.insert([other, id])
        }
    }

    mutating func heal() { cut = [] }

    /// Executes every pending `Ready` and delivers messages until nothing is left.
    mutating func settle(maxRounds: Int = 1000) {
        for _ in 0..<maxRounds {
            var outbox: [Envelope] = []
            for k in nodes.indices where nodes[k].hasReady() {
                outbox += nodes[k].flush().messages
            }
            if outbox.isEmpty { return }
            for message in outbox where !cut.contains([message.from.rawValue, message.to.rawValue]) {
                delivered.append(message)
                nodes[message.to.rawValue - 1].receive(message)
            }
        }
    }

    /// Ticks `id` `count` times, settling after each tick.
    mutating func tick(_ id: Int, _ count: Int = 1) {
        for _ in 0..<count {
            self[id].tick(1)
            settle()
        }
    }

    /// Ticks every node once per round, settling after each round.
    mutating func tickAll(_ rounds: Int) {
        for _ in 0..<rounds {
            for k in nodes.indices { nodes[k].tick(1) }
            settle()
        }
    }

    /// Makes `id` campaign now (as if its election timeout elapsed) and settles.
    mutating func campaign(_ id: Int) {
        for _ in 0..<(self[id].configuration.electionTicks * 2) where self[id].role == .follower {
            tick(id)
        }
    }
}

func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }
