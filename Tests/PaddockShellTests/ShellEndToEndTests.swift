import Foundation
import KeeperClient
import PaddockTestSupport
import JSON
import Testing
import ZooKeeperWire

@testable import PaddockShell

/// `paddock shell` as a user runs it, against a real keeper: one-shot commands, scripts on stdin,
/// the ensemble views, and an interactive session on a pseudo-terminal.
@Suite struct ShellEndToEndTests {
    private func keeper() async throws -> (server: PaddockProcess, client: ZooKeeperClient) {
        let server = try await SharedPaddock.get()
        let client = try ZooKeeperClient(connectString: server.connectString)
        try await client.connect()
        return (server, client)
    }

    private func root() -> String { "/shell-\(UUID().uuidString.prefix(8))" }

    @Test func oneShotCommandsPrintResultsAndFailWithASentence() async throws {
        let (server, client) = try await keeper()
        defer { Task { try? await client.close() } }
        let root = root()
        let cs = ["--server", server.connectString]

        let created = try ShellHarness.run(cs + ["create", root, "hello world"])
        #expect(created.status == 0)
        #expect(created.stdout == "Created \(root)\n")
        #expect(try ShellHarness.run(cs + ["get", root]).stdout == "hello world\n")

        let missing = try ShellHarness.run(cs + ["get", root + "/missing"])
        #expect(missing.status == 1)
        #expect(missing.stdout == "")
        #expect(missing.stderr == "Node does not exist: \(root)/missing\n")

        let stale = try ShellHarness.run(cs + ["set", "-v", "5", root, "x"])
        #expect(stale.status == 1)
        #expect(stale.stderr == "Version mismatch: expected 5, found 0 (\(root))\n")

        let usage = try ShellHarness.run(cs + ["ls"])
        #expect(usage.status == 1)
        #expect(usage.stderr == "Missing arguments\nusage: ls [-s] [-w] [-R] path\n")

        let json = try ShellHarness.run(cs + ["--json", "get", "-s", root])
        #expect(json.status == 0)
        let document = try #require(JSONValue(parsing: json.stdout))
        #expect(document["data"] == .string("hello world"))
        #expect(document["stat"]?["dataLength"] == .int(11))
    }

