import KeeperClient
import Logging
import NIOCore
import ZooKeeperWire

/// One (target, session count, repeat) run: a fresh namespace, the sessions, every phase in turn,
/// then the namespace deleted again (zkbench's `run_one`).
///
/// Layout under the run's root `/paddock-bench-<random>`, as zkbench's: `c<i>/n<k>` are session i's
/// nodes (create, set, get, exists, delete), `wide/k<n>` the getChildren node's children,
/// `eph/c<i>-<k>` the ephemerals, `watch/p<i>` the nodes pair i watches.
struct KeeperBenchRun: Sendable {
    /// What to run.
    struct Plan: Sendable {
        var clients: Int
        var ops: Int
        var seconds: Double
        var phases: [KeeperBenchPhase]
        /// -1 for the warm-up pass.
        var repeatIndex: Int
        /// No progress lines (warm-up).
        var quiet: Bool
    }

    /// What one phase measured, before it becomes a `PhaseRecord`.
    struct PhaseOutcome: Sendable {
        var latencies: [Int64] = []
        var errors = 0
        var wrongAnswers = 0
        var partNames: [String] = []
        var parts: [[Int64]] = []
        /// Ops handed out per session (create: how many nodes each session's names go up to).
        var issued: [Int] = []

        mutating func merge(_ lane: PhaseOutcome) {
            latencies += lane.latencies
            errors += lane.errors
            wrongAnswers += lane.wrongAnswers
            if parts.isEmpty { parts = Array(repeating: [], count: lane.parts.count) }
            for (index, samples) in lane.parts.enumerated() { parts[index] += samples }
        }
    }

    let target: KeeperBenchConfiguration.Target
    let plan: Plan
    let configuration: KeeperBenchConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let output: BenchOutput
    let clock = ContinuousClock()

    /// How long a watch notification may take before the op counts as failed.
    static let watchTimeout: TimeAmount = .seconds(10)
    static let connectTimeout: Duration = .seconds(10)
    /// Slack beyond `--seconds` before a phase's sessions are closed by force.
    static let phaseGrace: TimeAmount = .seconds(60)
    /// Limit for setting up or deleting the namespace.
    static let setupLimit: TimeAmount = .seconds(300)
    /// Requests per `submitBatch` while building and deleting the namespace.
    static let batchSize = 64

    func run() async throws -> [PhaseRecord] {
        let root = Self.makeRoot()
        // One payload for the whole run: get verifies what create and set wrote.
        let data = Self.payload(size: configuration.size)
        let admin = try await openSession(on: target.hosts[0])
        var records: [PhaseRecord] = []
        var failure: (any Error)?
        var sessions: [ZooKeeperClient] = []
        do {
            try await guarded([admin], limit: Self.setupLimit) { try await setUpTree(admin, root: root) }
            try await syncEveryHost(root)
            sessions = try await openSessions(plan.clients)
            var created = Array(repeating: 0, count: plan.clients)
            for phase in plan.phases {
                let record = await measure(
                    phase,
                    sessions: sessions,
                    admin: admin,
                    root: root,
                    data: data,
                    created: &created
                )
                records.append(record)
                if !plan.quiet { output.line(BenchReport.progressLine(record)) }
            }
        } catch {
            failure = error
        }
        await closeAll(sessions)
        await closeAll([admin])
        do {
            try await deleteNamespace(root)
        } catch {
            output.diagnostic("cleanup of \(root) failed: \(error)")
        }
        if let failure { throw failure }
        return records
    }

    // MARK: - Phases

