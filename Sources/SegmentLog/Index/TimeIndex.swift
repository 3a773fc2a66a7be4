package import NIOCore

/// The time index of one segment (`TimeIndex.java`), kept in memory and mirrored to the segment's
/// `.timeindex` file. Each 12-byte big-endian entry is `timestamp i64, relativeOffset u32`: every
/// record up to and including `baseOffset + relativeOffset` has a timestamp ≤ `timestamp`.
/// Timestamps strictly increase from entry to entry. Pure.
package struct TimeIndex: Hashable, Sendable {
    package struct Entry: Hashable, Sendable {
        package var timestamp: Int64
        package var relativeOffset: UInt32
    }

    package static let entrySize = 12

    package let baseOffset: Int64
    /// `segment.index.bytes / 12`: when reached, the segment rolls.
    package let maxEntries: Int
    package private(set) var entries: [Entry] = []

    package init(baseOffset: Int64, maxIndexBytes: Int) {
        self.baseOffset = baseOffset
        self.maxEntries = maxIndexBytes / Self.entrySize
    }

    package var isFull: Bool { entries.count >= maxEntries }
    package var sizeInBytes: Int { entries.count * Self.entrySize }
    /// The newest entry: the largest timestamp indexed and the offset it was seen by.
    package var last: (timestamp: Int64, offset: Int64)? {
        entries.last.map { ($0.timestamp, baseOffset + Int64($0.relativeOffset)) }
    }

    /// Adds `(timestamp, offset)` if `timestamp` is newer than the last entry (Kafka's `maybeAppend`).
    /// `ignoringFull` lets the closing entry of a segment in even when the index is full.
    /// Returns the entry added, if any: nil also when the index is full, when `offset` does not fit
    /// the 32-bit relative field or when it goes back (the log rolls or refuses such an append
    /// first, so this is only a guard).
    @discardableResult
    package mutating func appendIfNewer(timestamp: Int64, offset: Int64, ignoringFull: Bool = false) -> Entry? {
        guard ignoringFull || !isFull, offset >= baseOffset,
            let relative = UInt32(exactly: offset.saturatingSubtracting(baseOffset))
        else { return nil }
        if let last = entries.last {
            guard relative >= last.relativeOffset, timestamp > last.timestamp else { return nil }
        }
        let entry = Entry(timestamp: timestamp, relativeOffset: relative)
        entries.append(entry)
        return entry
    }

    /// The offset to start scanning from for the first record with a timestamp ≥ `timestamp`: that of
    /// the last entry whose timestamp is strictly below it (every record up to that offset is older),
    /// else the segment's base offset.
    package func offset(lookingFor timestamp: Int64) -> Int64 {
        let atOrAbove = entries.partitionPoint { $0.timestamp >= timestamp }
        return atOrAbove == 0 ? baseOffset : baseOffset + Int64(entries[atOrAbove - 1].relativeOffset)
    }

    /// Drops entries for offsets at or after `offset` (the log was truncated there). Returns how many.
    @discardableResult
    package mutating func truncate(toOffset offset: Int64) -> Int {
        let keep = entries.partitionPoint { baseOffset + Int64($0.relativeOffset) >= offset }
        let dropped = entries.count - keep
        entries.removeLast(dropped)
        return dropped
    }

    package mutating func reset() { entries.removeAll() }

    package static func encode(_ entry: Entry) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(entry.timestamp)
        buffer.writeInteger(entry.relativeOffset)
        return buffer
    }

    /// Loads a time index file's bytes for a segment whose offsets end before `nextOffset`; nil means
    /// "rebuild it" (partial entries, timestamps not increasing, offsets going back or past the log).
    package init?(loading bytes: ByteBuffer, baseOffset: Int64, maxIndexBytes: Int, nextOffset: Int64) {
        self.init(baseOffset: baseOffset, maxIndexBytes: maxIndexBytes)
        guard bytes.readableBytes % Self.entrySize == 0, bytes.readableBytes / Self.entrySize <= maxEntries + 1 else {
            return nil
        }
        var bytes = bytes
        while let timestamp: Int64 = bytes.readInteger(), let relativeOffset: UInt32 = bytes.readInteger() {
            guard Int64(relativeOffset) < nextOffset.saturatingSubtracting(baseOffset) else { return nil }
            if let last = entries.last, timestamp <= last.timestamp || relativeOffset < last.relativeOffset {
                return nil
            }
            entries.append(Entry(timestamp: timestamp, relativeOffset: relativeOffset))
        }
    }
}
