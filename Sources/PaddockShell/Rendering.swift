package import JSON
package import ZooKeeperWire

/// How zkCli prints things, and Paddock's tables and JSON for the same values (pure).
package enum Render {
    /// The layout of JSON in the shell's output: two-space indentation, one member or item per line.
    package static let jsonLayout = JSONLayout.indented(by: 2)

    /// `0x` + lowercase hex, as ZooKeeper prints zxids and session ids.
    package static func hex(_ value: Int64) -> String { "0x" + String(UInt64(bitPattern: value), radix: 16) }

    /// Epoch milliseconds as Java's `Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`.
    package static func javaDate(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's days_from_civil inverse.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let time = "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))"
        return "\(weekdays[weekday]) \(months[Int(month) - 1]) \(two(day)) \(time) UTC \(year)"
    }

    /// A Stat the way zkCli prints it (`stat`, `get -s`, `ls -s`).
    package static func statText(_ stat: Stat) -> String {
        """
        cZxid = \(hex(stat.czxid))
        ctime = \(javaDate(milliseconds: stat.ctime))
        mZxid = \(hex(stat.mzxid))
        mtime = \(javaDate(milliseconds: stat.mtime))
        pZxid = \(hex(stat.pzxid))
        cversion = \(stat.cversion)
        dataVersion = \(stat.version)
        aclVersion = \(stat.aversion)
        ephemeralOwner = \(hex(stat.ephemeralOwner))
        dataLength = \(stat.dataLength)
        numChildren = \(stat.numChildren)
        """
    }

    /// A Stat as a JSON object, with zkCli's field names; zxids and the owner in hex.
    package static func statJSON(_ stat: Stat) -> JSONValue {
        .object([
            ("cZxid", .string(hex(stat.czxid))), ("ctime", .int(stat.ctime)),
            ("mZxid", .string(hex(stat.mzxid))), ("mtime", .int(stat.mtime)),
            ("pZxid", .string(hex(stat.pzxid))), ("cversion", .int(stat.cversion)),
            ("dataVersion", .int(stat.version)), ("aclVersion", .int(stat.aversion)),
            ("ephemeralOwner", .string(hex(stat.ephemeralOwner))), ("dataLength", .int(stat.dataLength)),
            ("numChildren", .int(stat.numChildren)),
        ])
    }

    /// Who owns a node, from its `ephemeralOwner`: a session id, or nothing for persistent nodes
    /// (containers and TTL nodes carry markers there, not sessions).
    package static func ephemeralOwner(_ stat: Stat) -> SessionID? {
        let owner = stat.ephemeralOwner
        guard owner != 0, owner != EphemeralOwner.container, EphemeralOwner.ttl(of: owner) == nil else { return nil }
        return SessionID(owner)
    }

    /// zkCli's list: `[a, b, c]`.
    package static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    /// Node data for people: JSON objects and arrays indented, other UTF-8 text as it is, anything
    /// else as hex.
    package static func data(_ bytes: [UInt8]) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return "<\(bytes.count) bytes> " + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
        if let document = JSONValue(parsing: text) {
            switch document {
            case .object, .array: return document.rendered(jsonLayout)
            default: break
            }
        }
        return text
    }

    /// Node data in JSON output: the parsed document when the data is JSON, else a string (UTF-8)
    /// or null for no data.
    package static func dataJSON(_ bytes: [UInt8]) -> JSONValue {
        guard !bytes.isEmpty else { return .null }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .object([("base64", .string(base64(bytes)))])
        }
        return JSONValue(parsing: text) ?? .string(text)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = Array(bytes[start..<min(start + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : "=")
            }
        }
        return out
    }

    /// An ACL as zkCli prints it: `'world,'anyone` then `: cdrwa`, one pair of lines per entry.
    package static func aclText(_ acl: [ACL]) -> String {
        acl.map { "'\($0.id.scheme),'\($0.id.id)\n: \(perms($0.perms))" }.joined(separator: "\n")
    }

    package static func aclJSON(_ acl: [ACL]) -> JSONValue {
        .array(acl.map {
            .object([("scheme", .string($0.id.scheme)), ("id", .string($0.id.id)), ("perms", .string(perms($0.perms)))])
        })
    }

    /// Permissions in zkCli's letters, in zkCli's order: `cdrwa`.
    package static func perms(_ perms: Perms) -> String {
        var out = ""
        if perms.contains(.create) { out += "c" }
        if perms.contains(.delete) { out += "d" }
        if perms.contains(.read) { out += "r" }
        if perms.contains(.write) { out += "w" }
        if perms.contains(.admin) { out += "a" }
        return out
    }

    /// A watch notification, in zkCli's words.
    package static func watchEvent(type: EventType, path: String) -> String {
        "WATCHER:: WatchedEvent state:SyncConnected type:\(eventName(type)) path:\(path)"
    }

    package static func eventName(_ type: EventType) -> String {
        switch type {
        case .none: "None"
        case .nodeCreated: "NodeCreated"
        case .nodeDeleted: "NodeDeleted"
        case .nodeDataChanged: "NodeDataChanged"
        case .nodeChildrenChanged: "NodeChildrenChanged"
        case .dataWatchRemoved: "DataWatchRemoved"
        case .childWatchRemoved: "ChildWatchRemoved"
        case .persistentWatchRemoved: "PersistentWatchRemoved"
        }
    }

    /// Columns padded to their widest cell, two spaces apart, no trailing blanks.
    package static func table(_ headers: [String], _ rows: [[String]]) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, cell) in cells.enumerated() {
                let isLast = column == cells.count - 1
                text += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            return text
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}
