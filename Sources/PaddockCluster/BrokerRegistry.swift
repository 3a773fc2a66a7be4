import KafkaZooKeeper
import KeeperClient
import Logging
import ZooKeeperWire

/// What the ensemble says about the brokers: who is registered under `/brokers/ids`, who holds
/// `/controller` and the `/controller_epoch` (Kafka's ZooKeeper-mode layout, reference/kafka.md §1),
/// read through a ZooKeeper session (no four-letter words needed).
package struct BrokerRegistry: Sendable, Equatable {
    /// The ids under `/brokers/ids`, ascending.
    package var registered: [Int]
    /// `brokerid` of `/controller`; nil when no broker is controller (or its payload is unreadable).
    package var controller: Int?
    /// The integer in `/controller_epoch`; nil before the first election.
    package var controllerEpoch: Int?

    package init(registered: [Int], controller: Int?, controllerEpoch: Int?) {
        self.registered = registered
        self.controller = controller
        self.controllerEpoch = controllerEpoch
    }

    /// Reads the three znodes through one short session on `connectString`.
    package static func read(connectString: String, timeout: Duration = .seconds(5)) async throws -> BrokerRegistry {
        let logger = Logger(label: "paddock.cluster", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = try ZooKeeperClient(connectString: connectString, sessionTimeout: .seconds(10), logger: logger)
        try await client.connect(timeout: timeout)
        do {
            let ids = try await ifExists { try await client.getChildren(ZkPaths.brokerIDs) } ?? []
            let controller = try await ifExists { try await client.getData(ZkPaths.controller).data }
            let epoch = try await ifExists { try await client.getData(ZkPaths.controllerEpoch).data }
            try await client.close()
            return BrokerRegistry(
                registered: ids.compactMap { Int($0) }.sorted(),
                controller: controller.flatMap(controllerID(fromPayload:)),
                controllerEpoch: epoch.flatMap { try? ControllerEpochPayload.decode($0) }.map(Int.init))
        } catch {
            try? await client.close()  // the read failed; that error is the one to report
            throw error
        }
    }

    /// `brokerid` of a `/controller` payload (`{"version":2,"brokerid":1,"timestamp":"…",…}`); nil
    /// when the payload is not one (`ControllerPayload` decodes it, as the brokers do).
    package static func controllerID(fromPayload payload: [UInt8]) -> Int? {
        (try? ControllerPayload.decode(payload)).map { Int($0.rawValue) }
    }

    /// `body`'s result, or nil when it failed with NONODE.
    private static func ifExists<T>(_ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }
}

extension LocalCluster {
    /// Polls the ensemble until every broker `1...brokers` is registered and one is controller.
    /// Fails at `timeout`, or at once when a broker process has exited, naming its log.
    package func waitForBrokers(timeout: Duration) async throws -> BrokerRegistry {
        let deadline = ContinuousClock.now + timeout
        let expected = brokers >= 1 ? Array(1...brokers) : []
        var last = "the ensemble was not read yet"
        while true {
            if let dead = expected.first(where: { runningPID(.broker, $0) == nil }) {
                throw Failure("broker\(dead) is not running; see \(logPath(.broker, dead))")
            }
            do {
                let registry = try await BrokerRegistry.read(connectString: connectString)
                let missing = expected.filter { !registry.registered.contains($0) }
                if missing.isEmpty, registry.controller != nil { return registry }
                last = missing.isEmpty ? "no controller elected" : "not registered: broker " + missing.map(String.init).joined(separator: ", ")
            } catch {
                last = "cannot read the ensemble: \(error)"
            }
            guard ContinuousClock.now < deadline else {
                throw Failure("brokers not ready after \(timeout) (\(last)); logs: \(directory)/broker*/broker.log")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// One `status` line for broker `n`, e.g.
    /// `broker1 pid=4242 kafka=127.0.0.1:9092 registered=yes listening=yes controller`.
    package func brokerStatusLine(_ n: Int, pid: Int?, listening: Bool, registry: BrokerRegistry?) -> String {
        let registered = registry.map { $0.registered.contains(n) ? "yes" : "no" } ?? "unknown"
        let controller = registry?.controller == n ? " controller" : ""
        return "broker\(n) pid=\(pid.map(String.init) ?? "-") kafka=\(host):\(kafkaPort(n)) registered=\(registered)"
            + " listening=\(listening ? "yes" : "no")\(controller)"
    }

    /// The `controller:` line: which broker holds `/controller`, at which epoch.
    package static func controllerLine(_ registry: BrokerRegistry?) -> String {
        guard let registry else { return "controller: unknown (ensemble unreachable)" }
        guard let id = registry.controller else { return "controller: none" }
        return "controller: broker \(id)" + (registry.controllerEpoch.map { " (epoch \($0))" } ?? "")
    }
}
