import Foundation
import KafkaZooKeeper
import KeeperClient
import PaddockTestSupport

@testable import Broker

#if canImport(Glibc)
import Glibc
#endif

/// A `paddock broker` child process for loopback tests, started through a shell wrapper that
/// SIGKILLs it when the test closes the wrapper's stdin (or dies), as `PaddockProcess` does for keepers.
final class BrokerProcess: @unchecked Sendable {
    // @unchecked: the mutable wrapper field is touched only by the test that owns the process, serially.
    let id: Int
    let directory: URL
    let port: Int
    private var wrapper: (pid: pid_t, stdin: Int32)?

    var logPath: String { directory.appendingPathComponent("broker.log").path }
    private var pidFile: String { directory.appendingPathComponent("broker.pid").path }

    /// - Parameters:
    ///   - port: the listener port; a free one when nil.
    ///   - name: the directory name under `root` (several incarnations of one id need several).
    ///   - extraProperties: more `server.properties` lines.
    init(
        id: Int, connectString: String, sessionTimeoutMs: Int, under root: URL, port: Int? = nil, name: String? = nil,
        extraProperties: String = ""
    ) throws {
        self.id = id
        self.directory = root.appendingPathComponent(name ?? "broker\(id)")
        self.port = try port ?? freePorts(1)[0]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let properties = """
            # written by BrokerProcess
            broker.id=\(id)
            listeners=PLAINTEXT://127.0.0.1:\(self.port)
            log.dirs=\(directory.appendingPathComponent("logs").path)
            zookeeper.connect=\(connectString)
            zookeeper.session.timeout.ms=\(sessionTimeoutMs)
            num.network.threads=3
            \(extraProperties)

            """
        try properties.write(to: directory.appendingPathComponent("server.properties"), atomically: true, encoding: .utf8)
        let script = """
            for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
            "$0" broker --config "$1" >>"$2" 2>&1 </dev/null &
            echo $! > "$3"
            read _
            kill -9 $! 2>/dev/null
            wait
            exit 0
            """
        wrapper = try spawnWithStdinPipe([
            "/bin/bash", "-c", script, try PaddockProcess.binary(), directory.appendingPathComponent("server.properties").path,
            logPath, pidFile,
        ])
    }

    /// The broker's pid, once the wrapper wrote it.
    var pid: pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sends `signal` to the broker itself (not the wrapper).
    func send(_ signal: Int32) {
        if let pid { _ = Glibc.kill(pid, signal) }
    }

    /// SIGKILLs the broker (if still running) and reaps the wrapper.
    func stop() {
        guard let wrapper else { return }
        self.wrapper = nil
        close(wrapper.stdin)
        _ = waitpid(wrapper.pid, nil, 0)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "<no log>" }

    deinit { stop() }
}

/// A keeper and brokers for one test, observed through a client on the same chroot.
final class BrokerCluster: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    let keeper: PaddockProcess
    let connectString: String
    let client: ZooKeeperClient
    var brokers: [Int: BrokerProcess] = [:]
    let root: URL
    let sessionTimeoutMs: Int
    let extraProperties: String

    init(brokerIDs: [Int], sessionTimeoutMs: Int, extraProperties: String = "") async throws {
        keeper = try await PaddockProcess.start()
        connectString = keeper.connectString + "/kafka-\(UUID().uuidString.prefix(8).lowercased())"
        root = keeper.directory
        self.sessionTimeoutMs = sessionTimeoutMs
        self.extraProperties = extraProperties
        for id in brokerIDs {
            brokers[id] = try BrokerProcess(
                id: id, connectString: connectString, sessionTimeoutMs: sessionTimeoutMs, under: root, extraProperties: extraProperties)
        }
        client = try ZooKeeperClient(connectString: connectString)
        try await client.connect()
    }

    /// Runs `body` against a fresh cluster and stops it afterwards, also when `body` throws.
    static func with(
        brokerIDs: [Int], sessionTimeoutMs: Int, extraProperties: String = "", _ body: (BrokerCluster) async throws -> Void
    ) async throws {
        let cluster = try await BrokerCluster(brokerIDs: brokerIDs, sessionTimeoutMs: sessionTimeoutMs, extraProperties: extraProperties)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// Starts another `paddock broker` process for `id` (not tracked in `brokers`).
    func launchBroker(id: Int, port: Int? = nil, name: String) throws -> BrokerProcess {
        try BrokerProcess(
            id: id, connectString: connectString, sessionTimeoutMs: sessionTimeoutMs, under: root, port: port, name: name,
            extraProperties: extraProperties)
    }

    func stop() async {
        try? await client.close()
        for broker in brokers.values { broker.stop() }
        keeper.stop()
    }

    /// The brokers' logs, for failure messages.
    var logs: String {
        brokers.keys.sorted().map { "--- broker \($0)\n\(brokers[$0]!.log.suffix(3000))" }.joined(separator: "\n")
    }

    func snapshot() async throws -> ClusterSnapshot { try await ClusterReader(client: client).read(watch: false) }

    func registeredIDs() async throws -> [String] { try await client.childrenIfExists(ZkPaths.brokerIDs) }

    /// The controller and its epoch, when both exist.
    func controller() async throws -> (id: BrokerID, epoch: Int32)? {
        let snapshot = try await snapshot()
        guard let id = snapshot.controller, let epoch = snapshot.controllerEpoch else { return nil }
        return (id, epoch.epoch)
    }

    /// Runs `paddock topics <arguments>` and returns its exit status and combined output.
    func topics(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let output = root.appendingPathComponent("topics-\(UUID().uuidString).out").path
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let script = "\"$0\" topics \(quoted) --zookeeper '\(connectString)' >\"$1\" 2>&1 </dev/null"
        let (pid, stdin) = try spawnWithStdinPipe(["/bin/bash", "-c", script, try PaddockProcess.binary(), output])
        defer { close(stdin) }
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard ContinuousClock.now < deadline else {
                _ = Glibc.kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return (-1, "timed out")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return ((status >> 8) & 0xff, text)
    }
}
