import FuzzTargets
import Testing

/// Replays every committed fuzz input through its target: the seed corpus (so the targets keep
/// working on real frames) and each crash input a fuzzer ever found, once fixed (`regressions/`).
/// Inputs still waiting for a fix live in `crashes-pending/` and are not replayed.
@Suite("Fuzz corpus replay")
struct FuzzReplayTests {
    /// Tests/Fuzz, next to this test target.
    static let root: String = {
        var path = "\(#filePath)"
        for _ in 0..<2 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/Fuzz"
    }()

    @Test("every corpus and regression input runs through its target without a trap", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) {
        let corpus = FuzzInputs.files(at: "\(Self.root)/\(target.rawValue)/corpus")
        let regressions = FuzzInputs.files(at: "\(Self.root)/\(target.rawValue)/regressions")
        #expect(!corpus.isEmpty, "no seed corpus for \(target.rawValue) under \(Self.root)")
        for file in corpus + regressions {
            let bytes = FuzzInputs.read(file)
            #expect(bytes != nil, "cannot read \(file)")
            bytes?.withUnsafeBytes { target.run($0) }
        }
    }

}
