import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// write(2); the name is taken inside `Terminal`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}

/// Thin terminal I/O for the shell: raw mode, reading key bytes, and writing without tearing the
/// line being edited. The decisions live in `LineEditor`; this only moves bytes.
enum Terminal {
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Writes all of `text` to `fd`.
    static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// The bytes arriving on `fd`, as they come, until end of file. One thread blocks in read(2) for
    /// the life of the process (stdin has nothing to wake an event loop for in a terminal).
    static func chunks(from fd: Int32) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count > 0 {
                    continuation.yield(Array(buffer[0..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            continuation.finish()
        }
        reader.name = "paddock-shell-stdin"
        reader.start()
        return stream
    }

    /// Raw input (no echo, no line buffering, no signals from ^C/^Z, no ^S/^Q flow control, CR not
    /// turned into LF) with output processing kept, so `\n` still starts a new line.
    struct RawMode {
        private var original: termios
        private let fd: Int32

        init?(fd: Int32) {
            var settings = termios()
            guard tcgetattr(fd, &settings) == 0 else { return nil }
            self.original = settings
            self.fd = fd
            settings.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
            settings.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR | ISTRIP)
            guard tcsetattr(fd, TCSANOW, &settings) == 0 else { return nil }
        }

        func restore() {
            var settings = original
            _ = tcsetattr(fd, TCSANOW, &settings)
        }
    }
}

/// Output for scripts and one-shot commands: results on stdout, errors on stderr, events on stdout;
/// no prompts, no escape sequences. Each write is one locked `write(2)` so lines never interleave.
final class PlainOutput: ShellOutput {
    private let lock = Mutex(())

    func write(_ text: String) {
        lock.withLock { _ in Terminal.write(text + "\n", to: STDOUT_FILENO) }
    }

    func writeError(_ text: String) {
        lock.withLock { _ in Terminal.write(text + "\n", to: STDERR_FILENO) }
    }

    func notify(_ text: String) {
        write(text)
    }
}

/// Output for the interactive shell. While a line is being edited, an event is printed above it
/// (erase the line, print, draw the line again); while a command runs, everything prints in order.
final class TerminalOutput: ShellOutput {
    /// What is on the last line of the screen while editing (prompt and line, as drawn); nil while a
    /// command runs.
    private let editing = Mutex<String?>(nil)

    func write(_ text: String) {
        printAbove(text, to: STDOUT_FILENO)
    }

    func writeError(_ text: String) {
        printAbove(text, to: STDERR_FILENO)
    }

    func notify(_ text: String) {
        printAbove(text, to: STDOUT_FILENO)
    }

    private func printAbove(_ text: String, to fd: Int32) {
        editing.withLock { line in
            if let line {
                Terminal.write("\r\u{1B}[K", to: STDOUT_FILENO)
                Terminal.write(text + "\n", to: fd)
                Terminal.write(line, to: STDOUT_FILENO)
            } else {
                Terminal.write(text + "\n", to: fd)
            }
        }
    }

    /// Draws the line being edited (a `LineEditor.rendering`) and remembers it for `printAbove`.
    func show(_ rendering: String) {
        editing.withLock { line in
            line = rendering
            Terminal.write(rendering, to: STDOUT_FILENO)
        }
    }

    /// Leaves the edited line on screen and moves below it: a command's output comes next.
    func endLine(_ suffix: String = "") {
        editing.withLock { line in
            line = nil
            Terminal.write(suffix + "\n", to: STDOUT_FILENO)
        }
    }

    /// Writes raw control output (bell, clear screen) without touching the remembered line.
    func control(_ sequence: String) {
        editing.withLock { _ in Terminal.write(sequence, to: STDOUT_FILENO) }
    }
}
