import Testing

@testable import PaddockShell

@Suite struct LineEditorTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func typedTextIsInsertedAtTheCursorAndEnterSubmitsIt() {
        var editor = LineEditor()
        #expect(editor.received(bytes("ls /")) == [.redraw, .redraw, .redraw, .redraw])
        #expect(editor.received(bytes("\u{1B}[D\u{1B}[Dx")) == [.redraw, .redraw, .redraw])
        #expect(editor.line == "lsx /")
        #expect(editor.received([0x0D]) == [.submit("lsx /")])
        #expect(editor.line == "" && editor.cursor == 0)
        #expect(editor.history == ["lsx /"])
    }

    @Test func emacsKeysMoveAndKill() {
        var editor = LineEditor()
        _ = editor.received(bytes("get /a/b"))
        _ = editor.received([0x17])  // ^W: back to the last /
        #expect(editor.line == "get /a/")
        _ = editor.received([0x01])  // ^A
        #expect(editor.cursor == 0)
        _ = editor.received([0x0B])  // ^K
        #expect(editor.line == "")
        _ = editor.received([0x19])  // ^Y yanks it back
        #expect(editor.line == "get /a/" && editor.cursor == 7)
        _ = editor.received([0x02, 0x02])  // ^B ^B
        _ = editor.received([0x15])  // ^U
        #expect(editor.line == "a/" && editor.cursor == 0)
        _ = editor.received([0x05])  // ^E
        #expect(editor.cursor == 2)
        _ = editor.received([0x7F])  // backspace
        #expect(editor.line == "a")
        _ = editor.received(bytes("\u{1B}[H\u{1B}[3~"))  // Home, Delete
        #expect(editor.line == "")
    }

    @Test func boundariesRingTheBell() {
        var editor = LineEditor()
        #expect(editor.received([0x7F]) == [.bell])
        #expect(editor.received(bytes("\u{1B}[C")) == [.bell])
        #expect(editor.received(bytes("\u{1B}[A")) == [.bell])
    }

    @Test func historyBrowsingKeepsTheLineBeingTyped() {
        var editor = LineEditor(history: ["ls /", "get /a"])
        _ = editor.received(bytes("sta"))
        _ = editor.received(bytes("\u{1B}[A"))
        #expect(editor.line == "get /a")
        _ = editor.received([0x10])  // ^P
        #expect(editor.line == "ls /")
        #expect(editor.received(bytes("\u{1B}[A")) == [.bell])
        _ = editor.received(bytes("\u{1B}[B\u{1B}[B"))
        #expect(editor.line == "sta" && editor.cursor == 3)
    }

    @Test func repeatedAndBlankLinesDoNotGrowTheHistory() {
        var editor = LineEditor(history: ["ls /"])
        _ = editor.received(bytes("ls /\r   \r"))
        _ = editor.received([])
        #expect(editor.history == ["ls /"])
    }

    @Test func escapeSequencesAndUTF8SplitAcrossReadsAreHeld() {
        var editor = LineEditor()
        _ = editor.received(bytes("ab"))
        #expect(editor.received([0x1B]) == [])
        #expect(editor.received([0x5B]) == [])
        #expect(editor.received([0x44]) == [.redraw])
        #expect(editor.cursor == 1)
        let e = Array("é".utf8)
        #expect(editor.received([e[0]]) == [])
        #expect(editor.received([e[1]]) == [.redraw])
        #expect(editor.line == "aéb")
    }

    @Test func submitStopsAndKeepsTheRestForTheNextLine() {
        var editor = LineEditor()
        #expect(editor.received(bytes("ls /\r\nget /a\r")) == [.redraw, .redraw, .redraw, .redraw, .submit("ls /")])
        #expect(editor.hasPendingInput)
        let next = editor.received([])
        #expect(next.last == .submit("get /a"))
        #expect(!next.contains(.submit("")))  // CR LF is one Enter
        #expect(!editor.hasPendingInput)
    }

    @Test func tabWaitsForTheCompletionBeforeLaterKeys() {
        var editor = LineEditor()
        #expect(editor.received(bytes("ls /b\tx\r")) == Array(repeating: .redraw, count: 5) + [.complete])
        #expect(editor.line == "ls /b" && editor.hasPendingInput)
        _ = editor.replaceWord(from: 4, with: "brokers")
        #expect(editor.received([]) == [.redraw, .submit("ls /brokersx")])
    }

    @Test func controlKeysBecomeActions() {
        var editor = LineEditor()
        #expect(editor.received([0x04]) == [.endOfInput])
        _ = editor.received(bytes("x"))
        #expect(editor.received([0x03]) == [.interrupt])
        #expect(editor.line == "")
        #expect(editor.received([0x09]) == [.complete])
        #expect(editor.received([0x0C]) == [.clearScreen])
    }

    @Test func renderingPutsTheCursorBackWhereItIs() {
        var editor = LineEditor()
        _ = editor.received(bytes("abc\u{1B}[D"))
        #expect(editor.rendering(prompt: "> ") == "\r> abc\u{1B}[K\u{1B}[1D")
    }

    @Test func completionReplacesTheWordBeforeTheCursor() {
        var editor = LineEditor()
        _ = editor.received(bytes("get /brokers/i"))
        guard case .path(let parent, let prefix, let start) = Completion.target(editor.buffer, cursor: editor.cursor) else {
            Issue.record("expected a path target")
            return
        }
        #expect(parent == "/brokers" && prefix == "i")
        let (text, listing) = Completion.resolve(prefix: prefix, among: ["topics", "ids"], terminator: "")
        #expect(text == "ids" && listing.isEmpty)
        #expect(editor.replaceWord(from: start, with: text) == [.redraw])
        #expect(editor.line == "get /brokers/ids")
    }

    @Test func completionTargetsCommandsFirstThenAbsolutePaths() {
        #expect(Completion.target(Array("ge"), cursor: 2) == .command(prefix: "ge", start: 0))
        #expect(Completion.target(Array("ls /"), cursor: 4) == .path(parent: "/", prefix: "", start: 4))
        #expect(Completion.target(Array("ls -s /ab"), cursor: 9) == .path(parent: "/", prefix: "ab", start: 7))
        #expect(Completion.target(Array("addauth dig"), cursor: 11) == .none)
    }

    @Test func ambiguousCompletionsExtendTheCommonPrefixOrList() {
        let names = ["getAcl", "getAllChildrenNumber", "getEphemerals", "get"]
        #expect(Completion.resolve(prefix: "getA", among: names, terminator: " ") == ("getA", ["getAcl", "getAllChildrenNumber"]))
        #expect(Completion.resolve(prefix: "getAl", among: names, terminator: " ") == ("getAllChildrenNumber ", []))
        #expect(Completion.resolve(prefix: "w", among: ["watches", "watched"], terminator: "") == ("watche", []))
        #expect(Completion.resolve(prefix: "z", among: names, terminator: "") == ("z", []))
    }
}
