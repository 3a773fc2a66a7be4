import Foundation
import ZNodeTree
import KeeperStorage
package import Logging
import NIOCore
import ServerSupport
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import ZooKeeperWire

/// One keeper member: storage, replica driver, client listener and admin endpoint, as a
/// swift-service-lifecycle `Service`. Graceful shutdown closes client connections (clients fail
/// over and keep their sessions) and checkpoints the database.
package final class KeeperServer: Service {
    let config: KeeperConfiguration
    let logger: Logger

    package init(config: KeeperConfiguration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Reads and validates `path` (zoo.cfg format).
    package static func load(configPath: String, logger: Logger) throws -> KeeperServer {
        guard let text = KeeperConfiguration.readFile(configPath) else {
            throw KeeperConfiguration.Problem("cannot read config file \(configPath)")
        }
        let config = try KeeperConfiguration.parse(text, path: configPath)
        if !config.ignoredKeys.isEmpty {
            logger.warning(
                "config keys accepted but not used by paddock",
                metadata: ["keys": "\(config.ignoredKeys.joined(separator: ","))", "file": "\(configPath)"])
        }
        return KeeperServer(config: config, logger: logger)
    }

    package func run() async throws {
        var logger = self.logger
        logger[metadataKey: "peer.id"] = "\(config.myid)"
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        let databasePath = config.dataDir + "/" + KeeperDatabase.fileName
        let database = try KeeperDatabase(path: databasePath)
        let storage = try StorageDriver(database: database, logger: logger)
        let treeConfig = TreeConfig(extendedTypesEnabled: config.extendedTypesEnabled, skipACL: config.skipACL)
        let loaded = try storage.load(config: treeConfig)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let driver = try ReplicaDriver(
            eventLoop: loop, config: config, storage: storage, loaded: consume loaded, logger: logger)
        let fourLetterWords = FourLetterWords(whitelist: config.fourLetterWhitelist)
        let metrics = KeeperMetrics()
        try await loop.flatSubmit { driver.start() }.get()

        let endpoint = config.clientEndpoint
        let maxFrame = config.juteMaxBuffer
        let maxPerIP = config.maxClientCnxns
        let limits = config.clientLimits
        let connectionLogger = logger
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(
                    .writeBufferWaterMark,
                    value: .init(low: config.outputLowWaterBytes, high: config.outputHighWaterBytes))
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let host = channel.remoteAddress?.ipAddress ?? "unknown"
                        if maxPerIP > 0 && driver.connectionCount(fromHost: host) >= maxPerIP {
                            connectionLogger.warning(
                                "too many connections from one address, refusing",
                                metadata: ["client": "\(host)", "max_client_cnxns": "\(maxPerIP)"])
                            channel.close(promise: nil)
                            return
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(ZKServerFrameDecoder(maxFrameLength: maxFrame)))
                        try channel.pipeline.syncOperations.addHandler(
                            ClientConnection(
                                driver: driver, remote: channel.remoteAddress, fourLetterWords: fourLetterWords,
                                limits: limits, logger: connectionLogger))
                    }
                }
                .bind(host: endpoint.host, port: endpoint.port).get()
        } catch {
            await storage.shutdown()
            try? await group.shutdownGracefully()  // nothing was started on it that needs draining
            throw KeeperConfiguration.Problem("cannot listen for clients on \(endpoint.host):\(endpoint.port): \(error)")
        }

        var admin: (any Channel)?
        if config.adminEnabled {
            do {
                admin = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { [adminIdle = config.adminIdleTimeoutMillis] channel in
                        channel.eventLoop.makeCompletedFuture {
                            let pipeline = channel.pipeline.syncOperations
                            try pipeline.addHandler(IdleStateHandler(allTimeout: .milliseconds(Int64(adminIdle))))
                            try pipeline.configureHTTPServerPipeline()
                            try pipeline.addHandler(
                                AdminHTTPHandler(
                                    route: KeeperAdminRoutes(
                                        driver: driver, fourLetterWords: fourLetterWords, metrics: metrics
                                    ).route))
                        }
                    }
                    .bind(host: config.adminAddress, port: config.adminPort).get()
            } catch {
                // ZooKeeper also keeps serving clients when its AdminServer cannot start.
                logger.warning(
                    "admin endpoint not started",
                    metadata: ["address": "\(config.adminAddress):\(config.adminPort)", "error": "\(error)"])
            }
        }
        logger.info(
            "keeper serving",
            metadata: [
                "client_address": "\(endpoint.host):\(endpoint.port)", "data": "\(databasePath)",
                "admin": "\(admin.map { "\($0.localAddress?.description ?? "?")" } ?? "off")",
                "members": "\(config.servers.count)",
            ])

        let shutdownLogger = logger
        await withGracefulShutdownHandler {
            try? await server.closeFuture.get()  // the listener closing ends the member either way
        } onGracefulShutdown: {
            shutdownLogger.info("keeper shutting down")
            server.close(promise: nil)
        }
        admin?.close(promise: nil)
        try? await loop.submit { driver.shutdown() }.get()  // the loop may already be gone
        await driver.shutdownThreads()
        await storage.shutdown()
        try? await group.shutdownGracefully()  // best effort at exit
        logger.info("keeper stopped")
    }
}
