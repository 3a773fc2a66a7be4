/// The Kafka-compatible broker: registration, controller, partitions and the Kafka listener.
public enum BrokerModule {}
