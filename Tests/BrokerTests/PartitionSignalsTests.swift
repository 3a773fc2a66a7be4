import SegmentLog
import Testing

@testable import Broker

/// Parked requests wake on a signal for one of their partitions, or at their deadline.
@Suite struct PartitionSignalsTests {
    private let orders = TopicPartition("orders", 0)
    private let other = TopicPartition("other", 0)

    // Timeouts of an hour, and at most ten minutes allowed: a test starved by the rest of the suite (two
    // cores, synchronous file work on the cooperative pool) still tells a wake-up from a timeout.
    @Test(.timeLimit(.minutes(30)))
    func aSignalWakesTheWaiter() async {
        let signals = PartitionSignals()
        let seen = signals.versions(of: [orders])
        let started = ContinuousClock.now
        async let waited: Void = signals.wait(for: seen, timeout: .seconds(3600))
        // Until it registers, a signal is seen through the changed counter instead.
        signals.signal(other)
        signals.signal(orders)
        await waited
        #expect(ContinuousClock.now - started < .seconds(600))
    }

    @Test func aChangeBeforeWaitingReturnsAtOnce() async {
        let signals = PartitionSignals()
        let seen = signals.versions(of: [orders])
        signals.signal(orders)
        let started = ContinuousClock.now
        await signals.wait(for: seen, timeout: .seconds(3600))
        #expect(ContinuousClock.now - started < .seconds(600))
    }

    @Test func withoutASignalTheDeadlineEndsTheWait() async {
        let signals = PartitionSignals()
        let seen = signals.versions(of: [orders])
        signals.signal(other)
        let started = ContinuousClock.now
        await signals.wait(for: seen, timeout: .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }
}
