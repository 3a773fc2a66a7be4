package import ZooKeeperWire

/// One shell command, parsed (`CommandParser`). zkCli's commands keep zkCli's names and flags; the
/// rest (`tree`, `watches`, `sessions`, `ensemble`, `brokers`, `topics`, `controller`, `groups`) are Paddock's.
package enum ShellCommand: Hashable, Sendable {
    case ls(path: String, stat: Bool, recursive: Bool, watch: Bool)
    case get(path: String, stat: Bool, watch: Bool)
    case set(path: String, data: String, stat: Bool, version: Int32?)
    case create(path: String, data: String?, acl: [ACL]?, mode: CreateMode, ttl: Int64?)
    case delete(path: String, version: Int32?)
    case deleteAll(path: String)
    case stat(path: String, watch: Bool)
    case sync(path: String)
    case getAcl(path: String, stat: Bool)
    case setAcl(path: String, acl: [ACL], stat: Bool, version: Int32?, recursive: Bool)
    case addAuth(scheme: String, credential: String)
    case addWatch(path: String, mode: AddWatchMode)
    case removeWatches(path: String, type: WatcherType)
    case getEphemerals(path: String)
    case getAllChildrenNumber(path: String)
    case whoami
    case config
    case close
    /// Connects anew; nil keeps the current server list.
    case connect(hosts: String?)
    case history
    case redo(Int)
    case quit
    case help
    case tree(path: String, depth: Int?)
    case watches(path: String?)
    case sessions(path: String?)
    case ensemble
    case brokers
    case topics
    case controller
    /// Kafka consumer groups, asked of the brokers registered under /brokers/ids.
    case groups

    /// Commands that only read: they accept `--json`.
    package var isRead: Bool {
        switch self {
        case .ls, .get, .stat, .getAcl, .getEphemerals, .getAllChildrenNumber, .whoami, .config, .tree, .watches,
            .sessions, .ensemble, .brokers, .topics, .controller, .groups, .history:
            true
        case .set, .create, .delete, .deleteAll, .sync, .setAcl, .addAuth, .addWatch, .removeWatches, .close,
            .connect, .redo, .quit, .help:
            false
        }
    }
}

/// A parsed input line: the command, and whether its output is JSON.
package struct ParsedLine: Hashable, Sendable {
    package var command: ShellCommand
    package var json: Bool

    package init(command: ShellCommand, json: Bool = false) {
        self.command = command
        self.json = json
    }
}

/// A line the parser rejects, with the command's usage when the command is known.
package struct UsageError: Error, Hashable, Sendable, CustomStringConvertible {
    package var message: String
    package var usage: String?

    package init(_ message: String, usage: String? = nil) {
        self.message = message
        self.usage = usage
    }

    package var description: String {
        if let usage { "\(message)\nusage: \(usage)" } else { message }
    }
}
