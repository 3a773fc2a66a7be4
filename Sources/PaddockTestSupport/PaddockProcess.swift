package import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `paddock keeper` process for loopback integration tests: one member in a temporary directory
/// on free ports, started through a small shell wrapper that SIGKILLs the server when the test process
/// closes the wrapper's stdin (or dies), so no server outlives the tests.
package final class PaddockProcess: @unchecked Sendable {
    // @unchecked: the mutable fields are touched only by the test that owns the process, serially.
    package enum Failure: Error, CustomStringConvertible {
        case binaryNotFound(String)
        case didNotStart(String)
        package var description: String {
            switch self {
            case .binaryNotFound(let message), .didNotStart(let message): message
            }
        }
    }

    package let directory: URL
    package let clientPort: Int
    package let quorumPort: Int
    package let electionPort: Int
    /// The wrapper shell and the write end of its stdin pipe (closing it stops the server).
    private var wrapper: (pid: pid_t, stdin: Int32)?

    package var connectString: String { "127.0.0.1:\(clientPort)" }
    package var logPath: String { directory.appendingPathComponent("paddock.log").path }

    /// The binary: `$PADDOCK_BIN`, else `.build/debug/paddock` under the package root.
    package static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["PADDOCK_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Failure.binaryNotFound("PADDOCK_BIN=\(path) is not an executable file")
            }
            return path
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = packageRoot.appendingPathComponent(".build/debug/paddock").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure.binaryNotFound(
                "paddock binary not found at \(path): build it (swift build --product paddock) or set PADDOCK_BIN"
            )
        }
        return path
    }

    private init(directory: URL, clientPort: Int, quorumPort: Int, electionPort: Int) {
        self.directory = directory
        self.clientPort = clientPort
        self.quorumPort = quorumPort
        self.electionPort = electionPort
    }

    /// Starts a fresh single-member keeper and waits until it answers `ruok`.
    package static func start(tickTime: Int = 500, removeDirectoryOnExit: Bool = false) async throws -> PaddockProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "1\n".write(to: data.appendingPathComponent("myid"), atomically: true, encoding: .utf8)
        let ports = try freePorts(3)
        let process = PaddockProcess(directory: directory, clientPort: ports[0], quorumPort: ports[1], electionPort: ports[2])
        let config = """
            tickTime=\(tickTime)
            dataDir=\(data.path)
            4lw.commands.whitelist=*
            admin.enableServer=false
            server.1=127.0.0.1:\(ports[1]):\(ports[2]):participant;127.0.0.1:\(ports[0])
            extendedTypesEnabled=true

            """
        try config.write(to: directory.appendingPathComponent("zoo.cfg"), atomically: true, encoding: .utf8)
        process.removeDirectoryOnExit = removeDirectoryOnExit
        try await process.launch()
        return process
    }

    /// Set for a server nobody stops explicitly (the shared one): the wrapper deletes the directory
    /// once the test process is gone.
    package var removeDirectoryOnExit = false

    /// Starts the server process (again) on the same directory and ports.
    ///
    /// Spawned with posix_spawn rather than Foundation's `Process`, which leaks the test process's
    /// descriptors into the child, inherits its blocked signals, and on Linux reaps concurrently
    /// running children one at a time (a `waitUntilExit` can hang behind another child).
    package func launch() async throws {
        let binary = try Self.binary()
        // Closes inherited descriptors above 2, starts the server, and SIGKILLs it once stdin
        // reaches EOF: when the test closes the pipe, or when the test process dies.
        let script = """
            for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
            "$0" keeper --config "$1" >>"$2" 2>&1 </dev/null &
            echo $! > "$3"
            read _
            kill -9 $! 2>/dev/null
            wait
            [ "$4" = 1 ] && rm -rf "$5"
            exit 0
            """
        try? FileManager.default.removeItem(atPath: pidFile)
        self.wrapper = try spawnWithStdinPipe([
            "/bin/bash", "-c", script, binary, directory.appendingPathComponent("zoo.cfg").path, logPath, pidFile,
            removeDirectoryOnExit ? "1" : "0", directory.path,
        ])
        try await waitUntilServing()
    }

    private var pidFile: String { directory.appendingPathComponent("paddock.pid").path }

    private var serverPID: pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Polls until `ruok` answers `imok` and `srvr` reports a mode (the member has a leader and
    /// serves sessions), deadline 30 s.
    private func waitUntilServing() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if fourLetterWord("ruok", port: clientPort) == "imok",
                fourLetterWord("srvr", port: clientPort)?.contains("Mode: ") == true
            {
                return
            }
            if let wrapper, waitpid(wrapper.pid, nil, WNOHANG) == wrapper.pid {
                self.wrapper = nil
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "<no log>"
        throw Failure.didNotStart("paddock keeper on port \(clientPort) did not start serving within 30 s; log:\n\(log.suffix(4000))")
    }

    /// SIGKILLs the server and waits until its port is free (the wrapper exits too).
    package func kill() {
        if let pid = serverPID {
            _ = sendSignal(pid, SIGKILL)
        }
        stopWrapper()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, fourLetterWord("ruok", port: clientPort) != nil {
            usleep(10_000)
        }
    }

    /// Stops the server and removes its directory.
    package func stop() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    private func stopWrapper() {
        guard let wrapper else { return }
        self.wrapper = nil
        close(wrapper.stdin)
        // The shell exits as soon as it sees EOF; reap it.
        _ = waitpid(wrapper.pid, nil, 0)
    }

    deinit {
        if let wrapper { close(wrapper.stdin) }
    }
}

