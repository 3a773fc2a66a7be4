package import Consensus
package import ZNodeTree
package import NIOCore
package import ZooKeeperWire

/// Everything members say to each other over the peer transport.
package enum PeerMessage: Hashable, Sendable {
    /// First frame on a connection: who is speaking.
    case hello(member: Int32)
    /// A consensus message.
    case raft(Envelope)
    /// A client write received by a follower, for the leader to stamp and propose. The txn carries
    /// its origin; zxid and time are set by the leader. `term` is the term in which the sender
    /// knew the receiver as leader: the write is meant for that leadership only (a Zab learner's
    /// requests travel on a connection that dies with the leader's epoch), so a leader re-elected
    /// in a later term drops it rather than apply it after a lost earlier write of the same client.
    case forward(Txn, term: Term)
    /// Sessions whose clients were active on the sender since its last report (pings included):
    /// the leader owns expiry.
    case touch([SessionID])
    /// One piece of a snapshot stream: the image of the tree at `index`/`term`.
    case snapshotChunk(index: Int64, term: UInt64, totalBytes: Int64, offset: Int64, bytes: ByteBuffer)
}

extension PeerMessage {
    /// The frames that carry a tree image to a lagging peer: the image in chunks of at most
    /// `chunkSize` bytes, then the consensus message naming it (same link, in this order).
    package static func snapshotStream(
        image: ByteBuffer, metadata: SnapshotMetadata, envelope: Envelope, chunkSize: Int
    ) -> [PeerMessage] {
        precondition(chunkSize > 0, "snapshot chunk size must be positive, got \(chunkSize)")
        let total = Int64(image.readableBytes)
        var messages: [PeerMessage] = []
        var offset = 0
        repeat {
            let length = min(chunkSize, image.readableBytes - offset)
            let chunk = image.getSlice(at: image.readerIndex + offset, length: length) ?? ByteBuffer()
            messages.append(
                .snapshotChunk(
                    index: metadata.index.rawValue, term: metadata.term.rawValue, totalBytes: total,
                    offset: Int64(offset), bytes: chunk))
            offset += length
        } while offset < image.readableBytes
        messages.append(.raft(envelope))
        return messages
    }
}

/// Peer frames: `int length; byte type; body`. Length covers type and body. A forward's body is
/// `long term; Txn`.
extension PeerMessage {
    package static let maxFrameLength = 64 * 1024 * 1024

    enum Kind: UInt8 {
        case hello = 1, raft = 2, forward = 3, touch = 4, snapshotChunk = 5
    }

    package func writeFrame(to buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        let start = buffer.writerIndex
        switch self {
        case .hello(let member):
            buffer.writeInteger(Kind.hello.rawValue)
            buffer.writeInteger(member)
        case .raft(let envelope):
            buffer.writeInteger(Kind.raft.rawValue)
            envelope.write(to: &buffer)
        case .forward(let txn, let term):
            buffer.writeInteger(Kind.forward.rawValue)
            buffer.writeInteger(term.rawValue)
            txn.write(to: &buffer)
        case .touch(let sessions):
            buffer.writeInteger(Kind.touch.rawValue)
            buffer.writeInteger(Int32(sessions.count))
            for id in sessions { buffer.writeInteger(id.rawValue) }
        case .snapshotChunk(let index, let term, let total, let offset, let bytes):
            buffer.writeInteger(Kind.snapshotChunk.rawValue)
            buffer.writeInteger(index)
            buffer.writeInteger(term)
            buffer.writeInteger(total)
            buffer.writeInteger(offset)
            buffer.writeJuteBuffer(bytes)
        }
        buffer.setInteger(Int32(buffer.writerIndex - start), at: lengthIndex)
    }

