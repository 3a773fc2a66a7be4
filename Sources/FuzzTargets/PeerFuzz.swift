import Consensus
import ZNodeTree
import KeeperReplica
import NIOCore
import TestSupport
import ZooKeeperWire

/// The input is what arrives on one quorum-port link of member 1 in a three-member ensemble: frames
/// as the peer transport splits them, each decoded as a `PeerMessage` (a frame that does not decode
/// closes the link: the input ends there) and handed to a `ReplicaNode`, whose output is then taken
/// and acknowledged as durable. Time advances one tick per frame, so the member campaigns, and
/// forged votes, appends and snapshots can make it leader or follower and apply txns.
func fuzzPeer(_ bytes: UnsafeRawBufferPointer) {
    var stream = ByteBuffer(bytes: bytes)
    var decoder = ZKFrameDecoder(maxFrameLength: PeerMessage.maxFrameLength)
    // A fresh member's state is valid by construction: `try!` guards the program's own invariant.
    var node = try! ReplicaNode(
        configuration: ReplicaConfiguration(member: 1, members: [1, 2, 3], electionTicks: 4),
        tree: DataTree(), appliedIndex: .zero, appliedTerm: .zero, hardState: HardState(), entries: [],
        sessionTickMillis: 100, monotonicMillis: 0)
    var random = SplitMix64(seed: 11)
    var member: Int32?
    var millis: Int64 = 0
    while true {
        let frame: ByteBuffer?
        do {
            frame = try decoder.decode(buffer: &stream) ?? decoder.decodeLast(buffer: &stream, seenEOF: true)
        } catch {
            return
        }
        guard let frame, let message = try? PeerMessage(frame: frame) else { return }
        if case .hello(let id) = message {
            member = id
            continue
        }
        guard let member else { return }
        millis += 50
        // A frame no correct member sends closes the link (ReplicaDriver): the input ends there.
        do {
            try node.receive(message, from: member, wallMillis: 1_700_000_000_000 + millis, monotonicMillis: millis)
        } catch {
            return
        }
        node.tick(wallMillis: 1_700_000_000_000 + millis, monotonicMillis: millis, random: &random)
        var rounds = 0
        while node.hasOutput && rounds < 16 {
            _ = node.takeOutput(monotonicMillis: millis)
            node.persisted()
            rounds += 1
        }
    }
}
