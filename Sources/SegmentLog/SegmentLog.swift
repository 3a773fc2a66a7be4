/// Broker partition logs in Kafka's on-disk layout: segments, indexes, recovery, retention.
public enum SegmentLogModule {}
