/// Request counters and latency figures for `srvr`, `stat`, `mntr` and `cons`
/// (`ServerStats` / `ServerCnxn` stats in ZooKeeper).
package struct LatencyStats: Sendable {
    package var count: Int64 = 0
    package var total: Int64 = 0
    package var min: Int64 = 0
    package var max: Int64 = 0

    package mutating func record(_ millis: Int64) {
        min = count == 0 ? millis : Swift.min(min, millis)
        max = Swift.max(max, millis)
        count += 1
        total += millis
    }

    package var average: Double { count == 0 ? 0 : Double(total) / Double(count) }

    package mutating func reset() { self = LatencyStats() }
}

package struct ServerStats: Sendable {
    package var packetsReceived: Int64 = 0
    package var packetsSent: Int64 = 0
    package var latency = LatencyStats()

    package mutating func reset() { self = ServerStats() }
}
