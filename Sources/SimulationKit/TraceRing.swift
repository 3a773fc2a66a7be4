/// The last `capacity` timed records of a simulation, kept as values and formatted only on failure
/// (shared by `TraceLog` and `BrokerReplicationTrace`).
struct TraceRing<Record: Sendable>: Sendable {
    private var records: [(time: Int64, record: Record)] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ time: Int64, _ record: Record) {
        if records.count < capacity {
            records.append((time, record))
        } else {
            records[head] = (time, record)
            head = (head + 1) % capacity
        }
    }

    /// Oldest first.
    var ordered: [(time: Int64, record: Record)] { Array(records[head...] + records[..<head]) }
}
