import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the benchmark's text goes: results to `line` (stdout), problems to `diagnostic` (stderr).
/// Injected so tests and other front ends can capture it.
package struct BenchOutput: Sendable {
    package var line: @Sendable (String) -> Void
    package var diagnostic: @Sendable (String) -> Void

    package init(line: @escaping @Sendable (String) -> Void, diagnostic: @escaping @Sendable (String) -> Void) {
        self.line = line
        self.diagnostic = diagnostic
    }

    /// stdout, flushed per line (progress must show while a long run is going, even through `tee`),
    /// and stderr.
    package static let standard = BenchOutput(
        line: { text in
            print(text)
            fflush(nil)  // all output streams; naming `stdout` is not concurrency-safe in Swift 6
        },
        diagnostic: { text in
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    )
}

/// The few places the benchmark touches the host system (besides the network).
enum BenchEnvironment {
    /// Now, as ISO 8601 (`meta.started`).
    static func timestamp() -> String {
        Date().ISO8601Format()
    }

    static func write(_ text: String, toFile path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
