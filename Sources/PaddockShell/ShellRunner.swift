import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `paddock shell` was asked to do.
package struct ShellOptions: Sendable {
    /// `host:port[,host:port...][/chroot]`: the ensemble's members.
    package var servers: String
    /// One command to run (already split into words); empty for a script or an interactive session.
    package var command: [String]
    /// Print every read command's output as JSON.
    package var json: Bool
    package var connectTimeout: Duration
    /// The history file; nil for the default (`$PADDOCK_SHELL_HISTORY`, else `~/.paddock_history`).
    package var historyPath: String?
    /// Answers `groups` from the brokers (the executable wires in the Kafka client); nil: not available.
    package var groupLister: GroupLister?

    package init(servers: String, command: [String] = [], json: Bool = false, connectTimeout: Duration = .seconds(10), historyPath: String? = nil) {
        self.servers = servers
        self.command = command
        self.json = json
        self.connectTimeout = connectTimeout
        self.historyPath = historyPath
    }
}

/// `paddock shell`: runs one command, a script from stdin, or an interactive session on a terminal,
/// and returns the exit status (0 when every command succeeded).
package enum ShellRunner {
    package static func run(_ options: ShellOptions) async -> Int32 {
        if !options.command.isEmpty {
            return await runOnce(options)
        }
        if Terminal.isTerminal(STDIN_FILENO) && Terminal.isTerminal(STDOUT_FILENO) {
            return await runInteractive(options)
        }
        return await runScript(options)
    }

    private static func runOnce(_ options: ShellOptions) async -> Int32 {
        let session = ShellSession(servers: options.servers, output: PlainOutput(), json: options.json, connectTimeout: options.connectTimeout,
            groupLister: options.groupLister)
        guard await session.connect() else { return 1 }
        let outcome = await session.run(CommandParser.quote(options.command))
        await session.close()
        return outcome == .failed ? 1 : 0
    }

    /// Lines from stdin, one command each, no prompt; keeps going after a failure (as zkCli does) and
    /// exits 1 if any line failed.
    private static func runScript(_ options: ShellOptions) async -> Int32 {
        let session = ShellSession(servers: options.servers, output: PlainOutput(), json: options.json, connectTimeout: options.connectTimeout,
            groupLister: options.groupLister)
        guard await session.connect() else { return 1 }
        var failed = false
        var pending: [UInt8] = []
        func lines(_ final: Bool) -> [String] {
            var result: [String] = []
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                result.append(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            if final && !pending.isEmpty {
                result.append(String(decoding: pending, as: UTF8.self))
                pending = []
            }
            return result.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        }
        var quit = false
        reading: for await chunk in Terminal.chunks(from: STDIN_FILENO) {
            pending += chunk
            for line in lines(false) {
                let outcome = await session.run(line)
                failed = failed || outcome == .failed
                if outcome == .quit {
                    quit = true
                    break reading
                }
            }
        }
        if !quit {
            for line in lines(true) {
                let outcome = await session.run(line)
                failed = failed || outcome == .failed
                if outcome == .quit { break }
            }
        }
        await session.close()
        return failed ? 1 : 0
    }

    private static func runInteractive(_ options: ShellOptions) async -> Int32 {
        let output = TerminalOutput()
        let session = ShellSession(servers: options.servers, output: output, json: options.json, connectTimeout: options.connectTimeout,
            groupLister: options.groupLister)
        let history = HistoryFile(path: options.historyPath ?? HistoryFile.defaultPath(environment: ProcessInfo.processInfo.environment))
        output.write("Connecting to \(options.servers)")
        if await session.connect() {
            output.write("Connected; type help for the commands, Tab completes commands and paths")
        }
        guard let raw = Terminal.RawMode(fd: STDIN_FILENO) else {
            output.writeError("Cannot put the terminal into raw mode (errno \(errno))")
            await session.close()
            return 1
        }
        defer { raw.restore() }
        var editor = LineEditor(history: history.load())
        output.show(editor.rendering(prompt: await session.prompt))
        for await chunk in Terminal.chunks(from: STDIN_FILENO) {
            var actions = editor.received(chunk)
            // Redraws are coalesced: one per batch of keys (a paste is drawn once, not per character).
            var needsRedraw = false
            while !actions.isEmpty {
                let action = actions.removeFirst()
                switch action {
                case .redraw:
                    needsRedraw = true
                case .submit(let line):
                    // The editor is already empty: show the line as entered, then run it below.
                    output.show("\r" + (await session.prompt) + line + "\u{1B}[K")
                    output.endLine()
                    if !line.allSatisfy({ $0 == " " }) { history.append(line) }
                    if await session.run(line) == .quit { return 0 }
                    actions += editor.received([])
                    needsRedraw = true
                case .endOfInput:
                    output.endLine()
                    await session.close()
                    return 0
                case .interrupt:
                    output.endLine("^C")
                    needsRedraw = true
                case .complete:
                    actions += await complete(&editor, session: session, output: output)
                    actions += editor.received([])
                case .clearScreen:
                    output.control("\u{1B}[H\u{1B}[2J")
                    needsRedraw = true
                case .bell:
                    output.control("\u{07}")
                }
            }
            if needsRedraw { output.show(editor.rendering(prompt: await session.prompt)) }
        }
        output.endLine()
        await session.close()
        return 0
    }

    /// Tab: completes the word before the cursor, or lists the candidates when it is ambiguous.
    private static func complete(_ editor: inout LineEditor, session: ShellSession, output: TerminalOutput) async -> [LineEditor.Action] {
        let target = Completion.target(editor.buffer, cursor: editor.cursor)
        let (prefix, start, terminator): (String, Int, String)
        switch target {
        case .command(let word, let from): (prefix, start, terminator) = (word, from, " ")
        case .path(_, let word, let from): (prefix, start, terminator) = (word, from, "")
        case .none: return [.bell]
        }
        let names = await session.completions(for: target)
        let (text, listing) = Completion.resolve(prefix: prefix, among: names, terminator: terminator)
        if !listing.isEmpty {
            output.write(listing.joined(separator: "  "))
            return [.redraw]
        }
        guard text != prefix else { return [.bell] }
        return editor.replaceWord(from: start, with: text)
    }
}
