import Crypto
package import NIOCore

/// The 128-bit digest the cleaner keys its offset map by: MD5 of the record key, as Kafka's
/// `SkimpyOffsetMap` (`log.cleaner.io.buffer.load.factor` aside, the same bytes per entry).
package struct KeyHash: Hashable, Sendable {
    package var high: UInt64
    package var low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// MD5 of the key's readable bytes.
    package init(of key: ByteBuffer) {
        self = key.withUnsafeReadableBytes { KeyHash(of: $0) }
    }

    /// MD5 of `key`.
    init(of key: UnsafeRawBufferPointer) {
        let digest = Insecure.MD5.hash(data: key)
        self = digest.withUnsafeBytes { bytes in
            KeyHash(
                high: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }
}

/// Key hash → the latest offset of that key in the dirty section of a log, in a fixed amount of
/// memory (Kafka's `SkimpyOffsetMap`): `memory / 24` slots of a 16-byte hash and an 8-byte offset,
/// filled to at most `loadFactor` of them (`log.cleaner.io.buffer.load.factor`, 0.9). Open
/// addressing: a few probes spread by the hash itself, then linear probing, so a lookup always ends.
///
/// Pure. A full map is not an error: the cleaner stops mapping there and cleans only up to the last
/// offset it mapped (`latestOffset`), leaving the rest dirty for the next round.
package struct KeyOffsetMap: Sendable {
    /// Bytes one slot stands for: the 16-byte digest and the 8-byte offset.
    package static let bytesPerEntry = 24
    /// Probes spread by the hash before falling back to linear probing.
    private static let spreadProbes = 16

    /// Number of slots.
    package let slots: Int
    /// The most distinct keys the map takes (`slots × loadFactor`, at least 1).
    package let maxEntries: Int
    private var highs: [UInt64]
    private var lows: [UInt64]
    /// -1 marks an empty slot (offsets in the map are never negative).
    private var offsets: [Int64]
    /// Distinct keys put since the last `clear()`.
    package private(set) var count = 0
    /// The last offset mapped: the last `put`, or a batch's or segment's end the cleaner moved it to
    /// (`updateLatestOffset`). -1 when nothing was mapped.
    package private(set) var latestOffset: Int64 = -1

    /// A map using about `memory` bytes (at least two slots).
    package init(memory: Int, loadFactor: Double = 0.9) {
        slots = max(memory / Self.bytesPerEntry, 2)
        maxEntries = max(Int(Double(slots) * min(max(loadFactor, 0), 1)), 1)
        highs = Array(repeating: 0, count: slots)
        lows = Array(repeating: 0, count: slots)
        offsets = Array(repeating: -1, count: slots)
    }

    /// Whether the map holds as many keys as it may: the cleaner stops mapping here, before the next
    /// keyed record (even one whose key is already in it, as Kafka does).
    package var isFull: Bool { count >= maxEntries }

    /// The share of the usable slots in use (Kafka's `utilization`, for the buffer metric).
    package var utilization: Double { Double(count) / Double(slots) }

    /// Maps `hash` to `offset` (replacing an earlier offset of the same key). Must not be called when
    /// `isFull`.
    package mutating func put(_ hash: KeyHash, offset: Int64) {
        precondition(offset >= 0, "offset map given negative offset \(offset)")
        precondition(count < slots, "offset map full: \(count) keys in \(slots) slots")
        var attempt = 0
        var slot = position(of: hash, attempt: 0)
        while offsets[slot] >= 0 {
            if highs[slot] == hash.high && lows[slot] == hash.low {
                offsets[slot] = offset
                latestOffset = offset
                return
            }
            attempt += 1
            slot = position(of: hash, attempt: attempt, previous: slot)
        }
        highs[slot] = hash.high
        lows[slot] = hash.low
        offsets[slot] = offset
        count += 1
        latestOffset = offset
    }

    /// The offset mapped for `hash`, or -1.
    package func offset(of hash: KeyHash) -> Int64 {
        var attempt = 0
        var slot = position(of: hash, attempt: 0)
        while offsets[slot] >= 0 {
            if highs[slot] == hash.high && lows[slot] == hash.low { return offsets[slot] }
            attempt += 1
            // Every slot visited once: the key is not there (only when the map is completely full).
            guard attempt < slots + Self.spreadProbes else { return -1 }
            slot = position(of: hash, attempt: attempt, previous: slot)
        }
        return -1
    }

    /// Moves `latestOffset` (to a batch's last offset, or to the end of a segment with no keyed
    /// records left).
    package mutating func updateLatestOffset(_ offset: Int64) {
        latestOffset = offset
    }

    /// Empties the map for the next log, keeping its memory.
    package mutating func clear() {
        for index in 0..<slots {
            offsets[index] = -1
        }
        count = 0
        latestOffset = -1
    }

    /// The `attempt`-th slot to try: spread by the hash for the first probes, then the slot after
    /// `previous` (wrapping), which visits every slot.
    private func position(of hash: KeyHash, attempt: Int, previous: Int = 0) -> Int {
        guard attempt < Self.spreadProbes else { return previous + 1 == slots ? 0 : previous + 1 }
        let step = (hash.low | 1) &* UInt64(attempt)
        return Int((hash.high &+ step) % UInt64(slots))
    }
}
