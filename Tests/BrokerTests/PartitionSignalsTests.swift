import SegmentLog
import Testing

@testable import Broker

/// Parked requests wake on a signal for one of their partitions, or at their deadline.
@Suite struct PartitionSignalsTests {
    private let orders = TopicPartition("orders", 0)
    private let other = TopicPartition("other", 0)

    @Test(.timeLimit(.minutes(1)))
    func aSignalWakesTheWaiter() async {
        let signals = PartitionSignals()
        let seen = signals.versions(of: [orders])
        let started = ContinuousClock.now
        async let waited: Void = signals.wait(for: seen, timeout: .seconds(30))
        // Until it registers, a signal is seen through the changed counter instead.
        signals.signal(other)
        signals.signal(orders)
        await waited
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func aChangeBeforeWaitingReturnsAtOnce() async {
        let signals = PartitionSignals()
        let seen = signals.versions(of: [orders])
        signals.signal(orders)
        let started = ContinuousClock.now
        await signals.wait(for: seen, timeout: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(20))
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
