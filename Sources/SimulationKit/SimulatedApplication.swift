package import Consensus
package import NIOCore

/// The replicated application the simulator runs on top of the log: an append-only list of
/// proposal ids, kept as a count and a rolling digest so snapshots and comparisons are cheap.
/// Its state is durable as soon as an entry is applied (Keeper applies and records its applied
/// index in one SQLite transaction).
package struct AppState: Hashable, Sendable {
    package var appliedIndex: LogIndex = .zero
    package var count = 0
    package var digest: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    /// Applies the entry at `appliedIndex + 1`.
    package mutating func apply(_ entry: LogEntry) {
        appliedIndex = entry.index
        let word = ProposalPayload.id(of: entry.payload).map { $0 &+ 1 } ?? 0
        if word != 0 { count += 1 }
        digest = (digest ^ word) &* 0x0000_0100_0000_01B3
        digest = (digest ^ UInt64(bitPattern: entry.index.rawValue)) &* 0x0000_0100_0000_01B3
    }
}

/// A snapshot of the application at a log position: what a leader streams to a lagging follower.
package struct AppSnapshot: Hashable, Sendable {
    package var metadata: SnapshotMetadata
    package var state: AppState
}

/// Proposal payloads are 8-byte big-endian ids; the empty payload is a leader's no-op.
package enum ProposalPayload {
    package static func make(_ id: UInt64) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(id)
        return buffer
    }

    package static func id(of payload: ByteBuffer) -> UInt64? {
        payload.readableBytes == 8 ? payload.getInteger(at: payload.readerIndex, as: UInt64.self) : nil
    }
}
