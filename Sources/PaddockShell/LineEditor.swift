/// An Emacs-style line editor as a pure state machine: key bytes in, actions out; the terminal
/// driver draws. Knows ctrl-A/E/B/F/K/U/W/Y/D/L/C/P/N, backspace, delete, arrows, Home/End, Alt-B/F,
/// history navigation and a tab-completion hook. Bytes may arrive in any chunks (escape sequences and
/// UTF-8 split across reads are held until complete); after a submitted line the rest of the chunk is
/// kept for the next line, and after a Tab the rest waits for the completion (`hasPendingInput`).
package struct LineEditor: Sendable {
    package enum Action: Hashable, Sendable {
        /// The line changed: draw the prompt and `buffer` again, cursor at `cursor`.
        case redraw
        /// Enter: the line to run (already added to the history when not blank).
        case submit(String)
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Ctrl-C: the line was dropped.
        case interrupt
        /// Tab: the driver looks up completions for the word before the cursor (`Completion`) and
        /// calls `replaceWord(from:with:)`.
        case complete
        /// Ctrl-L.
        case clearScreen
        case bell
    }

    package private(set) var buffer: [Character] = []
    package private(set) var cursor = 0
    package private(set) var history: [String]
    /// Index into `history` while browsing it; nil on the line being typed.
    private var historyIndex: Int?
    /// The line being typed, kept while browsing the history.
    private var draft: [Character] = []
    private var killed: [Character] = []
    private var pending: [UInt8] = []
    private var lastWasReturn = false
    private let historyLimit: Int

    package init(history: [String] = [], historyLimit: Int = 1000) {
        self.history = Array(history.suffix(historyLimit))
        self.historyLimit = historyLimit
    }

    package var line: String { String(buffer) }
    package var hasPendingInput: Bool { !pending.isEmpty }

    /// Key bytes from the terminal. Stops after a submitted line or a Tab (the rest stays pending:
    /// call again with no bytes once the line ran or the completion was applied).
    package mutating func received(_ bytes: [UInt8]) -> [Action] {
        pending += bytes
        var actions: [Action] = []
        while !pending.isEmpty {
            guard let (length, key) = Self.decode(pending) else { break }
            pending.removeFirst(length)
            let wasReturn = lastWasReturn
            lastWasReturn = key == .enter(carriageReturn: true)
            if case .enter(carriageReturn: false) = key, wasReturn { continue }  // CR LF is one Enter
            let outcome = apply(key)
            actions += outcome
            // The driver acts on the line as it is now: nothing after an Enter or a Tab is applied yet.
            if outcome.contains(where: { $0 == .complete || { if case .submit = $0 { true } else { false } }($0) }) { break }
        }
        return actions
    }

    /// Replaces `buffer[start..<cursor]` with `text` (a completion) and puts the cursor after it.
    package mutating func replaceWord(from start: Int, with text: String) -> [Action] {
        precondition(start >= 0 && start <= cursor, "completion start \(start) outside 0...\(cursor)")
        buffer.replaceSubrange(start..<cursor, with: Array(text))
        cursor = start + text.count
        return [.redraw]
    }

    /// What to write to show `prompt` and the line, with the terminal cursor at `cursor` (one column per
    /// character; lines wider than the terminal wrap without being redrawn cleanly).
    package func rendering(prompt: String) -> String {
        var out = "\r" + prompt + String(buffer) + "\u{1B}[K"
        let back = buffer.count - cursor
        if back > 0 { out += "\u{1B}[\(back)D" }
        return out
    }

    // MARK: - Keys

    enum Key: Hashable {
        case text(Character)
        case control(UInt8)
        case enter(carriageReturn: Bool)
        case up, down, left, right, home, end, delete, wordLeft, wordRight
        case ignored
    }

    /// The first key in `bytes` and how many bytes it took, or nil if more bytes are needed.
    static func decode(_ bytes: [UInt8]) -> (Int, Key)? {
        let first = bytes[0]
        switch first {
        case 0x0D: return (1, .enter(carriageReturn: true))
        case 0x0A: return (1, .enter(carriageReturn: false))
        case 0x1B: return decodeEscape(bytes)
        case 0x7F: return (1, .control(0x08))
        case 0..<0x20: return (1, .control(first))
        case 0x20..<0x80: return (1, .text(Character(Unicode.Scalar(first))))
        default:
            let length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
            guard bytes.count >= length else { return nil }
            guard let text = String(validating: bytes[0..<length], as: UTF8.self), let character = text.first else {
                return (1, .ignored)
            }
            return (length, .text(character))
        }
    }

    private static func decodeEscape(_ bytes: [UInt8]) -> (Int, Key)? {
        guard bytes.count >= 2 else { return nil }
        switch bytes[1] {
        case UInt8(ascii: "["), UInt8(ascii: "O"):
            // CSI: parameters (digits, ';') then one final byte in 0x40...0x7E.
            var index = 2
            while index < bytes.count, (0x30...0x3F).contains(bytes[index]) { index += 1 }
            guard index < bytes.count else { return nil }
            let parameters = String(decoding: bytes[2..<index], as: UTF8.self)
            let key: Key
            switch (bytes[index], parameters) {
            case (UInt8(ascii: "A"), _): key = .up
            case (UInt8(ascii: "B"), _): key = .down
            case (UInt8(ascii: "C"), "1;5"), (UInt8(ascii: "C"), "1;3"): key = .wordRight
            case (UInt8(ascii: "D"), "1;5"), (UInt8(ascii: "D"), "1;3"): key = .wordLeft
            case (UInt8(ascii: "C"), _): key = .right
            case (UInt8(ascii: "D"), _): key = .left
            case (UInt8(ascii: "H"), _): key = .home
            case (UInt8(ascii: "F"), _): key = .end
            case (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): key = .home
            case (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): key = .end
            case (UInt8(ascii: "~"), "3"): key = .delete
            default: key = .ignored
            }
            return (index + 1, key)
        case UInt8(ascii: "b"): return (2, .wordLeft)
        case UInt8(ascii: "f"): return (2, .wordRight)
        default: return (1, .ignored)
        }
    }

    private mutating func apply(_ key: Key) -> [Action] {
        switch key {
        case .text(let character):
            buffer.insert(character, at: cursor)
            cursor += 1
            return [.redraw]
        case .enter:
            let line = String(buffer)
            if !line.allSatisfy({ $0 == " " }) && history.last != line {
                history.append(line)
                if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
            }
            buffer = []
            cursor = 0
            historyIndex = nil
            draft = []
            return [.submit(line)]
        case .left: return move(to: cursor - 1)
        case .right: return move(to: cursor + 1)
        case .home: return move(to: 0)
        case .end: return move(to: buffer.count)
        case .wordLeft: return move(to: wordStart(before: cursor))
        case .wordRight: return move(to: wordEnd(after: cursor))
        case .up: return browse(by: -1)
        case .down: return browse(by: 1)
        case .delete: return deleteForward()
        case .ignored: return []
        case .control(let code): return control(code)
        }
    }

    private mutating func control(_ code: UInt8) -> [Action] {
        switch code {
        case 0x01: return move(to: 0)  // ^A
        case 0x05: return move(to: buffer.count)  // ^E
        case 0x02: return move(to: cursor - 1)  // ^B
        case 0x06: return move(to: cursor + 1)  // ^F
        case 0x10: return browse(by: -1)  // ^P
        case 0x0E: return browse(by: 1)  // ^N
        case 0x08:  // ^H, DEL: backspace
            guard cursor > 0 else { return [.bell] }
            cursor -= 1
            buffer.remove(at: cursor)
            return [.redraw]
        case 0x04:  // ^D
            return buffer.isEmpty ? [.endOfInput] : deleteForward()
        case 0x0B: return kill(cursor..<buffer.count)  // ^K
        case 0x15: return kill(0..<cursor)  // ^U
        case 0x17: return kill(wordStart(before: cursor)..<cursor)  // ^W
        case 0x19:  // ^Y
            buffer.insert(contentsOf: killed, at: cursor)
            cursor += killed.count
            return [.redraw]
        case 0x03:  // ^C
            buffer = []
            cursor = 0
            historyIndex = nil
            return [.interrupt]
        case 0x0C: return [.clearScreen]  // ^L
        case 0x09: return [.complete]  // Tab
        default: return []
        }
    }

    private mutating func move(to position: Int) -> [Action] {
        guard (0...buffer.count).contains(position) else { return [.bell] }
        cursor = position
        return [.redraw]
    }

    private mutating func deleteForward() -> [Action] {
        guard cursor < buffer.count else { return [.bell] }
        buffer.remove(at: cursor)
        return [.redraw]
    }

    private mutating func kill(_ range: Range<Int>) -> [Action] {
        guard !range.isEmpty else { return [] }
        killed = Array(buffer[range])
        buffer.removeSubrange(range)
        cursor = range.lowerBound
        return [.redraw]
    }

    private mutating func browse(by step: Int) -> [Action] {
        let current = historyIndex ?? history.count
        let target = current + step
        guard target >= 0, target <= history.count, target != current else { return [.bell] }
        if historyIndex == nil { draft = buffer }
        if target == history.count {
            historyIndex = nil
            buffer = draft
        } else {
            historyIndex = target
            buffer = Array(history[target])
        }
        cursor = buffer.count
        return [.redraw]
    }

    private func wordStart(before position: Int) -> Int {
        var index = position
        while index > 0, buffer[index - 1] == " " { index -= 1 }
        while index > 0, !Self.isBoundary(buffer[index - 1]) { index -= 1 }
        return index
    }

    private func wordEnd(after position: Int) -> Int {
        var index = position
        while index < buffer.count, buffer[index] == " " { index += 1 }
        while index < buffer.count, !Self.isBoundary(buffer[index]) { index += 1 }
        return index
    }

    /// Word boundaries for ^W and Alt-B/F: blanks and `/`, so ^W takes back one path component.
    private static func isBoundary(_ character: Character) -> Bool { character == " " || character == "/" }
}

