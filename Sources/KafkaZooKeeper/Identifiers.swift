/// A Kafka broker id (`broker.id`): a non-negative Int32 in ZooKeeper mode, `-1` meaning "no leader"
/// in partition state (`LeaderAndIsr.NoLeader`).
package struct BrokerID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    package var rawValue: Int32

    package init(_ rawValue: Int32) { self.rawValue = rawValue }
    package init(integerLiteral value: Int32) { self.rawValue = value }

    /// `leader: -1` in `/brokers/topics/<t>/partitions/<p>/state`: the partition has no leader.
    package static let noLeader = BrokerID(-1)

    package static func < (lhs: BrokerID, rhs: BrokerID) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { String(rawValue) }
}

/// One listener or advertised listener: `NAME://host:port` (`EndPoint.createEndPoint`). An empty
/// host means "all interfaces" when binding and "this machine's host name" when advertised.
package struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The listener name (`PLAINTEXT`, or a custom name mapped in `listener.security.protocol.map`).
    package var listenerName: String
    package var host: String
    package var port: Int

    package init(listenerName: String, host: String, port: Int) {
        self.listenerName = listenerName
        self.host = host
        self.port = port
    }

    /// `EndPoint.connectionString`: IPv6 hosts in brackets.
    package var description: String { "\(listenerName)://\(address)" }

    /// `host:port` as a client dials it (a bootstrap server): IPv6 hosts in brackets.
    package var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `NAME://host:port` (host may be empty or a bracketed IPv6 literal); nil when malformed.
    package init?(parsing text: String) {
        guard let separator = text.firstRange(of: "://") else { return nil }
        let name = String(text[..<separator.lowerBound])
        let address = text[separator.upperBound...]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }),
            let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { return nil }
            host = String(host.dropFirst().dropLast())
        }
        self.init(listenerName: name.uppercased(), host: host, port: port)
    }
}
