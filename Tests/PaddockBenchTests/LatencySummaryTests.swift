import PaddockBench
import Testing

@Suite("Latency percentiles and statistics")
struct LatencySummaryTests {
    /// zkbench's `pct`: index `round(q * (n - 1))` with Python's half-to-even rounding.
    @Test func percentileRoundsHalfToEvenLikePython() {
        let samples: [Int64] = [1_000_000, 2_000_000, 3_000_000, 4_000_000]
        // q * (n-1) = 1.5 rounds to 2 (even), not 1.
        #expect(LatencySummary.percentile(samples, 0.5) == 3)
        let five: [Int64] = [1, 2, 3, 4, 5, 6].map { $0 * 1_000_000 }
        // 0.5 * 5 = 2.5 rounds to 2 (even), not 3.
        #expect(LatencySummary.percentile(five, 0.5) == 3)
    }

    @Test func percentileOfNothingIsNil() {
        #expect(LatencySummary.percentile([], 0.99) == nil)
        #expect(LatencySummary(nanoseconds: []) == nil)
    }

    @Test func percentilesOfOneThousandSamplesPickTheirRanks() throws {
        // 1 ms ... 1000 ms, descending: the summary sorts.
        let samples = (1...1000).map { Int64($0) * 1_000_000 }.reversed()
        let summary = try #require(LatencySummary(nanoseconds: Array(samples)))
        #expect(summary.p50 == 501)  // round(499.5) = 500 (half to even) -> 501 ms
        #expect(summary.p90 == 900)  // round(899.1) = 899 -> 900 ms
        #expect(summary.p99 == 990)  // round(989.01) = 989 -> 990 ms
        #expect(summary.p999 == 999)  // round(998.001) = 998 -> 999 ms
        #expect(summary.max == 1000)
        #expect(summary.mean == 500.5)
    }

    @Test func medianOfAnEvenCountAveragesTheMiddlePair() {
        #expect(BenchStatistics.median([3, 1, 2]) == 2)
        #expect(BenchStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchStatistics.median([]) == nil)
    }

    @Test func roundingForReportsKeepsTheGivenDigits() {
        #expect(BenchStatistics.rounded(1234.56789, digits: 1) == 1234.6)
        #expect(BenchStatistics.rounded(0.123456, digits: 4) == 0.1235)
    }
}
