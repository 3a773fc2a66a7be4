import Foundation
package import ZNodeTree

/// One `server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]` line.
package struct ServerEntry: Hashable, Sendable {
    package var id: Int
    package var host: String
    package var quorumPort: Int
    package var electionPort: Int
    package var role: String
    package var clientHost: String?
    package var clientPort: Int?
}

/// What one client connection may hold (issue 11: hostile input on the client port).
package struct ClientLimits: Sendable {
    package var outstandingRequests: Int
    package var sessionlessTimeoutMillis: Int
    package var maxAuthIds: Int
    package var maxAuthBytes: Int
}

/// A keeper member's configuration, read from ZooKeeper's own `zoo.cfg` format
/// (admin guide "Configuration Parameters"), so a file that starts Apache ZooKeeper starts Paddock.
package struct KeeperConfiguration: Sendable {
    package var tickTime = 3000
    package var initLimit = 10
    package var syncLimit = 5
    package var dataDir = ""
    package var dataLogDir: String?
    package var clientPort: Int?
    package var clientPortAddress: String?
    package var maxClientCnxns = 60
    package var minSessionTimeout: Int?
    package var maxSessionTimeout: Int?
    package var fourLetterWhitelist: Set<String> = ["srvr"]
    package var servers: [ServerEntry] = []
    package var myid: Int = 0
    package var superDigest: String?
    package var extendedTypesEnabled = false
    package var skipACL = false
    /// `jute.maxbuffer` (ZooKeeper's key and default, 0xfffff): the largest request frame accepted.
    /// At most 512 MiB here (a request becomes one SQLite row, and SQLite's default blob limit is
    /// 1,000,000,000 bytes) and at most half of `paddock.peerMaxFrameBytes` (a follower forwards a
    /// request to the leader whole, and an append carries it whole): otherwise a client's large
    /// request could not be stored or replicated, failing the member's storage or its links.
    package var juteMaxBuffer = 0xfffff
    /// `paddock.maxReplyBytes`: the largest reply a member sends. A bigger one (a multiRead of many
    /// reads of a large node, a getChildren of a huge child list) closes the connection with one log
    /// line, as an oversized request does. ZooKeeper has no such key; its clients refuse replies
    /// over their own `jute.maxbuffer` (4 MB by default in the Java client).
    package var maxReplyBytes = 64 << 20
    package var adminEnabled = true
    package var adminAddress = "0.0.0.0"
    package var adminPort = 8080
    /// `admin.idleTimeout` (ZooKeeper's key and default, 30 s): an admin HTTP connection idle this
    /// long is closed. Request heads are bounded by NIO's HTTP parser (80 KB); bodies are discarded.
    package var adminIdleTimeoutMillis = 30_000
    package var containerCheckIntervalMs = 60_000
    package var containerMaxPerMinute = 10_000
    package var reconfigEnabled = false
    /// `paddock.heartbeatMs`: consensus tick; the leader sends heartbeats this often.
    package var raftTickMillis = 100
    /// `paddock.electionTimeoutMs`: a follower that hears no leader for this long (randomized up
    /// to twice as long) starts an election.
    package var electionTimeoutMillis = 1000
    /// `paddock.writesInFlight`: consensus outputs a member writes to storage at once (1: each
    /// waits for the previous fsync; more lets a leader replicate and apply while it writes).
    package var writesInFlight = 4
    /// `paddock.treeFlushMs`: the least time between two tree checkpoints (the changed rows,
    /// written beside the log on their own thread); 0 starts the next as soon as the previous is
    /// durable. A restart replays the log after the newest checkpoint's mark. 100 by default:
    /// back-to-back checkpoints put a tree-file fsync beside every few log fsyncs on the same
    /// disk, and followers' log fsyncs (which every write waits for) slowed down (BENCHMARKS.md
    /// run K: create 8.2k ops/s at 0, 12.4k at 100, the same at 1000 with twice the p99).
    package var treeFlushMillis = 100
    package var standaloneEnabled = true
    /// `globalOutstandingLimit` (ZooKeeper's key and default, 1000): requests one connection may have
    /// queued; over it the server stops reading from that connection. ZooKeeper counts server-wide.
    package var outstandingLimit = 1000
    /// `paddock.clientOutputHighWaterBytes` / `paddock.clientOutputLowWaterBytes`: reply bytes queued
    /// for a client that does not read. Above the high mark the server stops reading from it and
    /// answering it, until the queue falls below the low mark. No ZooKeeper equivalent.
    package var outputHighWaterBytes = 1 << 20
    package var outputLowWaterBytes = 256 << 10
    /// `zookeeper.nio.sessionlessCnxnTimeout` (ZooKeeper's key and default, 10 s): a connection that
    /// has not sent its ConnectRequest (or a four-letter word client that does not read its answer)
    /// is closed after this long.
    package var sessionlessTimeoutMillis = 10_000
    /// `paddock.maxAuthIds` / `paddock.maxAuthBytes`: identities (the `ip` one included) and their
    /// total scheme + id bytes one connection may hold; every write carries them into its txn. An
    /// addAuth past either closes the connection with AUTHFAILED. No ZooKeeper equivalent.
    package var maxAuthIds = 16
    package var maxAuthBytes = 4096
    /// `paddock.maxWatchesPerConnection` (default 65,536) and `paddock.maxWatchBytesPerConnection`
    /// (default 16 MiB): the watches one client connection may hold, counted as (path, kind)
    /// registrations the way `wchs` and `zk_watch_count` count them, and as the UTF-8 bytes of its
    /// distinct watched paths (a watch needs no existing node, so each path may be as long as
    /// `jute.maxbuffer`: the count alone would not bound memory). exists/getData/getChildren with
    /// watch=true, addWatch, and the SetWatches/SetWatches2 a client sends on reconnect all count;
    /// a watch that fires, is removed, or whose connection closes gives its share back. The
    /// defaults leave room for a cache of tens of thousands of nodes (Curator's TreeCache holds two
    /// watches per node) and cap one connection's share of the watch table near 40 MB (65,536
    /// watches on 256-byte paths grew a member's RSS by 37 MB). ZooKeeper has no such keys.
    ///
    /// A request that would pass either bound closes the connection with one log line and no reply,
    /// as an oversized request does. The alternatives are worse for a ZooKeeper client: no error
    /// code means "too many watches", and a reply to SetWatches (xid -8) has no caller waiting for
    /// it (the Java client queues it without a callback), so a refusal there would be dropped and
    /// the client would go on believing it watches those paths, waiting for events that never come.
    /// A lost connection is something every client handles; it registers a watch only once the
    /// request that set it is answered, so the watch that broke the bound is not replayed on
    /// reconnect.
    package var maxWatchesPerConnection = 65_536
    package var maxWatchBytesPerConnection = 16 << 20
    /// `paddock.peerMaxFrameBytes`: the largest frame accepted on the quorum port; a longer one
    /// closes the link. Paddock's own (ZooKeeper bounds quorum packets by `jute.maxbuffer`); the
    /// default fits a full append (`paddock.peerMaxAppendBytes`) plus one entry and a 1 MiB
    /// snapshot chunk many times over.
    package var peerMaxFrameBytes = 64 * 1024 * 1024
    /// `paddock.peerMaxAppendBytes`: payload bytes per consensus append (one larger entry still
    /// goes alone). etcd's `MaxSizePerMsg`, default 1 MiB as in etcd server.
    package var peerMaxAppendBytes = 1024 * 1024
    /// `cnxTimeout` (ZooKeeper's `zookeeper.cnxTimeout`, default 5000 ms): how long a new quorum
    /// connection may take to name its member before it is closed.
    package var peerConnectTimeoutMillis = 5000
    /// Keys accepted but not used by Paddock (reported once at start-up).
    package var ignoredKeys: [String] = []
    /// The file this came from (for `conf` and error messages).
    package var sourcePath = ""

    /// The election timeout in consensus ticks.
    package var electionTicks: Int { max(2, electionTimeoutMillis / raftTickMillis) }

    package var effectiveMinSessionTimeout: Int { minSessionTimeout ?? 2 * tickTime }
    package var effectiveMaxSessionTimeout: Int { maxSessionTimeout ?? 20 * tickTime }

    /// The per-connection limits a `ClientConnection` enforces.
    package var clientLimits: ClientLimits {
        ClientLimits(
            outstandingRequests: outstandingLimit,
            sessionlessTimeoutMillis: sessionlessTimeoutMillis, maxAuthIds: maxAuthIds, maxAuthBytes: maxAuthBytes)
    }

    /// What one connection's watches may hold (`WatchRegistry.add`).
    package var watchLimits: WatchLimits {
        WatchLimits(maxWatches: maxWatchesPerConnection, maxPathBytes: maxWatchBytesPerConnection)
    }

    /// This member's own `server.N` line.
    package var me: ServerEntry? { servers.first { $0.id == myid } }

    /// The address and port clients connect to.
    package var clientEndpoint: (host: String, port: Int) {
        let port = clientPort ?? me?.clientPort ?? 2181
        let host = clientPortAddress ?? me?.clientHost ?? "0.0.0.0"
        return (host, port)
    }

    package init() {}

    /// A bad configuration: names the key (or line) and what was wrong.
    package struct Problem: Error, CustomStringConvertible, Equatable {
        package var message: String
        package init(_ message: String) { self.message = message }
        package var description: String { message }
    }

    /// Parses `text` (the contents of `path`); reads `myid` from the data directory when present.
    package static func parse(_ text: String, path: String = "zoo.cfg", readFile: (String) -> String? = Self.readFile)
        throws(Problem) -> KeeperConfiguration
    {
        var config = KeeperConfiguration()
        config.sourcePath = path
        var seen: [String: Int] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }), line[eq] == "=" else {
                throw Problem("\(path):\(number + 1): expected key=value, got \"\(line)\"")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if let previous = seen[key] {
                throw Problem("\(path):\(number + 1): \(key) is set twice (first on line \(previous))")
            }
            seen[key] = number + 1
            try config.apply(key: key, value: value)
        }
        guard !config.dataDir.isEmpty else { throw Problem("dataDir is required") }
        if config.servers.isEmpty {
            throw Problem("no server.N line: Paddock always runs as an ensemble (one server.N line for a single member)")
        }
        let idText = readFile(config.dataDir + "/myid")?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let idText {
            guard let id = Int(idText), id >= 1, id <= 254 else {
                throw Problem("\(config.dataDir)/myid: expected a server id from 1 to 254, got \"\(idText)\"")
            }
            config.myid = id
        } else if config.servers.count == 1 {
            config.myid = config.servers[0].id
        } else {
            throw Problem("\(config.dataDir)/myid is missing: it must name this member's server.N id")
        }
        guard config.me != nil else {
            throw Problem("myid \(config.myid) has no server.\(config.myid) line")
        }
        if config.outputLowWaterBytes >= config.outputHighWaterBytes {
            throw Problem("paddock.clientOutputLowWaterBytes (\(config.outputLowWaterBytes)) must be below paddock.clientOutputHighWaterBytes (\(config.outputHighWaterBytes))")
        }
        if config.clientPort == nil && config.me?.clientPort == nil {
            throw Problem("clientPort is not set and server.\(config.myid) has no ;clientPort part")
        }
        if config.electionTimeoutMillis < 2 * config.raftTickMillis {
            throw Problem("paddock.electionTimeoutMs (\(config.electionTimeoutMillis)) must be at least twice paddock.heartbeatMs (\(config.raftTickMillis))")
        }
        if config.peerMaxAppendBytes > config.peerMaxFrameBytes / 4 {
            throw Problem("paddock.peerMaxAppendBytes (\(config.peerMaxAppendBytes)) must be at most a quarter of paddock.peerMaxFrameBytes (\(config.peerMaxFrameBytes)): an append may add one entry of up to jute.maxbuffer")
        }
        if config.juteMaxBuffer > config.peerMaxFrameBytes / 2 {
            throw Problem("jute.maxbuffer (\(config.juteMaxBuffer)) must be at most half of paddock.peerMaxFrameBytes (\(config.peerMaxFrameBytes)): a follower forwards each request to the leader in one frame")
        }
        let minimum = config.effectiveMinSessionTimeout
        let maximum = config.effectiveMaxSessionTimeout
        if minimum > maximum {
            throw Problem("minSessionTimeout (\(minimum)) is greater than maxSessionTimeout (\(maximum))")
        }
        return config
    }

    private mutating func apply(key: String, value: String) throws(Problem) {
        func int(_ range: ClosedRange<Int> = 0...Int(Int32.max)) throws(Problem) -> Int {
            guard let v = Int(value), range.contains(v) else {
                throw Problem("\(key): expected a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(value)\"")
            }
            return v
        }
        func bool() throws(Problem) -> Bool {
            switch value.lowercased() {
            case "true", "yes": return true
            case "false", "no": return false
            default: throw Problem("\(key): expected true or false, got \"\(value)\"")
            }
        }
        switch key {
        case "tickTime": tickTime = try int(1...Int(Int32.max))
        case "initLimit": initLimit = try int(1...100_000)
        case "syncLimit": syncLimit = try int(1...100_000)
        case "dataDir": dataDir = value
        case "dataLogDir": dataLogDir = value
        case "clientPort": clientPort = try int(1...65535)
        case "clientPortAddress": clientPortAddress = value
        case "maxClientCnxns": maxClientCnxns = try int()
        case "minSessionTimeout": minSessionTimeout = try int(-1...Int(Int32.max)) == -1 ? nil : Int(value)
        case "maxSessionTimeout": maxSessionTimeout = try int(-1...Int(Int32.max)) == -1 ? nil : Int(value)
        case "4lw.commands.whitelist":
            fourLetterWhitelist = Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        case "DigestAuthenticationProvider.superDigest", "zookeeper.DigestAuthenticationProvider.superDigest":
            guard value.contains(":") else { throw Problem("\(key): expected user:base64digest") }
            superDigest = value
        case "extendedTypesEnabled", "zookeeper.extendedTypesEnabled": extendedTypesEnabled = try bool()
        case "skipACL", "zookeeper.skipACL": skipACL = try bool()
        case "jute.maxbuffer", "zookeeper.jute.maxbuffer": juteMaxBuffer = try int(1024...512 << 20)
        case "paddock.maxReplyBytes": maxReplyBytes = try int(1024...Int(Int32.max) - 64)
        case "admin.enableServer", "zookeeper.admin.enableServer": adminEnabled = try bool()
        case "admin.serverAddress", "zookeeper.admin.serverAddress": adminAddress = value
        case "admin.serverPort", "zookeeper.admin.serverPort": adminPort = try int(0...65535)
        case "admin.idleTimeout", "zookeeper.admin.idleTimeout": adminIdleTimeoutMillis = try int(1...Int(Int32.max))
        case "znode.container.checkIntervalMs": containerCheckIntervalMs = try int(1...Int(Int32.max))
        case "znode.container.maxPerMinute": containerMaxPerMinute = try int(1...Int(Int32.max))
        case "reconfigEnabled": reconfigEnabled = try bool()
        case "paddock.heartbeatMs": raftTickMillis = try int(10...60_000)
        case "paddock.electionTimeoutMs": electionTimeoutMillis = try int(20...600_000)
        case "paddock.writesInFlight": writesInFlight = try int(1...64)
        case "paddock.treeFlushMs": treeFlushMillis = try int(0...600_000)
        case "standaloneEnabled": standaloneEnabled = try bool()
        case "globalOutstandingLimit", "zookeeper.globalOutstandingLimit": outstandingLimit = try int(1...1_000_000)
        case "paddock.clientOutputHighWaterBytes": outputHighWaterBytes = try int(1024...Int(Int32.max))
        case "paddock.clientOutputLowWaterBytes": outputLowWaterBytes = try int(0...Int(Int32.max))
        case "zookeeper.nio.sessionlessCnxnTimeout", "nio.sessionlessCnxnTimeout":
            sessionlessTimeoutMillis = try int(1...Int(Int32.max))
        case "paddock.maxAuthIds": maxAuthIds = try int(2...1024)
        case "paddock.maxAuthBytes": maxAuthBytes = try int(256...1 << 20)
        case "paddock.maxWatchesPerConnection": maxWatchesPerConnection = try int(1...Int(Int32.max))
        case "paddock.maxWatchBytesPerConnection": maxWatchBytesPerConnection = try int(1024...Int(Int32.max))
        case "paddock.peerMaxFrameBytes": peerMaxFrameBytes = try int((1 << 20)...Int(Int32.max))
        case "paddock.peerMaxAppendBytes": peerMaxAppendBytes = try int(1024...Int(Int32.max))
        case "cnxTimeout", "zookeeper.cnxTimeout": peerConnectTimeoutMillis = try int(1...600_000)
        default:
            if key.hasPrefix("server.") {
                servers.append(try Self.parseServer(key: key, value: value))
                servers.sort { $0.id < $1.id }
            } else {
                ignoredKeys.append(key)
            }
        }
    }

    static func parseServer(key: String, value: String) throws(Problem) -> ServerEntry {
        guard let id = Int(key.dropFirst("server.".count)), id >= 1, id <= 254 else {
            throw Problem("\(key): the server id must be a number from 1 to 254")
        }
        let halves = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let parts = halves[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts.count <= 4, !parts[0].isEmpty,
            let quorum = Int(parts[1]), (1...65535).contains(quorum),
            let election = Int(parts[2]), (1...65535).contains(election)
        else {
            throw Problem("\(key): expected host:quorumPort:electionPort[:participant|observer][;[host:]clientPort], got \"\(value)\"")
        }
        let role = parts.count == 4 ? parts[3] : "participant"
        guard role == "participant" || role == "observer" else {
            throw Problem("\(key): role must be participant or observer, got \"\(role)\"")
        }
        var entry = ServerEntry(id: id, host: parts[0], quorumPort: quorum, electionPort: election, role: role)
        if halves.count == 2 {
            let client = halves[1]
            let hostPort = client.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let portText = hostPort.last ?? ""
            guard let port = Int(portText), (1...65535).contains(port), hostPort.count <= 2 else {
                throw Problem("\(key): bad client address \"\(client)\"")
            }
            entry.clientPort = port
            if hostPort.count == 2 { entry.clientHost = hostPort[0] }
        }
        return entry
    }

    package static func readFile(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    /// Clamps a requested session timeout as ZooKeeper does (`processConnectRequest`).
    package func negotiateTimeout(_ requested: Int32) -> Int32 {
        Int32(clamping: min(max(Int(requested), effectiveMinSessionTimeout), effectiveMaxSessionTimeout))
    }
}
