import ArgumentParser
import Broker
import Foundation
import KafkaZooKeeper
import KeeperClient
import KeeperServer
import PaddockBench
import PaddockCluster
import PaddockShell
import Logging
import SegmentLog
import ServiceLifecycle
import UnixSignals
import ZooKeeperWire

/// `paddock`: one executable, one subcommand per role (DESIGN.md). Wiring only.
@main
struct Paddock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paddock",
        abstract: "A ZooKeeper-compatible coordination service and Kafka-compatible broker.",
        version: "0.1.0",
        subcommands: [Keeper.self, BrokerCommand.self, Topics.self, Groups.self, Shell.self, Cluster.self, Bench.self]
    )
}

struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func makeLogger(label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

struct Keeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one keeper member (ZooKeeper wire protocol) from a zoo.cfg file.")

    @Option(name: .long, help: "Path to a zoo.cfg-format configuration file.")
    var config: String

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.makeLogger(label: "paddock.keeper")
        let server = try loadConfiguration(logger: logger) { try KeeperServer.load(configPath: config, logger: logger) }
        try await runUntilSignalled(server, logger: logger, failure: "keeper failed")
    }
}

/// Builds a server from its configuration file; an invalid one is logged and exits with status 2.
func loadConfiguration<Server>(logger: Logger, _ load: () throws -> Server) throws -> Server {
    do {
        return try load()
    } catch {
        logger.critical("invalid configuration", metadata: ["error": "\(error)"])
        throw ExitCode(2)
    }
}

/// Runs `services` until SIGTERM or SIGINT (graceful shutdown); a failure is logged and exits with status 1.
func runUntilSignalled(_ services: any Service..., logger: Logger, failure: String) async throws {
    // Graceful shutdown runs in reverse order: later services stop first.
    let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    do {
        try await group.run()
    } catch {
        logger.critical("\(failure)", metadata: ["error": "\(error)"])
        throw ExitCode(1)
    }
}

struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and edit znodes, and see the ensemble, its sessions and who watches what.",
        discussion: """
            With a command, runs it and exits (status 1 if it failed): paddock shell --server HOSTS ls -s /. \
            With stdin not a terminal, runs one command per line (status 1 if any failed). Otherwise an \
            interactive shell with line editing, history ($PADDOCK_SHELL_HISTORY or ~/.paddock_history) and \
            Tab completion. zkCli's commands and flags, plus tree, watches, sessions, ensemble, brokers, \
            topics and controller; help lists them.
            """)

    @Option(name: .long, help: "The ensemble: host:port[,host:port...][/chroot].")
    var server: String = "127.0.0.1:2181"

    @Flag(name: .long, help: "Print every read command's output as JSON.")
    var json = false

    @Option(name: .long, help: "Seconds to keep trying to connect.")
    var timeout: Int = 10

    @Argument(parsing: .captureForPassthrough, help: "A command to run instead of a session (e.g. get -s /a).")
    var command: [String] = []

    func run() async throws {
        // The client library logs nothing a shell user needs below errors; keep stdout for results.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        var options = ShellOptions(servers: server, command: command, json: json, connectTimeout: .seconds(max(1, timeout)))
        options.groupLister = { bootstrap in
            let admin = try GroupAdmin(bootstrap: bootstrap.joined(separator: ","))
            var summaries: [PaddockShell.GroupSummary] = []
            for (group, state) in try await admin.list() {
                let description = try await admin.describe(group)
                let lags = description.rows.map(\.lag)
                summaries.append(
                    PaddockShell.GroupSummary(
                        group: group, state: state, members: description.members,
                        lag: lags.contains(nil) ? nil : lags.reduce(0) { $0 + ($1 ?? 0) }))
            }
            return summaries
        }
        let status = await ShellRunner.run(options)
        if status != 0 { throw ExitCode(status) }
    }
}

struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: "Directory holding every member's and broker's config, data and log.")
    var dir: String = "./data/cluster"

    @Option(name: .long, help: "Number of keeper members (3 or 5 for an ensemble that survives failures).")
    var members: Int = 3

    @Option(name: .long, help: "Number of Kafka brokers (0 for none).")
    var brokers: Int = 3

    @Option(name: .long, help: "Client port of member 1 (members use consecutive ports).")
    var basePort: Int = 2181

    @Option(name: .long, help: "Kafka listener port of broker 1 (brokers use consecutive ports; /metrics 1000 above).")
    var kafkaBasePort: Int = 9092

    func cluster() throws -> LocalCluster {
        let path = URL(fileURLWithPath: dir).standardizedFileURL.path
        var cluster = LocalCluster(directory: path, members: members, brokers: brokers)
        cluster.firstClientPort = basePort
        cluster.firstQuorumPort = basePort + 707
        cluster.firstElectionPort = basePort + 1707
        cluster.firstAdminPort = basePort + 5899
        cluster.firstKafkaPort = kafkaBasePort
        cluster.firstBrokerAdminPort = kafkaBasePort + 1000
        do {
            try cluster.validate()
        } catch let failure as LocalCluster.Failure {
            throw ValidationError(failure.description)
        }
        return cluster
    }
}

struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop or inspect a local keeper ensemble and Kafka brokers on loopback.",
        subcommands: [Up.self, Down.self, Status.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the configs, start every member, then every broker once the ensemble serves.")
        @OptionGroup var options: ClusterOptions
        @Option(help: "Seconds to wait for a leader and followers, and again for the brokers.") var timeout: Int = 60
        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Secure the brokers' znodes (zookeeper.set.acl=true).",
                discussion: """
                    The brokers always authenticate as digest user kafka with the password in \
                    DIR/zookeeper-digest.password (generated on the first up, kept afterwards).
                    """))
        var zookeeperACL = true
        @Flag(
            help: ArgumentHelp(
                "Also make the root znode writable only by the brokers (as Kafka's zookeeper-security-migration does).",
                discussion: """
                    ZooKeeper checks a delete against the parent, so without it anyone may delete /controller \
                    or /controller_epoch. It also keeps every other client from creating top-level znodes, \
                    which suits an ensemble that serves this Kafka cluster alone.
                    """))
        var secureRoot = false

        func run() async throws {
            var cluster = try options.cluster()
            cluster.zookeeperACL = zookeeperACL
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            var random = SystemRandomNumberGenerator()
            let password = try cluster.ensureDigestPassword(using: &random)
            try cluster.upKeepers(executable: executable)
            guard cluster.waitForQuorum(timeout: .seconds(timeout)) else {
                print("no quorum within \(timeout) s, or a member exited; logs: \(cluster.directory)/keeper*/keeper.log")
                throw ExitCode(1)
            }
            if zookeeperACL && secureRoot {
                do {
                    try await cluster.secureRoot(password: password, timeout: .seconds(timeout))
                } catch {
                    print("cannot secure the root znode as digest user \(LocalCluster.digestUser): \(error)")
                    throw ExitCode(1)
                }
            }
            try cluster.upBrokers(executable: executable)
            print("connect: \(cluster.connectString)")
            guard cluster.brokers > 0 else { return }
            do {
                let registry = try await cluster.waitForBrokers(timeout: .seconds(timeout))
                print("bootstrap: \(cluster.bootstrapServers)")
                print(LocalCluster.controllerLine(registry))
            } catch let failure as LocalCluster.Failure {
                print(failure.description)
                throw ExitCode(1)
            }
            if zookeeperACL {
                print(
                    "znodes: the brokers' writable only as digest user \(LocalCluster.digestUser), password in "
                        + "\(cluster.digestPasswordPath)" + (secureRoot ? "; / too" : "; / stays open (--secure-root)"))
            }
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the brokers, then the members, started by up (data is kept).")
        @OptionGroup var options: ClusterOptions

        func run() throws {
            let stopped = try options.cluster().down().filter { !$0.stopped.isEmpty }
            print(
                stopped.isEmpty
                    ? "nothing running"
                    : "stopped " + stopped.map { "\($0.role) " + $0.stopped.map(String.init).joined(separator: ", ") }
                        .joined(separator: "; "))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each member's process and role, and each broker's process, port and registration.")
        @OptionGroup var options: ClusterOptions

        func run() async throws {
            let cluster = try options.cluster()
            var serving = 0
            for n in 1...cluster.members {
                let pid = cluster.runningPID(.keeper, n).map(String.init) ?? "-"
                let mode = cluster.mode(n) ?? "down"
                if mode == "leader" || mode == "follower" { serving += 1 }
                print("keeper\(n) pid=\(pid) client=\(cluster.host):\(cluster.clientPort(n)) mode=\(mode)")
            }
            let quorum = serving > cluster.members / 2
            // Without a quorum nothing can be read; with one, a failed read is reported as unknown.
            let registry = quorum ? try? await BrokerRegistry.read(connectString: cluster.connectString) : nil
            var brokersHealthy = true
            for n in cluster.numbers(.broker) {
                let pid = cluster.runningPID(.broker, n)
                if n <= cluster.brokers, pid == nil || registry?.registered.contains(n) != true { brokersHealthy = false }
                print(cluster.brokerStatusLine(n, pid: pid, listening: cluster.isListening(broker: n), registry: registry))
            }
            if cluster.brokers > 0 { print(LocalCluster.controllerLine(registry)) }
            print("connect: \(cluster.connectString)")
            if cluster.brokers > 0 { print("bootstrap: \(cluster.bootstrapServers)") }
            if !quorum || !brokersHealthy { throw ExitCode(1) }
        }
    }
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load generators that measure running servers.",
        subcommands: [KeeperBench.self])

    struct KeeperBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keeper",
            abstract: "Measure ZooKeeper-protocol ensembles side by side (the phases of shared/bench/zkbench.py).",
            discussion: """
                Phases: create (persistent, --size bytes), set, get, exists, children (getChildren of a node \
                with --children children), delete, ephemeral (connect + ephemeral create + closeSession), \
                watch (setData on one session until NodeDataChanged reaches a session on another member). \
                Sessions are spread round-robin over the hosts, --depth requests in flight each; a phase \
                stops at its op budget or --seconds. Everything lives under /paddock-bench-<random>, \
                deleted at the end. Exit status 1 if any operation failed or answered wrong.
                """)

        private static let defaults = KeeperBenchOptions()

        @Option(help: "Comma-separated host:port list of the ensemble to measure.")
        var hosts: String?

        @Option(help: "Label of --hosts in the output.")
        var label: String = defaults.label

        @Option(
            name: .customLong("target"),
            help: "LABEL=host:port,... (repeatable; measured side by side, interleaved).")
        var targets: [String] = []

        @Option(help: "Comma-separated numbers of concurrent sessions.")
        var clients: String = defaults.clients

        @Option(help: "Op budget per phase, split over the sessions (children and watch get 1/5, ephemeral 1/10).")
        var ops: Int = defaults.ops

        @Option(help: "Time cap per phase, in seconds.")
        var seconds: Double = defaults.seconds

        @Option(help: "Znode data size in bytes.")
        var size: Int = defaults.size

        @Option(help: "Children of the getChildren node.")
        var children: Int = defaults.children

        @Option(help: "Requests in flight per session (pipelining).")
        var depth: Int = defaults.depth

        @Option(help: "Comma-separated phases to run.")
        var phases: String = defaults.phases

        @Option(name: .customLong("repeat"), help: "Measure every (target, clients) cell this many times.")
        var repeatCount: Int = defaults.repeatCount

        @Option(help: "Ops per phase of an unrecorded warm-up pass per target (JIT); 0 disables it.")
        var warmupOps: Int = defaults.warmupOps

        @Option(name: .customLong("session-timeout-ms"), help: "Session timeout asked for, in milliseconds.")
        var sessionTimeoutMilliseconds: Int = defaults.sessionTimeoutMilliseconds

        @Option(help: "Write runs and summary as JSON to this file.")
        var json: String?

        @OptionGroup var log: LogOptions

        func run() async throws {
            var options = KeeperBenchOptions()
            options.hosts = hosts
            options.label = label
            options.targets = targets
            options.clients = clients
            options.ops = ops
            options.seconds = seconds
            options.size = size
            options.children = children
            options.depth = depth
            options.phases = phases
            options.repeatCount = repeatCount
            options.warmupOps = warmupOps
            options.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
            options.jsonPath = json
            let configuration: KeeperBenchConfiguration
            do {
                configuration = try KeeperBenchConfiguration(validating: options)
            } catch {
                throw ValidationError(error.message)
            }
            let logger = try log.makeLogger(label: "paddock.bench")
            let report = try await KeeperBenchmark(configuration: configuration, logger: logger).run()
            if !report.passed { throw ExitCode(1) }
        }
    }
}


