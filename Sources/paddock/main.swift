import ArgumentParser
import Foundation
import KeeperServer
import Logging
import ServiceLifecycle
import UnixSignals

/// `paddock`: one executable, one subcommand per role (DESIGN.md). Wiring only.
@main
struct Paddock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paddock",
        abstract: "A ZooKeeper-compatible coordination service and Kafka-compatible broker.",
        version: "0.1.0",
        subcommands: [Keeper.self]
    )
}

struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func makeLogger(label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

struct Keeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one keeper member (ZooKeeper wire protocol) from a zoo.cfg file.")

    @Option(name: .long, help: "Path to a zoo.cfg-format configuration file.")
    var config: String

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.makeLogger(label: "paddock.keeper")
        let server: KeeperServer
        do {
            server = try KeeperServer.load(configPath: config, logger: logger)
        } catch {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        let group = ServiceGroup(
            services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.critical("keeper failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
