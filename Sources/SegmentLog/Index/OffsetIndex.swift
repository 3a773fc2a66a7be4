package import NIOCore

/// The sparse offset index of one segment (`OffsetIndex.java`), kept in memory and mirrored to the
/// segment's `.index` file. Each 8-byte big-endian entry is `relativeOffset u32, position u32`: a
/// batch whose last offset is `baseOffset + relativeOffset` starts at byte `position` of the `.log`.
/// An entry is added once more than `index.interval.bytes` were appended since the last one, so a
/// lookup lands at most that many bytes before the wanted batch. Pure.
package struct OffsetIndex: Hashable, Sendable {
    package struct Entry: Hashable, Sendable {
        package var relativeOffset: UInt32
        package var position: UInt32
    }

    package static let entrySize = 8

    package let baseOffset: Int64
    /// `segment.index.bytes / 8`: when reached, the segment rolls.
    package let maxEntries: Int
    package private(set) var entries: [Entry] = []

    package init(baseOffset: Int64, maxIndexBytes: Int) {
        self.baseOffset = baseOffset
        self.maxEntries = maxIndexBytes / Self.entrySize
    }

    package var isFull: Bool { entries.count >= maxEntries }
    /// Bytes the entries take in the file.
    package var sizeInBytes: Int { entries.count * Self.entrySize }

    /// Adds an entry for the batch ending at `lastOffset` and starting at `position` and returns it.
    /// Nil, adding nothing, when the index is full, when either value does not fit its 32-bit field,
    /// or when they do not both increase strictly (the log rolls or refuses such an append first, so
    /// this is only a guard: a missing entry costs a longer scan, never a wrong answer).
    @discardableResult
    package mutating func append(lastOffset: Int64, position: Int) -> Entry? {
        guard !isFull, lastOffset >= baseOffset,
            let relativeOffset = UInt32(exactly: lastOffset.saturatingSubtracting(baseOffset)),
            let position = UInt32(exactly: position)
        else { return nil }
        let entry = Entry(relativeOffset: relativeOffset, position: position)
        if let last = entries.last, entry.relativeOffset <= last.relativeOffset || entry.position <= last.position {
            return nil
        }
        entries.append(entry)
        return entry
    }

    /// The byte position to start scanning from for `offset`: that of the largest entry at or
    /// below it, or 0 when none is.
    package func position(lookingFor offset: Int64) -> Int {
        guard offset >= baseOffset, let target = UInt32(exactly: offset.saturatingSubtracting(baseOffset)) else {
            return offset < baseOffset ? 0 : entries.last.map { Int($0.position) } ?? 0
        }
        let above = entries.partitionPoint { $0.relativeOffset > target }
        return above == 0 ? 0 : Int(entries[above - 1].position)
    }

    /// Drops entries for batches at or after byte `position` of the log (the log was truncated there).
    /// Returns how many were dropped.
    @discardableResult
    package mutating func truncate(toPosition position: Int) -> Int {
        let keep = entries.partitionPoint { Int($0.position) >= position }
        let dropped = entries.count - keep
        entries.removeLast(dropped)
        return dropped
    }

    /// Removes every entry (the segment is being re-indexed).
    package mutating func reset() { entries.removeAll() }

    /// The file bytes of one entry.
    package static func encode(_ entry: Entry) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(entry.relativeOffset)
        buffer.writeInteger(entry.position)
        return buffer
    }

    /// Loads an index file's bytes, accepting them only if they could have been written for a log of
    /// `logSize` bytes: whole entries, offsets and positions strictly increasing, positions inside the
    /// log (and never 0, where no entry is ever written). Nil means "rebuild it": a preallocated file
    /// left by a crash, trailing zeros, or garbage.
    package init?(loading bytes: ByteBuffer, baseOffset: Int64, maxIndexBytes: Int, logSize: Int) {
        self.init(baseOffset: baseOffset, maxIndexBytes: maxIndexBytes)
        guard bytes.readableBytes % Self.entrySize == 0, bytes.readableBytes / Self.entrySize <= maxEntries else {
            return nil
        }
        var bytes = bytes
        while let relativeOffset: UInt32 = bytes.readInteger(), let position: UInt32 = bytes.readInteger() {
            let entry = Entry(relativeOffset: relativeOffset, position: position)
            guard position > 0, Int(position) < logSize else { return nil }
            if let last = entries.last, entry.relativeOffset <= last.relativeOffset || entry.position <= last.position {
                return nil
            }
            entries.append(entry)
        }
    }
}
