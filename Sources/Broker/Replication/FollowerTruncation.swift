package import SegmentLog

/// Where a follower (or an old leader coming back) truncates its log before it fetches, from the
/// leader's answer to OffsetForLeaderEpoch (KIP-101, KIP-279; Kafka's
/// `AbstractFetcherThread.getOffsetTruncationState`). Pure.
///
/// The follower asks for its latest epoch; the leader answers with the largest epoch it knows at or
/// below that one and the offset where that epoch ended in its log. If the leader knows the same
/// epoch, the logs agree up to the smaller end offset of that epoch and truncation is complete. If
/// the leader answers with an older epoch, the follower drops what it wrote after its own end of
/// that epoch and asks again with its (now older) latest epoch, until both name the same epoch.
package enum FollowerTruncation {
    /// The leader's answer for one partition.
    package enum LeaderAnswer: Hashable, Sendable {
        /// The largest epoch the leader knows at or below the requested one, and where it ended.
        case epochEnd(epoch: LeaderEpoch, endOffset: LogOffset)
        /// The leader knows no such epoch (UNDEFINED_EPOCH_OFFSET): an old leader without epochs.
        case undefined
    }

    package struct Decision: Hashable, Sendable {
        /// Truncate the log to end here (nothing to do when it already ends at or below it).
        package var truncateTo: LogOffset
        /// Whether the logs now agree; false: truncate, then ask again with the new latest epoch.
        package var completed: Bool
    }

    /// - Parameters:
    ///   - epochs: the follower's leader-epoch cache.
    ///   - logEndOffset: the follower's log end offset.
    ///   - highWatermark: the follower's high watermark (the fallback for a leader without epochs).
    ///   - answer: the leader's answer to the follower's latest epoch.
    package static func decide(
        epochs: LeaderEpochCache, logEndOffset: LogOffset, highWatermark: LogOffset, answer: LeaderAnswer
    ) -> Decision {
        switch answer {
        case .undefined:
            // Kafka falls back to the high watermark: everything below it is committed on every ISR member.
            return Decision(truncateTo: min(highWatermark, logEndOffset), completed: true)
        case .epochEnd(let leaderEpoch, let leaderEnd):
            guard let own = epochs.endOffset(for: leaderEpoch, logEndOffset: logEndOffset) else {
                // The follower knows no epoch at or below the leader's: it has nothing the leader wrote
                // in that epoch's terms; keep what lies below the leader's end.
                return Decision(truncateTo: min(leaderEnd, logEndOffset), completed: true)
            }
            if own.epoch != leaderEpoch {
                // The follower never had the leader's epoch: drop what it wrote after its own older
                // epoch ended, then ask again.
                return Decision(truncateTo: min(own.startOffset, logEndOffset), completed: false)
            }
            return Decision(truncateTo: min(leaderEnd, own.startOffset, logEndOffset), completed: true)
        }
    }
}
