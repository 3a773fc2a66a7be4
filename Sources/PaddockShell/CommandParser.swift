package import ZooKeeperWire

/// Turns an input line into a `ShellCommand` (pure). Flags are zkCli's (`ls -s -R -w`, `set -v 3`,
/// `create -e -s -t 500`); single-letter flags may be combined (`ls -sw`) and may come before or after
/// the operands; `--` ends the flags. Words are split at blanks; single or double quotes keep blanks
/// (`set /a "two words"`). Every read command also takes `--json`.
package enum CommandParser {
    /// Every command name, for completion and `help`.
    package static let commandNames: [String] = specs.map(\.name)

    /// The `help` text: one usage line per command.
    package static var helpText: String {
        specs.map { "\t\($0.usage)" }.joined(separator: "\n")
    }

    /// The command on `line`, or nil for a blank line or a `#` comment.
    package static func parse(_ line: String) throws(UsageError) -> ParsedLine? {
        try parse(words: try tokenize(line))
    }

    /// The command `words` spell (already split, as a shell passes arguments), or nil for none.
    package static func parse(words: [String]) throws(UsageError) -> ParsedLine? {
        guard let name = words.first, !name.hasPrefix("#") else { return nil }
        guard let spec = specs.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw UsageError("Unknown command: \(name) (help lists the commands)")
        }
        let arguments = try spec.scan(Array(words.dropFirst()))
        let command: ShellCommand
        do {
            command = try spec.build(arguments)
        } catch let error as UsageError {
            throw error
        } catch {
            preconditionFailure("command builders throw only UsageError, got \(error)")
        }
        if arguments.json && !command.isRead {
            throw UsageError("--json applies to commands that read", usage: spec.usage)
        }
        return ParsedLine(command: command, json: arguments.json)
    }

    /// Splits `line` into words: blanks separate, quotes group, a backslash escapes the next character
    /// outside single quotes.
    package static func tokenize(_ line: String) throws(UsageError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if let quote { throw UsageError("Unclosed quote \(quote)") }
        if escaped { current.append("\\") }
        if inWord { words.append(current) }
        return words
    }

    /// `words` as one line that `tokenize` splits back into the same words (quoted where needed).
    package static func quote(_ words: [String]) -> String {
        words.map { word in
            guard word.isEmpty || word.contains(where: { " \t\"'\\#".contains($0) }) else { return word }
            return "'" + word.replacing("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    /// zkCli's ACL syntax: `scheme:id:perms[,scheme:id:perms...]`, perms from `cdrwa`
    /// (`world:anyone:cdrwa`, `digest:user:hash:r`, `ip:10.0.0.0/8:rw`).
    package static func parseACL(_ text: String) throws(UsageError) -> [ACL] {
        var acl: [ACL] = []
        for entry in text.split(separator: ",") {
            guard let first = entry.firstIndex(of: ":"), let last = entry.lastIndex(of: ":"), first != last else {
                throw UsageError("Invalid ACL: \(entry) (expected scheme:id:perms)")
            }
            let scheme = String(entry[..<first])
            let id = String(entry[entry.index(after: first)..<last])
            var perms: Perms = []
            for letter in entry[entry.index(after: last)...] {
                switch letter {
                case "c": perms.insert(.create)
                case "d": perms.insert(.delete)
                case "r": perms.insert(.read)
                case "w": perms.insert(.write)
                case "a": perms.insert(.admin)
                default: throw UsageError("Invalid ACL permission '\(letter)' in \(entry) (use c, d, r, w, a)")
                }
            }
            acl.append(ACL(perms: perms, id: ZKId(scheme: scheme, id: id)))
        }
        guard !acl.isEmpty else { throw UsageError("Invalid ACL: empty") }
        return acl
    }

    // MARK: - The commands

    static let specs: [CommandSpec] = [
        CommandSpec("ls", "ls [-s] [-w] [-R] path", flags: "swR", operands: 1...1) { a in
            .ls(path: try a.path(0), stat: a.has("s"), recursive: a.has("R"), watch: a.has("w"))
        },
        CommandSpec("get", "get [-s] [-w] path", flags: "sw", operands: 1...1) { a in
            .get(path: try a.path(0), stat: a.has("s"), watch: a.has("w"))
        },
        CommandSpec("set", "set [-s] [-v version] path data", flags: "s", values: "v", operands: 2...2) { a in
            .set(path: try a.path(0), data: a.operands[1], stat: a.has("s"), version: try a.int32("v"))
        },
        CommandSpec(
            "create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]", flags: "sec", values: "t", operands: 1...3
        ) { a in
            let ttl = try a.int64("t")
            let mode = try createMode(a, ttl: ttl)
            let acl = a.operands.count > 2 ? try parseACL(a.operands[2]) : nil
            return .create(path: try a.path(0), data: a.operands.count > 1 ? a.operands[1] : nil, acl: acl, mode: mode, ttl: ttl)
        },
        CommandSpec("delete", "delete [-v version] path", values: "v", operands: 1...1) { a in
            .delete(path: try a.path(0), version: try a.int32("v"))
        },
        CommandSpec("deleteall", "deleteall path", operands: 1...1) { a in .deleteAll(path: try a.path(0)) },
        CommandSpec("stat", "stat [-w] path", flags: "w", operands: 1...1) { a in
            .stat(path: try a.path(0), watch: a.has("w"))
        },
        CommandSpec("sync", "sync path", operands: 1...1) { a in .sync(path: try a.path(0)) },
        CommandSpec("getAcl", "getAcl [-s] path", flags: "s", operands: 1...1) { a in
            .getAcl(path: try a.path(0), stat: a.has("s"))
        },
        CommandSpec("setAcl", "setAcl [-s] [-v version] [-R] path acl", flags: "sR", values: "v", operands: 2...2) { a in
            .setAcl(
                path: try a.path(0), acl: try parseACL(a.operands[1]), stat: a.has("s"), version: try a.int32("v"),
                recursive: a.has("R"))
        },
        CommandSpec("addauth", "addauth scheme auth", operands: 2...2) { a in
            .addAuth(scheme: a.operands[0], credential: a.operands[1])
        },
        CommandSpec("addWatch", "addWatch [-m mode] path  (mode: PERSISTENT or PERSISTENT_RECURSIVE, the default)",
            values: "m", operands: 1...1
        ) { a in
            let mode: AddWatchMode
            switch a.values["m"]?.uppercased() {
            case nil, "PERSISTENT_RECURSIVE": mode = .persistentRecursive
            case "PERSISTENT": mode = .persistent
            case let other?: throw a.usageError("Unknown watch mode \(other)")
            }
            return .addWatch(path: try a.path(0), mode: mode)
        },
        CommandSpec("removewatches", "removewatches path [-c|-d|-a]", flags: "cda", operands: 1...1) { a in
            let chosen = ["c", "d", "a"].filter { a.has(Character($0)) }
            guard chosen.count <= 1 else { throw a.usageError("Give at most one of -c, -d, -a") }
            let type: WatcherType = a.has("c") ? .children : a.has("d") ? .data : .any
            return .removeWatches(path: try a.path(0), type: type)
        },
        CommandSpec("getEphemerals", "getEphemerals [path]", operands: 0...1) { a in
            .getEphemerals(path: a.operands.isEmpty ? "/" : try a.path(0))
        },
        CommandSpec("getAllChildrenNumber", "getAllChildrenNumber path", operands: 1...1) { a in
            .getAllChildrenNumber(path: try a.path(0))
        },
        CommandSpec("whoami", "whoami") { _ in .whoami },
        CommandSpec("config", "config") { _ in .config },
        CommandSpec("close", "close") { _ in .close },
        CommandSpec("connect", "connect [host:port,...]", operands: 0...1) { a in .connect(hosts: a.operands.first) },
        CommandSpec("history", "history") { _ in .history },
        CommandSpec("redo", "redo cmdno", operands: 1...1) { a in
            guard let number = Int(a.operands[0]), number >= 0 else { throw a.usageError("Not a command number: \(a.operands[0])") }
            return .redo(number)
        },
        CommandSpec("quit", "quit") { _ in .quit },
        CommandSpec("help", "help") { _ in .help },
        CommandSpec("tree", "tree [path] [--depth N]  (data sizes, ephemeral owners, child counts)",
            longValues: ["depth"], operands: 0...1
        ) { a in
            var depth: Int? = nil
            if let text = a.long["depth"] {
                guard let value = Int(text), value >= 0 else { throw a.usageError("--depth needs a number >= 0, got \(text)") }
                depth = value
            }
            return .tree(path: a.operands.isEmpty ? "/" : try a.path(0), depth: depth)
        },
        CommandSpec("watches", "watches [path]  (who watches what, on every member)", operands: 0...1) { a in
            .watches(path: a.operands.isEmpty ? nil : try a.path(0))
        },
        CommandSpec("sessions", "sessions [path]  (sessions per member; with a path, only owners of ephemerals under it)",
            operands: 0...1
        ) { a in
            .sessions(path: a.operands.isEmpty ? nil : try a.path(0))
        },
        CommandSpec("ensemble", "ensemble  (every member's role, zxid, connections, latency, lag)") { _ in .ensemble },
        CommandSpec("brokers", "brokers  (Kafka brokers registered under /brokers/ids)") { _ in .brokers },
        CommandSpec("topics", "topics  (Kafka topics, partitions, leaders and ISRs)") { _ in .topics },
        CommandSpec("controller", "controller  (the Kafka controller and its epoch)") { _ in .controller },
        CommandSpec("groups", "groups  (Kafka consumer groups: state, members, lag)") { _ in .groups },
    ]

    private static func createMode(_ a: CommandArguments, ttl: Int64?) throws(UsageError) -> CreateMode {
        let sequential = a.has("s")
        if ttl != nil {
            guard !a.has("e"), !a.has("c") else { throw a.usageError("TTL nodes cannot be ephemeral or containers") }
            guard let ttl, ttl > 0 else { throw a.usageError("TTL must be positive") }
            return sequential ? .persistentSequentialWithTTL : .persistentWithTTL
        }
        if a.has("c") {
            guard !a.has("e"), !sequential else { throw a.usageError("Containers cannot be ephemeral or sequential") }
            return .container
        }
        switch (a.has("e"), sequential) {
        case (true, true): return .ephemeralSequential
        case (true, false): return .ephemeral
        case (false, true): return .persistentSequential
        case (false, false): return .persistent
        }
    }
}

/// What one command accepts, and how its scanned arguments become a `ShellCommand`.
struct CommandSpec: Sendable {
    let name: String
    let usage: String
    let flags: Set<Character>
    let values: Set<Character>
    let longValues: Set<String>
    let operands: ClosedRange<Int>
    let build: @Sendable (CommandArguments) throws -> ShellCommand

    init(
        _ name: String, _ usage: String, flags: String = "", values: String = "", longValues: Set<String> = [],
        operands: ClosedRange<Int> = 0...0,
        build: @escaping @Sendable (CommandArguments) throws -> ShellCommand
    ) {
        self.name = name
        self.usage = usage
        self.flags = Set(flags)
        self.values = Set(values)
        self.longValues = longValues
        self.operands = operands
        self.build = build
    }

    /// Separates flags, flag values and operands.
    func scan(_ words: [String]) throws(UsageError) -> CommandArguments {
        var arguments = CommandArguments(usage: usage)
        var index = 0
        var flagsEnded = false
        while index < words.count {
            let word = words[index]
            index += 1
            if flagsEnded || word == "-" || !word.hasPrefix("-") || word.dropFirst().first?.isNumber == true {
                arguments.operands.append(word)
                continue
            }
            if word == "--" {
                flagsEnded = true
                continue
            }
            if word.hasPrefix("--") {
                let name = String(word.dropFirst(2))
                if name == "json" {
                    arguments.json = true
                } else if longValues.contains(name) {
                    guard index < words.count else { throw arguments.usageError("--\(name) needs a value") }
                    arguments.long[name] = words[index]
                    index += 1
                } else {
                    throw arguments.usageError("Unknown option \(word)")
                }
                continue
            }
            for (offset, letter) in word.dropFirst().enumerated() {
                if flags.contains(letter) {
                    arguments.flags.insert(letter)
                } else if values.contains(letter) {
                    let rest = String(word.dropFirst(offset + 2))
                    if !rest.isEmpty {
                        arguments.values[letter] = rest
                    } else {
                        guard index < words.count else { throw arguments.usageError("-\(letter) needs a value") }
                        arguments.values[letter] = words[index]
                        index += 1
                    }
                    break
                } else {
                    throw arguments.usageError("Unknown option -\(letter)")
                }
            }
        }
        guard operands.contains(arguments.operands.count) else {
            let message = arguments.operands.count < operands.lowerBound ? "Missing arguments" : "Too many arguments"
            throw arguments.usageError(message)
        }
        return arguments
    }
}

/// The flags and operands of one command line.
struct CommandArguments: Sendable {
    let usage: String
    var flags: Set<Character> = []
    var values: [Character: String] = [:]
    var long: [String: String] = [:]
    var operands: [String] = []
    var json = false

    init(usage: String) {
        self.usage = usage
    }

    func has(_ flag: Character) -> Bool { flags.contains(flag) }

    func usageError(_ message: String) -> UsageError { UsageError(message, usage: usage) }

    /// Operand `index` as a znode path: absolute, no trailing slash except the root.
    func path(_ index: Int) throws(UsageError) -> String {
        let path = operands[index]
        guard path.hasPrefix("/") else { throw usageError("Path must start with / character: \(path)") }
        guard path == "/" || !path.hasSuffix("/") else { throw usageError("Path must not end with / character: \(path)") }
        return path
    }

    func int32(_ flag: Character) throws(UsageError) -> Int32? {
        guard let text = values[flag] else { return nil }
        guard let value = Int32(text) else { throw usageError("-\(flag) needs a number, got \(text)") }
        return value
    }

    func int64(_ flag: Character) throws(UsageError) -> Int64? {
        guard let text = values[flag] else { return nil }
        guard let value = Int64(text) else { throw usageError("-\(flag) needs a number, got \(text)") }
        return value
    }
}