    private func measure(
        _ phase: KeeperBenchPhase,
        sessions: [ZooKeeperClient],
        admin: ZooKeeperClient,
        root: String,
        data: [UInt8],
        created: inout [Int]
    ) async -> PhaseRecord {
        let budget = phase.opsBudget(forOps: plan.ops)
        let perClient = max(1, budget / plan.clients)
        let reporter = PhaseErrorReporter(phase: phase, output: output)
        let watchdog = Watchdog()
        watchdog.arm(
            on: eventLoopGroup.next(),
            after: .nanoseconds(Int64(plan.seconds * 1e9)) + Self.phaseGrace,
            closing: sessions
        )
        let start = clock.now
        let deadline = start + .nanoseconds(Int64(plan.seconds * 1e9))
        let size = configuration.size
        let node: @Sendable (Int, Int) -> String = { i, k in "\(root)/c\(i)/n" + Self.zeroPadded(k, 8) }
        let everyone = Array(repeating: perClient, count: plan.clients)
        let made = created

        var outcome: PhaseOutcome
        switch phase {
        case .create:
            outcome = await runLanes(
                counts: everyone,
                depth: configuration.depth,
                deadline: deadline,
                reporter: reporter
            ) {
                i,
                k in
                let path = node(i, k)
                let actual = try await sessions[i].create(path, data: data)
                guard actual == path else { throw WrongAnswer("create \(path) returned \(actual)") }
                return []
            }
            created = outcome.issued
        case .set, .get, .exists:
            outcome = await runLanes(
                counts: everyone,
                depth: configuration.depth,
                deadline: deadline,
                reporter: reporter
            ) {
                i,
                k in
                let path = node(i, k % max(1, made[i]))
                switch phase {
                case .set:
                    let stat = try await sessions[i].setData(path, data: data)
                    guard stat.dataLength == size else {
                        throw WrongAnswer("setData \(path): Stat says \(stat.dataLength) bytes")
                    }
                case .get:
                    let (read, _) = try await sessions[i].getData(path)
                    guard read == data else {
                        throw WrongAnswer(
                            "getData \(path) returned \(read.count) bytes that differ from the \(size) written"
                        )
                    }
                default:
                    guard let stat = try await sessions[i].exists(path) else {
                        throw WrongAnswer("exists: \(path) missing")
                    }
                    guard stat.dataLength == size else {
                        throw WrongAnswer("exists \(path): Stat says \(stat.dataLength) bytes")
                    }
                }
                return []
            }
        case .children:
            let wide = root + "/wide"
            let want = configuration.children
            let expected = Set((0..<want).map { "k" + Self.zeroPadded($0, 6) })
            outcome = await runLanes(
                counts: everyone,
                depth: configuration.depth,
                deadline: deadline,
                reporter: reporter
            ) {
                i,
                k in
                let children = try await sessions[i].getChildren(wide)
                guard children.count == want else {
                    throw WrongAnswer("getChildren returned \(children.count), want \(want)")
                }
                // Names checked on a sample: comparing 1000 names per op would cost more than the op.
                if k % 64 == 0, Set(children) != expected { throw WrongAnswer("getChildren returned other names") }
                return []
            }
        case .delete:
            outcome = await runLanes(counts: made, depth: configuration.depth, deadline: deadline, reporter: reporter) {
                i,
                k in
                try await sessions[i].delete(node(i, k))
                return []
            }
        case .ephemeral:
            outcome = await runLanes(
                counts: everyone,
                depth: 1,
                deadline: deadline,
                reporter: reporter,
                partNames: ["connect", "create", "close"]
            ) { i, k in
                try await ephemeralCycle(host: host(for: i + k), path: "\(root)/eph/c\(i)-\(k)", data: data)
            }
        case .watch:
            outcome = await runWatch(
                sessions: sessions,
                budget: budget,
                deadline: deadline,
                root: root,
                data: data,
                reporter: reporter
            )
        }
        let end = clock.now
        watchdog.disarm()
        if watchdog.hasFired {
            reporter.report(
                "phase overran \(plan.seconds) s + \(Self.phaseGrace.nanoseconds / 1_000_000_000) s; sessions closed"
            )
            outcome.errors += 1
        }

        var leftover: Int?
        if phase == .ephemeral {
            do {
                try await admin.sync(root + "/eph")
                leftover = try await admin.getChildren(root + "/eph").count
            } catch {
                reporter.report("counting leftover ephemerals failed: \(error)")
                outcome.errors += 1
            }
        }
        return PhaseRecord(
            target: target.label,
            clients: plan.clients,
            phase: phase,
            repeatIndex: plan.repeatIndex,
            opsBudget: budget,
            ops: outcome.latencies.count,
            errors: outcome.errors,
            wrongAnswers: outcome.wrongAnswers,
            elapsedSeconds: (end - start).seconds,
            latency: LatencySummary(nanoseconds: outcome.latencies),
            partLatencies: zip(outcome.partNames, outcome.parts).map {
                PartLatency(name: $0.0, summary: LatencySummary(nanoseconds: $0.1))
            },
            leftoverEphemerals: leftover
        )
    }

