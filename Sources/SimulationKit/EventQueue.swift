/// A min-heap of timed events; ties break by insertion order, so runs are deterministic.
struct EventQueue<Event: Sendable>: Sendable {
    private struct Item: Sendable {
        var time: Int64
        var sequence: UInt64
        var event: Event

        func precedes(_ other: Item) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Item] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: Int64? { heap.first?.time }

    mutating func schedule(_ event: Event, at time: Int64) {
        sequence += 1
        heap.append(Item(time: time, sequence: sequence, event: event))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: Int64, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let item = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count && heap[left].precedes(heap[best]) { best = left }
            if right < heap.count && heap[right].precedes(heap[best]) { best = right }
            if best == parent { break }
            heap.swapAt(parent, best)
            parent = best
        }
        return (item.time, item.event)
    }
}

/// A simulator's clock and pending events. Time only moves when the loop takes the next event.
package struct SimulationLoop<Event: Sendable>: Sendable {
    /// Simulated time: the time of the event being handled, or where the last run stopped.
    package private(set) var now: Int64 = 0
    /// Events handled so far (reports print it beside the seed).
    package private(set) var eventCount = 0
    private var queue = EventQueue<Event>()

    package init() {}

    package var pendingEvents: Int { queue.count }

    mutating func schedule(_ event: Event, at time: Int64) { queue.schedule(event, at: time) }

    /// The next event due no later than `end`, with the clock moved to its time; nil when none is.
    mutating func next(through end: Int64) -> Event? {
        guard let time = queue.nextTime, time <= end, let (t, event) = queue.pop() else { return nil }
        now = t
        eventCount += 1
        return event
    }

    mutating func advance(to time: Int64) { now = max(now, time) }
}

/// The one event loop every simulator runs (the Raft-only, the keeper and the broker replication
/// simulations): take the next timed event, handle it, stop at the first invariant violation.
/// Each simulator supplies its events and what handling one means; nothing else differs.
package protocol DiscreteEventSimulation {
    associatedtype Event: Sendable
    /// The clock and the pending events. Settable for the loop below; only the simulator itself
    /// schedules events.
    var loop: SimulationLoop<Event> { get set }
    /// The first invariant violation, which stops the run.
    var violation: String? { get }
    /// Performs one event; `now` is its time. Checks that run after every event belong here.
    mutating func handle(_ event: Event)
}

extension DiscreteEventSimulation {
    package var now: Int64 { loop.now }
    package var eventCount: Int { loop.eventCount }

    /// Runs `steps` units of simulated time, or until an invariant fails (the clock then stays at
    /// the failing event).
    package mutating func run(steps: Int64) {
        let end = loop.now + steps
        while violation == nil, let event = loop.next(through: end) { handle(event) }
        if violation == nil { loop.advance(to: end) }
    }

    /// Runs in slices of `interval` until `condition` holds; whether it did within `limit`.
    package mutating func run(upTo limit: Int64, every interval: Int64, until condition: (Self) -> Bool) -> Bool {
        let end = loop.now + limit
        while loop.now < end {
            if condition(self) { return true }
            run(steps: min(interval, end - loop.now))
            if violation != nil { return false }
        }
        return condition(self)
    }
}
