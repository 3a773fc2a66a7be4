package import JSON
import KeeperClient
package import Logging
package import NIOCore
import NIOPosix

/// `paddock bench keeper`: measures ZooKeeper-protocol ensembles side by side, phase by phase, the
/// way `shared/bench/zkbench.py` does (same phases, budgets, percentiles, table and JSON fields).
///
/// For every repeat, every session count and every target (the target order alternates between
/// repeats so neither side always goes first), one run (`KeeperBenchRun`) builds a fresh namespace
/// under `/paddock-bench-<random>`, opens the sessions, runs the phases and deletes the namespace.
/// Only the configured hosts are contacted; every wait is bounded.
package struct KeeperBenchmark: Sendable {
    package let configuration: KeeperBenchConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let output: BenchOutput

    package init(
        configuration: KeeperBenchConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        output: BenchOutput = .standard
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.output = output
    }

    /// Runs everything, prints progress and the table, writes the JSON file if asked, and returns
    /// the report; `report.passed` is false if any op failed or answered wrong.
    /// - Throws: only when the JSON file cannot be written.
    package func run() async throws -> BenchReport {
        let clock = ContinuousClock()
        let started = clock.now
        var report = BenchReport(
            targets: [],
            records: [],
            arguments: configuration.jsonArguments,
            started: BenchEnvironment.timestamp(),
            processorCount: System.coreCount
        )
        for target in configuration.targets {
            let version = await serverVersion(target.hosts[0])
            let hosts = target.hosts.map(\.description)
            report.targets.append(.init(label: target.label, hosts: hosts, serverVersion: version))
            output.line("target \(target.label): \(hosts.joined(separator: ",")) (\(version))")
            if target.hosts.count < 2, configuration.phases.contains(.watch) {
                output.diagnostic("note: target \(target.label) has one host; the watch phase's sessions share it")
            }
        }

        if configuration.warmupOps > 0 {
            for target in configuration.targets {
                output.line("== warm-up \(target.label) (\(configuration.warmupOps) ops/phase, not recorded)")
                let plan = KeeperBenchRun.Plan(
                    clients: configuration.maxClients,
                    ops: configuration.warmupOps,
                    seconds: min(5, configuration.seconds),
                    phases: configuration.warmupPhases,
                    repeatIndex: -1,
                    quiet: true
                )
                do {
                    _ = try await makeRun(target: target, plan: plan).run()
                } catch {
                    output.diagnostic("warm-up of \(target.label) failed: \(error)")
                }
            }
        }

        for repeatIndex in 0..<configuration.repeatCount {
            // Alternate the target order every repeat so neither side always goes first.
            let order = repeatIndex % 2 == 0 ? configuration.targets : configuration.targets.reversed()
            for clients in configuration.clients {
                for target in order {
                    let round = "\(repeatIndex + 1)/\(configuration.repeatCount)"
                    output.line("== repeat \(round)  target \(target.label)  clients \(clients)")
                    let plan = KeeperBenchRun.Plan(
                        clients: clients,
                        ops: configuration.ops,
                        seconds: configuration.seconds,
                        phases: configuration.phases,
                        repeatIndex: repeatIndex,
                        quiet: false
                    )
                    do {
                        report.records += try await makeRun(target: target, plan: plan).run()
                    } catch {
                        let failure =
                            "run \(target.label) clients=\(clients) repeat=\(repeatIndex + 1) failed: \(error)"
                        output.diagnostic(failure)
                        report.failures.append(failure)
                    }
                }
            }
        }

        let elapsed = clock.now - started
        report.wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        output.line("")
        output.line(report.table())
        if let path = configuration.jsonPath {
            try BenchEnvironment.write(report.json().rendered(.indented(by: 1)) + "\n", toFile: path)
            output.line("")
            output.line("JSON written to \(path)")
        }
        return report
    }

    private func makeRun(target: KeeperBenchConfiguration.Target, plan: KeeperBenchRun.Plan) -> KeeperBenchRun {
        KeeperBenchRun(
            target: target,
            plan: plan,
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            output: output
        )
    }

    /// What the first host's `srvr` says it is (zkbench's `server_version`).
    private func serverVersion(_ host: HostAndPort) async -> String {
        do {
            let reply = try await ZooKeeperClient.fourLetterWord(
                "srvr",
                to: host,
                eventLoopGroup: eventLoopGroup,
                timeout: .seconds(3)
            )
            return FourLetterWord.serverVersion(fromSrvr: reply)
        } catch {
            return "ERROR: \(error)"
        }
    }
}

extension KeeperBenchConfiguration {
    /// The options as `meta.args` of the JSON file, with zkbench's names where it has them.
    package var jsonArguments: [JSONValue.Member] {
        [
            (
                "targets",
                .array(targets.map { .string($0.label + "=" + $0.hosts.map(\.description).joined(separator: ",")) })
            ),
            ("clients", .array(clients.map(JSONValue.int))),
            ("ops", .int(ops)),
            ("seconds", .double(seconds)),
            ("size", .int(size)),
            ("children", .int(children)),
            ("depth", .int(depth)),
            ("phases", .string(phases.map(\.rawValue).joined(separator: ","))),
            ("repeat", .int(repeatCount)),
            ("warmup_ops", .int(warmupOps)),
            ("session_timeout_ms", .int(sessionTimeoutMilliseconds)),
            ("json", jsonPath.map(JSONValue.string) ?? .null),
        ]
    }
}
