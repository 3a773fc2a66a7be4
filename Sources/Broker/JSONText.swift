import Foundation
import ServerSupport

/// A JSON value written with its object keys in a chosen order: Kafka's znodes are compared byte for
/// byte in our golden tests and by people reading them in a shell, so we write them in the order a
/// real Kafka broker does. Decoding goes through `JSONSerialization`.
package indirect enum JSONText: Equatable, Sendable {
    case int(Int64)
    case string(String)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    package static func == (lhs: JSONText, rhs: JSONText) -> Bool { lhs.rendered == rhs.rendered }

    /// Compact JSON, as Jackson's default writer produces it (no spaces).
    package var rendered: String {
        switch self {
        case .int(let value): return String(value)
        case .null: return "null"
        case .string(let value): return Self.quote(value)
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quote($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    package var bytes: [UInt8] { Array(rendered.utf8) }

    /// An object of string values with keys sorted (Kafka writes `java.util.Properties`).
    package static func stringMap(_ map: [String: String]) -> JSONText {
        .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    package static func brokerList(_ ids: [BrokerID]) -> JSONText { .array(ids.map { .int(Int64($0.rawValue)) }) }

    private static func quote(_ text: String) -> String { JSONString.quoted(text) }
}

/// A parsed znode payload: a JSON object read with `JSONSerialization`, with typed field accessors
/// that throw `ZkDataError` naming the path and field.
package struct JSONObjectReader {
    let path: String
    let object: [String: Any]

    package init(path: String, bytes: [UInt8]) throws(ZkDataError) {
        self.path = path
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ZkDataError.malformed(path: path, reason: "not a JSON object")
        }
        self.object = parsed
    }

    init(path: String, object: [String: Any]) {
        self.path = path
        self.object = object
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func int(_ key: String) throws(ZkDataError) -> Int64 {
        guard let number = Self.integer(object[key]) else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not a whole number")
        }
        return number
    }

    func optionalInt(_ key: String) throws(ZkDataError) -> Int64? { has(key) ? try int(key) : nil }

    func string(_ key: String) throws(ZkDataError) -> String {
        guard let text = object[key] as? String else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not a string")
        }
        return text
    }

    func optionalString(_ key: String) throws(ZkDataError) -> String? { has(key) ? try string(key) : nil }

    func brokers(_ key: String) throws(ZkDataError) -> [BrokerID] { try Self.brokers(object[key], path: path, key: key) }

    func object(_ key: String) throws(ZkDataError) -> JSONObjectReader? {
        guard has(key) else { return nil }
        guard let nested = object[key] as? [String: Any] else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an object")
        }
        return JSONObjectReader(path: path, object: nested)
    }

    func stringArray(_ key: String) throws(ZkDataError) -> [String] {
        guard let items = object[key] as? [String] else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an array of strings")
        }
        return items
    }

    /// An array of objects (the `partitions` list of `/admin/preferred_replica_election`).
    func objects(_ key: String) throws(ZkDataError) -> [JSONObjectReader] {
        guard let items = object[key] as? [[String: Any]] else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an array of objects")
        }
        return items.map { JSONObjectReader(path: path, object: $0) }
    }

    /// Every member as a list of broker ids (the `partitions` / `adding_replicas` maps).
    func brokerLists() throws(ZkDataError) -> [String: [BrokerID]] {
        var result: [String: [BrokerID]] = [:]
        for (key, value) in object { result[key] = try Self.brokers(value, path: path, key: key) }
        return result
    }

    /// Every member as a string (the `config` map).
    func strings() throws(ZkDataError) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in object {
            guard let text = value as? String else {
                throw ZkDataError.malformed(path: path, reason: "field \(key) is not a string")
            }
            result[key] = text
        }
        return result
    }

    private static func brokers(_ value: Any?, path: String, key: String) throws(ZkDataError) -> [BrokerID] {
        guard let items = value as? [Any] else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an array of broker ids")
        }
        var ids: [BrokerID] = []
        for item in items {
            guard let number = integer(item), let id = Int32(exactly: number) else {
                throw ZkDataError.malformed(path: path, reason: "field \(key) holds \(item), not a broker id")
            }
            ids.append(BrokerID(id))
        }
        return ids
    }

    /// A JSON number without a fraction (Foundation hands numbers back as `Int` or `NSNumber`).
    private static func integer(_ value: Any?) -> Int64? {
        switch value {
        case let value as Int: return Int64(value)
        case let value as Int64: return value
        case let value as NSNumber where !(value is Bool):
            let double = value.doubleValue
            return double.rounded() == double ? value.int64Value : nil
        default: return nil
        }
    }
}

/// A znode whose payload is not what Kafka writes there.
package enum ZkDataError: Error, Equatable, CustomStringConvertible {
    case malformed(path: String, reason: String)

    package var description: String {
        switch self {
        case .malformed(let path, let reason): "malformed data in \(path): \(reason)"
        }
    }
}
