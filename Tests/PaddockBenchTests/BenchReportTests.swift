import Foundation
import JSON
import PaddockBench
import Testing

@Suite("Report: progress line, table, JSON")
struct BenchReportTests {
    private func latency(_ p50: Double, _ p99: Double, _ p999: Double) -> LatencySummary {
        LatencySummary(p50: p50, p90: p50, p99: p99, p999: p999, max: p999, mean: p50)
    }

    private func record(
        _ target: String,
        _ phase: KeeperBenchPhase,
        clients: Int = 32,
        repeatIndex: Int = 0,
        ops: Int,
        seconds: Double = 1,
        errors: Int = 0,
        latency: LatencySummary? = nil
    ) -> PhaseRecord {
        PhaseRecord(
            target: target,
            clients: clients,
            phase: phase,
            repeatIndex: repeatIndex,
            opsBudget: 20_000,
            ops: ops,
            errors: errors,
            elapsedSeconds: seconds,
            latency: latency ?? self.latency(1, 2, 3)
        )
    }

    private var sample: BenchReport {
        BenchReport(
            targets: [
                .init(label: "zk", hosts: ["127.0.0.1:22181"], serverVersion: "3.8.0"),
                .init(label: "paddock", hosts: ["127.0.0.1:32181"], serverVersion: "paddock 0.1.0"),
            ],
            records: [
                record("zk", .create, ops: 6000, latency: latency(5, 12, 20)),
                record("zk", .create, repeatIndex: 1, ops: 5800, latency: latency(5.5, 13, 21)),
                record("paddock", .create, ops: 3000, latency: latency(10, 25, 40)),
                record("paddock", .create, repeatIndex: 1, ops: 3100, latency: latency(9, 24, 41)),
                record("zk", .get, ops: 18_000, latency: latency(1.5, 4.25, 9)),
                record("paddock", .get, ops: 20_000, errors: 2, latency: latency(1.25, 3.5, 8)),
            ],
            arguments: [("ops", .int(20_000))],
            started: "2025-01-01T00:00:00Z",
            wallSeconds: 12.34,
            processorCount: 2
        )
    }

    @Test func summaryTakesMediansOverRepeats() throws {
        let summary = sample.summary
        let zkCreate = try #require(summary.first { $0.target == "zk" && $0.phase == .create })
        #expect(zkCreate.repeats == 2)
        #expect(zkCreate.opsPerSecondMedian == 5900)
        #expect(zkCreate.opsPerSecondMin == 5800)
        #expect(zkCreate.opsPerSecondMax == 6000)
        #expect(zkCreate.p50Median == 5.25)
        #expect(zkCreate.p99Median == 12.5)
        #expect(zkCreate.p999Median == 20.5)
        #expect(zkCreate.p99Max == 13)
        #expect(summary.map(\.errors).reduce(0, +) == 2)
    }

    @Test func anyErrorFailsTheReport() {
        #expect(!sample.passed)
        var clean = sample
        clean.records.removeLast()
        #expect(clean.passed)
        clean.failures = ["run zk clients=1 repeat=1 failed: no session"]
        #expect(!clean.passed)
        var leftover = record("zk", .ephemeral, ops: 10)
        leftover.leftoverEphemerals = 1
        #expect(!BenchReport(targets: [], records: [leftover]).passed)
    }

    @Test func tableHasOneColumnPerTargetAndTheRatio() {
        // Compared without trailing blanks (cells are padded to a fixed width).
        let expected = """
            phase       cli | zk: ops/s [min-max]  p50  p99  p999 ms         | paddock: ops/s [min-max]  p50  p99  p999 ms
            -----------------------------------------------------------------------------------------------------------------
            create       32 |    5900 [5800-6000]     5.25  12.50   20.50    |    3050 [3000-3100]     9.50  24.50   40.50
            get          32 |   18000                 1.50   4.25    9.00    |   20000                 1.25   3.50    8.00 E2

            ratio paddock/zk (median ops/s):
              create     c=32 0.52x
              get        c=32 1.11x
            """
        let table = sample.table()
        let trimmed = table.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
        #expect(trimmed.joined(separator: "\n") == expected)
        // Every row of the grid is as wide as the header, so the columns line up.
        let grid = table.split(separator: "\n").prefix(4)
        #expect(Set(grid.map(\.count)).count == 1)
    }

