package import ZooKeeperWire

// Parsers for the four-letter words' text (ZooKeeper's `server/command/*Command.java` formats, which
// Paddock's keeper writes too). Pure: text in, values out; unknown lines are skipped, so newer servers
// with extra fields still parse.

/// `srvr`: one member's role, zxid, load and latency.
package struct ServerReport: Hashable, Sendable {
    package var version: String
    package var mode: String
    package var zxid: Int64
    package var connections: Int
    package var outstanding: Int
    package var nodeCount: Int
    /// Request latency in ms as the server prints it (`min/avg/max`).
    package var latency: String

    /// Nil when the text is not a serving member's `srvr` (not serving, not whitelisted, ...).
    package init?(srvr text: String) {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimming(" ")
        }
        guard let mode = fields["Mode"], let zxidText = fields["Zxid"], let zxid = Self.parseHex(zxidText) else {
            return nil
        }
        self.version = fields["Zookeeper version"] ?? "unknown"
        self.mode = mode
        self.zxid = zxid
        self.connections = fields["Connections"].flatMap { Int($0) } ?? 0
        self.outstanding = fields["Outstanding"].flatMap { Int($0) } ?? 0
        self.nodeCount = fields["Node count"].flatMap { Int($0) } ?? 0
        self.latency = fields["Latency min/avg/max"] ?? "-"
    }

    /// `0x1a2b` (or plain decimal) as a number.
    static func parseHex(_ text: some StringProtocol) -> Int64? {
        if text.hasPrefix("0x") {
            return UInt64(text.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) }
        }
        return Int64(text)
    }
}

/// `mntr`: `key<TAB>value` lines, in the server's order.
package struct MonitorReport: Hashable, Sendable {
    package var entries: [(key: String, value: String)]

    package init(mntr text: String) {
        entries = text.split(whereSeparator: \.isNewline).compactMap { line in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            return (String(line[..<tab]), String(line[line.index(after: tab)...]))
        }
    }

    package subscript(key: String) -> String? { entries.first(where: { $0.key == key })?.value }

    package static func == (lhs: MonitorReport, rhs: MonitorReport) -> Bool {
        lhs.entries.map(\.key) == rhs.entries.map(\.key) && lhs.entries.map(\.value) == rhs.entries.map(\.value)
    }

    package func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

/// One line of `cons`: a client connection and, once it has one, its session.
package struct ConnectionReport: Hashable, Sendable {
    package var remote: String
    package var session: SessionID?
    /// Negotiated session timeout, ms.
    package var timeout: Int?
    package var lastOperation: String?
    package var lastZxid: Int64?
    package var received: Int
    package var sent: Int
    package var averageLatency: Int?

    /// Every connection `cons` lists (` /127.0.0.1:51258[1](queued=0,recved=8,sent=8,sid=0x1...)`).
    package static func parse(cons text: String) -> [ConnectionReport] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimming(" ")
            guard let bracket = trimmed.firstIndex(of: "["), let open = trimmed.firstIndex(of: "("),
                trimmed.hasSuffix(")")
            else { return nil }
            var fields: [String: String] = [:]
            for pair in trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)].split(separator: ",") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                fields[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            var remote = String(trimmed[..<bracket])
            if remote.hasPrefix("/") { remote.removeFirst() }
            return ConnectionReport(
                remote: remote,
                session: fields["sid"].flatMap { ServerReport.parseHex($0) }.map { SessionID($0) },
                timeout: fields["to"].flatMap { Int($0) },
                lastOperation: fields["lop"],
                lastZxid: fields["lzxid"].flatMap { ServerReport.parseHex($0) },
                received: fields["recved"].flatMap { Int($0) } ?? 0,
                sent: fields["sent"].flatMap { Int($0) } ?? 0,
                averageLatency: fields["avglat"].flatMap { Int($0) }
            )
        }
    }
}

/// `dump`: the sessions a member tracks and the ephemeral nodes each owns.
package struct DumpReport: Hashable, Sendable {
    /// Session ids, ascending; with their timeouts where the server prints them (Paddock does,
    /// ZooKeeper's leader prints expiry buckets instead).
    package var sessions: [SessionID: Int?]
    package var ephemerals: [SessionID: [String]]

    package init(dump text: String) {
        sessions = [:]
        ephemerals = [:]
        enum Section { case sessions, ephemerals, connections, other }
        var section = Section.other
        var owner: SessionID? = nil
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimming(" ")
            if line.hasPrefix("SessionTracker dump") || line.hasPrefix("Global Sessions") || line.hasPrefix("Session Sets") {
                section = .sessions
                continue
            }
            if line.hasPrefix("ephemeral nodes dump") {
                section = .ephemerals
                continue
            }
            if line.hasPrefix("Connections dump") {
                section = .connections
                continue
            }
            switch section {
            case .sessions:
                // Paddock: `0x1\t10000ms\t(expires in 9000ms)`; ZooKeeper: `\t0x1` under an expiry bucket.
                let parts = line.split(separator: "\t").map { $0.trimming(" \t") }.filter { !$0.isEmpty }
                guard let first = parts.first, first.hasPrefix("0x"), let id = ServerReport.parseHex(first) else { continue }
                let timeout = parts.count > 1 && parts[1].hasSuffix("ms") ? Int(parts[1].dropLast(2)) : nil
                sessions[SessionID(id)] = timeout
            case .ephemerals:
                let trimmed = line.trimming("\t ")
                if trimmed.hasPrefix("0x"), trimmed.hasSuffix(":"), let id = ServerReport.parseHex(trimmed.dropLast()) {
                    owner = SessionID(id)
                    ephemerals[SessionID(id), default: []] = []
                } else if trimmed.hasPrefix("/"), let owner {
                    ephemerals[owner, default: []].append(trimmed)
                }
            case .connections, .other:
                continue
            }
        }
    }
}

/// `wchc` (session → paths) and `wchp` (path → sessions) read into (session, path) pairs.
package enum WatchDump {
    package struct Entry: Hashable, Sendable, Comparable {
        package var session: SessionID
        package var path: String

        package init(session: SessionID, path: String) {
            self.session = session
            self.path = path
        }

        package static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.path, lhs.session.rawValue) < (rhs.path, rhs.session.rawValue)
        }
    }

    /// `wchc`: a session id line, then its watched paths indented.
    package static func parse(wchc text: String) -> [Entry] {
        parseGroups(text) { head, item in
            ServerReport.parseHex(head).map { Entry(session: SessionID($0), path: item) }
        }
    }

    /// `wchp`: a path line, then the watching session ids indented.
    package static func parse(wchp text: String) -> [Entry] {
        parseGroups(text) { head, item in
            ServerReport.parseHex(item).map { Entry(session: SessionID($0), path: head) }
        }
    }

    private static func parseGroups(_ text: String, _ entry: (String, String) -> Entry?) -> [Entry] {
        var entries: [Entry] = []
        var head: String? = nil
        for line in text.split(whereSeparator: \.isNewline) {
            let item = line.trimming("\t ")
            guard !item.isEmpty else { continue }
            if line.first == "\t" || line.first == " " {
                if let head, let made = entry(head, item) { entries.append(made) }
            } else {
                head = item
            }
        }
        return entries
    }
}

extension StringProtocol {
    /// Self without leading and trailing characters from `set`.
    func trimming(_ set: String) -> String {
        let blanks = Set(set)
        var slice = Substring(self)
        while let first = slice.first, blanks.contains(first) { slice.removeFirst() }
        while let last = slice.last, blanks.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
