import Foundation
import Testing

@testable import KafkaZooKeeper

/// Our encoders' output against the JSON Schemas in `Schemas/kafka/`: required fields, no unknown
/// fields, JSON types, `const`, `enum` and `pattern`. A small checker for the keywords we use.
@Suite struct ZkPayloadSchemaTests {
    static let schemaDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas/kafka")

    static let samples: [(schema: String, payload: [UInt8])] = [
        ("cluster-id", ClusterIDPayload.encode("AAAAAAAAAAAAAAAAAAAAAQ")),
        (
            "broker-registration",
            BrokerRegistration(id: 1, endpoints: [Endpoint(listenerName: "PLAINTEXT", host: "h", port: 9092)], rack: nil, timestamp: 1).encode()
        ),
        (
            "broker-registration",
            BrokerRegistration(id: 1, endpoints: [Endpoint(listenerName: "INTERNAL", host: "h", port: 9092)], rack: "r", timestamp: 1).encode()
        ),
        ("topic-assignment", TopicAssignment(partitions: [0: [1, 2], 1: [2, 1]], topicID: "AAAAAAAAAAAAAAAAAAAAAQ").encode()),
        ("partition-state", PartitionState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 1).encode()),
        ("partition-state", PartitionState(leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: 1, recovering: true).encode()),
        ("controller", ControllerPayload.encode(brokerID: 1, timestamp: 1_700_000_000_000)),
        ("entity-config", EntityConfigPayload.encode(["retention.ms": "1000"])),
        ("feature", FeaturePayload.encodeEnabledWithoutFeatures()),
    ]

    @Test(arguments: 0..<samples.count)
    func encoderOutputMatchesSchema(index: Int) throws {
        let (name, payload) = Self.samples[index]
        let schemaData = try Data(contentsOf: Self.schemaDirectory.appendingPathComponent("\(name).schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let value = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect(Self.violations(of: schema, in: value).isEmpty, "\(name): \(Self.violations(of: schema, in: value))")
    }

    @Test func checkerReportsMissingAndMistypedFields() throws {
        let schemaData = try Data(contentsOf: Self.schemaDirectory.appendingPathComponent("partition-state.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let bad: [String: Any] = ["leader": "1", "version": 2, "leader_epoch": 0, "isr": [1], "extra": true]
        #expect(
            Set(Self.violations(of: schema, in: bad)) == [
                "missing controller_epoch", "leader: not integer", "version: not 1", "unknown field extra",
            ])
    }

    static func violations(of schema: [String: Any], in object: [String: Any]) -> [String] {
        var problems: [String] = []
        let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
        for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("missing \(key)") }
        for (key, value) in object {
            guard let property = properties[key] else {
                problems.append("unknown field \(key)")
                continue
            }
            let types = (property["type"] as? [String]) ?? (property["type"] as? String).map { [$0] } ?? []
            if !types.isEmpty, !types.contains(where: { matches(value, type: $0) }) {
                problems.append("\(key): not \(types.joined(separator: "|"))")
                continue
            }
            if let constant = property["const"], !same(value, constant) { problems.append("\(key): not \(constant)") }
            if let options = property["enum"] as? [Any], !options.contains(where: { same(value, $0) }) {
                problems.append("\(key): not one of \(options)")
            }
            if let pattern = property["pattern"] as? String, let text = value as? String,
                text.range(of: pattern, options: .regularExpression) == nil
            {
                problems.append("\(key): \"\(text)\" does not match \(pattern)")
            }
        }
        return problems
    }

    private static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "string": return value is String
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "integer":
            // JSON true/false come back as NSNumbers too, of ObjC type "c" (char).
            guard !(value is String), let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        default: return false
        }
    }

    private static func same(_ value: Any, _ expected: Any) -> Bool {
        if let text = expected as? String { return value as? String == text }
        guard !(value is String), let number = value as? NSNumber, let wanted = expected as? NSNumber else { return false }
        return number == wanted
    }
}