    /// Decodes one frame payload (after the length prefix).
    package init(frame: ByteBuffer) throws(ZooKeeperWireError) {
        var buffer = frame
        guard let raw = buffer.readInteger(as: UInt8.self), let kind = Kind(rawValue: raw) else {
            throw .invalidValue(field: "peer.type", value: Int64(frame.getInteger(at: frame.readerIndex, as: UInt8.self) ?? 0))
        }
        switch kind {
        case .hello:
            self = .hello(member: try buffer.readJuteInt32(field: "hello.member"))
        case .raft:
            self = .raft(try Envelope(from: &buffer))
        case .forward:
            let term = Term(UInt64(bitPattern: try buffer.readJuteInt64(field: "forward.term")))
            var txnBytes = buffer
            buffer.moveReaderIndex(to: buffer.writerIndex)
            self = .forward(try Txn(from: &txnBytes), term: term)
        case .touch:
            let count = try buffer.readJuteInt32(field: "touch.count")
            guard count >= 0, Int(count) <= buffer.readableBytes / 8 else {
                throw .invalidLength(field: "touch.count", length: count)
            }
            var ids: [SessionID] = []
            for _ in 0..<count { ids.append(SessionID(try buffer.readJuteInt64(field: "touch.session"))) }
            self = .touch(ids)
        case .snapshotChunk:
            let index = try buffer.readJuteInt64(field: "chunk.index")
            let term = UInt64(bitPattern: try buffer.readJuteInt64(field: "chunk.term"))
            let total = try buffer.readJuteInt64(field: "chunk.total")
            let offset = try buffer.readJuteInt64(field: "chunk.offset")
            let bytes = try buffer.readJuteBuffer(field: "chunk.bytes") ?? ByteBuffer()
            self = .snapshotChunk(index: index, term: term, totalBytes: total, offset: offset, bytes: bytes)
        }
        guard buffer.readableBytes == 0 else { throw .trailingBytes(context: "peer frame", count: buffer.readableBytes) }
    }
}

// MARK: - Consensus messages

/// `Envelope`: `int from; int to; long term; byte kind; fields`.
extension Envelope {
    enum Kind: UInt8 {
        case preVote = 1, preVoteResponse, vote, voteResponse, append, appendResponse, heartbeat
        case heartbeatResponse, snapshot, timeoutNow, readIndex, readIndexResponse, logLost
    }

