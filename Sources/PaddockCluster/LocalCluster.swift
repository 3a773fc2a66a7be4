import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local cluster on loopback for trying Paddock: one directory holds every keeper member's
/// zoo.cfg, data, log and pid file (`DIR/keeperN/`) and every broker's server.properties, segment
/// logs, log and pid file (`DIR/brokerN/`). `up` writes the files and starts the processes
/// detached (keepers first, brokers once the ensemble serves), `down` stops the ones it started
/// (brokers first), `status` asks each member `srvr` and reads the brokers' znodes.
package struct LocalCluster: Sendable {
    /// The two kinds of process; the raw value names their directories, pid and log files.
    package enum Role: String, Sendable, CaseIterable {
        case keeper
        case broker
    }

    package var directory: String
    package var members: Int
    package var brokers: Int
    package var host = "127.0.0.1"
    package var firstClientPort = 2181
    package var firstQuorumPort = 2888
    package var firstElectionPort = 3888
    package var firstAdminPort = 8080
    package var firstKafkaPort = 9092
    /// Broker 1's `admin.port` (its `/metrics`); `paddock cluster up` puts it 1000 above the Kafka
    /// listener, clear of the keepers' admin ports (client base + 5899).
    package var firstBrokerAdminPort = 10092
    /// `zookeeper.session.timeout.ms` of the brokers: short, so a killed broker leaves `/brokers/ids` quickly.
    package var brokerSessionTimeoutMs = 6000
    /// The brokers' `zookeeper.set.acl` (on unless `up --no-zookeeper-acl`); see LocalCluster+Security.swift.
    package var zookeeperACL = true

    package init(directory: String, members: Int = 3, brokers: Int = 3) {
        self.directory = directory
        self.members = members
        self.brokers = brokers
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: - Files

    package func nodeDirectory(_ role: Role, _ n: Int) -> String { "\(directory)/\(role.rawValue)\(n)" }
    package func configPath(_ role: Role, _ n: Int) -> String {
        nodeDirectory(role, n) + (role == .keeper ? "/zoo.cfg" : "/server.properties")
    }
    package func pidPath(_ role: Role, _ n: Int) -> String { nodeDirectory(role, n) + "/\(role.rawValue).pid" }
    package func logPath(_ role: Role, _ n: Int) -> String { nodeDirectory(role, n) + "/\(role.rawValue).log" }
    /// The broker's `log.dirs` (its partition directories).
    package func segmentLogDirectory(_ n: Int) -> String { nodeDirectory(.broker, n) + "/logs" }

    /// The numbers `1...count` of `role`, plus any `DIR/<role>N` directory beyond them (so `down`
    /// also stops what an earlier `up --brokers 5` started).
    package func numbers(_ role: Role) -> [Int] {
        let configured = role == .keeper ? members : brokers
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []  // no directory: nothing extra
        let found = entries.compactMap { entry -> Int? in
            guard entry.hasPrefix(role.rawValue), let n = Int(entry.dropFirst(role.rawValue.count)), n >= 1 else { return nil }
            return n
        }
        return Array(Set(found).union(configured >= 1 ? Array(1...configured) : [])).sorted()
    }

    // MARK: - Ports and connect strings

    package func clientPort(_ n: Int) -> Int { firstClientPort + n - 1 }
    package func kafkaPort(_ n: Int) -> Int { firstKafkaPort + n - 1 }
    package func brokerAdminPort(_ n: Int) -> Int { firstBrokerAdminPort + n - 1 }

    /// The ZooKeeper connect string (also the brokers' `zookeeper.connect`: no chroot, so Kafka
    /// tools find the standard layout at the root).
    package var connectString: String {
        (1...members).map { "\(host):\(clientPort($0))" }.joined(separator: ",")
    }

    /// Kafka clients' `bootstrap.servers`; empty without brokers.
    package var bootstrapServers: String {
        brokers < 1 ? "" : (1...brokers).map { "\(host):\(kafkaPort($0))" }.joined(separator: ",")
    }

    /// Every port the cluster listens on, with what it is for.
    package var ports: [(port: Int, use: String)] {
        var ports: [(Int, String)] = []
        for n in 1...members {
            ports += [
                (clientPort(n), "keeper\(n) client"), (firstQuorumPort + n - 1, "keeper\(n) quorum"),
                (firstElectionPort + n - 1, "keeper\(n) election"), (firstAdminPort + n - 1, "keeper\(n) admin"),
            ]
        }
        if brokers >= 1 {
            for n in 1...brokers {
                ports += [(kafkaPort(n), "broker\(n) kafka"), (brokerAdminPort(n), "broker\(n) admin")]
            }
        }
        return ports
    }

    /// Checks the member and broker counts and that no two listeners share a port.
    package func validate() throws {
        guard (1...9).contains(members) else { throw Failure("--members must be between 1 and 9, got \(members)") }
        guard (0...9).contains(brokers) else { throw Failure("--brokers must be between 0 and 9, got \(brokers)") }
        var seen: [Int: String] = [:]
        for (port, use) in ports {
            guard (1...65535).contains(port) else { throw Failure("\(use) port \(port) is outside 1...65535") }
            if let other = seen[port] { throw Failure("\(use) and \(other) would both listen on port \(port)") }
            seen[port] = use
        }
    }

    // MARK: - Configuration files

    /// The zoo.cfg of member `n` (ZooKeeper's own format: Apache ZooKeeper starts from it too).
    package func configText(_ n: Int) -> String {
        var lines = [
            "# written by paddock cluster up",
            "tickTime=2000",
            "initLimit=10",
            "syncLimit=5",
            "dataDir=\(nodeDirectory(.keeper, n))/data",
            "maxClientCnxns=0",
            "4lw.commands.whitelist=*",
            "admin.serverAddress=\(host)",
            "admin.serverPort=\(firstAdminPort + n - 1)",
        ]
        for i in 1...members {
            lines.append(
                "server.\(i)=\(host):\(firstQuorumPort + i - 1):\(firstElectionPort + i - 1):participant;\(host):\(clientPort(i))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The server.properties of broker `n` (Kafka's own format and keys: an Apache Kafka broker in
    /// ZooKeeper mode starts from it too, apart from the `paddock.zookeeper.digest.*` credential, which
    /// Kafka takes from a JAAS file). Every broker authenticates as the cluster's one identity, also
    /// without `zookeeper.set.acl`, so znodes an earlier run secured stay writable. Auto-created topics
    /// get three partitions, so their leaders spread over the brokers, and as many replicas as there are
    /// brokers, up to three; with three, `min.insync.replicas=2`, so an `acks=all` write survives the
    /// loss of any one broker.
    /// Replicas of auto-created topics: one per broker, at most three.
    package var defaultReplicationFactor: Int { min(max(brokers, 1), 3) }

    package func brokerConfigText(_ n: Int) -> String {
        [
            "# written by paddock cluster up",
            "broker.id=\(n)",
            "listeners=PLAINTEXT://\(host):\(kafkaPort(n))",
            "admin.port=\(brokerAdminPort(n))",
            "log.dirs=\(segmentLogDirectory(n))",
            "zookeeper.connect=\(connectString)",
            "zookeeper.session.timeout.ms=\(brokerSessionTimeoutMs)",
            "num.partitions=3",
            "default.replication.factor=\(defaultReplicationFactor)",
            "min.insync.replicas=\(defaultReplicationFactor >= 3 ? 2 : 1)",
            "auto.create.topics.enable=true",
            "delete.topic.enable=true",
            "zookeeper.set.acl=\(zookeeperACL)",
            "paddock.zookeeper.digest.user=\(Self.digestUser)",
            "paddock.zookeeper.digest.password.file=\(digestPasswordPath)",
        ].joined(separator: "\n") + "\n"
    }

    // MARK: - Processes

    /// Writes the member files (keeping existing data) and starts every member not running.
    package func upKeepers(executable: String) throws {
        let fm = FileManager.default
        for n in 1...members {
            try fm.createDirectory(atPath: nodeDirectory(.keeper, n) + "/data", withIntermediateDirectories: true)
            try configText(n).write(toFile: configPath(.keeper, n), atomically: true, encoding: .utf8)
            let myid = nodeDirectory(.keeper, n) + "/data/myid"
            if !fm.fileExists(atPath: myid) { try "\(n)\n".write(toFile: myid, atomically: true, encoding: .utf8) }
        }
        try start(.keeper, 1...members, executable: executable)
    }

    /// Writes the broker files (keeping existing segment logs) and starts every broker not running.
    /// Call once the ensemble serves: a broker that cannot reach it at start-up exits.
    package func upBrokers(executable: String) throws {
        guard brokers >= 1 else { return }
        for n in 1...brokers {
            try FileManager.default.createDirectory(atPath: segmentLogDirectory(n), withIntermediateDirectories: true)
            try brokerConfigText(n).write(toFile: configPath(.broker, n), atomically: true, encoding: .utf8)
        }
        try start(.broker, 1...brokers, executable: executable)
    }

    /// Starts every process of `role` in `numbers` not already running, after checking that none
    /// of their ports is taken (another cluster on the same ports would otherwise answer for them).
    private func start(_ role: Role, _ numbers: ClosedRange<Int>, executable: String) throws {
        let stopped = numbers.filter { runningPID(role, $0) == nil }
        let prefixes = stopped.map { "\(role.rawValue)\($0) " }
        for (port, use) in ports where prefixes.contains(where: use.hasPrefix) {
            guard SocketProbe.canBind(host: host, port: port) else {
                throw Failure("port \(port) (\(use)) is already in use by another process")
            }
        }
        for n in stopped {
            let pid = try spawn(executable, [role.rawValue, "--config", configPath(role, n)], log: logPath(role, n))
            try "\(pid)\n".write(toFile: pidPath(role, n), atomically: true, encoding: .utf8)
        }
    }

    /// Stops every broker, then every keeper, that this directory's pid files name (and that really
    /// is our process): SIGTERM, then SIGKILL after `grace`. Brokers go first so they close their
    /// sessions while the ensemble still serves. Returns the numbers stopped per role.
    package func down(grace: Duration = .seconds(15)) -> [(role: Role, stopped: [Int])] {
        [Role.broker, .keeper].map { role in (role, numbers(role).filter { stop(role, $0, grace: grace) }) }
    }

    /// Stops one process; false if it was not running.
    private func stop(_ role: Role, _ n: Int, grace: Duration) -> Bool {
        defer { try? FileManager.default.removeItem(atPath: pidPath(role, n)) }  // stale, absent or now gone: remove
        guard let pid = runningPID(role, n) else { return false }
        kill(pid_t(pid), SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isAlive(pid) && ContinuousClock.now < deadline { usleep(50_000) }
        if isAlive(pid) { kill(pid_t(pid), SIGKILL) }
        return true
    }

    /// The pid of `role` `n` if its pid file names a live `paddock <role>` for this config.
    package func runningPID(_ role: Role, _ n: Int) -> Int? {
        guard let text = try? String(contentsOfFile: pidPath(role, n), encoding: .utf8),
            let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), isAlive(pid),
            let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        else { return nil }
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains(configPath(role, n)) && arguments.contains(role.rawValue) ? pid : nil
    }

    func isAlive(_ pid: Int) -> Bool {
        guard kill(pid_t(pid), 0) == 0 else { return false }
        // A zombie (exited, not yet reaped) is not alive.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.contains(") Z ")
    }

    /// Starts `executable` detached (its own session, stdin from /dev/null, output to `log`).
    func spawn(_ executable: String, _ arguments: [String], log: String) throws -> Int {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26+, 0x80) is hidden behind _GNU_SOURCE in the header.
        posix_spawnattr_setflags(&attributes, Int16(0x80))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw Failure("cannot start \(executable): \(String(cString: strerror(rc)))") }
        return Int(pid)
    }

    // MARK: - Probes

    /// Asks member `n` a four-letter word; nil when it does not answer.
    package func fourLetterWord(_ n: Int, _ word: String, timeout: Duration = .seconds(2)) -> String? {
        SocketProbe.ask(host: host, port: clientPort(n), word: word, timeout: timeout)
    }

    /// Whether broker `n`'s Kafka listener accepts connections.
    package func isListening(broker n: Int, timeout: Duration = .seconds(1)) -> Bool {
        SocketProbe.canConnect(host: host, port: kafkaPort(n), timeout: timeout)
    }

    /// The `Mode:` line of member `n`'s srvr (leader/follower), nil when not serving.
    package func mode(_ n: Int) -> String? {
        guard let text = fourLetterWord(n, "srvr") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Mode: ") {
            return String(line.dropFirst("Mode: ".count))
        }
        return nil
    }

    /// Polls until every member runs, one leads and the rest follow, or `timeout` passes.
    package func waitForQuorum(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard (1...members).allSatisfy({ runningPID(.keeper, $0) != nil }) else { return false }
            let modes = (1...members).map { mode($0) }
            if modes.filter({ $0 == "leader" }).count == 1 && modes.filter({ $0 == "follower" }).count == members - 1 {
                return true
            }
            usleep(200_000)
        }
        return false
    }
}

