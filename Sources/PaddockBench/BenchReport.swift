package import JSON
/// Everything one `paddock bench keeper` invocation measured, and its renderings: the progress line
/// per phase, the side-by-side table at the end, the JSON file. Shapes follow `zkbench.py`, with
/// p999 added, so the two tools' outputs can be compared (and `zkbench.py --compare` reads ours).
package struct BenchReport: Hashable, Sendable {
    /// One measured ensemble: label, hosts as given, and what its `srvr` says it is.
    package struct TargetInfo: Hashable, Sendable {
        package var label: String
        package var hosts: [String]
        package var serverVersion: String

        package init(label: String, hosts: [String], serverVersion: String) {
            self.label = label
            self.hosts = hosts
            self.serverVersion = serverVersion
        }
    }

    package var targets: [TargetInfo]
    package var records: [PhaseRecord]
    /// The command line, echoed into the JSON's `meta.args`.
    package var arguments: [JSONValue.Member]
    /// `meta.started` (ISO 8601) and `meta.wall_s`, supplied by the runner.
    package var started: String
    package var wallSeconds: Double
    package var processorCount: Int
    /// Runs that could not be carried out at all (no session, say): each makes the report fail.
    package var failures: [String] = []

    package init(
        targets: [TargetInfo],
        records: [PhaseRecord],
        arguments: [JSONValue.Member] = [],
        started: String = "",
        wallSeconds: Double = 0,
        processorCount: Int = 0
    ) {
        self.targets = targets
        self.records = records
        self.arguments = arguments
        self.started = started
        self.wallSeconds = wallSeconds
        self.processorCount = processorCount
    }

    package static func == (lhs: BenchReport, rhs: BenchReport) -> Bool {
        lhs.targets == rhs.targets && lhs.records == rhs.records
            && JSONValue.object(lhs.arguments)
                == JSONValue.object(rhs.arguments)
            && lhs.started == rhs.started && lhs.wallSeconds == rhs.wallSeconds
            && lhs.processorCount == rhs.processorCount && lhs.failures == rhs.failures
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(targets)
        hasher.combine(records)
    }

    /// False when any op failed or answered wrong, or an ephemeral outlived its session: exit status 1.
    package var passed: Bool { failures.isEmpty && records.allSatisfy(\.passed) }

    package var summary: [PhaseSummary] { PhaseSummary.summarize(records) }

    // MARK: - Text

    /// The progress line printed after each phase (zkbench's, plus p999).
    package static func progressLine(_ record: PhaseRecord) -> String {
        var line = "  " + TextFormat.left(record.target, 8) + " " + TextFormat.left(record.phase.rawValue, 9)
        line += " c=" + TextFormat.left(String(record.clients), 3)
        line += " " + TextFormat.right(String(record.ops), 8) + " ops"
        line += " " + TextFormat.right(TextFormat.fixed(record.opsPerSecond, 1), 9) + " ops/s"
        line += "  p50 " + TextFormat.right(TextFormat.fixed(record.latency?.p50 ?? 0, 3), 7) + " ms"
        line += "  p99 " + TextFormat.right(TextFormat.fixed(record.latency?.p99 ?? 0, 3), 7) + " ms"
        line += "  p999 " + TextFormat.right(TextFormat.fixed(record.latency?.p999 ?? 0, 3), 7) + " ms"
        if record.errors > 0 { line += "  ERR=\(record.errors)" }
        if record.wrongAnswers > 0 { line += " (wrong answers \(record.wrongAnswers))" }
        if let leftover = record.leftoverEphemerals, leftover > 0 { line += "  LEFTOVER EPHEMERALS=\(leftover)" }
        return line
    }

    /// The table printed at the end: one row per (phase, clients), one column per target, each cell
    /// `median ops/s [min-max] p50 p99 p999` (latency medians over repeats, ms); `E<n>` marks errors.
    /// With two targets, the ratio of their median throughputs follows.
    package func table() -> String {
        let summary = self.summary
        let labels = targets.isEmpty ? Array(Set(summary.map(\.target))).sorted() : targets.map(\.label)
        struct Key: Hashable {
            var target: String
            var clients: Int
            var phase: KeeperBenchPhase
        }
        var index: [Key: PhaseSummary] = [:]
        for cell in summary { index[Key(target: cell.target, clients: cell.clients, phase: cell.phase)] = cell }
        let phases = KeeperBenchPhase.allCases.filter { phase in summary.contains { $0.phase == phase } }
        let clients = Array(Set(summary.map(\.clients))).sorted()
        let cellWidth = 46

        var head = TextFormat.left("phase", 10) + " " + TextFormat.right("cli", 4)
        for label in labels {
            head += " | " + TextFormat.left(label + ": ops/s [min-max]  p50  p99  p999 ms", cellWidth)
        }
        var lines = [head, String(repeating: "-", count: head.count)]
        for phase in phases {
            for count in clients {
                var row = TextFormat.left(phase.rawValue, 10) + " " + TextFormat.right(String(count), 4)
                for label in labels {
                    guard let cell = index[Key(target: label, clients: count, phase: phase)] else {
                        row += " | " + TextFormat.left("-", cellWidth)
                        continue
                    }
                    let range =
                        cell.repeats < 2 ? "" : "[\(Int(cell.opsPerSecondMin))-\(Int(cell.opsPerSecondMax))]"
                    var text = TextFormat.integer(cell.opsPerSecondMedian, 7) + " " + TextFormat.left(range, 13)
                    text += " " + TextFormat.right(TextFormat.fixed(cell.p50Median ?? 0, 2), 6)
                    text += " " + TextFormat.right(TextFormat.fixed(cell.p99Median ?? 0, 2), 6)
                    text += " " + TextFormat.right(TextFormat.fixed(cell.p999Median ?? 0, 2), 7)
                    if cell.errors > 0 { text += " E\(cell.errors)" }
                    row += " | " + TextFormat.left(text, cellWidth)
                }
                lines.append(row)
            }
        }
        if labels.count == 2 {
            let (a, b) = (labels[0], labels[1])
            lines.append("")
            lines.append("ratio \(b)/\(a) (median ops/s):")
            for phase in phases {
                var cells: [String] = []
                for count in clients {
                    if let ca = index[Key(target: a, clients: count, phase: phase)],
                        let cb = index[Key(target: b, clients: count, phase: phase)], ca.opsPerSecondMedian != 0
                    {
                        cells.append(
                            "c=\(count) " + TextFormat.fixed(cb.opsPerSecondMedian / ca.opsPerSecondMedian, 2) + "x"
                        )
                    }
                }
                lines.append("  " + TextFormat.left(phase.rawValue, 10) + " " + cells.joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - JSON

    /// `{"meta": ..., "runs": [...], "summary": [...]}` with zkbench's field names.
    package func json() -> JSONValue {
        let meta: JSONValue = .object([
            ("tool", .string("paddock bench keeper")),
            ("started", .string(started)),
            ("nproc", .int(processorCount)),
            ("driver", .string("KeeperClient")),
            ("args", .object(arguments)),
            (
                "targets",
                .object(
                    targets.map { target in
                        (
                            target.label,
                            .object([
                                ("hosts", .array(target.hosts.map(JSONValue.string))),
                                ("server_version", .string(target.serverVersion)),
                            ])
                        )
                    }
                )
            ),
            ("wall_s", .double(BenchStatistics.rounded(wallSeconds, digits: 1))),
            ("failures", .array(failures.map(JSONValue.string))),
        ])
        return .object([
            ("meta", meta),
            ("runs", .array(records.map(Self.json(record:)))),
            ("summary", .array(summary.map(Self.json(summary:)))),
        ])
    }

    static func json(latency: LatencySummary?) -> JSONValue {
        guard let latency else { return .object([]) }
        return .object([
            ("p50", .double(latency.p50)), ("p90", .double(latency.p90)), ("p99", .double(latency.p99)),
            ("p999", .double(latency.p999)), ("max", .double(latency.max)), ("mean", .double(latency.mean)),
        ])
    }

    static func json(record: PhaseRecord) -> JSONValue {
        var members: [JSONValue.Member] = [
            ("target", .string(record.target)),
            ("clients", .int(record.clients)),
            ("phase", .string(record.phase.rawValue)),
            ("ops_budget", .int(record.opsBudget)),
            ("ops", .int(record.ops)),
            ("errors", .int(record.errors)),
            ("wrong_answers", .int(record.wrongAnswers)),
            ("elapsed_s", .double(BenchStatistics.rounded(record.elapsedSeconds, digits: 4))),
            ("ops_per_sec", .double(record.opsPerSecond)),
            ("lat_ms", json(latency: record.latency)),
        ]
        if !record.partLatencies.isEmpty {
            members.append(("parts_lat_ms", .object(record.partLatencies.map { ($0.name, json(latency: $0.summary)) })))
        }
        if let leftover = record.leftoverEphemerals { members.append(("leftover_ephemerals", .int(leftover))) }
        members.append(("repeat", .int(record.repeatIndex)))
        return .object(members)
    }

    static func json(summary cell: PhaseSummary) -> JSONValue {
        .object([
            ("target", .string(cell.target)),
            ("clients", .int(cell.clients)),
            ("phase", .string(cell.phase.rawValue)),
            ("repeats", .int(cell.repeats)),
            ("ops_per_sec_median", .double(cell.opsPerSecondMedian)),
            ("ops_per_sec_min", .double(cell.opsPerSecondMin)),
            ("ops_per_sec_max", .double(cell.opsPerSecondMax)),
            ("p50_ms_median", .double(cell.p50Median)),
            ("p99_ms_median", .double(cell.p99Median)),
            ("p999_ms_median", .double(cell.p999Median)),
            ("p99_ms_max", .double(cell.p99Max)),
            ("errors", .int(cell.errors)),
        ])
    }
}