private func sendSignal(_ pid: pid_t, _ signal: Int32) -> Int32 {
    kill(pid, signal)
}

/// posix_spawn `argv` with stdin from a new pipe, stdout/stderr to /dev/null, an empty signal mask
/// and default signal handlers. Returns the child's pid and the pipe's write end (close-on-exec).
package func spawnWithStdinPipe(_ argv: [String]) throws -> (pid: pid_t, stdin: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw PaddockProcess.Failure.didNotStart("pipe: errno \(errno)") }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    defer { close(fds[0]) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let pid: pid_t
    do {
        pid = try spawn(argv, fileActions: &actions)
    } catch {
        close(fds[1])
        throw error
    }
    return (pid, fds[1])
}

/// posix_spawn `argv` with `fileActions`, an empty signal mask, default signal handlers and
/// `environment` (this process's when nil); `flags` adds posix_spawn flags (e.g. POSIX_SPAWN_SETSID).
package func spawn(
    _ argv: [String], fileActions: inout posix_spawn_file_actions_t, environment: [String]? = nil, flags: Int32 = 0
) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | flags))
    let cArguments = argv.map { strdup($0) } + [nil]
    let cEnvironment = environment.map { $0.map { strdup($0) } + [nil] }
    defer { for pointer in cArguments + (cEnvironment ?? []) { free(pointer) } }
    var pid = pid_t()
    let rc: Int32
    if var cEnvironment {
        rc = posix_spawn(&pid, argv[0], &fileActions, &attributes, cArguments, &cEnvironment)
    } else {
        rc = posix_spawn(&pid, argv[0], &fileActions, &attributes, cArguments, environ)
    }
    guard rc == 0 else { throw PaddockProcess.Failure.didNotStart("posix_spawn \(argv[0]): \(rc)") }
    return pid
}

/// Sends a four-letter word and returns the reply, or nil when nothing listens.
package func fourLetterWord(_ word: String, port: Int) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let bytes = Array(word.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { return nil }
    var reply: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        reply.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: reply, as: UTF8.self)
}

/// Ports nothing listens on right now (bound to port 0, then released).
package func freePorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { for fd in sockets { close(fd) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        sockets.append(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw PaddockProcess.Failure.didNotStart("bind failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}

/// One keeper shared by the tests that do not kill it; each test works under its own root path.
package enum SharedPaddock {
    package static let server = Task { try await PaddockProcess.start(removeDirectoryOnExit: true) }

    package static func get() async throws -> PaddockProcess {
        try await server.value
    }
}

/// Polls `condition` until it holds or `timeout` passes (no fixed sleeps in assertions).
package func eventually(
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
