import JSON
import KafkaZooKeeper
import KeeperClient
import NIOCore
import ZooKeeperWire

/// Where the shell's text goes. Implementations decide about terminals; the session only says what.
package protocol ShellOutput: Sendable {
    /// A command's result (standard output).
    func write(_ text: String)
    /// Why a command failed (standard error).
    func writeError(_ text: String)
    /// Something that happened on its own: a watch fired, the connection dropped or came back.
    func notify(_ text: String)
}

/// One shell: a `ZooKeeperClient` session and the commands run on it (the driver of `CommandParser`
/// and the renderers). Lines in, text out through a `ShellOutput`; knows nothing about terminals.
package actor ShellSession {
    /// How a line ended.
    package enum Outcome: Sendable, Equatable {
        case succeeded, failed, quit
    }

    private let output: any ShellOutput
    private let jsonByDefault: Bool
    private let connectTimeout: Duration
    private var servers: String
    private var client: ZooKeeperClient?
    /// Forward the current client's watch and session events; replaced with the client.
    private var pumps: [Task<Void, Never>] = []
    /// Bumped per client, so late events of a replaced client are dropped.
    private var generation = 0
    private var state = "CLOSED"
    private var lastMember: String?
    private var own = OwnWatches()
    private let groupLister: GroupLister?
    /// Every line run, for `history` and `redo` (numbered from 0, like zkCli's).
    package private(set) var commands: [String] = []

    package init(
        servers: String, output: any ShellOutput, json: Bool = false, connectTimeout: Duration = .seconds(10),
        groupLister: GroupLister? = nil
    ) {
        self.groupLister = groupLister
        self.servers = servers
        self.output = output
        self.jsonByDefault = json
        self.connectTimeout = connectTimeout
    }

    /// zkCli's prompt: `[paddock: 127.0.0.1:2181(CONNECTED) 3] `, the member this session is on (the
    /// server list while there is none), the connection state and the next command number.
    package var prompt: String {
        "[paddock: \(client?.connectedServer ?? servers)(\(state)) \(commands.count)] "
    }

    /// Opens a session on the ensemble in `servers`. On failure says why and returns false.
    @discardableResult
    package func connect() async -> Bool {
        await dropClient()
        let client: ZooKeeperClient
        do {
            client = try ZooKeeperClient(connectString: servers, sessionTimeout: .seconds(30))
        } catch {
            output.writeError("Invalid server list: \(servers) (expected host:port[,host:port...][/chroot])")
            return false
        }
        generation += 1
        let generation = self.generation
        let watchEvents = client.watchEvents()
        let sessionEvents = client.sessionEvents()
        pumps = [
            Task { [weak self] in
                for await event in watchEvents { await self?.watchEventArrived(event, generation: generation) }
            },
            Task { [weak self] in
                for await event in sessionEvents { await self?.sessionEventArrived(event, generation: generation) }
            },
        ]
        self.client = client
        state = "CONNECTING"
        do {
            try await client.connect(timeout: connectTimeout)
        } catch {
            state = "CLOSED"
            output.writeError("Could not connect to \(servers) within \(connectTimeout.components.seconds) s")
            return false
        }
        state = "CONNECTED"
        lastMember = client.connectedServer
        return true
    }

    /// Closes the session (its ephemerals go) and stops listening to it.
    package func close() async {
        await dropClient()
    }

    private func dropClient() async {
        for pump in pumps { pump.cancel() }
        pumps = []
        own.removeAll()
        if let client {
            self.client = nil
            // Closing an expired or already closed session fails; either way it is gone.
            try? await client.close()
        }
        state = "CLOSED"
    }

    // MARK: - Events

    private func watchEventArrived(_ event: WatchEvent, generation: Int) {
        guard generation == self.generation else { return }
        own.eventReceived(event.type, path: event.path)
        output.notify(Render.watchEvent(type: event.type, path: event.path))
    }

    private func sessionEventArrived(_ event: SessionEvent, generation: Int) {
        guard generation == self.generation, let client else { return }
        let session = client.sessionID?.description ?? "?"
        switch event {
        case .connected:
            let member = client.connectedServer ?? "?"
            if state == "RECONNECTING" {
                output.notify("Reconnected to \(member); session \(session) kept, with its watches and ephemerals")
            }
            state = "CONNECTED"
            lastMember = member
        case .disconnected:
            state = "RECONNECTING"
            output.notify("Connection to \(lastMember ?? servers) lost; reconnecting to \(servers)")
        case .expired:
            state = "EXPIRED"
            own.removeAll()
            output.notify("Session \(session) expired: its ephemerals and watches are gone; run connect for a new session")
        case .authFailed:
            state = "AUTH_FAILED"
            output.notify("Authentication failed: the server closed session \(session); run connect to start over")
        case .closed:
            state = "CLOSED"
        }
    }

    // MARK: - Lines

    /// Runs one input line: parses it, runs it, prints the result or the error.
    package func run(_ line: String) async -> Outcome {
        let parsed: ParsedLine?
        do {
            parsed = try CommandParser.parse(line)
        } catch {
            output.writeError(error.description)
            return .failed
        }
        guard let parsed else { return .succeeded }
        if case .redo(let number) = parsed.command {
            guard number < commands.count else {
                output.writeError("No command \(number) in the history (history lists them)")
                return .failed
            }
            let again = commands[number]
            if case .redo? = (try? CommandParser.parse(again))?.command {
                output.writeError("Command \(number) is itself a redo")
                return .failed
            }
            return await run(again)
        }
        commands.append(line.trimming(" \t"))
        do {
            return try await execute(parsed.command, json: parsed.json || jsonByDefault)
        } catch let error as ShellError {
            output.writeError(error.description)
        } catch let error as ZooKeeperError {
            output.writeError(ShellError.zookeeper(error).description)
        } catch let error as UsageError {
            output.writeError(error.description)
        } catch {
            output.writeError("Failed: \(error)")
        }
        return .failed
    }

    /// The names that complete `target` (command names, or children of a znode).
    package func completions(for target: Completion.Target) async -> [String] {
        switch target {
        case .command: return CommandParser.commandNames
        case .path(let parent, _, _):
            guard let client else { return [] }
            // A parent that does not exist (yet) simply completes to nothing.
            return (try? await client.getChildren(parent)) ?? []
        case .none: return []
        }
    }

    private func connected() throws -> ZooKeeperClient {
        guard let client else { throw ShellError.message("Not connected: run connect [host:port,...]") }
        return client
    }

    private func emit(_ rendered: Rendered, json: Bool) {
        output.write(json ? rendered.json.rendered(Render.jsonLayout) : rendered.text)
    }

    private func execute(_ command: ShellCommand, json: Bool) async throws -> Outcome {
        switch command {
        case .ls(let path, let withStat, let recursive, let watch):
            let client = try connected()
            if recursive {
                let paths = try await descendants(of: path, client: client)
                emit(Rendered(text: paths.joined(separator: "\n"), json: .array(paths.map(JSONValue.string))), json: json)
                return .succeeded
            }
            let (children, stat) = try await client.getChildren2(path, watch: watch)
            if watch { own.added(.child, on: path) }
            let sorted = children.sorted()
            var members: [JSONValue.Member] = [("path", .string(path)), ("children", .array(sorted.map(JSONValue.string)))]
            var text = Render.list(sorted)
            if withStat {
                text += "\n" + Render.statText(stat)
                members.append(("stat", Render.statJSON(stat)))
            }
            emit(Rendered(text: text, json: .object(members)), json: json)
        case .get(let path, let withStat, let watch):
            let (data, stat) = try await connected().getData(path, watch: watch)
            if watch { own.added(.data, on: path) }
            var members: [JSONValue.Member] = [("path", .string(path)), ("data", Render.dataJSON(data))]
            var text = Render.data(data)
            if withStat {
                text += "\n" + Render.statText(stat)
                members.append(("stat", Render.statJSON(stat)))
            }
            emit(Rendered(text: text, json: .object(members)), json: json)
        case .set(let path, let data, let withStat, let version):
            let client = try connected()
            let stat = try await checkingVersion(path, version, client: client) {
                try await client.setData(path, data: Array(data.utf8), version: version ?? -1)
            }
            if withStat { output.write(Render.statText(stat)) }
        case .create(let path, let data, let acl, let mode, let ttl):
            let created = try await connected().create(
                path, data: Array((data ?? "").utf8), acl: acl ?? ACL.openUnsafe, mode: mode, ttl: ttl)
            output.write("Created \(created)")
        case .delete(let path, let version):
            let client = try connected()
            try await checkingVersion(path, version, client: client) {
                try await client.delete(path, version: version ?? -1)
            }
        case .deleteAll(let path):
            let client = try connected()
            for node in try await descendants(of: path, client: client).reversed() {
                do {
                    try await client.delete(node)
                } catch let error as ZooKeeperError where error.code == .noNode {
                    continue  // gone already (an ephemeral whose session ended, another client)
                }
            }
        case .stat(let path, let watch):
            let stat = try await connected().exists(path, watch: watch)
            if watch { own.added(.exist, on: path) }
            guard let stat else { throw ShellError.zookeeper(ZooKeeperError(code: .noNode, path: path)) }
            emit(Rendered(text: Render.statText(stat), json: Render.statJSON(stat)), json: json)
        case .sync(let path):
            try await connected().sync(path)
            output.write("Sync is OK")
        case .getAcl(let path, let withStat):
            let (acl, stat) = try await connected().getACL(path)
            var text = Render.aclText(acl)
            if withStat { text += "\n" + Render.statText(stat) }
            let document: JSONValue = withStat
                ? .object([("acl", Render.aclJSON(acl)), ("stat", Render.statJSON(stat))]) : Render.aclJSON(acl)
            emit(Rendered(text: text, json: document), json: json)
        case .setAcl(let path, let acl, let withStat, let version, let recursive):
            let client = try connected()
            let targets = recursive ? try await descendants(of: path, client: client) : [path]
            var rootStat: Stat? = nil
            for target in targets {
                let targetVersion = target == path ? version : nil
                let stat = try await checkingVersion(target, targetVersion, client: client, aclVersion: true) {
                    try await client.setACL(target, acl: acl, version: targetVersion ?? -1)
                }
                if target == path { rootStat = stat }
            }
            if withStat, let rootStat { output.write(Render.statText(rootStat)) }
        case .addAuth(let scheme, let credential):
            try await connected().addAuth(scheme: scheme, credential: Array(credential.utf8))
        case .addWatch(let path, let mode):
            try await connected().addWatch(path, mode: mode)
            own.added(mode == .persistent ? .persistent : .persistentRecursive, on: path)
        case .removeWatches(let path, let type):
            try await connected().removeWatches(path, type: type)
        case .getEphemerals(let path):
            let paths = try await connected().getEphemerals(prefix: path).sorted()
            emit(Rendered(text: Render.list(paths), json: .array(paths.map(JSONValue.string))), json: json)
        case .getAllChildrenNumber(let path):
            let count = try await connected().getAllChildrenNumber(path)
            emit(Rendered(text: String(count), json: .int(count)), json: json)
        case .whoami:
            let identities = try await connected().whoAmI()
            let text = (["Auth scheme: User"] + identities.map { "\($0.authScheme): \($0.user)" }).joined(separator: "\n")
            let document: JSONValue = .array(identities.map {
                .object([("scheme", .string($0.authScheme)), ("user", .string($0.user))])
            })
            emit(Rendered(text: text, json: document), json: json)
        case .config:
            let (data, _) = try await connected().getData("/zookeeper/config")
            let text = String(decoding: data, as: UTF8.self)
            let lines = text.split(whereSeparator: \.isNewline).map { JSONValue.string(String($0)) }
            emit(Rendered(text: text, json: .array(lines)), json: json)
        case .close:
            await dropClient()
        case .connect(let hosts):
            if let hosts { servers = hosts }
            guard await connect() else { return .failed }
        case .history:
            let first = max(0, commands.count - 11)
            let numbered = commands.enumerated().dropFirst(first)
            emit(Rendered(
                text: numbered.map { "\($0.offset) - \($0.element)" }.joined(separator: "\n"),
                json: .array(numbered.map { .object([("number", .int($0.offset)), ("command", .string($0.element))]) })
            ), json: json)
        case .redo:
            preconditionFailure("redo is resolved in run(_:)")
        case .quit:
            await dropClient()
            return .quit
        case .help:
            output.write("Commands (every read command takes --json):\n" + CommandParser.helpText)
        case .tree(let path, let depth):
            let tree = try await readTree(path, depth: depth ?? Int.max, client: try connected())
            emit(Rendered(text: tree.rendered(), json: tree.json), json: json)
        case .watches(let path):
            let answers = await ask(["wchc", "wchp", "cons"])
            emit(EnsembleViews.watches(answers, filter: path, ownSession: client?.sessionID, own: own), json: json)
        case .sessions(let path):
            emit(EnsembleViews.sessions(await ask(["cons", "dump"]), filter: path), json: json)
        case .ensemble:
            emit(EnsembleViews.ensemble(await ask(["srvr", "mntr"])), json: json)
        case .brokers:
            emit(KafkaViews.brokers(try await brokerNodes(client: try connected())), json: json)
        case .topics:
            let client = try connected()
            var topics: [KafkaViews.Topic] = []
            for name in try await childrenIfPresent(ZkPaths.topics, client: client) {
                guard let assignment = try await node(ZkPaths.topic(name), client: client) else { continue }
                var states: [String: KafkaViews.Node] = [:]
                for partition in try await childrenIfPresent(ZkPaths.partitions(name), client: client) {
                    states[partition] = try await node(ZkPaths.partitionState(topic: name, partition: partition), client: client)
                }
                topics.append(KafkaViews.Topic(name: name, node: assignment, states: states))
            }
            emit(KafkaViews.topics(topics), json: json)
        case .controller:
            let client = try connected()
            let controller = try await node(ZkPaths.controller, client: client)
            let epoch = try await node(ZkPaths.controllerEpoch, client: client)
            emit(KafkaViews.controller(controller: controller, epoch: epoch), json: json)
        case .groups:
            let client = try connected()
            guard let groupLister else { throw ShellError.message("groups: no Kafka client in this build") }
            let bootstrap = KafkaViews.bootstrap(try await brokerNodes(client: client))
            guard !bootstrap.isEmpty else { throw ShellError.message("No brokers registered under \(ZkPaths.brokerIDs)") }
            do {
                emit(KafkaViews.groups(try await groupLister(bootstrap)), json: json)
            } catch {
                throw ShellError.message("groups: \(error)")
            }
        }
        return .succeeded
    }

    // MARK: - Helpers

    /// Runs a versioned write; a BADVERSION for an explicit version becomes "expected N, found M".
    @discardableResult
    private func checkingVersion<T: Sendable>(
        _ path: String, _ version: Int32?, client: ZooKeeperClient, aclVersion: Bool = false,
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as ZooKeeperError where error.code == .badVersion && version != nil {
            let stat = try? await client.exists(path)
            throw ShellError.versionMismatch(
                path: path, expected: version!, found: stat.flatMap { $0 }.map { aclVersion ? $0.aversion : $0.version })
        }
    }

    /// `path` and everything below it, parents before children, siblings sorted (zkCli's `ls -R`).
    private func descendants(of path: String, client: ZooKeeperClient) async throws -> [String] {
        var result: [String] = []
        var queue = [path]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            result.append(next)
            let children: [String]
            do {
                children = try await client.getChildren(next)
            } catch let error as ZooKeeperError where error.code == .noNode && next != path {
                continue  // deleted while we walked
            }
            queue += children.sorted().map { next == "/" ? "/" + $0 : next + "/" + $0 }
        }
        return result
    }

    /// The subtree under `path` down to `depth` levels, read level by level with pipelined requests.
    /// At most `treeBudget` nodes are read; deeper or further ones are marked truncated.
    private func readTree(_ path: String, depth: Int, client: ZooKeeperClient) async throws -> TreeNode {
        let treeBudget = 10_000
        var read: [String: (children: [String], stat: Stat)] = [:]
        let root = try await client.getChildren2(path)
        read[path] = root
        var level = [path]
        var remaining = treeBudget
        var currentDepth = 0
        while !level.isEmpty, currentDepth < depth, remaining > 0 {
            let next = level.flatMap { parent in read[parent]!.children.sorted().map { Self.join(parent, $0) } }
            let batch = Array(next.prefix(remaining))
            remaining -= batch.count
            let results = try await withThrowingTaskGroup(of: (String, ([String], Stat)?).self) { group in
                for child in batch {
                    group.addTask {
                        do {
                            return (child, try await client.getChildren2(child))
                        } catch let error as ZooKeeperError where error.code == .noNode {
                            return (child, nil)  // deleted since its parent was read
                        }
                    }
                }
                var collected: [(String, ([String], Stat)?)] = []
                for try await result in group { collected.append(result) }
                return collected
            }
            for case (let child, let value?) in results { read[child] = (value.0, value.1) }
            level = batch.filter { read[$0] != nil }
            currentDepth += 1
        }
        func build(_ node: String) -> TreeNode {
            let (children, stat) = read[node]!
            let built = children.sorted().map { Self.join(node, $0) }.filter { read[$0] != nil }.map(build)
            return TreeNode(path: node, stat: stat, children: built, truncated: built.count < children.count)
        }
        return build(path)
    }

    private static func join(_ parent: String, _ child: String) -> String {
        parent == "/" ? "/" + child : parent + "/" + child
    }

    private func childrenIfPresent(_ path: String, client: ZooKeeperClient) async throws -> [String] {
        do {
            return try await client.getChildren(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        }
    }

    /// Every registration under `/brokers/ids`, named by its znode name.
    private func brokerNodes(client: ZooKeeperClient) async throws -> [(id: String, node: KafkaViews.Node)] {
        var nodes: [(id: String, node: KafkaViews.Node)] = []
        for id in try await childrenIfPresent(ZkPaths.brokerIDs, client: client) {
            if let node = try await node(ZkPaths.broker(named: id), client: client) { nodes.append((id, node)) }
        }
        return nodes
    }

    private func node(_ path: String, client: ZooKeeperClient) async throws -> KafkaViews.Node? {
        do {
            let (data, stat) = try await client.getData(path)
            return KafkaViews.Node(data: data, stat: stat)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Asks every member in the server list `words`, concurrently, 3 s each at most.
    private func ask(_ words: [String]) async -> [MemberAnswers] {
        // connect() already rejected a malformed server list; nothing to ask then.
        guard let hosts = try? ConnectString(parsing: servers).hosts else { return [] }
        return await withTaskGroup(of: (Int, MemberAnswers).self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask {
                    var replies: [String: String] = [:]
                    for word in words {
                        do {
                            replies[word] = try await ZooKeeperClient.fourLetterWord(word, to: host, timeout: .seconds(3))
                        } catch {
                            return (index, MemberAnswers(member: host.description, replies: replies, failure: "unreachable"))
                        }
                    }
                    return (index, MemberAnswers(member: host.description, replies: replies))
                }
            }
            var answers: [(Int, MemberAnswers)] = []
            for await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