    @Test func scriptOnStdinRunsEveryLineWithoutPromptsAndFailsIfOneFailed() async throws {
        let (server, client) = try await keeper()
        defer { Task { try? await client.close() } }
        let root = root()
        let script = """
            create \(root)
            create \(root)/a
            create \(root)/a/b '{"version":1,"brokerid":2}'
            get \(root)/a/b
            ls \(root)/a
            delete \(root)/a
            # a comment
            getAllChildrenNumber \(root)
            deleteall \(root)/a
            ls -R \(root)
            history

            """
        let result = try ShellHarness.run(["--server", server.connectString], input: script)
        #expect(result.status == 1)
        #expect(result.stderr == "Node not empty: \(root)/a\n")
        #expect(!result.stdout.contains("\u{1B}") && !result.stdout.contains("[paddock:"))
        #expect(
            result.stdout == """
                Created \(root)
                Created \(root)/a
                Created \(root)/a/b
                {
                  "version": 1,
                  "brokerid": 2
                }
                [b]
                2
                \(root)
                0 - create \(root)
                1 - create \(root)/a
                2 - create \(root)/a/b '{"version":1,"brokerid":2}'
                3 - get \(root)/a/b
                4 - ls \(root)/a
                5 - delete \(root)/a
                6 - getAllChildrenNumber \(root)
                7 - deleteall \(root)/a
                8 - ls -R \(root)
                9 - history

                """)
        #expect(try await client.exists(root + "/a") == nil)
    }

    @Test func oneCommandEachAnswersWhoWatchesAndWhoOwnsTheEphemerals() async throws {
        let (server, owner) = try await keeper()
        let watcher = try ZooKeeperClient(connectString: server.connectString)
        try await watcher.connect()
        defer {
            Task {
                try? await owner.close()
                try? await watcher.close()
            }
        }
        let root = root()
        _ = try await owner.create(root)
        _ = try await owner.create(root + "/ids")
        _ = try await owner.create(root + "/ids/1", data: Array(#"{"host":"h","port":9092}"#.utf8), mode: .ephemeral)
        _ = try await watcher.getChildren(root + "/ids", watch: true)
        _ = try await watcher.getData(root + "/ids/1", watch: true)
        let ownerSession = try #require(owner.sessionID).description
        let watcherSession = try #require(watcher.sessionID).description
        let cs = ["--server", server.connectString]

        let watches = try ShellHarness.run(cs + ["watches", root + "/ids"])
        #expect(watches.status == 0)
        let watchRows = watches.stdout.split(separator: "\n").dropFirst()
        #expect(watchRows.count == 2)
        #expect(watchRows.allSatisfy { $0.hasPrefix(server.connectString) && $0.contains(watcherSession) })
        #expect(watchRows.contains { $0.contains(" \(root)/ids ") } && watchRows.contains { $0.contains(" \(root)/ids/1 ") })

        let sessions = try ShellHarness.run(cs + ["sessions", root + "/ids"])
        #expect(sessions.status == 0)
        let sessionRows = sessions.stdout.split(separator: "\n").dropFirst()
        #expect(sessionRows.count == 1)
        #expect(sessionRows.first?.contains(ownerSession) == true)
        #expect(sessionRows.first?.hasSuffix(root + "/ids/1") == true)

        let tree = try ShellHarness.run(cs + ["tree", root])
        #expect(tree.stdout.contains("└── 1  (24 B, ephemeral \(ownerSession))"))
        let lsJSON = try #require(JSONValue(parsing: try ShellHarness.run(cs + ["ls", "-s", "--json", root + "/ids"]).stdout))
        #expect(lsJSON["children"] == .array([.string("1")]))

        let ensemble = try ShellHarness.run(cs + ["ensemble"])
        #expect(ensemble.status == 0)
        #expect(ensemble.stdout.split(separator: "\n").last?.hasPrefix("\(server.connectString)  leader") == true)
    }

    @Test func kafkaZnodesAreSummarised() async throws {
        let (server, client) = try await keeper()
        defer { Task { try? await client.close() } }
        let chroot = root()
        for path in ["", "/brokers", "/brokers/ids", "/brokers/topics", "/brokers/topics/t", "/brokers/topics/t/partitions",
            "/brokers/topics/t/partitions/0"]
        {
            _ = try await client.create(chroot + path)
        }
        try await client.setData(chroot + "/brokers/topics/t", data: Array(#"{"version":3,"partitions":{"0":[1]},"topic_id":"x"}"#.utf8))
        _ = try await client.create(
            chroot + "/brokers/topics/t/partitions/0/state",
            data: Array(#"{"version":1,"leader":1,"leader_epoch":0,"controller_epoch":1,"isr":[1]}"#.utf8))
        _ = try await client.create(
            chroot + "/brokers/ids/1", data: Array(#"{"version":5,"endpoints":["PLAINTEXT://h:9092"],"timestamp":"0"}"#.utf8),
            mode: .ephemeral)
        _ = try await client.create(chroot + "/controller", data: Array(#"{"version":2,"brokerid":1,"timestamp":"0"}"#.utf8), mode: .ephemeral)
        _ = try await client.create(chroot + "/controller_epoch", data: Array("1".utf8))
        let cs = ["--server", server.connectString + chroot]
        let session = try #require(client.sessionID).description

        let brokers = try ShellHarness.run(cs + ["brokers"])
        #expect(brokers.stdout.contains("1   PLAINTEXT://h:9092  -     \(session)"))
        let topics = try ShellHarness.run(cs + ["topics"])
        #expect(topics.stdout.hasSuffix("t      0          1         1       1    0\n"))
        let controller = try ShellHarness.run(cs + ["--json", "controller"])
        let document = try #require(JSONValue(parsing: controller.stdout))
        #expect(document["brokerId"] == .int(1) && document["controllerEpoch"] == .int(1))
    }

    @Test func unreachableEnsembleFailsWithASentence() throws {
        let port = try freePorts(1)[0]
        let result = try ShellHarness.run(["--server", "127.0.0.1:\(port)", "--timeout", "1", "ls", "/"])
        #expect(result.status == 1)
        #expect(result.stderr == "Could not connect to 127.0.0.1:\(port) within 1 s\n")
    }

    @Test func interactiveSessionCompletesPathsAndShowsWatchEventsAboveTheLine() async throws {
        let (server, client) = try await keeper()
        defer { Task { try? await client.close() } }
        let root = root()
        _ = try await client.create(root)
        _ = try await client.create(root + "/watched", data: Array("v1".utf8))
        let terminal = try ShellOnTerminal(arguments: ["--server", server.connectString])

        #expect(terminal.waitFor { $0.contains("(CONNECTED) 0] ") })
        terminal.type("get -w \(root)/wat\t")
        #expect(terminal.waitFor { $0.contains("get -w \(root)/watched") })
        terminal.type("\r")
        #expect(terminal.waitFor { $0.contains("v1") && $0.contains("(CONNECTED) 1] ") })

        terminal.type("ls \(root)")
        #expect(terminal.waitFor { $0.hasSuffix("ls \(root)\u{1B}[K") })
        try await client.setData(root + "/watched", data: Array("v2".utf8))
        let event = "WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged path:\(root)/watched"
        #expect(terminal.waitFor { $0.contains(event) })
        // The half-typed line is drawn again below the event, and still runs.
        #expect(terminal.waitFor { $0.components(separatedBy: event).last?.contains("ls \(root)") == true })
        terminal.type("\r")
        #expect(terminal.waitFor { $0.contains("[watched]") })

        terminal.type("quit\r")
        #expect(try terminal.finish() == 0)
        let history = try String(contentsOfFile: terminal.historyPath, encoding: .utf8)
        #expect(history == "get -w \(root)/watched\nls \(root)\nquit\n")
    }
}
