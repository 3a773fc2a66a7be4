/// A topic's identity (KIP-516): Kafka's `Uuid`, 16 bytes, written as URL-safe base64 without padding
/// (22 characters). Partition logs carry it on disk so a log left behind by a deleted topic is never
/// served for a newer topic of the same name.
package struct TopicID: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes, most significant first.
    package let bytes: [UInt8]

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Parses Kafka's text form (`Uuid.fromString`): exactly 22 URL-safe base64 characters whose last
    /// one carries no stray bits. Nil for anything else, including the all-zero id (Kafka's
    /// `Uuid.ZERO_UUID`, which means "no id").
    package init?(base64 text: some StringProtocol) {
        let characters = Array(text.utf8)
        guard characters.count == 22 else { return nil }
        var sextets: [Int] = []
        sextets.reserveCapacity(22)
        for character in characters {
            guard let value = Self.alphabet.firstIndex(of: character) else { return nil }
            sextets.append(value)
        }
        // 22 sextets are 132 bits; the last 4 must be zero for the text to be canonical.
        guard sextets[21] & 0b1111 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var accumulator = 0
        var bits = 0
        for sextet in sextets {
            accumulator = (accumulator << 6 | sextet) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> bits))
            }
        }
        guard bytes.count == 16, bytes.contains(where: { $0 != 0 }) else { return nil }
        self.bytes = bytes
    }

    /// Kafka's text form.
    package var description: String { Self.text(of: bytes) }

    /// Kafka's text form of any `Uuid` bytes (`Uuid.toString`): URL-safe base64 without padding.
    package static func text(of bytes: [UInt8]) -> String {
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for byte in chunk { value = value << 8 | Int(byte) }
            value <<= 8 * (3 - chunk.count)
            for position in 0...chunk.count { result.append(alphabet[(value >> (18 - 6 * position)) & 63]) }
            index += 3
        }
        return String(decoding: result, as: UTF8.self)
    }
}

/// Kafka's `partition.metadata` (`PartitionMetadataFile.java`, KIP-516), one per partition directory:
///
///     version: 0
///     topic_id: <base64 uuid>
///
/// Each line is a key, a colon, whitespace, a value (Kafka splits on `:\s+`). Pure: callers do the
/// file I/O. The file is hostile input: anything but these two lines is refused with the file and
/// the field named.
package enum PartitionMetadataFile {
    package static let fileName = "partition.metadata"
    /// The only version Kafka has written.
    package static let version = 0
    /// The real file is about 42 bytes; anything much larger is refused before it is read.
    package static let maximumSize = 1024

    /// The file's text for `topicID`.
    package static func render(_ topicID: TopicID) -> String {
        "version: \(version)\ntopic_id: \(topicID)\n"
    }

    /// The topic id in `text`; `path` names the file in errors.
    package static func parse(_ text: String, path: String) throws(SegmentLogError) -> TopicID {
        // Split on the newline scalar: as Characters, "\r\n" would be one grapheme and never match "\n".
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            Substring(String(String.UnicodeScalarView($0)))
        }
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first else {
            throw .corruptPartitionMetadata(path: path, field: "version", detail: "empty file")
        }
        let version = try value(of: "version", in: first, path: path)
        guard Int(version) == Self.version else {
            throw .corruptPartitionMetadata(
                path: path, field: "version", detail: "unrecognised version \"\(version.prefix(32))\"")
        }
        guard lines.count == 2 else {
            throw .corruptPartitionMetadata(
                path: path, field: "topic_id", detail: "expected 2 lines, found \(lines.count)")
        }
        let text = try value(of: "topic_id", in: lines[1], path: path)
        guard let topicID = TopicID(base64: text) else {
            throw .corruptPartitionMetadata(
                path: path, field: "topic_id", detail: "\"\(text.prefix(32))\" is not a base64 topic id")
        }
        return topicID
    }

    /// The value after `key:` and at least one whitespace character on `line`.
    private static func value(of key: String, in line: Substring, path: String) throws(SegmentLogError) -> Substring {
        guard let colon = line.firstIndex(of: ":"), line[..<colon] == key else {
            throw .corruptPartitionMetadata(path: path, field: key, detail: "line does not start with \"\(key):\"")
        }
        let rest = line[line.index(after: colon)...]
        let value = rest.drop { $0 == " " || $0 == "\t" }
        guard value.startIndex != rest.startIndex, !value.isEmpty else {
            throw .corruptPartitionMetadata(path: path, field: key, detail: "missing value")
        }
        return value
    }
}

/// What to do with a partition directory's identity when the broker opens its log (Kafka's
/// `UnifiedLog` topic-id check on load and `LogManager` recreating logs of recreated topics). Pure.
package enum PartitionIdentity {
    /// What `partition.metadata` held.
    package enum Stored: Hashable, Sendable {
        /// No log directory, or one without the file (written before KIP-516, or just created).
        case absent
        case topicID(TopicID)
        /// Unreadable: the text of the error naming the file and field.
        case malformed(String)
    }

    /// The open decision.
    package enum Decision: Hashable, Sendable {
        /// Serve the log as it is.
        case keep
        /// Serve the log after writing `partition.metadata` with the ensemble's id.
        case writeMetadata
        /// The log belongs to an earlier topic of the same name (deleted and recreated while this
        /// broker was away): delete it, create an empty one, write the new id, then serve.
        case replace(stale: TopicID)
        /// The file cannot be read, so whose data this is is unknown: do not serve the log.
        case refuse(reason: String)
    }

    /// `expected` is the topic id in the ensemble (nil for topics written before KIP-516, which
    /// keep working without the check, as in Kafka).
    package static func decide(stored: Stored, expected: TopicID?) -> Decision {
        guard let expected else { return .keep }
        switch stored {
        case .absent: return .writeMetadata
        case .topicID(let id): return id == expected ? .keep : .replace(stale: id)
        case .malformed(let reason): return .refuse(reason: reason)
        }
    }
}
