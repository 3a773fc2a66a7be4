import Foundation
import PaddockTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs `paddock shell` as a real process for the end-to-end tests.
enum ShellHarness {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `paddock shell ARGS` with `input` on stdin (a pipe, so not a terminal) and waits for it to
    /// exit, at most `timeout`; its stdout and stderr go to files read afterwards.
    static func run(_ arguments: [String], input: String = "", timeout: Duration = .seconds(20)) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdoutPath = directory.appendingPathComponent("stdout").path
        let stderrPath = directory.appendingPathComponent("stderr").path
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PaddockProcess.Failure.didNotStart("pipe: errno \(errno)") }
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let pid = try spawn(["shell"] + arguments, actions: &actions, environment: environment(directory))
        close(fds[0])
        let bytes = Array(input.utf8)
        if !bytes.isEmpty { _ = write(fds[1], bytes, bytes.count) }
        close(fds[1])
        let status = try wait(pid, timeout: timeout)
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// The environment for a shell under test: the history file inside `directory`, never $HOME's.
    static func environment(_ directory: URL) -> [String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PADDOCK_SHELL_HISTORY"] = directory.appendingPathComponent("history").path
        environment["TERM"] = "xterm"
        return environment.map { "\($0.key)=\($0.value)" }
    }

    static func spawn(
        _ arguments: [String], actions: inout posix_spawn_file_actions_t, environment: [String], flags: Int32 = 0
    ) throws -> pid_t {
        try PaddockTestSupport.spawn(
            [try PaddockProcess.binary()] + arguments, fileActions: &actions, environment: environment, flags: flags)
    }

    /// Waits for `pid` to exit (polling, `timeout` at most; then SIGKILL and a failure).
    static func wait(_ pid: pid_t, timeout: Duration) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        throw PaddockProcess.Failure.didNotStart("paddock shell did not exit within \(timeout)")
    }
}

/// `paddock shell` on a pseudo-terminal: the test types into the master side and reads the screen
/// output from it, as a person at a terminal would.
final class ShellOnTerminal {
    let master: Int32
    let pid: pid_t
    let directory: URL
    private(set) var screen = ""
    private var exited = false

    init(arguments: [String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("shell-pty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        master = PseudoTerminal.openMaster()
        guard master >= 0, let slave = PseudoTerminal.slaveName(master) else {
            throw PaddockProcess.Failure.didNotStart("no pseudo-terminal: errno \(errno)")
        }
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        var size = winsize(ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // A new session opening the terminal first makes it the child's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        pid = try ShellHarness.spawn(
            ["shell"] + arguments, actions: &actions, environment: ShellHarness.environment(directory),
            flags: PseudoTerminal.spawnSetSID)
    }

    var historyPath: String { directory.appendingPathComponent("history").path }

    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = write(master, bytes, bytes.count)
    }

    /// Reads the terminal until `screen` (everything written so far, escape sequences included)
    /// satisfies `condition`, or `timeout` passes.
    func waitFor(timeout: Duration = .seconds(10), _ condition: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            while true {
                let count = read(master, &buffer, buffer.count)
                guard count > 0 else { break }
                screen += String(decoding: buffer[0..<count], as: UTF8.self)
            }
            if condition(screen) { return true }
            guard ContinuousClock.now < deadline else { return false }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 50)
        }
    }

    /// Waits for the shell to exit; kills it if it does not within `timeout`.
    func finish(timeout: Duration = .seconds(10)) throws -> Int32 {
        exited = true
        return try ShellHarness.wait(pid, timeout: timeout)
    }

    deinit {
        if !exited {  // a failed test: the shell may still run
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
        }
        close(master)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The pty calls Swift's Glibc module leaves out (they need _XOPEN_SOURCE), looked up at run time.
enum PseudoTerminal {
    /// glibc's POSIX_SPAWN_SETSID (not imported either): the child starts a new session.
    static let spawnSetSID: Int32 = 0x80

    private typealias OpenPT = @convention(c) (Int32) -> Int32
    private typealias FDCall = @convention(c) (Int32) -> Int32
    private typealias PTSName = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?

    private static func function<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    /// posix_openpt + grantpt + unlockpt; -1 on failure.
    static func openMaster() -> Int32 {
        guard let open = function("posix_openpt", as: OpenPT.self), let grant = function("grantpt", as: FDCall.self),
            let unlock = function("unlockpt", as: FDCall.self)
        else { return -1 }
        let fd = open(O_RDWR | O_NOCTTY)
        guard fd >= 0, grant(fd) == 0, unlock(fd) == 0 else { return -1 }
        return fd
    }

    static func slaveName(_ master: Int32) -> String? {
        guard let name = function("ptsname", as: PTSName.self), let pointer = name(master) else { return nil }
        return String(cString: pointer)
    }
}
