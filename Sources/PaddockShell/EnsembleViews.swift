package import JSON
package import ZooKeeperWire

/// What one member answered to the four-letter words a command asked it (nil: no usable answer).
package struct MemberAnswers: Sendable {
    package var member: String
    /// The word → the text it returned; a word missing here failed.
    package var replies: [String: String]
    /// Why the member could not be asked (unreachable), if so.
    package var failure: String?

    package init(member: String, replies: [String: String], failure: String? = nil) {
        self.member = member
        self.replies = replies
        self.failure = failure
    }

    /// A reply that says the word is not whitelisted counts as no reply.
    func reply(_ word: String) -> String? {
        guard let text = replies[word], !text.contains("is not executed because it is not in the whitelist") else {
            return nil
        }
        return text
    }
}

/// A printable result: text for people, JSON for scripts.
package struct Rendered: Sendable {
    package var text: String
    package var json: JSONValue

    package init(text: String, json: JSONValue) {
        self.text = text
        self.json = json
    }
}

/// The watch kinds this shell's own session set (`get -w`, `ls -w`, `addWatch`...), which the
/// four-letter words do not tell; other sessions' kinds are unknown. Pure bookkeeping.
package struct OwnWatches: Sendable {
    package enum Kind: String, Sendable, Comparable {
        case data, child, exist, persistent, persistentRecursive = "persistent-recursive"
        package static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    package private(set) var kinds: [String: Set<Kind>] = [:]

    package init() {}

    package mutating func added(_ kind: Kind, on path: String) {
        kinds[path, default: []].insert(kind)
    }

    /// A one-shot watch fired (or was removed) with `event`: forget what it consumed.
    package mutating func eventReceived(_ event: EventType, path: String) {
        var set = kinds[path] ?? []
        switch event {
        case .nodeDataChanged, .nodeCreated: set.subtract([.data, .exist])
        case .nodeChildrenChanged: set.remove(.child)
        case .nodeDeleted: set.subtract([.data, .exist, .child])
        case .dataWatchRemoved: set.subtract([.data, .exist])
        case .childWatchRemoved: set.remove(.child)
        case .persistentWatchRemoved: set.subtract([.persistent, .persistentRecursive])
        case .none: break
        }
        kinds[path] = set.isEmpty ? nil : set
    }

    /// All of them, e.g. after the session is gone.
    package mutating func removeAll() { kinds = [:] }
}

/// The tables of `ensemble`, `watches` and `sessions`, built from the members' answers (pure).
package enum EnsembleViews {
    /// `ensemble`: each member's role, zxid, connections, latency and lag behind the leader (zxid
    /// counter difference within the leader's epoch).
    package static func ensemble(_ answers: [MemberAnswers]) -> Rendered {
        let reports = answers.map { answer in answer.reply("srvr").flatMap { ServerReport(srvr: $0) } }
        let leader = reports.compactMap { $0 }.first(where: { $0.mode == "leader" || $0.mode == "standalone" })
        var rows: [[String]] = []
        var json: [JSONValue] = []
        for (answer, report) in zip(answers, reports) {
            let mntr = answer.reply("mntr").map { MonitorReport(mntr: $0) }
            guard let report else {
                let why = answer.failure ?? (answer.replies["srvr"].map { firstLine($0) } ?? "no answer")
                rows.append([answer.member, "down", "-", "-", "-", "-", "-", why])
                json.append(.object([("member", .string(answer.member)), ("mode", .string("down")), ("error", .string(why))]))
                continue
            }
            let lag = lag(of: report, leader: leader)
            let sessions = mntr?["zk_global_sessions"] ?? "-"
            rows.append([
                answer.member, report.mode, Render.hex(report.zxid), String(report.connections), sessions, report.latency,
                lag.map(String.init) ?? "?", report.version,
            ])
            json.append(.object([
                ("member", .string(answer.member)), ("mode", .string(report.mode)),
                ("zxid", .string(Render.hex(report.zxid))), ("connections", .int(report.connections)),
                ("sessions", mntr?["zk_global_sessions"].map { JSONNumber(text: $0).map(JSONValue.number) ?? .string($0) } ?? .null),
                ("latency", .string(report.latency)), ("outstanding", .int(report.outstanding)),
                ("nodes", .int(report.nodeCount)), ("lag", lag.map(JSONValue.int) ?? .null),
                ("version", .string(report.version)),
            ]))
        }
        let text = Render.table(
            ["MEMBER", "MODE", "ZXID", "CONNECTIONS", "SESSIONS", "LATENCY MIN/AVG/MAX", "LAG", "VERSION"], rows)
        return Rendered(text: text, json: .array(json))
    }

    /// Transactions `report` is behind `leader`; nil when unknown (no leader, or another epoch).
    static func lag(of report: ServerReport, leader: ServerReport?) -> Int64? {
        guard let leader else { return nil }
        let mine = Zxid(report.zxid)
        let theirs = Zxid(leader.zxid)
        guard mine.epoch == theirs.epoch else { return nil }
        return max(0, Int64(theirs.counter) - Int64(mine.counter))
    }

    /// `watches [PATH]`: every (member, session, path) from `wchc` and `wchp`, with the client address
    /// from `cons` and the kind where known (this shell's own watches).
    package static func watches(
        _ answers: [MemberAnswers], filter: String?, ownSession: SessionID?, own: OwnWatches
    ) -> Rendered {
        var rows: [[String]] = []
        var json: [JSONValue] = []
        var failures: [String] = []
        for answer in answers {
            guard answer.reply("wchc") != nil || answer.reply("wchp") != nil else {
                failures.append("\(answer.member): \(answer.failure ?? "wchc/wchp not answered (4lw.commands.whitelist?)")")
                continue
            }
            let entries = Set(
                WatchDump.parse(wchc: answer.reply("wchc") ?? "") + WatchDump.parse(wchp: answer.reply("wchp") ?? "")
            ).filter { matches($0.path, filter) }.sorted()
            let clients = clientsBySession(answer)
            for entry in entries {
                let isOwn = entry.session == ownSession
                let kind = isOwn ? (own.kinds[entry.path]?.sorted().map(\.rawValue).joined(separator: ",") ?? "-") : "-"
                let client = (clients[entry.session] ?? "-") + (isOwn ? " (this shell)" : "")
                rows.append([answer.member, entry.session.description, entry.path, kind, client])
                json.append(.object([
                    ("member", .string(answer.member)), ("session", .string(entry.session.description)),
                    ("path", .string(entry.path)), ("kind", kind == "-" ? .null : .string(kind)),
                    ("client", .optional(clients[entry.session])), ("own", .bool(isOwn)),
                ]))
            }
        }
        var text = rows.isEmpty ? "No watches" + (filter.map { " on \($0) or below" } ?? "") : Render.table(
            ["MEMBER", "SESSION", "PATH", "KIND", "CLIENT"], rows)
        for failure in failures { text += "\nunavailable: \(failure)" }
        return Rendered(text: text, json: .array(json))
    }

    /// `sessions [PATH]`: connected sessions per member (`cons`) with timeouts and the ephemerals each
    /// owns (`dump`); with a path, only the sessions owning ephemerals at or under it, and those paths.
    package static func sessions(_ answers: [MemberAnswers], filter: String?) -> Rendered {
        var ephemerals: [SessionID: Set<String>] = [:]
        var timeouts: [SessionID: Int] = [:]
        for answer in answers {
            guard let dump = answer.reply("dump").map({ DumpReport(dump: $0) }) else { continue }
            for (session, paths) in dump.ephemerals { ephemerals[session, default: []].formUnion(paths) }
            for case (let session, let timeout?) in dump.sessions { timeouts[session] = timeout }
        }
        var rows: [[String]] = []
        var json: [JSONValue] = []
        var seen: Set<SessionID> = []
        var failures: [String] = []
        func add(member: String, session: SessionID, connection: ConnectionReport?, timeout: Int?) {
            let client = connection?.remote
            let lastOp = connection?.lastOperation
            let owned = (ephemerals[session] ?? []).filter { matches($0, filter) }.sorted()
            if filter != nil && owned.isEmpty { return }
            seen.insert(session)
            let shown = filter == nil ? String(owned.count) : owned.joined(separator: " ")
            rows.append([
                member, session.description, client ?? "-", timeout.map { "\($0)ms" } ?? "-", lastOp ?? "-", shown,
            ])
            json.append(.object([
                ("member", .string(member)), ("session", .string(session.description)),
                ("client", .optional(client)), ("timeoutMs", timeout.map(JSONValue.int) ?? .null),
                ("lastOperation", .optional(lastOp)),
                ("lastZxid", .optional(connection?.lastZxid.map(Render.hex))),
                ("averageLatencyMs", connection?.averageLatency.map { JSONValue.int($0) } ?? .null),
                ("packetsReceived", connection.map { JSONValue.int($0.received) } ?? .null),
                ("packetsSent", connection.map { JSONValue.int($0.sent) } ?? .null),
                ("ephemerals", .array(owned.map(JSONValue.string))),
            ]))
        }
        for answer in answers {
            guard let cons = answer.reply("cons") else {
                failures.append("\(answer.member): \(answer.failure ?? "cons not answered (4lw.commands.whitelist?)")")
                continue
            }
            for connection in ConnectionReport.parse(cons: cons) {
                guard let session = connection.session else { continue }
                add(member: answer.member, session: session, connection: connection, timeout: connection.timeout ?? timeouts[session])
            }
        }
        // Sessions that own ephemerals but are connected to no member asked (moving, or about to expire).
        for session in ephemerals.keys.sorted() where !seen.contains(session) {
            add(member: "-", session: session, connection: nil, timeout: timeouts[session])
        }
        let last = filter == nil ? "EPHEMERALS" : "EPHEMERALS UNDER \(filter!)"
        var text = rows.isEmpty ? "No sessions" + (filter.map { " own ephemerals under \($0)" } ?? "") : Render.table(
            ["MEMBER", "SESSION", "CLIENT", "TIMEOUT", "LAST OP", last], rows)
        for failure in failures { text += "\nunavailable: \(failure)" }
        return Rendered(text: text, json: .array(json))
    }

    private static func clientsBySession(_ answer: MemberAnswers) -> [SessionID: String] {
        var clients: [SessionID: String] = [:]
        for connection in ConnectionReport.parse(cons: answer.reply("cons") ?? "") {
            if let session = connection.session { clients[session] = connection.remote }
        }
        return clients
    }

    /// `path` is `filter` or below it (every path when there is no filter).
    static func matches(_ path: String, _ filter: String?) -> Bool {
        guard let filter, filter != "/" else { return true }
        return path == filter || path.hasPrefix(filter + "/")
    }

    private static func firstLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "empty answer"
    }
}
