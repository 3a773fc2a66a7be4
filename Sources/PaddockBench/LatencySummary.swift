/// Percentiles of one phase's latencies in milliseconds, computed exactly as `zkbench.py` does
/// (`pct`/`lat_summary`) so that the two tools' numbers can sit in one table.
package struct LatencySummary: Hashable, Sendable {
    package var p50: Double
    package var p90: Double
    package var p99: Double
    package var p999: Double
    package var max: Double
    package var mean: Double

    package init(p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.mean = mean
    }

    /// nil for no samples (zkbench writes `{}` then).
    package init?(nanoseconds samples: [Int64]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        self.p50 = Self.percentile(sorted, 0.50)!
        self.p90 = Self.percentile(sorted, 0.90)!
        self.p99 = Self.percentile(sorted, 0.99)!
        self.p999 = Self.percentile(sorted, 0.999)!
        self.max = Double(sorted[sorted.count - 1]) / 1e6
        var sum = 0.0
        for sample in sorted { sum += Double(sample) }
        self.mean = sum / Double(sorted.count) / 1e6
    }

    /// The `q` quantile of ascending nanosecond samples, in milliseconds: the sample at index
    /// `round(q * (n - 1))`, rounding half to even as Python's `round` does (nearest rank, no
    /// interpolation). nil for no samples.
    package static func percentile(_ sortedNanoseconds: [Int64], _ q: Double) -> Double? {
        guard !sortedNanoseconds.isEmpty else { return nil }
        let last = sortedNanoseconds.count - 1
        let position = (q * Double(last)).rounded(.toNearestOrEven)
        let index = Swift.min(last, Swift.max(0, Int(position)))
        return Double(sortedNanoseconds[index]) / 1e6
    }
}

/// Small statistics over repeats, as Python's `statistics` module computes them.
package enum BenchStatistics {
    /// The median; for an even count the mean of the two middle values (`statistics.median`).
    package static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        if sorted.count % 2 == 1 { return sorted[middle] }
        return (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// `round(value, digits)` for reporting (ops/s to 0.1, elapsed seconds to 0.1 ms).
    package static func rounded(_ value: Double, digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded(.toNearestOrEven) / scale
    }
}
