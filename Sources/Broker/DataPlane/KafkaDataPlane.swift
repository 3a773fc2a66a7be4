import KafkaZooKeeper
package import Logging
package import NIOCore
import NIOPosix
import ServiceLifecycle

/// The broker's data plane as a `Service` next to `BrokerServer` (the control plane): the partition
/// logs and the Kafka listeners serving them.
///
/// Once the ensemble has been read for the first time (topic configs, and which topics still exist,
/// come from there) it opens the log dirs, then runs the `PartitionManager` and one `KafkaListener` per
/// `listeners` entry. Graceful shutdown first asks the controller to move this broker's leaderships
/// away (controlled shutdown), then stops the listeners and closes every log cleanly (flushed,
/// checkpointed, clean-shutdown marker), also when the service is cancelled.
package final class KafkaDataPlane: Service, Sendable {
    private let server: BrokerServer
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    package init(
        server: BrokerServer, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.server = server
        self.eventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "broker.id"] = "\(server.configuration.brokerID)"
        self.logger = logger
    }

    package func run() async throws {
        // Blocking file I/O of the logs runs here, never on an event loop.
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        // Before the first metadata read: the endpoint reports what the broker knows, even nothing yet.
        let admin: (any Channel)? =
            if let port = server.configuration.adminPort {
                await BrokerAdminEndpoint.start(port: port, server: server, group: eventLoopGroup, logger: logger)
            } else {
                nil
            }
        var failure: (any Error)?
        do {
            try await serve(threadPool: threadPool)
        } catch is CancellationError {
            logger.debug("data plane cancelled")
        } catch {
            failure = error
        }
        admin?.close(promise: nil)
        try await threadPool.shutdownGracefully()
        if let failure { throw failure }
    }

    private func serve(threadPool: NIOThreadPool) async throws {
        let configuration = server.configuration
        let first = try await cancelWhenGracefulShutdown {
            for await snapshot in self.server.metadata.updates() where snapshot.clusterID != nil { return snapshot }
            throw CancellationError()
        }
        let server = self.server
        let partitions = try await PartitionManager.open(
            configuration: configuration, snapshot: first, threadPool: threadPool,
            topicOverrides: { try await server.topicConfigOverrides($0) },
            isrWriter: { await server.writeISR($0, state: $1, version: $2) },
            metrics: server.metrics, logger: logger)
        let group = eventLoopGroup
        let logger = self.logger
        let producerIDs = ProducerIDAllocator(brokerID: configuration.brokerID)
        let permits = RequestPermits(count: Int(configuration.queuedMaxRequests))
        let requestBytes = RequestByteBudget(limit: configuration.queuedRequestBytesLimit)
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                // Graceful shutdown: move this broker's leaderships away first (controlled shutdown),
                // while its listeners still serve the followers that take over; then stop.
                tasks.addTask {
                    try await gracefulShutdown()
                    await server.controlledShutdown(group: group, logger: logger)
                    throw CancellationError()
                }
                tasks.addTask { try await partitions.run(metadata: server.metadata) }
                let fetchers = ReplicaFetcherManager(
                    configuration: configuration, metadata: server.metadata, partitions: partitions, group: group,
                    logger: logger)
                tasks.addTask { try await fetchers.run() }
                let groups = GroupCoordinator(
                    brokerID: configuration.brokerID, settings: configuration.groupCoordinator, partitions: partitions,
                    metadata: server.metadata, maxDecompressedBytes: Int(configuration.maxDecompressedBatchBytes),
                    logger: logger)
                server.metrics.reportGroups { groups.metricsText(highWatermark: partitions.highWatermark(of:)) }
                tasks.addTask { try await groups.run() }
                for endpoint in configuration.listeners {
                    let handler = KafkaRequestHandler(
                        server: server, partitions: partitions, producerIDs: producerIDs, groups: groups,
                        listenerName: endpoint.listenerName, permits: permits, logger: logger)
                    let listener = KafkaListener(
                        endpoint: endpoint, handler: handler,
                        maxFrameSize: Int(configuration.socketRequestMaxBytes),
                        idleTimeout: .milliseconds(configuration.connectionsMaxIdleMs), permits: permits,
                        requestBytes: requestBytes, logger: logger)
                    tasks.addTask { try await listener.run(on: group) }
                }
                try await tasks.next()
            }
        } catch is CancellationError {
            // Graceful shutdown or cancellation: close the logs below.
        } catch {
            failure = error
        }
        logger.info("kafka listeners stopped; closing logs")
        await partitions.close(on: group.next())
        if let failure { throw failure }
    }
}
