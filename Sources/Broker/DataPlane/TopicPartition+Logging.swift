import Logging
import SegmentLog

extension TopicPartition {
    /// `kafka.topic` and `kafka.partition` (STYLE.md §8), plus `extra`.
    func logMetadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        extra.merging(["kafka.topic": "\(topic)", "kafka.partition": "\(partition)"]) { $1 }
    }
}