/// Tab completion (pure): which word the cursor ends, and what to put there.
package enum Completion {
    package enum Target: Hashable, Sendable {
        /// The first word: a command name starting with `prefix`.
        case command(prefix: String, start: Int)
        /// A word starting with `/`: children of `parent` starting with `prefix`, replacing from `start`.
        case path(parent: String, prefix: String, start: Int)
        case none
    }

    package static func target(_ buffer: [Character], cursor: Int) -> Target {
        var start = cursor
        while start > 0, buffer[start - 1] != " " { start -= 1 }
        let word = String(buffer[start..<cursor])
        if buffer[..<start].allSatisfy({ $0 == " " }) { return .command(prefix: word, start: start) }
        guard word.hasPrefix("/"), let slash = word.lastIndex(of: "/") else { return .none }
        let parent = slash == word.startIndex ? "/" : String(word[..<slash])
        let prefix = String(word[word.index(after: slash)...])
        return .path(parent: parent, prefix: prefix, start: start + word.distance(from: word.startIndex, to: slash) + 1)
    }

    /// The text to put in place of `prefix`, and the candidates to list when it is ambiguous.
    /// `complete` (a unique match) is followed by `terminator` (a blank after a command name).
    package static func resolve(prefix: String, among names: [String], terminator: String) -> (text: String, listing: [String]) {
        let matches = names.filter { $0.hasPrefix(prefix) }.sorted()
        guard let first = matches.first else { return (prefix, []) }
        if matches.count == 1 { return (first + terminator, []) }
        var common = first
        for match in matches.dropFirst() {
            while !match.hasPrefix(common) { common.removeLast() }
        }
        return (common, common.count > prefix.count ? [] : matches)
    }
}
