/// Kafka's topic name rules (`org.apache.kafka.common.internals.Topic.validate`).
package enum TopicName {
    package static let maxLength = 249

    /// The reason `name` is illegal, nil when it is legal.
    package static func problem(_ name: String) -> String? {
        if name.isEmpty { return "Topic name is illegal, it can't be empty" }
        if name == "." || name == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if name.utf8.count > maxLength {
            // Quotes only the start: the whole name can pass what a response string may carry.
            return "Topic name is illegal, it can't be longer than \(maxLength) characters, topic name: "
                + "\(name.prefix(maxLength))..."
        }
        let legal = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
        }
        if !legal {
            return "Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        }
        return nil
    }

    /// Names that clash in metric names (`Topic.hasCollision`: `.` and `_` are the same there).
    package static func collides(_ a: String, _ b: String) -> Bool {
        a != b && unifyCollisionChars(a) == unifyCollisionChars(b)
    }

    private static func unifyCollisionChars(_ name: String) -> String { String(name.map { $0 == "." ? "_" : $0 }) }
}
