/// Request frame payloads (the bytes after the 4-byte size) that real clients sent, and responses that
/// they accepted.
///
/// How they were produced (2025, this repository's phase-1 version ranges): a ~200-line Python responder
/// listened on 127.0.0.1, advertised `SupportedAPIs` in ApiVersions (answering v3+ with the KIP-511 v0
/// error-35 response), answered each supported request with a minimal hand-encoded success response
/// (one broker, node 0, topic "paddock-golden" with one partition, leader epoch 0), kept produced record
/// batches in memory to serve them to Fetch, and hex-dumped every request payload and every response
/// payload it sent. The clients:
///
/// - kcat 1.7.1 on librdkafka 2.0.2 (Debian bookworm `kcat`): `kcat -L -t paddock-golden`;
///   `kcat -P -t paddock-golden -p 0 -k key1` with stdin "hello paddock";
///   `kcat -C -t paddock-golden -p 0 -o beginning -c 1 -e`; `kcat -Q -t paddock-golden:0:1700000000000`;
///   `kcat -G paddock-group paddock-golden` (fails at JoinGroup, after FindCoordinator).
/// - kafka-python 3.0.12 (PyPI) with `client_id="paddock-golden"`: `KafkaProducer().send(...).get()`
///   (idempotent by default: InitProducerId, acks=-1); `KafkaConsumer(group_id=None)` with assign,
///   seek_to_beginning, one message, `offsets_for_times({tp: 1700000000000})`; `KafkaAdminClient`
///   create_topics("paddock-new", 3 partitions, RF 1, cleanup.policy=compact), describe_configs(topic),
///   delete_topics; a `KafkaConsumer(group_id="paddock-group")` (fails at JoinGroup, after FindCoordinator).
/// - kafka-python 2.0.2 (PyPI; also Debian's `python3-kafka`) with `client_id="paddock-golden"`: the same
///   producer and group-less consumer.
///
/// The responder is not kept in the repository; the broker's compatibility suite replaces it.
enum ClientFixtures {
    // MARK: - kcat 1.7.1 / librdkafka 2.0.2 requests

    /// ApiVersions v3 (flexible: header v2, compact strings "librdkafka" / "2.0.2"): must get the KIP-511
    /// answer.
    static let kcatApiVersionsV3 = "0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200"
    /// ApiVersions v0, librdkafka's retry after the KIP-511 answer.
    static let kcatApiVersionsV0 = "0012000000000002000772646b61666b61"
    /// Metadata v4 for ["paddock-golden"], allow_auto_topic_creation true (the producer).
    static let kcatMetadataV4 =
        "0003000400000003000772646b61666b6100000001000e706164646f636b2d676f6c64656e01"
    /// Metadata v4 for no topics (an empty array, not null), allow_auto_topic_creation false.
    static let kcatMetadataV4NoTopics = "0003000400000003000772646b61666b610000000000"
    /// Produce v7, acks -1, one 85-byte RecordBatch v2 with key "key1" and value "hello paddock".
    static let kcatProduceV7 =
        "0000000700000004000772646b61666b61ffffffff0000753000000001000e706164646f636b2d676f6c64656e0000000100"
        + "0000000000005500000000000000000000004900000000026853fe1f000000000000000001a1fdb9944f000001a1fdb9944f"
        + "ffffffffffffffffffffffffffff000000012e000000086b6579311a68656c6c6f20706164646f636b00"
    /// ListOffsets v2 for the earliest offset (timestamp -2), READ_COMMITTED.
    static let kcatListOffsetsV2Earliest =
        "0002000200000005000772646b61666b61ffffffff0100000001000e706164646f636b2d676f6c64656e0000000100000000"
        + "fffffffffffffffe"
    /// ListOffsets v2 for timestamp 1700000000000 (`kcat -Q`).
    static let kcatListOffsetsV2Time =
        "0002000200000004000772646b61666b61ffffffff0100000001000e706164646f636b2d676f6c64656e0000000100000000"
        + "0000018bcfe56800"
    /// Fetch v11 from offset 0, sessionless (session 0, epoch -1), READ_COMMITTED, rack "".
    static let kcatFetchV11 =
        "0001000b00000006000772646b61666b61ffffffff000001f400000001032000000100000000ffffffff00000001000e7061"
        + "64646f636b2d676f6c64656e0000000100000000ffffffff0000000000000000ffffffffffffffff00100000000000000000"
    /// FindCoordinator v2 for group "paddock-group".
    static let kcatFindCoordinatorV2 = "000a000200000004000772646b61666b61000d706164646f636b2d67726f757000"

    // MARK: - kafka-python 3.0.12 requests

