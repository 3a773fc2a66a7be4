import DequeModule

/// `queued.max.request.bytes`: the bytes of request frames a broker holds across every connection,
/// from the moment a frame's size has been read until its request has been handled. Pure: no I/O, no
/// clock; `RequestByteBudget` shares it between connections and `RequestBytesGate` drives it.
///
/// Kafka's `SocketServer` takes a frame's declared size from a `SimpleMemoryPool` before it reads the
/// body and mutes a connection the pool cannot serve (KIP-72). As there, the whole declared size is
/// taken at once, so a frame that was admitted can always be received in full (taking bytes as they
/// arrive would let half-received frames fill the budget and wait on each other forever). Unlike
/// Kafka's pool, which hands out a buffer whenever any memory is left and so may overshoot by one
/// frame, admission here is strict and first come, first served: a frame is admitted only while it
/// fits and nothing waits before it, so the bytes charged never exceed `limit`, and a large frame at
/// the head of the queue is not overtaken forever by smaller ones.
///
/// Frames of at most `unchargedFrameSize` bytes (metadata, heartbeats, fetch requests, small produce
/// requests) are admitted without charge. A connection holds only a few frames at a time (one being
/// handled, `KafkaListener.inboundFrames` decoded ahead, one being received), so these stay bounded per
/// connection, and they keep a broker whose budget is held by large uploads serving everything else.
struct QueuedRequestBytes {
    /// One client connection, as numbered by `connectionOpened()`.
    struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
        var rawValue: UInt64
        var description: String { "#\(rawValue)" }
    }

    /// What a connection does after a frame's size has been read.
    enum Admission: Hashable, Sendable {
        /// Keep reading: the frame's bytes are accounted for.
        case admitted
        /// Stop reading this connection until `frameHandled`/`connectionClosed` reports the frame admitted.
        case waiting
    }

    /// Frames of at most this many bytes are admitted without charge (64 KiB).
    static let defaultUnchargedFrameSize = 64 * 1024

    /// The most bytes charged at once.
    let limit: Int
    let unchargedFrameSize: Int
    /// Bytes of admitted frames not yet handled (never above `limit`).
    private(set) var charged = 0
    private var nextID: UInt64 = 0
    /// Per open connection, its frames not yet handled, oldest first: the bytes each was charged, or nil
    /// while it waits for admission.
    private var frames: [ConnectionID: Deque<Int?>] = [:]
    /// Frames waiting for admission, oldest first, with the bytes each needs.
    private var waiting: Deque<(connection: ConnectionID, size: Int)> = []

    /// - Parameter limit: at least the largest frame a connection may send (`socket.request.max.bytes`,
    ///   checked by `BrokerConfiguration`); a larger frame is charged as `limit`.
    init(limit: Int, unchargedFrameSize: Int = Self.defaultUnchargedFrameSize) {
        precondition(limit > 0, "queued.max.request.bytes is validated to be positive, got \(limit)")
        self.limit = limit
        self.unchargedFrameSize = max(0, unchargedFrameSize)
    }

    /// Frames waiting for admission, over every connection.
    var waitingFrames: Int { waiting.count }
    /// Open connections.
    var connections: Int { frames.count }

    /// A connection was accepted; its id for the other inputs.
    mutating func connectionOpened() -> ConnectionID {
        nextID &+= 1
        let id = ConnectionID(rawValue: nextID)
        frames[id] = []
        return id
    }

    /// The 4-byte size of a frame on `connection` has been read (the frame's bytes follow).
    mutating func frameStarted(on connection: ConnectionID, size: Int) -> Admission {
        guard frames[connection] != nil else { return .admitted }  // closed already: nothing to account
        let size = min(max(size, 0), limit)
        if size <= unchargedFrameSize {
            frames[connection]?.append(0)
            return .admitted
        }
        if waiting.isEmpty, size <= limit - charged {
            charged += size
            frames[connection]?.append(size)
            return .admitted
        }
        frames[connection]?.append(nil)
        waiting.append((connection, size))
        return .waiting
    }

    /// The oldest frame of `connection` has been handled (its request answered or dropped).
    ///
    /// - Returns: one entry per waiting frame that stopped waiting, in order: admitted frames of any
    ///   connection, and this frame itself if it was handled before it was admitted (its bytes had
    ///   already been read). A connection reads again once none of its frames waits.
    mutating func frameHandled(on connection: ConnectionID) -> [ConnectionID] {
        var resolved: [ConnectionID] = []
        guard let oldest = frames[connection]?.popFirst() else { return resolved }
        if let bytes = oldest {
            charged -= bytes
        } else if let index = waiting.firstIndex(where: { $0.connection == connection }) {
            waiting.remove(at: index)
            resolved.append(connection)
        }
        resolved += admitWaiting()
        return resolved
    }

    /// `connection` is gone: everything it held is released, its waiting frames are dropped.
    ///
    /// - Returns: the admitted frames of other connections, one entry each.
    mutating func connectionClosed(_ connection: ConnectionID) -> [ConnectionID] {
        guard let held = frames.removeValue(forKey: connection) else { return [] }
        for case let bytes? in held { charged -= bytes }
        waiting.removeAll { $0.connection == connection }
        return admitWaiting()
    }

    /// Admits waiting frames in order while the oldest fits.
    private mutating func admitWaiting() -> [ConnectionID] {
        var admitted: [ConnectionID] = []
        while let head = waiting.first, head.size <= limit - charged {
            waiting.removeFirst()
            charged += head.size
            if let index = frames[head.connection]?.firstIndex(where: { $0 == nil }) {
                frames[head.connection]?[index] = head.size
            }
            admitted.append(head.connection)
        }
        return admitted
    }
}
