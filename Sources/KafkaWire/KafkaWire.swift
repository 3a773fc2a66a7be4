/// Kafka wire protocol (DESIGN.md "Layout"): request/response codecs and RecordBatch v2. Pure:
/// no sockets, files or clocks.
public enum KafkaWire {}
