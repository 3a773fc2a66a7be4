import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local ensemble on loopback for trying Paddock: one directory holds every member's zoo.cfg,
/// data, log and pid file (`DIR/keeperN/`). `up` writes the files and starts the members as
/// detached processes, `down` stops the ones it started, `status` asks each member `srvr`.
package struct LocalCluster: Sendable {
    package var directory: String
    package var members: Int
    package var host = "127.0.0.1"
    package var firstClientPort = 2181
    package var firstQuorumPort = 2888
    package var firstElectionPort = 3888
    package var firstAdminPort = 8080

    package init(directory: String, members: Int = 3) {
        self.directory = directory
        self.members = members
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }

    package func memberDirectory(_ n: Int) -> String { "\(directory)/keeper\(n)" }
    package func configPath(_ n: Int) -> String { memberDirectory(n) + "/zoo.cfg" }
    package func pidPath(_ n: Int) -> String { memberDirectory(n) + "/keeper.pid" }
    package func logPath(_ n: Int) -> String { memberDirectory(n) + "/keeper.log" }
    package func clientPort(_ n: Int) -> Int { firstClientPort + n - 1 }

    /// The client connect string.
    package var connectString: String {
        (1...members).map { "\(host):\(clientPort($0))" }.joined(separator: ",")
    }

    /// The zoo.cfg of member `n` (ZooKeeper's own format: Apache ZooKeeper starts from it too).
    package func configText(_ n: Int) -> String {
        var lines = [
            "# written by paddock cluster up",
            "tickTime=2000",
            "initLimit=10",
            "syncLimit=5",
            "dataDir=\(memberDirectory(n))/data",
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

    /// Writes the member files (keeping existing data) and starts every member not running.
    package func up(executable: String) throws {
        let fm = FileManager.default
        for n in 1...members {
            try fm.createDirectory(atPath: memberDirectory(n) + "/data", withIntermediateDirectories: true)
            try configText(n).write(toFile: configPath(n), atomically: true, encoding: .utf8)
            let myid = memberDirectory(n) + "/data/myid"
            if !fm.fileExists(atPath: myid) { try "\(n)\n".write(toFile: myid, atomically: true, encoding: .utf8) }
        }
        for n in 1...members where runningPID(n) == nil {
            let pid = try spawn(executable, ["keeper", "--config", configPath(n)], log: logPath(n))
            try "\(pid)\n".write(toFile: pidPath(n), atomically: true, encoding: .utf8)
        }
    }

    /// Stops every member this directory's pid files name (and that really is our process):
    /// SIGTERM, then SIGKILL after `grace`.
    package func down(grace: Duration = .seconds(15)) throws -> [Int] {
        var stopped: [Int] = []
        for n in 1...members {
            guard let pid = runningPID(n) else {
                try? FileManager.default.removeItem(atPath: pidPath(n))  // stale or absent: nothing to stop
                continue
            }
            kill(pid_t(pid), SIGTERM)
            let deadline = ContinuousClock.now + grace
            while isAlive(pid) && ContinuousClock.now < deadline { usleep(50_000) }
            if isAlive(pid) { kill(pid_t(pid), SIGKILL) }
            try? FileManager.default.removeItem(atPath: pidPath(n))  // the process is gone either way
            stopped.append(n)
        }
        return stopped
    }

    /// The pid of member `n` if its pid file names a live `paddock keeper` for this config.
    package func runningPID(_ n: Int) -> Int? {
        guard let text = try? String(contentsOfFile: pidPath(n), encoding: .utf8),
            let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), isAlive(pid),
            let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        else { return nil }
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains(configPath(n)) && arguments.contains("keeper") ? pid : nil
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

    /// Asks member `n` a four-letter word; nil when it does not answer.
    package func fourLetterWord(_ n: Int, _ word: String, timeout: Duration = .seconds(2)) -> String? {
        FourLetterWordProbe.ask(host: host, port: clientPort(n), word: word, timeout: timeout)
    }

    /// The `Mode:` line of member `n`'s srvr (leader/follower), nil when not serving.
    package func mode(_ n: Int) -> String? {
        guard let text = fourLetterWord(n, "srvr") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Mode: ") {
            return String(line.dropFirst("Mode: ".count))
        }
        return nil
    }

    /// Polls until one member leads and the rest follow, or `timeout` passes.
    package func waitForQuorum(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let modes = (1...members).map { mode($0) }
            if modes.filter({ $0 == "leader" }).count == 1 && modes.filter({ $0 == "follower" }).count == members - 1 {
                return true
            }
            usleep(200_000)
        }
        return false
    }
}

/// A blocking four-letter-word exchange over a plain socket.
enum FourLetterWordProbe {
    static func ask(host: String, port: Int, word: String, timeout: Duration) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
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
}
