package import SegmentLog

/// One record of a simulated partition log: the leader epoch its batch was written in and the id
/// the producer gave it (unique over the run, so "the same record" is checkable).
package struct SimulatedRecord: Hashable, Sendable, CustomStringConvertible {
    package var epoch: LeaderEpoch
    package var id: UInt64

    package init(epoch: LeaderEpoch, id: UInt64) {
        self.epoch = epoch
        self.id = id
    }

    package var description: String { "r\(id)@e\(epoch)" }
}

/// A broker's log of one partition in the broker-replication simulation: what `PartitionLog` keeps
/// that replication depends on, with the production `LeaderEpochCache`. Offset = position in
/// `records` (no retention, so the log starts at 0). It survives a process crash whole: Kafka does
/// not fsync on append and a SIGKILL leaves the page cache intact (only a machine crash would lose
/// the unflushed tail). Its high watermark, kept in memory, is restored from the last checkpoint.
///
/// The mutators mirror `PartitionLog.append`, `appendAsFollower`, `assignLeaderEpoch`, `truncate`
/// and `updateHighWatermark`, including their refusals.
package struct SimulatedPartitionLog: Hashable, Sendable {
    package private(set) var records: [SimulatedRecord] = []
    package private(set) var epochs = LeaderEpochCache()
    /// `PartitionLog.highWatermark` (in memory).
    package private(set) var highWatermark: LogOffset = 0
    /// The `replication-offset-checkpoint` entry on disk.
    package private(set) var checkpointedHighWatermark: LogOffset = 0

    package init() {}

    package var logEndOffset: LogOffset { LogOffset(Int64(records.count)) }

    package func record(at offset: LogOffset) -> SimulatedRecord? {
        let i = Int(offset.rawValue)
        return i >= 0 && i < records.count ? records[i] : nil
    }

    /// `PartitionLog.append`: the leader's append in `epoch`; false (nothing changes) when `epoch` is
    /// below the latest epoch of the log.
    mutating func appendAsLeader(_ ids: [UInt64], epoch: LeaderEpoch) -> Bool {
        if let latest = epochs.latestEpoch, epoch < latest { return false }
        epochs.assign(epoch: epoch, startOffset: logEndOffset)
        for id in ids { records.append(SimulatedRecord(epoch: epoch, id: id)) }
        return true
    }

    /// `PartitionLog.appendAsFollower`: records fetched from the leader, starting at `offset`; false
    /// (nothing changes) when they do not start at the log end or go back in epoch.
    mutating func appendAsFollower(_ fetched: [SimulatedRecord], at offset: LogOffset) -> Bool {
        guard !fetched.isEmpty else { return true }
        guard offset == logEndOffset else { return false }
        var latest = epochs.latestEpoch
        for record in fetched {
            if let latest, record.epoch < latest { return false }
            latest = record.epoch
        }
        for record in fetched {
            if record.epoch != epochs.latestEpoch { epochs.assign(epoch: record.epoch, startOffset: logEndOffset) }
            records.append(record)
        }
        return true
    }

    /// `PartitionLog.assignLeaderEpoch`: a new leader records where its epoch starts.
    mutating func assignLeaderEpoch(_ epoch: LeaderEpoch) {
        guard epoch.rawValue >= 0, epochs.latestEpoch.map({ epoch > $0 }) ?? true else { return }
        epochs.assign(epoch: epoch, startOffset: logEndOffset)
    }

    /// `PartitionLog.truncate(to:)`: drops the records at and after `offset`.
    mutating func truncate(to offset: LogOffset) {
        guard offset < logEndOffset else {
            // `PartitionLog.truncate`: an empty epoch of its own leadership leaves the cache.
            epochs.truncateFromEnd(logEndOffset)
            return
        }
        records.removeLast(records.count - Int(max(offset.rawValue, 0)))
        highWatermark = min(highWatermark, logEndOffset)
        epochs.truncateFromEnd(logEndOffset)
    }

    /// `PartitionLog.updateHighWatermark`: kept within the log.
    mutating func updateHighWatermark(_ offset: LogOffset) {
        highWatermark = min(max(offset, 0), logEndOffset)
    }

    /// Writes the high watermark checkpoint.
    mutating func checkpoint() {
        checkpointedHighWatermark = highWatermark
    }

    /// The process restarted: the log is reopened, the high watermark read back from the checkpoint
    /// (`PartitionLog.init`), the epoch cache cut to the log end.
    mutating func reopen() {
        highWatermark = min(checkpointedHighWatermark, logEndOffset)
        epochs.truncateFromEnd(logEndOffset)
    }
}
