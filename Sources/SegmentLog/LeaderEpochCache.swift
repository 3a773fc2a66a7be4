/// Leader epoch → start offset of the first batch written in that epoch (`LeaderEpochFileCache.java`,
/// KIP-101/279): lets a follower find where its log diverged from the leader's. Pure; the partition
/// log persists it as `leader-epoch-checkpoint` (entries `epoch startOffset`) after every change.
package struct LeaderEpochCache: Hashable, Sendable {
    /// One epoch and the offset its first batch got.
    package struct Entry: Hashable, Sendable {
        package var epoch: LeaderEpoch
        package var startOffset: LogOffset

        package init(epoch: LeaderEpoch, startOffset: LogOffset) {
            self.epoch = epoch
            self.startOffset = startOffset
        }
    }

    package static let fileName = "leader-epoch-checkpoint"

    /// Entries in increasing epoch and start-offset order.
    package private(set) var entries: [Entry] = []

    package init() {}

    package var latestEpoch: LeaderEpoch? { entries.last?.epoch }

    /// Records that `epoch` starts at `startOffset`. Entries that the new one contradicts (an epoch
    /// at or above it, or a start offset at or above it) are dropped first, as Kafka does; returns
    /// whether anything changed.
    @discardableResult
    package mutating func assign(epoch: LeaderEpoch, startOffset: LogOffset) -> Bool {
        precondition(epoch.rawValue >= 0 && startOffset.rawValue >= 0, "invalid epoch entry \(epoch)@\(startOffset)")
        if let latest = entries.last, latest.epoch == epoch, latest.startOffset <= startOffset { return false }
        while let last = entries.last, last.epoch >= epoch || last.startOffset >= startOffset {
            entries.removeLast()
        }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// The answer to OffsetForLeaderEpoch: the largest known epoch ≤ `epoch` and the offset where it
    /// ended (the next epoch's start, or `logEndOffset` for the latest). Nil when `epoch` is beyond
    /// every known epoch (Kafka's UNDEFINED_EPOCH_OFFSET).
    package func endOffset(for epoch: LeaderEpoch, logEndOffset: LogOffset) -> Entry? {
        if epoch == latestEpoch { return Entry(epoch: epoch, startOffset: logEndOffset) }
        guard let higher = entries.first(where: { $0.epoch > epoch }) else { return nil }
        // With no epoch at or below the requested one, Kafka answers with the requested epoch itself.
        let floor = entries.last(where: { $0.epoch <= epoch })?.epoch ?? epoch
        return Entry(epoch: floor, startOffset: higher.startOffset)
    }

    /// Drops the entries starting at or after `endOffset`: the log was truncated there.
    @discardableResult
    package mutating func truncateFromEnd(_ endOffset: LogOffset) -> Bool {
        let before = entries.count
        entries.removeAll { $0.startOffset >= endOffset }
        return entries.count != before
    }

    /// Drops the entries wholly below `startOffset` (the log start advanced), keeping the last of them
    /// with its start moved up to `startOffset`, since that epoch still covers it.
    @discardableResult
    package mutating func truncateFromStart(_ startOffset: LogOffset) -> Bool {
        guard let lastBelow = entries.lastIndex(where: { $0.startOffset < startOffset }) else { return false }
        entries.removeFirst(lastBelow)
        entries[0].startOffset = startOffset
        return true
    }

    /// The checkpoint file's text.
    package func render() -> String {
        CheckpointFormat.render(entries.map { [String($0.epoch.rawValue), String($0.startOffset.rawValue)] })
    }

    /// Reads a checkpoint file's text; epochs must not be negative and must increase, and start
    /// offsets must lie in `0...LogOffset.largest` and not go back.
    package init(parsing text: String, path: String) throws(SegmentLogError) {
        for (index, fields) in try CheckpointFormat.parse(text, path: path, fieldCount: 2).enumerated() {
            let line = index + 3
            let entry = Entry(
                epoch: LeaderEpoch(
                    try CheckpointFormat.number(fields[0], as: Int32.self, name: "epoch", path: path, line: line)),
                startOffset: LogOffset(
                    try CheckpointFormat.number(
                        fields[1], as: Int64.self, name: "start offset", maximum: LogOffset.largest.rawValue,
                        path: path, line: line)))
            if let last = entries.last, last.epoch >= entry.epoch || last.startOffset > entry.startOffset {
                throw .corruptCheckpoint(
                    path: path, line: line,
                    detail: "epoch \(entry.epoch) start offset \(entry.startOffset) does not follow epoch "
                        + "\(last.epoch) start offset \(last.startOffset)")
            }
            entries.append(entry)
        }
    }
}
