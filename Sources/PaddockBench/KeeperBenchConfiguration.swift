package import KeeperClient

/// A configuration mistake of `paddock bench keeper`, with a message naming the option.
package struct KeeperBenchConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}

/// The command line of `paddock bench keeper` as typed: strings and numbers, not yet checked.
/// `KeeperBenchConfiguration(validating:)` turns it into a configuration or names the mistake.
package struct KeeperBenchOptions: Hashable, Sendable {
    package var hosts: String?
    package var label: String = KeeperBenchConfiguration.defaultLabel
    package var targets: [String] = []
    package var clients: String = "1,8,32"
    package var ops: Int = 20_000
    package var seconds: Double = 10
    package var size: Int = 100
    package var children: Int = 1000
    package var depth: Int = 1
    package var phases: String = KeeperBenchPhase.allCases.map(\.rawValue).joined(separator: ",")
    package var repeatCount: Int = 1
    package var warmupOps: Int = 20_000
    package var sessionTimeoutMilliseconds: Int = 30_000
    package var jsonPath: String?

    package init() {}
}

/// What `paddock bench keeper` measures, validated.
package struct KeeperBenchConfiguration: Hashable, Sendable {
    /// One ensemble to measure, under a label used in the output.
    package struct Target: Hashable, Sendable {
        package var label: String
        /// Contacted and nothing else: session i goes to `hosts[i % hosts.count]`.
        package var hosts: [HostAndPort]

        package init(label: String, hosts: [HostAndPort]) {
            self.label = label
            self.hosts = hosts
        }
    }

    package static let defaultLabel = "keeper"
    /// jute's default `jute.maxbuffer` is 1 MiB for the whole packet; leave room for path and header.
    package static let maxSize = 1_000_000
    package static let maxClients = 4096
    package static let maxDepth = 1024
    package static let maxChildren = 1_000_000

    package var targets: [Target]
    /// Concurrent session counts; every target is measured at each.
    package var clients: [Int]
    /// Op budget per phase, shared by the sessions (see `KeeperBenchPhase.opsScale`).
    package var ops: Int
    /// Time cap per phase; a phase ends at its op budget or this, whichever comes first.
    package var seconds: Double
    package var size: Int
    package var children: Int
    /// Requests in flight per session.
    package var depth: Int
    /// In the canonical order (`KeeperBenchPhase.allCases`), whatever order they were given in.
    package var phases: [KeeperBenchPhase]
    package var repeatCount: Int
    /// Ops per phase of the unrecorded warm-up pass per target (the JVM's JIT); 0: none.
    package var warmupOps: Int
    package var sessionTimeoutMilliseconds: Int
    package var jsonPath: String?

    package init(validating options: KeeperBenchOptions) throws(KeeperBenchConfigurationError) {
        var targets: [Target] = []
        if let hosts = options.hosts {
            targets.append(try Self.target(label: options.label, hosts: hosts, option: "--hosts"))
        }
        for spec in options.targets {
            guard let equals = spec.firstIndex(of: "=") else {
                throw KeeperBenchConfigurationError("--target wants LABEL=HOST:PORT[,HOST:PORT...], got \"\(spec)\"")
            }
            let label = String(spec[..<equals])
            let hosts = String(spec[spec.index(after: equals)...])
            targets.append(try Self.target(label: label, hosts: hosts, option: "--target"))
        }
        guard !targets.isEmpty else {
            throw KeeperBenchConfigurationError("give the ensemble to measure with --hosts or --target")
        }
        var labels: Set<String> = []
        for target in targets where !labels.insert(target.label).inserted {
            throw KeeperBenchConfigurationError("target label \"\(target.label)\" is used twice")
        }
        self.targets = targets

        self.clients = try Self.clientCounts(options.clients)
        guard options.ops >= 1 else { throw KeeperBenchConfigurationError("--ops must be at least 1") }
        self.ops = options.ops
        guard options.seconds.isFinite, options.seconds > 0 else {
            throw KeeperBenchConfigurationError("--seconds must be a positive number")
        }
        self.seconds = options.seconds
        guard (0...Self.maxSize).contains(options.size) else {
            throw KeeperBenchConfigurationError("--size must be between 0 and \(Self.maxSize) bytes")
        }
        self.size = options.size
        guard (0...Self.maxChildren).contains(options.children) else {
            throw KeeperBenchConfigurationError("--children must be between 0 and \(Self.maxChildren)")
        }
        self.children = options.children
        guard (1...Self.maxDepth).contains(options.depth) else {
            throw KeeperBenchConfigurationError("--depth must be between 1 and \(Self.maxDepth)")
        }
        self.depth = options.depth
        self.phases = try Self.phaseList(options.phases)
        guard options.repeatCount >= 1 else { throw KeeperBenchConfigurationError("--repeat must be at least 1") }
        self.repeatCount = options.repeatCount
        guard options.warmupOps >= 0 else { throw KeeperBenchConfigurationError("--warmup-ops must not be negative") }
        self.warmupOps = options.warmupOps
        // ZooKeeper clamps to [2, 20] ticks anyway; below a second the client's read timeout is silly.
        guard (1000...600_000).contains(options.sessionTimeoutMilliseconds) else {
            throw KeeperBenchConfigurationError("--session-timeout-ms must be between 1000 and 600000")
        }
        self.sessionTimeoutMilliseconds = options.sessionTimeoutMilliseconds
        if let path = options.jsonPath, path.isEmpty {
            throw KeeperBenchConfigurationError("--json needs a file name")
        }
        self.jsonPath = options.jsonPath
    }

    /// The largest session count: the warm-up pass runs at it, as zkbench's does.
    package var maxClients: Int { clients.max() ?? 1 }

    /// Phases of the warm-up pass: everything but the session-heavy ones (zkbench does the same).
    package var warmupPhases: [KeeperBenchPhase] {
        let light = phases.filter { $0 != .ephemeral && $0 != .watch }
        return light.isEmpty ? phases : light
    }

    // MARK: - Parsing

    private static func target(label: String, hosts: String, option: String) throws(KeeperBenchConfigurationError)
        -> Target
    {
        guard !label.isEmpty, label.allSatisfy({ !$0.isWhitespace && $0 != "," }) else {
            throw KeeperBenchConfigurationError("\(option): the label must be a non-empty word, got \"\(label)\"")
        }
        guard !hosts.contains("/") else {
            throw KeeperBenchConfigurationError("\(option): host list \"\(hosts)\" has a chroot; give host:port only")
        }
        let parsed: ConnectString
        do {
            parsed = try ConnectString(parsing: hosts)
        } catch {
            throw KeeperBenchConfigurationError("\(option): cannot parse host list \"\(hosts)\" (want host:port,...)")
        }
        return Target(label: label, hosts: parsed.hosts)
    }

    private static func clientCounts(_ text: String) throws(KeeperBenchConfigurationError) -> [Int] {
        var counts: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = part.filter { $0 != " " }
            guard let count = Int(trimmed), (1...maxClients).contains(count) else {
                throw KeeperBenchConfigurationError(
                    "--clients wants session counts between 1 and \(maxClients), like 1,8,32; got \"\(text)\""
                )
            }
            guard !counts.contains(count) else {
                throw KeeperBenchConfigurationError("--clients lists \(count) twice")
            }
            counts.append(count)
        }
        return counts
    }

    private static func phaseList(_ text: String) throws(KeeperBenchConfigurationError) -> [KeeperBenchPhase] {
        var chosen: Set<KeeperBenchPhase> = []
        for part in text.split(separator: ",") {
            let name = part.filter { $0 != " " }
            guard let phase = KeeperBenchPhase(rawValue: name) else {
                let known = KeeperBenchPhase.allCases.map(\.rawValue).joined(separator: ",")
                throw KeeperBenchConfigurationError("--phases: unknown phase \"\(name)\" (known: \(known))")
            }
            chosen.insert(phase)
        }
        guard !chosen.isEmpty else { throw KeeperBenchConfigurationError("--phases names no phase") }
        if !chosen.contains(.create),
            let dependent = KeeperBenchPhase.allCases.first(where: {
                chosen.contains($0) && $0.needsCreate
            })
        {
            throw KeeperBenchConfigurationError(
                "--phases: \(dependent.rawValue) needs create (it works on the created nodes)"
            )
        }
        return KeeperBenchPhase.allCases.filter { chosen.contains($0) }
    }
}