/// Blocking loopback probes over plain sockets: a four-letter-word exchange and a connect check.
enum SocketProbe {
    /// Sends `word` and reads until the server closes; nil when nothing answers.
    static func ask(host: String, port: Int, word: String, timeout: Duration) -> String? {
        guard let fd = connected(host: host, port: port, timeout: timeout) else { return nil }
        defer { close(fd) }
        guard send(fd, word, word.utf8.count, 0) == word.utf8.count else { return nil }
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result.isEmpty ? nil : String(decoding: result, as: UTF8.self)
    }

    /// Whether a TCP connection to `host:port` succeeds.
    static func canConnect(host: String, port: Int, timeout: Duration) -> Bool {
        guard let fd = connected(host: host, port: port, timeout: timeout) else { return false }
        close(fd)
        return true
    }

    /// Whether a listening socket could bind `host:port` now (SO_REUSEADDR, as servers set it).
    static func canBind(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in(host: host, port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A connected socket with send/receive timeouts, or nil.
    private static func connected(host: String, port: Int, timeout: Duration) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in(host: host, port: port)
        let connected =
            address.sin_family == sa_family_t(AF_INET)
            && withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }
}

extension sockaddr_in {
    /// An IPv4 address; `sin_family` stays 0 when `host` is not a dotted quad.
    init(host: String, port: Int) {
        self.init()
        sin_port = in_port_t(UInt16(port).bigEndian)
        if inet_pton(AF_INET, host, &sin_addr) == 1 { sin_family = sa_family_t(AF_INET) }
    }
}
