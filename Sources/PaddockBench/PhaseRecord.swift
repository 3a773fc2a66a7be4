/// The latencies of one step of a composite op (the connect of an ephemeral cycle, say).
package struct PartLatency: Hashable, Sendable {
    package var name: String
    package var summary: LatencySummary?

    package init(name: String, summary: LatencySummary?) {
        self.name = name
        self.summary = summary
    }
}

/// The outcome of one phase of one (target, clients, repeat) run: zkbench's per-run record, field
/// for field, so `zkbench.py --compare` can read our JSON too.
package struct PhaseRecord: Hashable, Sendable {
    package var target: String
    package var clients: Int
    package var phase: KeeperBenchPhase
    package var repeatIndex: Int
    package var opsBudget: Int
    /// Operations that succeeded (and answered right).
    package var ops: Int
    /// Operations that failed or answered wrong (`wrongAnswers` is the part that answered wrong).
    package var errors: Int
    package var wrongAnswers: Int
    package var elapsedSeconds: Double
    package var latency: LatencySummary?
    /// Per-step latencies of composite ops: ephemeral (connect, create, close), watch (setData).
    package var partLatencies: [PartLatency]
    /// Ephemeral phase only: ephemerals still there after every session closed (must be 0).
    package var leftoverEphemerals: Int?

    package init(
        target: String,
        clients: Int,
        phase: KeeperBenchPhase,
        repeatIndex: Int,
        opsBudget: Int,
        ops: Int,
        errors: Int,
        wrongAnswers: Int = 0,
        elapsedSeconds: Double,
        latency: LatencySummary?,
        partLatencies: [PartLatency] = [],
        leftoverEphemerals: Int? = nil
    ) {
        self.target = target
        self.clients = clients
        self.phase = phase
        self.repeatIndex = repeatIndex
        self.opsBudget = opsBudget
        self.ops = ops
        self.errors = errors
        self.wrongAnswers = wrongAnswers
        self.elapsedSeconds = elapsedSeconds
        self.latency = latency
        self.partLatencies = partLatencies
        self.leftoverEphemerals = leftoverEphemerals
    }

    /// Successful ops per second over the phase's wall time, to 0.1 (zkbench's `ops_per_sec`).
    package var opsPerSecond: Double {
        BenchStatistics.rounded(Double(ops) / Swift.max(1e-9, elapsedSeconds), digits: 1)
    }

    /// True when nothing failed, nothing answered wrong and no ephemeral outlived its session.
    package var passed: Bool { errors == 0 && (leftoverEphemerals ?? 0) == 0 }
}

/// The repeats of one (target, clients, phase) cell folded into medians (zkbench's `summarize`).
package struct PhaseSummary: Hashable, Sendable {
    package var target: String
    package var clients: Int
    package var phase: KeeperBenchPhase
    package var repeats: Int
    package var opsPerSecondMedian: Double
    package var opsPerSecondMin: Double
    package var opsPerSecondMax: Double
    package var p50Median: Double?
    package var p99Median: Double?
    package var p999Median: Double?
    package var p99Max: Double?
    package var errors: Int

    /// One summary per (target, clients, phase), in order of first appearance in `records`.
    package static func summarize(_ records: [PhaseRecord]) -> [PhaseSummary] {
        struct Key: Hashable {
            var target: String
            var clients: Int
            var phase: KeeperBenchPhase
        }
        var order: [Key] = []
        var groups: [Key: [PhaseRecord]] = [:]
        for record in records {
            let key = Key(target: record.target, clients: record.clients, phase: record.phase)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(record)
        }
        return order.map { key in
            let group = groups[key]!
            let throughput = group.map(\.opsPerSecond)
            let latencies = group.compactMap(\.latency)
            return PhaseSummary(
                target: key.target,
                clients: key.clients,
                phase: key.phase,
                repeats: group.count,
                opsPerSecondMedian: BenchStatistics.median(throughput)!,
                opsPerSecondMin: throughput.min()!,
                opsPerSecondMax: throughput.max()!,
                p50Median: BenchStatistics.median(latencies.map(\.p50)),
                p99Median: BenchStatistics.median(latencies.map(\.p99)),
                p999Median: BenchStatistics.median(latencies.map(\.p999)),
                p99Max: latencies.map(\.p99).max(),
                errors: group.reduce(0) { $0 + $1.errors }
            )
        }
    }
}
