import KafkaWire

/// Offsets, timestamps and sizes read from a batch or a file are input (STYLE.md §5: a trap is a
/// crash of the whole server), so the log computes with them only through these: saturating where a
/// clamped answer is still right (ages, distances), checked where it is not.
extension Int64 {
    /// `self - other`, clamped to `Int64.min...Int64.max` instead of trapping.
    func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}

extension Int {
    /// `self - other`, clamped to `Int.min...Int.max` instead of trapping.
    func saturatingSubtracting(_ other: Int) -> Int {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}

extension LogOffset {
    /// The largest offset a log holds (2^62). Segment names and checkpoints above it are corrupt, and
    /// an append that would pass it is refused, so `offset + delta` never nears `Int64.max`. No Kafka
    /// equivalent: Kafka's offsets wrap only after 2^63 records, which no log reaches.
    package static let largest = LogOffset(1 << 62)
}

extension RecordBatchHeader {
    /// Whether the batch's offsets lie in a segment based at `segmentBase`: baseOffset at or above
    /// it, `lastOffsetDelta` not negative and the last offset within the segment's 32-bit relative
    /// range. Checked before `lastOffset` / `nextOffset` of a stored header are used, so a corrupt
    /// header cannot overflow them.
    func offsetsFit(segmentBase: Int64) -> Bool {
        guard baseOffset >= segmentBase, segmentBase >= 0, lastOffsetDelta >= 0 else { return false }
        return baseOffset - segmentBase <= Int64(UInt32.max) - Int64(lastOffsetDelta)
    }
}