    /// Runs `op(i, k)` for k in 0..<counts[i] on every session i, `depth` lanes per session sharing
    /// its budget, until the budget is spent or `deadline` passes. `op` returns the durations of its
    /// parts (nanoseconds, in `partNames` order) or nothing.
    private func runLanes(
        counts: [Int],
        depth: Int,
        deadline: ContinuousClock.Instant,
        reporter: PhaseErrorReporter,
        partNames: [String] = [],
        op: @escaping @Sendable (Int, Int) async throws -> [Int64]
    ) async -> PhaseOutcome {
        let counters = counts.map { _ in OpCounter() }
        let clock = self.clock
        var total = await withTaskGroup(of: PhaseOutcome.self) { group in
            for (i, count) in counts.enumerated() {
                for _ in 0..<depth {
                    group.addTask {
                        var lane = PhaseOutcome(parts: Array(repeating: [], count: partNames.count))
                        lane.latencies.reserveCapacity(count / depth + 1)
                        while clock.now < deadline {
                            let k = counters[i].claim()
                            guard k < count else { break }
                            let started = clock.now
                            do {
                                let parts = try await op(i, k)
                                lane.latencies.append((clock.now - started).nanoseconds)
                                for (index, part) in parts.enumerated() { lane.parts[index].append(part) }
                            } catch {
                                lane.errors += 1
                                if error is WrongAnswer { lane.wrongAnswers += 1 }
                                reporter.report(error, client: i, op: k)
                            }
                        }
                        return lane
                    }
                }
            }
            var total = PhaseOutcome(parts: Array(repeating: [], count: partNames.count))
            for await lane in group { total.merge(lane) }
            return total
        }
        total.partNames = partNames
        total.issued = zip(counters, counts).map { min($0.claimed, $1) }
        return total
    }

    /// A whole session life: connect, ephemeral create, closeSession. Returns the three durations.
    private func ephemeralCycle(host: HostAndPort, path: String, data: [UInt8]) async throws -> [Int64] {
        let t0 = clock.now
        let session = try openClient(on: host)
        try await session.connect(timeout: Self.connectTimeout)  // a failed connect closes the client
        let t1 = clock.now
        var createFailure: (any Error)?
        do {
            let actual = try await session.create(path, data: data, mode: .ephemeral)
            if actual != path { createFailure = WrongAnswer("create \(path) returned \(actual)") }
        } catch {
            createFailure = error
        }
        let t2 = clock.now
        do {
            try await session.close()
        } catch {
            throw createFailure ?? error
        }
        let t3 = clock.now
        if let createFailure { throw createFailure }
        return [(t1 - t0).nanoseconds, (t2 - t1).nanoseconds, (t3 - t2).nanoseconds]
    }