    /// ApiVersions v4 (flexible, compact strings "kafka-python" / "3.0.12"): must get the KIP-511 answer.
    static let kafkaPython3ApiVersionsV4 =
        "0012000400000001000e706164646f636b2d676f6c64656e000d6b61666b612d707974686f6e07332e302e313200"
    /// ApiVersions v2 after the KIP-511 answer.
    static let kafkaPython3ApiVersionsV2 = "0012000200000002000e706164646f636b2d676f6c64656e"
    /// Metadata v7 for no topics, allow_auto_topic_creation true.
    static let kafkaPython3MetadataV7 = "0003000700000003000e706164646f636b2d676f6c64656e0000000001"
    /// InitProducerId v1 for an idempotent producer (null transactional id).
    static let kafkaPython3InitProducerIDV1 = "0016000100000002000e706164646f636b2d676f6c64656effff00000000"
    /// Produce v8, acks -1, one 87-byte idempotent RecordBatch v2 (producer id 1000).
    static let kafkaPython3ProduceV8 =
        "0000000800000003000e706164646f636b2d676f6c64656effffffff0000753000000001000e706164646f636b2d676f6c64"
        + "656e00000001000000000000005700000000000000000000004b0000000002a827d7a3000000000000000001a1fdb9a37d00"
        + "0001a1fdb9a37d00000000000003e80000000000000000000132000000046b322266726f6d206b61666b612d707974686f6e"
        + "00"
    /// ListOffsets v5 for the earliest offset, READ_UNCOMMITTED, current leader epoch -1.
    static let kafkaPython3ListOffsetsV5 =
        "0002000500000002000e706164646f636b2d676f6c64656effffffff0000000001000e706164646f636b2d676f6c64656e00"
        + "00000100000000fffffffffffffffffffffffe"
    /// Fetch v11 from offset 0, session 0 epoch 0 (asks for a new fetch session), READ_UNCOMMITTED.
    static let kafkaPython3FetchV11 =
        "0001000b00000003000e706164646f636b2d676f6c64656effffffff000001f40000000103200000000000000000000000"
        + "00000001000e706164646f636b2d676f6c64656e0000000100000000ffffffff0000000000000000ffffffffffffffff0010"
        + "0000000000000000"
    /// CreateTopics v4: "paddock-new", 3 partitions, RF 1, cleanup.policy=compact, timeout 30000.
    static let kafkaPython3CreateTopicsV4 =
        "0013000400000003000e706164646f636b2d676f6c64656e00000001000b706164646f636b2d6e657700000003000100000000"
        + "00000001000e636c65616e75702e706f6c6963790007636f6d706163740000753000"
    /// DescribeConfigs v3 for topic "paddock-golden", all keys.
    static let kafkaPython3DescribeConfigsV3 =
        "0020000300000004000e706164646f636b2d676f6c64656e0000000102000e706164646f636b2d676f6c64656effffffff0000"
    /// DeleteTopics v3 for "paddock-new", timeout 30000.
    static let kafkaPython3DeleteTopicsV3 =
        "0014000300000005000e706164646f636b2d676f6c64656e00000001000b706164646f636b2d6e657700007530"
    /// FindCoordinator v2 for group "paddock-group".
    static let kafkaPython3FindCoordinatorV2 =
        "000a000200000002000e706164646f636b2d676f6c64656e000d706164646f636b2d67726f757000"

    // MARK: - kafka-python 2.0.2 requests

    /// ApiVersions v0.
    static let kafkaPython2ApiVersionsV0 = "0012000000000001000e706164646f636b2d676f6c64656e"
    /// Metadata v0 with an empty topic array: all topics.
    static let kafkaPython2MetadataV0 = "0003000000000002000e706164646f636b2d676f6c64656e00000000"
    /// Metadata v1 with a null topic array: all topics.
    static let kafkaPython2MetadataV1AllTopics = "0003000100000003000e706164646f636b2d676f6c64656effffffff"
    /// Produce v7, acks 1, one 89-byte RecordBatch v2.
    static let kafkaPython2ProduceV7 =
        "0000000700000001000e706164646f636b2d676f6c64656effff00010000753000000001000e706164646f636b2d676f6c64"
        + "656e00000001000000000000005900000000000000000000004d00000000025ae90983000000000000000001a1fdb9e39e00"
        + "0001a1fdb9e39effffffffffffffffffffffffffff0000000136000000046b332666726f6d206b61666b612d707974686f6e"
        + "203200"
    /// ListOffsets v1 for the earliest offset.
    static let kafkaPython2ListOffsetsV1 =
        "0002000100000001000e706164646f636b2d676f6c64656effffffff00000001000e706164646f636b2d676f6c64656e0000"
        + "000100000000fffffffffffffffe"
    /// Fetch v4 from offset 0.
    static let kafkaPython2FetchV4 =
        "0001000400000002000e706164646f636b2d676f6c64656effffffff000001f400000001032000000000000001000e706164"
        + "646f636b2d676f6c64656e0000000100000000000000000000000000100000"