/// `paddock broker --config server.properties`: one broker, control plane and data plane (wiring only).
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run one Kafka-compatible broker from a server.properties file.")

    @Option(name: .long, help: "Path to a server.properties-format configuration file.")
    var config: String

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = try log.makeLogger(label: "paddock.broker")
        let server = try loadConfiguration(logger: logger) { try BrokerServer.load(configPath: config, logger: logger) }
        // The data plane stops first: its logs close cleanly while the ensemble session is still up.
        try await runUntilSignalled(
            server, KafkaDataPlane(server: server, logger: logger), logger: logger, failure: "broker failed")
    }
}

/// `paddock topics …`: kafka-topics.sh --zookeeper.
struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, describe, delete or grow topics through the ensemble (kafka-topics --zookeeper).",
        subcommands: [Create.self, List.self, Describe.self, Delete.self, Alter.self, ElectLeaders.self, Reassign.self])

    struct Connection: ParsableArguments {
        @Option(help: "The ensemble: host:port[,host:port...][/chroot], as zookeeper.connect.")
        var zookeeper: String

        @Option(
            help: ArgumentHelp(
                "Authenticate to the ensemble as this digest user (the brokers' paddock.zookeeper.digest.user).",
                discussion: "New znodes then get Kafka's secure ACLs, as kafka-topics gave them with ZooKeeper SASL."))
        var zookeeperDigestUser: String?

        @Option(help: "The file holding that user's password (the brokers' paddock.zookeeper.digest.password.file).")
        var zookeeperDigestPasswordFile: String?

        func validate() throws {
            if (zookeeperDigestUser == nil) != (zookeeperDigestPasswordFile == nil) {
                throw ValidationError("--zookeeper-digest-user and --zookeeper-digest-password-file go together")
            }
        }

        /// Runs `body` with a connected session and closes it; admin failures exit 1 with one line.
        func withAdmin(_ body: (TopicAdmin) async throws -> Void) async throws {
            var credential: ZkDigestCredential?
            if let user = zookeeperDigestUser, let file = zookeeperDigestPasswordFile {
                do {
                    credential = try ZkDigestCredential.load(
                        user: user, passwordFile: file, userKey: "--zookeeper-digest-user",
                        fileKey: "--zookeeper-digest-password-file", readFile: BrokerConfiguration.readFile)
                } catch {
                    throw ValidationError(error.description)
                }
            }
            let client = try ZooKeeperClient(connectString: zookeeper, logger: Logger(label: "paddock.topics"))
            try await client.connect()
            do {
                if let credential { try await client.addAuth(scheme: "digest", credential: credential.authData) }
                let acls = ZkACLPolicy(isSecure: credential != nil)
                try await body(TopicAdmin(client: client, acls: acls))
            } catch let failure as TopicAdmin.Failure {
                try? await client.close()
                print("Error: \(failure)")
                throw ExitCode(1)
            } catch let error as ZooKeeperError where error.code == .noAuth {
                try? await client.close()
                print(
                    "Error: the ensemble refused to change \(error.path ?? "a znode") (NOAUTH): the cluster's znodes "
                        + "have ACLs; pass the brokers' credential with --zookeeper-digest-user and "
                        + "--zookeeper-digest-password-file")
                throw ExitCode(1)
            }
            try await client.close()
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var connection: Connection
        @Option(help: "The topic name.") var topic: String
        @Option(help: "Number of partitions.") var partitions: Int32?
        @Option(help: "Replicas per partition.") var replicationFactor: Int?
        @Option(help: "Explicit replicas: broker lists per partition, e.g. 1:2,2:3.") var replicaAssignment: String?
        @Option(help: "Topic config override key=value (repeatable).") var config: [String] = []

        func validate() throws {
            if replicaAssignment == nil && (partitions == nil || replicationFactor == nil) {
                throw ValidationError("--partitions and --replication-factor are required without --replica-assignment")
            }
        }

        func run() async throws {
            try await connection.withAdmin { admin in
                let assignment = try replicaAssignment.map { try TopicAdmin.parseReplicaAssignment($0) }
                let configs = try TopicAdmin.parseConfig(config)
                if let warning = TopicAdmin.collisionWarning(for: topic) { print(warning) }
                var random = SystemRandomNumberGenerator()
                try await admin.create(
                    topic, partitions: partitions ?? Int32(assignment?.count ?? 0), replicationFactor: replicationFactor ?? 0,
                    assignment: assignment, configs: configs, random: &random)
                print("Created topic \(topic).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topic names.")
        @OptionGroup var connection: Connection

        func run() async throws {
            try await connection.withAdmin { admin in
                for listing in try await admin.list() { print(listing.rendered) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show partitions, leaders, replicas and ISRs.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this topic.") var topic: String?
        @Flag(help: "Only partitions whose ISR is smaller than their replica list (partition lines only).")
        var underReplicatedPartitions = false
        @Flag(help: "Only partitions without a live leader (partition lines only).")
        var unavailablePartitions = false

        func run() async throws {
            try await connection.withAdmin { admin in
                let (topics, live) = try await admin.describeWithBrokers(topic: topic)
                let filter: ((MetadataCache.Partition) -> Bool)? =
                    if underReplicatedPartitions {
                        { $0.isr.count < $0.replicas.count }
                    } else if unavailablePartitions {
                        { partition in partition.leader.map { !live.contains($0) } ?? true }
                    } else {
                        nil
                    }
                for description in topics {
                    let text = description.render(only: filter)
                    if !text.isEmpty { print(text) }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a topic for deletion.")
        @OptionGroup var connection: Connection
        @Option(help: "The topic name.") var topic: String

        func run() async throws {
            try await connection.withAdmin { admin in
                try await admin.delete(topic)
                print("Topic \(topic) is marked for deletion.")
                print("Note: This will have no impact if delete.topic.enable is not set to true.")
            }
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add partitions to a topic.")
        @OptionGroup var connection: Connection
        @Option(help: "The topic name.") var topic: String
        @Option(help: "The new, larger number of partitions.") var partitions: Int32

        func run() async throws {
            try await connection.withAdmin { admin in
                try await admin.addPartitions(topic, to: partitions)
                print("Adding partitions succeeded!")
            }
        }
    }

    struct Reassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move partitions to other brokers (kafka-reassign-partitions --zookeeper --execute / --verify).")
        @OptionGroup var connection: Connection
        @Option(help: "The topic of the partition to move.") var topic: String?
        @Option(help: "The partition to move.") var partition: Int32?
        @Option(help: "Its new replicas, e.g. 2,3,4 (the first is the preferred leader).") var replicas: String?
        @Option(
            name: .customLong("reassignment-json-file"),
            help: "Kafka's reassignment JSON: {\"version\":1,\"partitions\":[{\"topic\":…,\"partition\":…,\"replicas\":[…]}]}.")
        var reassignmentJSONFile: String?
        @Flag(help: "Report whether each partition's reassignment is complete instead of starting one.")
        var verify = false

        func validate() throws {
            let single = topic != nil || partition != nil || replicas != nil
            if single == (reassignmentJSONFile != nil) {
                throw ValidationError("give either --topic, --partition and --replicas, or --reassignment-json-file")
            }
            if single && (topic == nil || partition == nil || replicas == nil) {
                throw ValidationError("--topic, --partition and --replicas go together")
            }
        }

        func run() async throws {
            let file: [UInt8]?
            if let path = reassignmentJSONFile {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("cannot read \(path)")
                }
                file = Array(bytes)
            } else {
                file = nil
            }
            try await connection.withAdmin { admin in
                let targets =
                    if let file {
                        try TopicAdmin.parseReassignmentJSON(file, source: reassignmentJSONFile ?? "")
                    } else {
                        try TopicAdmin.parseReassignment(topic: topic ?? "", partition: partition ?? 0, replicas: replicas ?? "")
                    }
                if verify {
                    print("Status of partition reassignment:")
                    var complete = true
                    for (partition, status) in try await admin.verifyReassignment(targets) {
                        switch status {
                        case .complete:
                            print("Reassignment of partition \(partition) is complete.")
                        case .inProgress:
                            complete = false
                            print("Reassignment of partition \(partition) is still in progress.")
                        case .failed(let current):
                            complete = false
                            let list = { (ids: [BrokerID]) in ids.map(\.description).joined(separator: ", ") }
                            print(
                                "There is no active reassignment of partition \(partition), but replica set is "
                                    + "\(list(current)) rather than \(list(targets[partition] ?? [])).")
                        }
                    }
                    if !complete { throw ExitCode(1) }
                    return
                }
                let current = try await admin.reassign(targets)
                print("Current partition replica assignment\n")
                print(String(decoding: PartitionReassignmentPayload.encode(current), as: UTF8.self))
                print("\nSave this to use as the --reassignment-json-file option during rollback")
                let names = targets.keys.sorted().map { "\($0)" }.joined(separator: ",")
                print("Successfully started partition reassignment\(targets.count == 1 ? "" : "s") for \(names)")
            }
        }
    }

    struct ElectLeaders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "elect-leaders",
            abstract: "Give partitions back to their preferred replica (kafka-leader-election --election-type preferred).")
        @OptionGroup var connection: Connection
        @Option(help: "Only this topic (default: every partition).") var topic: String?
        @Option(help: "Only this partition of --topic.") var partition: Int32?
        @Option(help: "Seconds to wait for the controller.") var timeout: Int = 30

        func run() async throws {
            guard partition == nil || topic != nil else { throw ValidationError("--partition needs --topic") }
            try await connection.withAdmin { admin in
                let (done, pending) = try await admin.electPreferredLeaders(
                    topic: topic, partition: partition, timeout: .seconds(timeout))
                if !done.isEmpty {
                    print("Successfully completed leader election (PREFERRED) for partitions \(done.joined(separator: ", "))")
                }
                if !pending.isEmpty {
                    print("Preferred replica not leading (not live or not in sync) for partitions \(pending.joined(separator: ", "))")
                    throw ExitCode(1)
                }
            }
        }
    }
}

struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe, reset the offsets of, or delete consumer groups (kafka-consumer-groups).",
        subcommands: [List.self, Describe.self, ResetOffsets.self, Delete.self])

    struct Connection: ParsableArguments {
        @Option(help: "Brokers to ask first: host:port[,host:port...].")
        var bootstrapServer: String = "127.0.0.1:9092"

        /// Runs `body` with the tool's client; failures exit 1 with one line.
        func withAdmin(_ body: (GroupAdmin) async throws -> Void) async throws {
            do {
                try await body(try GroupAdmin(bootstrap: bootstrapServer))
            } catch let failure as GroupAdmin.Failure {
                print("Error: \(failure)")
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every group of the cluster, with its state.")
        @OptionGroup var connection: Connection

        func run() async throws {
            try await connection.withAdmin { admin in
                let groups = try await admin.list()
                print(GroupAdminPlan.table(["GROUP", "STATE"], groups.map { [$0.group, $0.state] }))
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A group's members, partitions, committed offsets, log ends and lag.")
        @OptionGroup var connection: Connection
        @Option(help: "The group id.") var group: String

        func run() async throws {
            try await connection.withAdmin { admin in
                let description = try await admin.describe(group)
                print(
                    "Group \(group): \(description.state), \(description.members) member(s)"
                        + (description.protocolName.isEmpty ? "" : ", assignor \(description.protocolName)") + "\n")
                print(GroupAdminPlan.describeTable(group: group, rows: description.rows))
            }
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move an inactive group's offsets (a dry run unless --execute).")
        @OptionGroup var connection: Connection
        @Option(help: "The group id.") var group: String
        @Option(help: "Only this topic (repeatable; default: every partition the group committed).") var topic: [String] = []
        @Flag(help: "To each partition's first offset.") var toEarliest = false
        @Flag(help: "To each partition's log end.") var toLatest = false
        @Option(help: "To the first offset at or after this time (yyyy-MM-ddTHH:mm:ss[.SSS] UTC, or epoch ms).")
        var toDatetime: String?
        @Option(parsing: .unconditional, help: "Move each committed offset by this many records (negative: back).")
        var shiftBy: Int64?
        @Flag(help: "Commit the new offsets (without it, only show them).") var execute = false

        func spec() throws -> OffsetResetSpec {
            var specs: [OffsetResetSpec] = []
            if toEarliest { specs.append(.earliest) }
            if toLatest { specs.append(.latest) }
            if let toDatetime {
                guard let ms = Self.milliseconds(toDatetime) else {
                    throw ValidationError("--to-datetime: expected yyyy-MM-ddTHH:mm:ss[.SSS] or epoch ms, got \(toDatetime)")
                }
                specs.append(.datetime(ms))
            }
            if let shiftBy { specs.append(.shiftBy(shiftBy)) }
            guard specs.count == 1 else {
                throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-datetime, --shift-by")
            }
            return specs[0]
        }

        func validate() throws { _ = try spec() }

        static func milliseconds(_ text: String) -> Int64? {
            if let ms = Int64(text) { return ms }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            for format in ["yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss"] {
                formatter.dateFormat = format
                if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
            }
            return nil
        }

        func run() async throws {
            let spec = try spec()
            try await connection.withAdmin { admin in
                let targets = try await admin.resetOffsets(
                    group, topics: topic.isEmpty ? nil : topic, to: spec, execute: execute)
                print(
                    GroupAdminPlan.table(
                        ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"],
                        targets.keys.sorted().map { [group, $0.topic, String($0.partition), String(targets[$0]!)] }))
                if !execute { print("\nDry run: nothing committed; add --execute to commit these offsets.") }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an empty group and its offsets.")
        @OptionGroup var connection: Connection
        @Option(help: "The group id.") var group: String

        func run() async throws {
            try await connection.withAdmin { admin in
                try await admin.delete(group)
                print("Deletion of requested consumer groups ('\(group)') was successful.")
            }
        }
    }
}