    /// Pairs of sessions on different members: the watcher reads its node with a watch, the writer
    /// sets it, and the latency runs from the setData call until NodeDataChanged reaches the watcher.
    /// With one session, a second one is opened on the next member.
    private func runWatch(
        sessions: [ZooKeeperClient],
        budget: Int,
        deadline: ContinuousClock.Instant,
        root: String,
        data: [UInt8],
        reporter: PhaseErrorReporter
    ) async -> PhaseOutcome {
        var extra: [ZooKeeperClient] = []
        var pairs: [(writer: ZooKeeperClient, watcher: ZooKeeperClient, id: Int)] = []
        if sessions.count < 2 {
            do {
                let second = try await openSession(on: host(for: 1))
                extra.append(second)
                pairs = [(sessions[0], second, 0)]
            } catch {
                reporter.report("cannot open the watching session: \(error)")
                return PhaseOutcome(errors: 1, partNames: ["setData"], parts: [[]])
            }
        } else {
            pairs = stride(from: 0, to: sessions.count - 1, by: 2).map { (sessions[$0], sessions[$0 + 1], $0) }
        }
        let count = max(1, budget / max(1, plan.clients / 2))
        let clock = self.clock
        let mailboxes = pairs.map { _ in WatchMailbox(eventLoop: eventLoopGroup.next()) }
        // Subscribed before any watch is set, so no notification can slip past.
        let streams = pairs.map { $0.watcher.watchEvents() }
        let lanes = await withTaskGroup(of: PhaseOutcome?.self) { group in
            for (mailbox, stream) in zip(mailboxes, streams) {
                group.addTask {
                    for await event in stream { mailbox.deliver(.init(event: event, at: clock.now)) }
                    return nil
                }
            }
            for (pair, mailbox) in zip(pairs, mailboxes) {
                group.addTask {
                    let path = "\(root)/watch/p\(pair.id)"
                    var lane = PhaseOutcome(parts: [[]])
                    var done = 0
                    while done < count, clock.now < deadline {
                        done += 1
                        do {
                            mailbox.discardQueued()
                            _ = try await pair.watcher.getData(path, watch: true)
                            let t0 = clock.now
                            try await pair.writer.setData(path, data: data)
                            let t1 = clock.now
                            guard let arrival = await mailbox.next(timeout: Self.watchTimeout) else {
                                throw WatchNotDelivered(path: path)
                            }
                            guard arrival.event.type == .nodeDataChanged, arrival.event.path == path else {
                                throw WrongAnswer("expected NodeDataChanged \(path), got \(arrival.event)")
                            }
                            lane.latencies.append(max(0, (arrival.at - t0).nanoseconds))
                            lane.parts[0].append((t1 - t0).nanoseconds)
                        } catch {
                            lane.errors += 1
                            if error is WrongAnswer { lane.wrongAnswers += 1 }
                            reporter.report(error, client: pair.id, op: done - 1)
                        }
                    }
                    return lane
                }
            }
            var lanes: [PhaseOutcome] = []
            while lanes.count < pairs.count, let next = await group.next() {
                if let next { lanes.append(next) }
            }
            group.cancelAll()  // ends the stream readers
            return lanes
        }
        await closeAll(extra)
        var total = PhaseOutcome(partNames: ["setData"], parts: [[]])
        for lane in lanes { total.merge(lane) }
        return total
    }

    // MARK: - Sessions

    /// Session i's member: round-robin over the target's hosts.
    private func host(for index: Int) -> HostAndPort {
        target.hosts[index % target.hosts.count]
    }