    package func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(from.rawValue))
        buffer.writeInteger(Int32(to.rawValue))
        buffer.writeInteger(term.rawValue)
        switch message {
        case .preVote(let lastIndex, let lastTerm):
            buffer.writeInteger(Kind.preVote.rawValue)
            buffer.writeInteger(lastIndex.rawValue)
            buffer.writeInteger(lastTerm.rawValue)
        case .preVoteResponse(let granted):
            buffer.writeInteger(Kind.preVoteResponse.rawValue)
            buffer.writeJuteBool(granted)
        case .vote(let lastIndex, let lastTerm, let transfer):
            buffer.writeInteger(Kind.vote.rawValue)
            buffer.writeInteger(lastIndex.rawValue)
            buffer.writeInteger(lastTerm.rawValue)
            buffer.writeJuteBool(transfer)
        case .voteResponse(let granted):
            buffer.writeInteger(Kind.voteResponse.rawValue)
            buffer.writeJuteBool(granted)
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            buffer.writeInteger(Kind.append.rawValue)
            buffer.writeInteger(prevIndex.rawValue)
            buffer.writeInteger(prevTerm.rawValue)
            buffer.writeInteger(commit.rawValue)
            buffer.writeInteger(Int32(entries.count))
            for entry in entries {
                buffer.writeInteger(entry.index.rawValue)
                buffer.writeInteger(entry.term.rawValue)
                buffer.writeJuteBuffer(entry.payload)
            }
        case .appendResponse(let success, let index, let hint):
            buffer.writeInteger(Kind.appendResponse.rawValue)
            buffer.writeJuteBool(success)
            buffer.writeInteger(index.rawValue)
            buffer.writeInteger(hint.rawValue)
        case .heartbeat(let commit, let context):
            buffer.writeInteger(Kind.heartbeat.rawValue)
            buffer.writeInteger(commit.rawValue)
            buffer.writeInteger(context)
        case .heartbeatResponse(let context):
            buffer.writeInteger(Kind.heartbeatResponse.rawValue)
            buffer.writeInteger(context)
        case .snapshot(let meta):
            buffer.writeInteger(Kind.snapshot.rawValue)
            buffer.writeInteger(meta.index.rawValue)
            buffer.writeInteger(meta.term.rawValue)
        case .timeoutNow:
            buffer.writeInteger(Kind.timeoutNow.rawValue)
        case .readIndex(let id):
            buffer.writeInteger(Kind.readIndex.rawValue)
            buffer.writeInteger(id)
        case .readIndexResponse(let id, let index):
            buffer.writeInteger(Kind.readIndexResponse.rawValue)
            buffer.writeInteger(id)
            buffer.writeInteger(index.rawValue)
        case .logLost(let last):
            buffer.writeInteger(Kind.logLost.rawValue)
            buffer.writeInteger(last.rawValue)
        }
    }

    package init(from buffer: inout ByteBuffer) throws(ZooKeeperWireError) {
        let from = NodeID(Int(try buffer.readJuteInt32(field: "envelope.from")))
        let to = NodeID(Int(try buffer.readJuteInt32(field: "envelope.to")))
        let term = Term(UInt64(bitPattern: try buffer.readJuteInt64(field: "envelope.term")))
        guard let raw = buffer.readInteger(as: UInt8.self), let kind = Kind(rawValue: raw) else {
            throw .invalidValue(field: "envelope.kind", value: -1)
        }
        func readIndex(_ field: String) throws(ZooKeeperWireError) -> LogIndex {
            LogIndex(try buffer.readJuteInt64(field: field))
        }
        func readTerm(_ field: String) throws(ZooKeeperWireError) -> Term {
            Term(UInt64(bitPattern: try buffer.readJuteInt64(field: field)))
        }
        let message: Message
        switch kind {
        case .preVote:
            message = .preVote(lastIndex: try readIndex("lastIndex"), lastTerm: try readTerm("lastTerm"))
        case .preVoteResponse:
            message = .preVoteResponse(granted: try buffer.readJuteBool(field: "granted"))
        case .vote:
            message = .vote(
                lastIndex: try readIndex("lastIndex"), lastTerm: try readTerm("lastTerm"),
                leadershipTransfer: try buffer.readJuteBool(field: "transfer"))
        case .voteResponse:
            message = .voteResponse(granted: try buffer.readJuteBool(field: "granted"))
        case .append:
            let prevIndex = try readIndex("prevIndex")
            let prevTerm = try readTerm("prevTerm")
            let commit = try readIndex("commit")
            let count = try buffer.readJuteInt32(field: "entries")
            guard count >= 0, Int(count) <= buffer.readableBytes / 20 else {
                throw .invalidLength(field: "entries", length: count)
            }
            var entries: [LogEntry] = []
            entries.reserveCapacity(Int(count))
            for _ in 0..<count {
                let entryIndex = try readIndex("entry.index")
                let entryTerm = try readTerm("entry.term")
                let payload = try buffer.readJuteBuffer(field: "entry.payload") ?? ByteBuffer()
                entries.append(LogEntry(index: entryIndex, term: entryTerm, payload: payload))
            }
            message = .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit)
        case .appendResponse:
            message = .appendResponse(
                success: try buffer.readJuteBool(field: "success"), index: try readIndex("index"),
                rejectHint: try readIndex("rejectHint"))
        case .heartbeat:
            message = .heartbeat(commit: try readIndex("commit"), context: UInt64(bitPattern: try buffer.readJuteInt64(field: "context")))
        case .heartbeatResponse:
            message = .heartbeatResponse(context: UInt64(bitPattern: try buffer.readJuteInt64(field: "context")))
        case .snapshot:
            message = .snapshot(SnapshotMetadata(index: try readIndex("snapshot.index"), term: try readTerm("snapshot.term")))
        case .timeoutNow:
            message = .timeoutNow
        case .readIndex:
            message = .readIndex(requestID: UInt64(bitPattern: try buffer.readJuteInt64(field: "requestID")))
        case .logLost:
            message = .logLost(lastIndex: try readIndex("lastIndex"))
        case .readIndexResponse:
            message = .readIndexResponse(
                requestID: UInt64(bitPattern: try buffer.readJuteInt64(field: "requestID")), index: try readIndex("index"))
        }
        self.init(from: from, to: to, term: term, message: message)
    }
}
