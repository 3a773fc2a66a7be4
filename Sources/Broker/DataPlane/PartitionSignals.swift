package import SegmentLog
import Synchronization

/// Wakes requests parked on partitions (Kafka's fetch purgatory, reduced to what a single-replica
/// leader needs): every partition has a change counter, bumped when data is appended to it or when
/// this broker starts serving it. A request notes the counters, reads, and if it has to wait, waits
/// until one of its partitions' counters moves past what it noted, or until its deadline.
///
/// Waiting never blocks a thread: waiters are continuations, resumed exactly once (by a change, by
/// the deadline, or by cancellation).
package final class PartitionSignals: Sendable {
    /// The counters a request saw, per partition.
    package typealias Versions = [TopicPartition: UInt64]

    private struct Waiter {
        var partitions: Versions
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var versions: [TopicPartition: UInt64] = [:]
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters that have an id but have not registered yet.
        var pending: Set<UInt64> = []
        /// Pending waiters cancelled before they registered.
        var cancelled: Set<UInt64> = []
        var nextWaiter: UInt64 = 0

        func changed(_ seen: Versions) -> Bool {
            seen.contains { versions[$0.key, default: 0] != $0.value }
        }
    }

    private let state = Mutex(State())

    package init() {}

    /// The current counters of `partitions`.
    package func versions(of partitions: some Sequence<TopicPartition>) -> Versions {
        state.withLock { state in
            Dictionary(partitions.map { ($0, state.versions[$0, default: 0]) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Something happened to `partition` (an append, or this broker began serving it): wake whoever waits on it.
    package func signal(_ partition: TopicPartition) {
        let woken = state.withLock { state in
            state.versions[partition, default: 0] &+= 1
            let ready = state.waiters.filter { $0.value.partitions[partition] != nil }
            for id in ready.keys { state.waiters.removeValue(forKey: id) }
            return ready.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once a partition of `seen` changed since its counter was noted, or after `timeout`,
    /// or when the task is cancelled, whichever comes first.
    package func wait(for seen: Versions, timeout: Duration) async {
        guard !seen.isEmpty, timeout > .zero else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(seen) }
            group.addTask { try? await Task.sleep(for: timeout) }  // cancelled once the other one returns
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(_ seen: Versions) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            state.pending.insert(state.nextWaiter)
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    state.pending.remove(id)
                    if state.cancelled.remove(id) != nil || state.changed(seen) { return true }
                    state.waiters[id] = Waiter(partitions: seen, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                if state.pending.remove(id) != nil { state.cancelled.insert(id) }
                return state.waiters.removeValue(forKey: id)
            }
            waiter?.continuation.resume()
        }
    }
}