    /// A client for exactly one member, so that only the given hosts are contacted and the session
    /// stays where it was put.
    private func openClient(on host: HostAndPort) throws -> ZooKeeperClient {
        try ZooKeeperClient(
            connectString: host.description,
            sessionTimeout: .milliseconds(configuration.sessionTimeoutMilliseconds),
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    private func openSession(on host: HostAndPort) async throws -> ZooKeeperClient {
        let session = try openClient(on: host)
        try await session.connect(timeout: Self.connectTimeout)
        return session
    }

    /// All sessions or none: when one cannot connect, those that did are closed again.
    private func openSessions(_ count: Int) async throws -> [ZooKeeperClient] {
        /// One child task's outcome. (A tuple holding `Result<ZooKeeperClient, any Error>` here
        /// crashed with a garbage index in release builds of Swift 6.3.1; this plain struct does not.)
        struct Opening: Sendable {
            var index: Int
            var session: ZooKeeperClient?
            var failure: SessionFailure?
        }
        let openings = await withTaskGroup(of: Opening.self) { group in
            for index in 0..<count {
                let host = host(for: index)
                group.addTask {
                    do {
                        let session = try await openSession(on: host)
                        return Opening(index: index, session: session, failure: nil)
                    } catch {
                        return Opening(
                            index: index,
                            session: nil,
                            failure: SessionFailure(host: host, underlying: error)
                        )
                    }
                }
            }
            var openings: [Opening] = []
            openings.reserveCapacity(count)
            for await opening in group { openings.append(opening) }
            return openings.sorted { $0.index < $1.index }
        }
        let sessions = openings.compactMap(\.session)
        if let failure = openings.lazy.compactMap(\.failure).first {
            await closeAll(sessions)
            throw failure
        }
        precondition(sessions.count == count, "opened \(sessions.count) of \(count) sessions without a failure")
        return sessions
    }

    private func closeAll(_ sessions: [ZooKeeperClient]) async {
        await withTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    do {
                        try await session.close()
                    } catch {
                        logger.debug("closing a session failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Runs `body`; if it takes longer than `limit`, `sessions` are closed, which makes it fail.
    private func guarded<T>(
        _ sessions: [ZooKeeperClient],
        limit: TimeAmount,
        _ body: () async throws -> T
    ) async throws -> T {
        let watchdog = Watchdog()
        watchdog.arm(on: eventLoopGroup.next(), after: limit, closing: sessions)
        defer { watchdog.disarm() }
        return try await body()
    }

    // MARK: - Namespace

    private func setUpTree(_ admin: ZooKeeperClient, root: String) async throws {
        try await createAll(admin, [root], data: [])
        try await createAll(admin, ["wide", "eph", "watch"].map { root + "/" + $0 }, data: [])
        let parents = (0..<plan.clients).map { "\(root)/c\($0)" } + (0...plan.clients).map { "\(root)/watch/p\($0)" }
        try await createAll(admin, parents, data: [])
        try await createAll(
            admin,
            (0..<configuration.children).map { "\(root)/wide/k" + Self.zeroPadded($0, 6) },
            data: Array("x".utf8)
        )
    }

    /// Creates `paths` (persistent), `batchSize` requests in flight at a time.
    private func createAll(_ session: ZooKeeperClient, _ paths: [String], data: [UInt8]) async throws {
        for chunk in stride(from: 0, to: paths.count, by: Self.batchSize) {
            let slice = paths[chunk..<min(paths.count, chunk + Self.batchSize)]
            let requests = slice.map { path in
                ZKRequest.create(
                    CreateRequest(
                        path: path,
                        data: ByteBuffer(bytes: data),
                        acl: ACL.openUnsafe,
                        flags: CreateMode.persistent.rawValue
                    )
                )
            }
            for (path, result) in zip(slice, await session.submitBatch(requests)) {
                if case .failure(let error) = result { throw ZooKeeperError(code: error.code, path: path) }
            }
        }
    }

    /// Makes every member catch up with the leader before reads are timed (zkbench does the same).
    private func syncEveryHost(_ root: String) async throws {
        for host in target.hosts {
            let session = try await openSession(on: host)
            do {
                try await guarded([session], limit: Self.setupLimit) { try await session.sync(root) }
            } catch {
                await closeAll([session])
                throw error
            }
            await closeAll([session])
        }
    }

    /// Deletes `root` and everything under it, from a fresh session (the run's may be gone).
    private func deleteNamespace(_ root: String) async throws {
        let session = try await openSession(on: target.hosts[0])
        do {
            try await guarded([session], limit: Self.setupLimit) { try await deleteRecursively(root, session) }
        } catch {
            await closeAll([session])
            throw error
        }
        await closeAll([session])
    }

    private func deleteRecursively(_ path: String, _ session: ZooKeeperClient) async throws {
        let children: [String]
        do {
            children = try await session.getChildren(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
        for chunk in stride(from: 0, to: children.count, by: Self.batchSize) {
            let paths = children[chunk..<min(children.count, chunk + Self.batchSize)].map { path + "/" + $0 }
            let results = await session.submitBatch(paths.map { .delete(DeleteRequest(path: $0, version: -1)) })
            for (child, result) in zip(paths, results) {
                guard case .failure(let error) = result else { continue }
                switch error.code {
                case .noNode: continue
                case .notEmpty: try await deleteRecursively(child, session)
                default: throw ZooKeeperError(code: error.code, path: child)
                }
            }
        }
        do {
            try await session.delete(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
    }

    // MARK: - Names and data

    /// `/paddock-bench-` and 10 random hex digits: a namespace no other run (or user) has.
    static func makeRoot() -> String {
        var random = SystemRandomNumberGenerator()
        let hex = String(random.next() & 0xff_ffff_ffff, radix: 16)
        return "/paddock-bench-" + String(repeating: "0", count: 10 - hex.count) + hex
    }

    static func payload(size: Int) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        return (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    static func zeroPadded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A session that could not be established, with the member it was meant for.
struct SessionFailure: Error, CustomStringConvertible {
    var host: HostAndPort
    var underlying: any Error
    var description: String { "no session on \(host): \(underlying)" }
}

extension Duration {
    /// Whole nanoseconds (latencies are kept as Int64 nanoseconds, like zkbench's `perf_counter_ns`).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