    @Test func progressLineShowsThroughputPercentilesAndErrors() {
        let line = BenchReport.progressLine(
            record("paddock", .get, ops: 20_000, seconds: 2, errors: 2, latency: latency(1.25, 3.5, 8))
        )
        #expect(
            line
                == "  paddock  get       c=32     20000 ops   10000.0 ops/s  p50   1.250 ms  p99   3.500 ms  p999   8.000 ms  ERR=2"
        )
    }

    /// Same field names as zkbench's JSON, so `zkbench.py --compare` reads our files too.
    @Test func jsonHasZkbenchShape() throws {
        let text = sample.json().rendered(.indented(by: 1))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(parsed.keys) == ["meta", "runs", "summary"])

        let meta = try #require(parsed["meta"] as? [String: Any])
        #expect(meta["nproc"] as? Int == 2)
        #expect(meta["wall_s"] as? Double == 12.3)
        let targets = try #require(meta["targets"] as? [String: Any])
        let zk = try #require(targets["zk"] as? [String: Any])
        #expect(zk["hosts"] as? [String] == ["127.0.0.1:22181"])
        #expect(zk["server_version"] as? String == "3.8.0")

        let runs = try #require(parsed["runs"] as? [[String: Any]])
        #expect(runs.count == 6)
        #expect(
            Set(runs[0].keys) == [
                "target", "clients", "phase", "ops_budget", "ops", "errors", "wrong_answers", "elapsed_s",
                "ops_per_sec", "lat_ms", "repeat",
            ]
        )
        #expect(runs[0]["phase"] as? String == "create")
        #expect(runs[0]["ops_per_sec"] as? Double == 6000)
        let lat = try #require(runs[0]["lat_ms"] as? [String: Double])
        #expect(lat == ["p50": 5, "p90": 5, "p99": 12, "p999": 20, "max": 20, "mean": 5])

        let summary = try #require(parsed["summary"] as? [[String: Any]])
        #expect(
            Set(summary[0].keys) == [
                "target", "clients", "phase", "repeats", "ops_per_sec_median", "ops_per_sec_min", "ops_per_sec_max",
                "p50_ms_median", "p99_ms_median", "p999_ms_median", "p99_ms_max", "errors",
            ]
        )
    }

    @Test func jsonOfCompositePhasesCarriesPartsAndLeftovers() throws {
        var ephemeral = record("zk", .ephemeral, ops: 0, latency: nil)
        ephemeral.latency = nil
        ephemeral.partLatencies = [
            PartLatency(name: "connect", summary: latency(1, 2, 3)), PartLatency(name: "close", summary: nil),
        ]
        ephemeral.leftoverEphemerals = 0
        let json = BenchReport(targets: [], records: [ephemeral]).json()
        guard case .array(let runs)? = json["runs"] else {
            Issue.record("no runs")
            return
        }
        #expect(runs[0]["lat_ms"] == .object([]))
        #expect(runs[0]["leftover_ephemerals"] == .int(0))
        #expect(runs[0]["parts_lat_ms"]?["close"] == .object([]))
        #expect(runs[0]["parts_lat_ms"]?["connect"]?["p99"] == .double(2))
        guard case .array(let summary)? = json["summary"] else {
            Issue.record("no summary")
            return
        }
        #expect(summary[0]["p50_ms_median"] == .null)
    }

    @Test func jsonRendersLikePythonsIndentOne() {
        let value = JSONValue.object([
            ("a", .array([.int(1), .double(2.5)])), ("b", .object([])), ("c", .string("q\"\\\n\u{1}")),
            ("d", .double(.nan)), ("e", .bool(true)), ("f", .null),
        ])
        #expect(
            value.rendered(.indented(by: 1)) == """
                {
                 "a": [
                  1,
                  2.5
                 ],
                 "b": {},
                 "c": "q\\"\\\\\\n\\u0001",
                 "d": null,
                 "e": true,
                 "f": null
                }
                """
        )
        #expect(value.rendered(.spaced).hasPrefix("{\"a\": [1, 2.5], \"b\": {}"))
    }

    @Test func fixedPointFormattingMatchesPrintf() {
        #expect(TextFormat.fixed(1.25, 3) == "1.250")
        #expect(TextFormat.fixed(0.0005, 3) == "0.001")
        #expect(TextFormat.fixed(12_345.678, 1) == "12345.7")
        #expect(TextFormat.fixed(-0.04, 1) == "0.0")
        #expect(TextFormat.fixed(-1.5, 0) == "-2")
        #expect(TextFormat.fixed(7, 2) == "7.00")
        #expect(TextFormat.integer(5900.9, 7) == "   5900")
        #expect(TextFormat.left("ab", 4) == "ab  ")
        #expect(TextFormat.right("abcdef", 4) == "abcdef")
    }

    @Test func serverVersionComesFromTheSrvrAnswer() {
        let srvr = """
            Zookeeper version: 3.8.0-debian--1, built on 2023-02-10 00:00 UTC
            Latency min/avg/max: 0/0.0/0
            Mode: follower
            """
        #expect(FourLetterWord.serverVersion(fromSrvr: srvr) == "3.8.0-debian--1, built on 2023-02-10 00:00 UTC")
        #expect(FourLetterWord.serverVersion(fromSrvr: "") == "unknown")
        #expect(
            FourLetterWord.serverVersion(fromSrvr: "srvr is not executed because it is not in the whitelist.\n")
                == "srvr is not executed because it is not in the whitelist."
        )
    }
}
