import SegmentLog
import Testing

@testable import KafkaZooKeeper

/// Issue 11: a znode is input. Each hostile payload below is refused with one `ZkDataError` naming
/// the znode, never accepted with values that trap later (ports, ids, epochs at `Int32.max`).
@Suite struct HostileZkPayloadTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static func registration(_ endpoints: String, host: String = "h", port: Int = 9092) -> [UInt8] {
        bytes(#"{"endpoints":[\#(endpoints)],"jmx_port":-1,"port":\#(port),"host":"\#(host)","version":5}"#)
    }

    @Test(arguments: [
        registration(#""PLAINTEXT://h:0""#),
        registration(#""PLAINTEXT://h:65536""#),
        registration(#""PLAINTEXT://h:-1""#),
        registration(#""PLAINTEXT://:9092""#),
        registration(#""PLAINTEXT://\#(String(repeating: "a", count: 300)):9092""#),
        registration(#""PLAINTEXT://a b:9092""#),
        registration(""),
        bytes(#"{"host":"h","port":0,"version":1}"#),
        bytes(#"{"host":"h","port":99999999999999,"version":1}"#),
        bytes(#"{"host":"h","port":1e300,"version":1}"#),
        bytes("not json"),
        bytes("[]"),
    ])
    func badBrokerRegistrationIsRefused(payload: [UInt8]) {
        #expect(throws: ZkDataError.self) { try BrokerRegistration.decode(id: 3, payload) }
    }

    @Test func goodBrokerRegistrationStillDecodes() throws {
        let decoded = try BrokerRegistration.decode(id: 3, Self.registration(#""PLAINTEXT://127.0.0.1:9092""#))
        #expect(decoded.endpoints == [Endpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9092)])
    }

    @Test(arguments: [
        #"{"partitions":{},"version":3}"#,
        #"{"partitions":{"0":[]},"version":3}"#,
        #"{"partitions":{"0":[-1]},"version":3}"#,
        #"{"partitions":{"0":[1,1]},"version":3}"#,
        #"{"partitions":{"2147483648":[1]},"version":3}"#,
        #"{"partitions":{"0":[4294967296]},"version":3}"#,
        #"{"partitions":{"-1":[1]},"version":3}"#,
    ])
    func badTopicAssignmentIsRefused(payload: String) {
        #expect(throws: ZkDataError.self) { try TopicAssignment.decode(topic: "t", Self.bytes(payload)) }
    }

    @Test(arguments: [
        #"{"controller_epoch":1,"leader":-2,"version":1,"leader_epoch":0,"isr":[1]}"#,
        #"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":-1,"isr":[1]}"#,
        #"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":2147483647,"isr":[1]}"#,
        #"{"controller_epoch":2147483647,"leader":1,"version":1,"leader_epoch":0,"isr":[1]}"#,
        #"{"controller_epoch":-1,"leader":1,"version":1,"leader_epoch":0,"isr":[1]}"#,
        #"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[-5]}"#,
        #"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,1]}"#,
        #"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":4294967296,"isr":[1]}"#,
    ])
    func badPartitionStateIsRefused(payload: String) {
        #expect(throws: ZkDataError.self) {
            try PartitionState.decode(TopicPartition("t", 0), Self.bytes(payload))
        }
    }

    @Test func badControllerAndControllerEpochAreRefused() {
        #expect(throws: ZkDataError.self) { try ControllerPayload.decode(Self.bytes(#"{"version":2,"brokerid":-4}"#)) }
        #expect(throws: ZkDataError.self) {
            try ControllerPayload.decode(Self.bytes(#"{"version":2,"brokerid":9999999999}"#))
        }
        #expect(throws: ZkDataError.self) { try ControllerEpochPayload.decode(Self.bytes("2147483647")) }
        #expect(throws: ZkDataError.self) { try ControllerEpochPayload.decode(Self.bytes("-3")) }
        #expect(throws: ZkDataError.self) {
            try ProducerIDBlock.decode(
                Self.bytes(#"{"version":1,"broker":1,"block_start":"0","block_end":"9223372036854775807"}"#))
        }
    }
}
