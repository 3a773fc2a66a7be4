package import JSON

/// A znode whose payload is not what Kafka writes there.
package enum ZkDataError: Error, Equatable, CustomStringConvertible {
    case malformed(path: String, reason: String)

    package var description: String {
        switch self {
        case .malformed(let path, let reason): "malformed data in \(path): \(reason)"
        }
    }
}

extension JSONValue {
    /// An object of string values with keys sorted (Kafka writes `java.util.Properties` so).
    package static func stringMap(_ map: [String: String]) -> JSONValue {
        .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    /// A list of broker ids as numbers.
    package static func brokerList(_ ids: [BrokerID]) -> JSONValue { .array(ids.map { .int($0.rawValue) }) }
}

/// A znode payload that must be a JSON object, with typed field accessors that throw `ZkDataError`
/// naming the path and the field. A repeated key reads as its last value (as Jackson reads it); a
/// `null` field is absent.
struct ZkJSONObject {
    let path: String
    let members: [JSONValue.Member]

    init(path: String, bytes: [UInt8]) throws(ZkDataError) {
        guard let members = (try? JSONValue.parse(bytes))?.members else {
            throw ZkDataError.malformed(path: path, reason: "not a JSON object")
        }
        self.init(path: path, members: members)
    }

    init(path: String, members: [JSONValue.Member]) {
        self.path = path
        self.members = members
    }

    /// The value of `key`; nil when absent or `null`.
    func value(_ key: String) -> JSONValue? {
        guard let value = members.last(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    func int(_ key: String) throws(ZkDataError) -> Int64 {
        guard let number = value(key)?.int64 else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not a whole number")
        }
        return number
    }

    func optionalInt(_ key: String) throws(ZkDataError) -> Int64? { value(key) == nil ? nil : try int(key) }

    func string(_ key: String) throws(ZkDataError) -> String {
        guard let text = value(key)?.string else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not a string")
        }
        return text
    }

    func optionalString(_ key: String) throws(ZkDataError) -> String? { value(key) == nil ? nil : try string(key) }

    func brokers(_ key: String) throws(ZkDataError) -> [BrokerID] { try Self.brokers(value(key), path: path, key: key) }

    func object(_ key: String) throws(ZkDataError) -> ZkJSONObject? {
        guard let value = value(key) else { return nil }
        guard let members = value.members else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an object")
        }
        return ZkJSONObject(path: path, members: members)
    }

    func stringArray(_ key: String) throws(ZkDataError) -> [String] {
        let texts = value(key)?.items?.map(\.string)
        guard let texts, texts.allSatisfy({ $0 != nil }) else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an array of strings")
        }
        return texts.compactMap { $0 }
    }

    /// An array of objects (the `partitions` list of `/admin/preferred_replica_election`).
    func objects(_ key: String) throws(ZkDataError) -> [ZkJSONObject] {
        let objects = value(key)?.items?.map(\.members)
        guard let objects, objects.allSatisfy({ $0 != nil }) else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an array of objects")
        }
        return objects.compactMap { $0.map { ZkJSONObject(path: path, members: $0) } }
    }

    /// Every member as a list of broker ids (the `partitions` / `adding_replicas` maps).
    func brokerLists() throws(ZkDataError) -> [String: [BrokerID]] {
        var result: [String: [BrokerID]] = [:]
        for (key, value) in members { result[key] = try Self.brokers(value, path: path, key: key) }
        return result
    }

    /// Every member as a string (the `config` map).
    func strings() throws(ZkDataError) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in members {
            guard let text = value.string else {
                throw ZkDataError.malformed(path: path, reason: "field \(key) is not a string")
            }
            result[key] = text
        }
        return result
    }

    private static func brokers(_ value: JSONValue?, path: String, key: String) throws(ZkDataError) -> [BrokerID] {
        guard let items = value?.items else {
            throw ZkDataError.malformed(path: path, reason: "field \(key) is not an array of broker ids")
        }
        var ids: [BrokerID] = []
        for item in items {
            guard let number = item.int64, let id = Int32(exactly: number) else {
                throw ZkDataError.malformed(path: path, reason: "field \(key) holds \(item.rendered()), not a broker id")
            }
            ids.append(BrokerID(id))
        }
        return ids
    }
}
