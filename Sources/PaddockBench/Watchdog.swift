import KeeperClient
import NIOCore
import Synchronization

/// Closes sessions when a step overruns its time limit.
///
/// A request to a member that stopped answering fails after the client's read timeout, but one
/// submitted while the client is reconnecting waits for the reconnect, which may never come.
/// Closing the client fails everything it has pending, so a bounded step always ends.
final class Watchdog: Sendable {
    private let fired = Atomic<Bool>(false)
    private let timer = Mutex<Scheduled<Void>?>(nil)

    /// Whether the limit passed (and the sessions were closed).
    var hasFired: Bool { fired.load(ordering: .relaxed) }

    func arm(on eventLoop: any EventLoop, after limit: TimeAmount, closing sessions: [ZooKeeperClient]) {
        let scheduled = eventLoop.scheduleTask(in: limit) { [self] in
            fired.store(true, ordering: .relaxed)
            // The timer runs on an event loop and close() is async: one task closes them all. Close
            // errors are not interesting here: the step has already failed.
            Task {
                for session in sessions { _ = try? await session.close() }
            }
        }
        timer.withLock { $0 = scheduled }
    }

    func disarm() {
        let scheduled = timer.withLock { timer in
            defer { timer = nil }
            return timer
        }
        scheduled?.cancel()
    }
}

/// How many ops of a session were claimed by its lanes (`--depth` tasks share one session's budget).
final class OpCounter: Sendable {
    private let next = Atomic<Int>(0)

    /// The op number to run next; numbers past the budget mean "stop".
    func claim() -> Int {
        next.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Numbers handed out so far (can exceed the budget: every lane claims one past it when stopping).
    var claimed: Int { next.load(ordering: .relaxed) }
}

/// Prints the first few failures of a phase (the rest are only counted), as zkbench does.
final class PhaseErrorReporter: Sendable {
    private let reported = Atomic<Int>(0)
    private let phase: KeeperBenchPhase
    private let output: BenchOutput
    private let limit = 3

    init(phase: KeeperBenchPhase, output: BenchOutput) {
        self.phase = phase
        self.output = output
    }

    func report(_ error: any Error, client: Int, op: Int) {
        let seen = reported.wrappingAdd(1, ordering: .relaxed).newValue
        if seen <= limit { output.diagnostic("  [\(phase.rawValue)] client \(client) op \(op): \(error)") }
    }

    func report(_ message: String) {
        let seen = reported.wrappingAdd(1, ordering: .relaxed).newValue
        if seen <= limit { output.diagnostic("  [\(phase.rawValue)] \(message)") }
    }
}

/// An operation that succeeded but answered something other than what was written.
struct WrongAnswer: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A watch notification that did not arrive in time.
struct WatchNotDelivered: Error, CustomStringConvertible {
    var path: String
    var description: String { "no NodeDataChanged for \(path) within the timeout" }
}
