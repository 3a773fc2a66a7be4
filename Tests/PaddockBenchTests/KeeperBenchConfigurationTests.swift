import KeeperClient
import PaddockBench
import Testing

@Suite("paddock bench keeper: argument validation")
struct KeeperBenchConfigurationTests {
    private func options(_ change: (inout KeeperBenchOptions) -> Void = { _ in }) -> KeeperBenchOptions {
        var options = KeeperBenchOptions()
        options.hosts = "127.0.0.1:2181,127.0.0.1:2182"
        change(&options)
        return options
    }

    private func rejects(_ fragment: String, _ change: (inout KeeperBenchOptions) -> Void) {
        #expect {
            try KeeperBenchConfiguration(validating: options(change))
        } throws: { error in
            (error as? KeeperBenchConfigurationError)?.message.contains(fragment) == true
        }
    }

    @Test func defaultsMirrorTheBriefAndZkbench() throws {
        let configuration = try KeeperBenchConfiguration(validating: options())
        #expect(configuration.targets.count == 1)
        #expect(configuration.targets[0].label == "keeper")
        #expect(
            configuration.targets[0].hosts == [
                HostAndPort(host: "127.0.0.1", port: 2181), HostAndPort(host: "127.0.0.1", port: 2182),
            ]
        )
        #expect(configuration.clients == [1, 8, 32])
        #expect(configuration.ops == 20_000)
        #expect(configuration.seconds == 10)
        #expect(configuration.size == 100)
        #expect(configuration.children == 1000)
        #expect(configuration.depth == 1)
        #expect(configuration.phases == KeeperBenchPhase.allCases)
        #expect(configuration.repeatCount == 1)
        #expect(configuration.jsonPath == nil)
    }

    @Test func hostsComeFirstThenTargetsInOrder() throws {
        let configuration = try KeeperBenchConfiguration(
            validating: options {
                $0.label = "zk"
                $0.targets = ["paddock=127.0.0.1:32181,127.0.0.1:32182", "other=localhost:9000"]
            }
        )
        #expect(configuration.targets.map(\.label) == ["zk", "paddock", "other"])
        #expect(configuration.targets[1].hosts.map(\.port) == [32181, 32182])
        #expect(configuration.targets[2].hosts == [HostAndPort(host: "localhost", port: 9000)])
    }

    @Test func targetsAloneAreEnough() throws {
        let configuration = try KeeperBenchConfiguration(
            validating: options {
                $0.hosts = nil
                $0.targets = ["zk=127.0.0.1:22181"]
            }
        )
        #expect(configuration.targets.map(\.label) == ["zk"])
    }

    @Test func aTargetIsRequired() {
        rejects("--hosts or --target") { $0.hosts = nil }
    }

    @Test func malformedTargetsAreRejected() {
        rejects("LABEL=HOST:PORT") { $0.targets = ["127.0.0.1:2181"] }
        rejects("label") { $0.targets = ["=127.0.0.1:2181"] }
        rejects("used twice") { $0.targets = ["keeper=127.0.0.1:1"] }
        rejects("cannot parse") { $0.targets = ["x=127.0.0.1:notaport"] }
        rejects("cannot parse") { $0.hosts = "" }
        rejects("chroot") { $0.hosts = "127.0.0.1:2181/app" }
    }

    @Test func clientCountsMustBePositiveDistinctIntegers() {
        rejects("--clients") { $0.clients = "1,x" }
        rejects("--clients") { $0.clients = "0" }
        rejects("--clients") { $0.clients = "1,,8" }
        rejects("twice") { $0.clients = "8,8" }
    }

    @Test func clientCountsMayHaveSpaces() throws {
        #expect(try KeeperBenchConfiguration(validating: options { $0.clients = "1, 32" }).clients == [1, 32])
    }

    @Test func numericOptionsAreBounded() {
        rejects("--ops") { $0.ops = 0 }
        rejects("--seconds") { $0.seconds = 0 }
        rejects("--seconds") { $0.seconds = .nan }
        rejects("--seconds") { $0.seconds = .infinity }
        rejects("--size") { $0.size = -1 }
        rejects("--size") { $0.size = 2_000_000 }
        rejects("--children") { $0.children = -1 }
        rejects("--depth") { $0.depth = 0 }
        rejects("--repeat") { $0.repeatCount = 0 }
        rejects("--warmup-ops") { $0.warmupOps = -1 }
        rejects("--session-timeout-ms") { $0.sessionTimeoutMilliseconds = 10 }
        rejects("--json") { $0.jsonPath = "" }
    }

    @Test func phasesAreValidatedAndPutInCanonicalOrder() throws {
        let configuration = try KeeperBenchConfiguration(validating: options { $0.phases = "watch,get,create" })
        #expect(configuration.phases == [.create, .get, .watch])
        rejects("unknown phase \"bogus\"") { $0.phases = "create,bogus" }
        rejects("names no phase") { $0.phases = "," }
        rejects("delete needs create") { $0.phases = "delete" }
        rejects("get needs create") { $0.phases = "get,children" }
        #expect(
            try KeeperBenchConfiguration(validating: options { $0.phases = "children,watch,ephemeral" }).phases == [
                .children, .ephemeral, .watch,
            ]
        )
    }

    @Test func warmUpSkipsTheSessionHeavyPhasesUnlessNothingElseIsLeft() throws {
        let all = try KeeperBenchConfiguration(validating: options())
        #expect(all.warmupPhases == [.create, .set, .get, .exists, .children, .delete])
        #expect(all.maxClients == 32)
        let onlyWatch = try KeeperBenchConfiguration(validating: options { $0.phases = "watch" })
        #expect(onlyWatch.warmupPhases == [.watch])
    }

    /// zkbench's PHASE_SCALE: children and watch get 1/5 of --ops, ephemeral 1/10, never below 1.
    @Test func phaseBudgetsScaleLikeZkbench() {
        #expect(KeeperBenchPhase.create.opsBudget(forOps: 20_000) == 20_000)
        #expect(KeeperBenchPhase.children.opsBudget(forOps: 20_000) == 4000)
        #expect(KeeperBenchPhase.watch.opsBudget(forOps: 20_000) == 4000)
        #expect(KeeperBenchPhase.ephemeral.opsBudget(forOps: 20_000) == 2000)
        #expect(KeeperBenchPhase.ephemeral.opsBudget(forOps: 5) == 1)
    }
}
