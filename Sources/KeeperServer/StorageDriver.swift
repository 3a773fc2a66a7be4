package import ZNodeTree
package import KeeperReplica
package import KeeperStorage
package import Logging
package import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// Where a `ReplicaDriver` makes its writes durable: `StorageDriver` (SQLite on its own thread)
/// in the server; the in-process driver tests hand it one that completes at once.
package protocol DurableWriter: AnyObject, Sendable {
    /// Names the storage in start-up refusals and `srvr`/`mntr` output: the tree file, and the
    /// log file (which holds the hard state too).
    var path: String { get }
    var logPath: String { get }
    /// Makes `write` durable, in submission order; the future completes on `eventLoop`.
    func commit(_ write: ReplicaWrite, on eventLoop: any EventLoop) -> EventLoopFuture<Void>
    /// Makes `checkpoint` durable beside the log writes (one at a time); completes on `eventLoop`.
    func checkpoint(_ checkpoint: ReplicaCheckpoint, on eventLoop: any EventLoop) -> EventLoopFuture<Void>
}

/// The driver side of `KeeperDatabase`: log writes on one dedicated thread and tree checkpoints
/// on another, so SQLite and fsync never block an event loop (STYLE.md §3), log writes complete
/// in order, and a checkpoint never holds one up.
package final class StorageDriver: DurableWriter, @unchecked Sendable {
    // @unchecked: `database` is called from the single thread of `pool` (commits, in submission
    // order) and the single thread of `treePool` (checkpoints); the two use separate connections.
    private let database: KeeperDatabase
    private let pool: NIOThreadPool
    private let treePool: NIOThreadPool
    package let path: String
    package let logPath: String
    /// WAL checkpoints of both files run here, off the commit thread (see `WALCheckpointer`).
    private let checkpointers: [WALCheckpointer]
    private let checkpointPool: NIOThreadPool
    private let checkpointLoop: Task<Void, Never>

    /// Writes submitted and not yet picked up by the commit thread, and whether it is draining.
    private let queue = NIOLockedValueBox<CommitQueue>(CommitQueue())

    private struct CommitQueue {
        var writes: [(write: ReplicaWrite, promise: EventLoopPromise<Void>)] = []
        var draining = false
    }

    /// How often the WAL is checkpointed in the background.
    static let checkpointInterval: Duration = .milliseconds(100)

    package init(database: KeeperDatabase, logger: Logger) throws {
        self.database = database
        self.path = database.path
        self.logPath = database.logPath
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        self.treePool = NIOThreadPool(numberOfThreads: 1)
        treePool.start()
        let checkpointers = try database.makeCheckpointers()
        let checkpointPool = NIOThreadPool(numberOfThreads: 1)
        checkpointPool.start()
        self.checkpointers = checkpointers
        self.checkpointPool = checkpointPool
        self.checkpointLoop = Task {
            var failing = false
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.checkpointInterval)
                do {
                    _ = try await checkpointPool.runIfActive { for checkpointer in checkpointers { try checkpointer.checkpoint() } }
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

    /// Commits `batch` durably; the future completes on `eventLoop`. Writes that queue up while
    /// the commit thread is busy go to disk together, in order, with one fsync (a group commit):
    /// a follower that receives appends faster than one fsync takes stays one fsync behind
    /// instead of one per append.
    package func commit(_ batch: ReplicaWrite, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let startDrain = queue.withLockedValue { queue in
            queue.writes.append((batch, promise))
            defer { queue.draining = true }
            return !queue.draining
        }
        if startDrain {
            pool.submit { [self] state in
                // A pool already shut down commits nothing: every queued write fails.
                guard case .active = state else { return drain(failing: ChannelError.ioOnClosedChannel) }
                drain(failing: nil)
            }
        }
        return promise.futureResult
    }

    /// Commits what is queued, group by group, until the queue is empty (on the commit thread);
    /// with `failing`, fails it instead.
    private func drain(failing: (any Error)?) {
        while true {
            let group = queue.withLockedValue { queue in
                defer { queue.writes = [] }
                if queue.writes.isEmpty { queue.draining = false }
                return queue.writes
            }
            if group.isEmpty { return }
            do {
                if let failing { throw failing }
                try database.commit(group.map(\.write))
                for entry in group { entry.promise.succeed(()) }
            } catch {
                // None of the group is known durable; the driver stops serving on the first.
                for entry in group { entry.promise.fail(error) }
            }
        }
    }

    /// Writes a tree checkpoint on the checkpoint thread; the future completes on `eventLoop`.
    package func checkpoint(_ checkpoint: ReplicaCheckpoint, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let database = self.database
        return treePool.runIfActive(eventLoop: eventLoop) { try database.checkpoint(checkpoint) }
    }

    /// Checkpoints the WALs and closes the database.
    package func shutdown() async {
        checkpointLoop.cancel()
        await checkpointLoop.value
        let checkpointers = self.checkpointers
        _ = try? await checkpointPool.runIfActive { for checkpointer in checkpointers { checkpointer.close() } }
        try? await checkpointPool.shutdownGracefully()
        try? await treePool.shutdownGracefully()  // a checkpoint in flight finishes first
        let database = self.database
        _ = try? await pool.runIfActive { try database.checkpointWAL() }  // best effort: WAL replays on open anyway
        try? await pool.shutdownGracefully()  // nothing else to do if the pool is already gone
        database.close()
    }
}
