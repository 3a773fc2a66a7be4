import SegmentLog
import Synchronization

/// One `log.dirs` entry and every partition log in it, behind one lock. `PartitionLog` is synchronous
/// and not `Sendable`, and `LogDirectory.writeCheckpoints()` reads every log of the directory, so all
/// work on a directory's logs is serialised here. Callers run it on the broker's `NIOThreadPool`,
/// never on an event loop. One lock per directory (not per partition) keeps the rule simple; it
/// serialises appends and reads to different partitions of the same directory.
final class LockedLogDirectory: Sendable {
    let path: String
    private let directory: Mutex<LogDirectory>

    init(_ directory: consuming sending LogDirectory) {
        self.path = directory.path
        self.directory = Mutex(directory)
    }

    /// Runs `body` with the directory locked. Nothing non-`Sendable` escapes: the result is `Sendable`.
    func withLock<Result: Sendable>(_ body: (LogDirectory) throws -> Result) throws -> Result {
        try directory.withLock { directory throws -> Result in try body(directory) }
    }
}