    // MARK: - Responses the clients accepted (payload: correlation id + body)

    /// The KIP-511 answer (ApiVersions v0, UNSUPPORTED_VERSION, our ranges) to correlation id 1; librdkafka
    /// 2.0.2 retried with v0, kafka-python 3.0.12 with v2. Since then the group APIs were added and
    /// InitProducerId went from 0–1 to 0–4.
    static let apiVersionsUnsupportedV0Response =
        "0000000100230000001a00000000000800010004000b00020001000500030000000700070001000200080000000800090000"
        + "0008000a00000004000b00000009000c00000004000d00000005000e00000005000f00000005001000000004001200000002"
        + "001300000004001400000003001600000004001700020003002000000003002500000001002a00000002002b00000001002d"
        + "00000000002e00000000002f00000000"
    /// ApiVersions v2, no error, throttle 0, to correlation id 2 (kafka-python 3.0.12); since then
    /// ControlledShutdown 1–2, CreatePartitions 0–1, ElectLeaders 0–1, AlterPartitionReassignments 0,
    /// ListPartitionReassignments 0 and the group APIs (FindCoordinator 0–4, OffsetCommit 0–8, OffsetFetch
    /// 0–8, JoinGroup 0–9, Heartbeat 0–4, LeaveGroup 0–5, SyncGroup 0–5, DescribeGroups 0–5, ListGroups 0–4,
    /// DeleteGroups 0–2, OffsetDelete 0) were added to the ranges, and InitProducerId went from 0–1 to 0–4.
    static let apiVersionsV2Response =
        "0000000200000000001a00000000000800010004000b00020001000500030000000700070001000200080000000800090000"
        + "0008000a00000004000b00000009000c00000004000d00000005000e00000005000f00000005001000000004001200000002"
        + "001300000004001400000003001600000004001700020003002000000003002500000001002a00000002002b00000001002d"
        + "00000000002e00000000002f0000000000000000"
    /// Metadata v4 to correlation id 3 (kcat): broker 0 at 127.0.0.1:39093, cluster "paddock-capture",
    /// controller 0, topic "paddock-golden" with partition 0 led by 0.
    static let metadataV4Response =
        "0000000300000000000000010000000000093132372e302e302e31000098b5ffff000f706164646f636b2d636170747572"
        + "6500000000000000010000000e706164646f636b2d676f6c64656e00000000010000000000000000000000000001000000"
        + "000000000100000000"
    /// Metadata v7, the same cluster, leader epoch 0 and no offline replicas (kafka-python 3.0.12).
    static let metadataV7Response =
        "0000000300000000000000010000000000093132372e302e302e31000098b5ffff000f706164646f636b2d636170747572"
        + "6500000000000000010000000e706164646f636b2d676f6c64656e000000000100000000000000000000000000000000"
        + "000100000000000000010000000000000000"
    /// Produce v7 to correlation id 4 (kcat): base offset 0, log append time -1, log start offset 0.
    static let produceV7Response =
        "0000000400000001000e706164646f636b2d676f6c64656e000000010000000000000000000000000000ffffffffffffffff"
        + "000000000000000000000000"
    /// Produce v8 to correlation id 3 (kafka-python 3.0.12): base offset 1, no record errors.
    static let produceV8Response =
        "0000000300000001000e706164646f636b2d676f6c64656e000000010000000000000000000000000001ffffffffffffffff"
        + "000000000000000000000000ffff00000000"
    /// InitProducerId v1 to correlation id 2: producer id 1000, epoch 0.
    static let initProducerIDV1Response = "0000000200000000000000000000000003e80000"
    /// CreateTopics v4 to correlation id 3: "paddock-new" created.
    static let createTopicsV4Response = "000000030000000000000001000b706164646f636b2d6e65770000ffff"
    /// DescribeConfigs v3 to correlation id 4: cleanup.policy=delete, DEFAULT_CONFIG (5), type STRING (2).
    static let describeConfigsV3Response =
        "0000000400000000000000010000ffff02000e706164646f636b2d676f6c64656e00000001000e636c65616e75702e706f"
        + "6c696379000664656c6574650005000000000002ffff"
    /// Fetch v11 to correlation id 6 (kcat): high watermark 1 and the record batch kcat produced.
    static let fetchV11Response =
        "000000060000000000000000000000000001000e706164646f636b2d676f6c64656e00000001000000000000000000000000"
        + "000100000000000000010000000000000000ffffffffffffffff0000005500000000000000000000004900000000020b1f33"
        + "c8000000000000000001a1fdba0b0a000001a1fdba0b0affffffffffffffffffffffffffff000000012e000000086b657931"
        + "1a68656c6c6f20706164646f636b00"
}
