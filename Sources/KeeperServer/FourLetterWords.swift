import Foundation
import ZNodeTree
import ZooKeeperWire

/// Four-letter words in ZooKeeper's text formats (`server/command/*Command.java`), so tools that
/// parse them (zkServer.sh status, kazoo's `command`, monitoring scripts) work unchanged.
package struct FourLetterWords: Sendable {
    /// ZooKeeper protocol level implemented, then Paddock's own version.
    package static let version = "3.9.3-paddock-0.1.0, built on 2026-11-21 00:00 UTC"
    package static let known: Set<String> = [
        "ruok", "stat", "srvr", "mntr", "conf", "cons", "crst", "srst", "envi", "dump", "wchs", "wchc", "wchp",
        "dirs", "isro", "gtmk", "stmk", "hash",
    ]

    package let whitelist: Set<String>

    package init(whitelist: Set<String>) {
        self.whitelist = whitelist
    }

    package func isAllowed(_ word: String) -> Bool {
        whitelist.contains("*") || whitelist.contains(word)
    }

    package func respond(to word: String, driver: ReplicaDriver) -> String {
        guard isAllowed(word) else { return "\(word) is not executed because it is not in the whitelist.\n" }
        switch word {
        case "ruok": return "imok"
        case "srvr": return srvr(driver, withClients: false)
        case "stat": return srvr(driver, withClients: true)
        case "mntr": return mntr(driver)
        case "conf": return conf(driver)
        case "cons": return cons(driver)
        case "crst":
            driver.stats.latency.reset()
            return "Connection stats reset.\n"
        case "srst":
            driver.stats.reset()
            return "Server stats reset.\n"
        case "envi": return envi(driver)
        case "dump": return dump(driver)
        case "wchs": return wchs(driver)
        case "wchc": return wchc(driver)
        case "wchp": return wchp(driver)
        case "isro": return "rw"
        case "dirs": return dirs(driver)
        case "gtmk": return "0"
        case "stmk": return "0"
        case "hash": return "\n"
        default: return "\(word) is not a four-letter word Paddock knows\n"
        }
    }

    private func hex(_ value: Int64) -> String { "0x" + String(UInt64(bitPattern: value), radix: 16) }

    /// What ZooKeeper answers srvr/stat/mntr with while it has no quorum.
    static let notServing = "This ZooKeeper instance is not currently serving requests\n"

    func srvr(_ d: ReplicaDriver, withClients: Bool) -> String {
        guard let mode = d.mode else { return Self.notServing }
        var out = "Zookeeper version: \(Self.version)\n"
        if withClients {
            out += "Clients:\n"
            for connection in d.connections.values.sorted(by: { $0.id < $1.id }) {
                out += " \(connection.remoteDescription)[1](queued=\(connection.queuedCount),recved=\(connection.received),sent=\(connection.sent))\n"
            }
            out += "\n"
        }
        let l = d.stats.latency
        out += "Latency min/avg/max: \(l.min)/\(String(format: "%.4f", l.average))/\(l.max)\n"
        out += "Received: \(d.stats.packetsReceived)\n"
        out += "Sent: \(d.stats.packetsSent)\n"
        out += "Connections: \(d.connections.count)\n"
        out += "Outstanding: \(d.outstandingRequests)\n"
        out += "Zxid: \(hex(d.lastZxid.rawValue))\n"
        out += "Mode: \(mode)\n"
        out += "Node count: \(d.tree.nodeCount)\n"
        out += "Proposal sizes last/min/max: -1/-1/-1\n"
        return out
    }

    func mntr(_ d: ReplicaDriver) -> String {
        guard let mode = d.mode else { return Self.notServing }
        let l = d.stats.latency
        let followers = d.followerProgress
        let ephemerals = d.tree.ephemerals.values.reduce(0) { $0 + $1.count }
        var lines: [(String, String)] = [
            ("zk_version", Self.version),
            ("zk_server_state", mode),
            ("zk_avg_latency", String(format: "%.4f", l.average)),
            ("zk_max_latency", "\(l.max)"),
            ("zk_min_latency", "\(l.min)"),
            ("zk_packets_received", "\(d.stats.packetsReceived)"),
            ("zk_packets_sent", "\(d.stats.packetsSent)"),
            ("zk_num_alive_connections", "\(d.connections.count)"),
            ("zk_outstanding_requests", "\(d.outstandingRequests)"),
            ("zk_znode_count", "\(d.tree.nodeCount)"),
            ("zk_watch_count", "\(d.watches.watchCount)"),
            ("zk_ephemerals_count", "\(ephemerals)"),
            ("zk_approximate_data_size", "\(d.tree.approximateDataSize)"),
            ("zk_open_file_descriptor_count", "\(Self.openFileDescriptors())"),
            ("zk_max_file_descriptor_count", "\(Self.maxFileDescriptors())"),
            ("zk_global_sessions", "\(d.sessionCount)"),
            ("zk_local_sessions", "0"),
            ("zk_uptime", "\(Int64(Date().timeIntervalSince(d.startedAt) * 1000))"),
            ("zk_quorum_size", "\(d.config.servers.count)"),
        ]
        if mode == "leader" {
            lines += [
                ("zk_followers", "\(followers.count)"),
                ("zk_synced_followers", "\(followers.filter { $0.lag == 0 }.count)"),
                ("zk_pending_syncs", "0"),
            ]
            for f in followers { lines.append(("zk_paddock_follower_\(f.member)_lag", "\(f.lag)")) }
        }
        lines += [
            ("zk_last_proposal_size", "-1"),
            ("zk_max_proposal_size", "-1"),
            ("zk_min_proposal_size", "-1"),
        ]
        if d.isStorageFailed { lines.append(("zk_paddock_storage_failed", "1")) }
        return lines.map { "\($0.0)\t\($0.1)\n" }.joined()
    }

    func conf(_ d: ReplicaDriver) -> String {
        let c = d.config
        let endpoint = c.clientEndpoint
        var out = "clientPort=\(endpoint.port)\n"
        out += "clientPortAddress=\(endpoint.host)\n"
        out += "secureClientPort=-1\n"
        out += "dataDir=\(c.dataDir)\n"
        out += "dataDirSize=\(Self.fileSize(d.storagePath) + Self.fileSize(d.storagePath + "-wal"))\n"
        out += "dataLogDir=\(c.dataLogDir ?? c.dataDir)\n"
        out += "dataLogSize=\(Self.fileSize(d.storageLogPath) + Self.fileSize(d.storageLogPath + "-wal"))\n"
        out += "tickTime=\(c.tickTime)\n"
        out += "maxClientCnxns=\(c.maxClientCnxns)\n"
        out += "minSessionTimeout=\(c.effectiveMinSessionTimeout)\n"
        out += "maxSessionTimeout=\(c.effectiveMaxSessionTimeout)\n"
        out += "clientPortListenBacklog=-1\n"
        out += "serverId=\(c.myid)\n"
        out += "initLimit=\(c.initLimit)\n"
        out += "syncLimit=\(c.syncLimit)\n"
        out += "electionAlg=3\n"
        if let me = c.me {
            out += "electionPort=\(me.electionPort)\n"
            out += "quorumPort=\(me.quorumPort)\n"
        }
        out += "peerType=0\n"
        out += "membership: \n"
        out += String(decoding: ReplicaDriver.dynamicConfig(c), as: UTF8.self) + "\n"
        return out
    }

    func cons(_ d: ReplicaDriver) -> String {
        var out = ""
        for c in d.connections.values.sorted(by: { $0.id < $1.id }) {
            var fields = "queued=\(c.queuedCount),recved=\(c.received),sent=\(c.sent)"
            if let session = c.sessionID {
                fields += ",sid=\(hex(session.rawValue)),lop=\(c.lastOp),est=\(Int64(c.established.timeIntervalSince1970 * 1000))"
                let timeout = d.tree.sessions[session]?.timeout ?? 0
                fields += ",to=\(timeout),lcxid=\(hex(Int64(c.lastXid))),lzxid=\(hex(c.lastZxid.rawValue))"
                fields += ",lresp=0,llat=\(c.latency.max),minlat=\(c.latency.min),avglat=\(Int(c.latency.average)),maxlat=\(c.latency.max)"
            }
            out += " \(c.remoteDescription)[1](\(fields))\n"
        }
        return out + "\n"
    }

    func envi(_ d: ReplicaDriver) -> String {
        let info = ProcessInfo.processInfo
        var out = "Environment:\n"
        out += "zookeeper.version=\(Self.version)\n"
        out += "host.name=\(info.hostName)\n"
        out += "paddock.version=0.1.0\n"
        out += "os.name=\(Self.osName())\n"
        out += "os.version=\(info.operatingSystemVersionString)\n"
        out += "user.dir=\(FileManager.default.currentDirectoryPath)\n"
        out += "os.memory.total=\(info.physicalMemory / 1_048_576)MB\n"
        out += "process.id=\(info.processIdentifier)\n"
        out += "available.processors=\(info.activeProcessorCount)\n"
        return out
    }

    func dump(_ d: ReplicaDriver) -> String {
        guard d.mode != nil else { return Self.notServing }
        var out = "SessionTracker dump:\n"
        let sessions = d.tree.sessions.keys.sorted()
        out += "Global Sessions(\(sessions.count)):\n"
        for id in sessions {
            let remaining = d.sessionRemaining(id) ?? 0
            out += "\(hex(id.rawValue))\t\(d.tree.sessions[id]?.timeout ?? 0)ms\t(expires in \(remaining)ms)\n"
        }
        let owners = d.tree.ephemerals.keys.sorted()
        out += "ephemeral nodes dump:\n"
        out += "Sessions with Ephemerals (\(owners.count)):\n"
        for owner in owners {
            out += "\(hex(owner.rawValue)):\n"
            for path in (d.tree.ephemerals[owner] ?? []).sorted() { out += "\t\(path)\n" }
        }
        out += "Connections dump:\n"
        out += "Connections Sets (1)/(\(d.connections.count)):\n"
        for c in d.connections.values.sorted(by: { $0.id < $1.id }) {
            if let session = c.sessionID { out += "\(hex(session.rawValue))\n" }
        }
        return out
    }

    func wchs(_ d: ReplicaDriver) -> String {
        "\(d.watches.watcherCount) connections watching \(d.watches.watchedPathCount) paths\nTotal watches:\(d.watches.watchCount)\n"
    }

    func wchc(_ d: ReplicaDriver) -> String {
        var out = ""
        for watcher in d.watches.allWatchers {
            let session = d.connections[watcher]?.sessionID ?? .none
            out += "\(hex(session.rawValue))\n"
            for path in d.watches.paths(of: watcher) { out += "\t\(path)\n" }
        }
        return out
    }

    func wchp(_ d: ReplicaDriver) -> String {
        var out = ""
        for path in d.watches.allPaths {
            out += "\(path)\n"
            for watcher in d.watches.watchers(of: path) {
                let session = d.connections[watcher]?.sessionID ?? .none
                out += "\t\(hex(session.rawValue))\n"
            }
        }
        return out
    }

    func dirs(_ d: ReplicaDriver) -> String {
        // The tree file (checkpoints) and the log file, each with its WAL.
        let data = Self.fileSize(d.storagePath) + Self.fileSize(d.storagePath + "-wal")
        let log = Self.fileSize(d.storageLogPath) + Self.fileSize(d.storageLogPath + "-wal")
        return "datadir_size: \(data)\nlogdir_size: \(log)\n"
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func openFileDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    static func maxFileDescriptors() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        return descriptorLimit(limit.rlim_cur)
    }

    /// `zk_max_file_descriptor_count` for a soft limit: RLIM_INFINITY is `UInt64.max`, which
    /// `Int(_:)` would trap on while answering mntr.
    static func descriptorLimit(_ soft: rlim_t) -> Int {
        Int(clamping: soft)
    }

    static func osName() -> String {
        #if os(Linux)
        return "Linux"
        #else
        return "Darwin"
        #endif
    }
}
