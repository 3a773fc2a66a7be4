package import ZNodeTree
package import KeeperReplica
package import KeeperStorage
package import Logging
package import NIOCore
import NIOPosix

/// Where a `ReplicaDriver` makes its writes durable: `StorageDriver` (SQLite on its own thread)
/// in the server; the in-process driver tests hand it one that completes at once.
package protocol DurableWriter: AnyObject, Sendable {
    /// Names the storage in start-up refusals and `srvr`/`mntr` output.
    var path: String { get }
    /// Makes `write` durable, in submission order; the future completes on `eventLoop`.
    func commit(_ write: ReplicaWrite, on eventLoop: any EventLoop) -> EventLoopFuture<Void>
}

/// The driver side of `KeeperDatabase`: runs every database call on one dedicated thread, so
/// SQLite and fsync never block an event loop (STYLE.md §3), and calls complete in order.
package final class StorageDriver: DurableWriter, @unchecked Sendable {
    // @unchecked: `database` is only touched from the single thread of `pool` (one thread, so
    // submitted work runs in submission order and never concurrently).
    private let database: KeeperDatabase
    private let pool: NIOThreadPool
    package let path: String
    /// WAL checkpoints run here, off the commit thread (see `WALCheckpointer`).
    private let checkpointer: WALCheckpointer
    private let checkpointPool: NIOThreadPool
    private let checkpointLoop: Task<Void, Never>

    /// How often the WAL is checkpointed in the background.
    static let checkpointInterval: Duration = .milliseconds(100)

    package init(database: KeeperDatabase, logger: Logger) throws {
        self.database = database
        self.path = database.path
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let checkpointer = try database.makeCheckpointer()
        let checkpointPool = NIOThreadPool(numberOfThreads: 1)
        checkpointPool.start()
        self.checkpointer = checkpointer
        self.checkpointPool = checkpointPool
        self.checkpointLoop = Task {
            var failing = false
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.checkpointInterval)
                do {
                    _ = try await checkpointPool.runIfActive { try checkpointer.checkpoint() }
                    if failing { logger.info("WAL checkpoints succeed again") }
                    failing = false
                } catch {
                    // Every commit stays in the WAL meanwhile (nothing is lost); say so once.
                    if !failing && !Task.isCancelled {
                        logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
                    }
                    failing = true
                }
            }
        }
    }

    /// Loads the persisted state (blocking; called once at start-up before serving).
    package func load(config: TreeConfig) throws -> LoadedState {
        try database.load(config: config)
    }

    /// Commits `batch` durably; the future completes on `eventLoop`.
    package func commit(_ batch: ReplicaWrite, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let database = self.database
        return pool.runIfActive(eventLoop: eventLoop) { try database.commit(batch) }
    }

    /// Checkpoints the WAL and closes the database.
    package func shutdown() async {
        checkpointLoop.cancel()
        await checkpointLoop.value
        let checkpointer = self.checkpointer
        _ = try? await checkpointPool.runIfActive { checkpointer.close() }
        try? await checkpointPool.shutdownGracefully()
        let database = self.database
        _ = try? await pool.runIfActive { try database.checkpoint() }  // best effort: WAL replays on open anyway
        try? await pool.shutdownGracefully()  // nothing else to do if the pool is already gone
        database.close()
    }
}
