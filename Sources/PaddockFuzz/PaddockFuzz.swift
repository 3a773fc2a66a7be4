import Foundation
import FuzzTargets

#if PADDOCK_LIBFUZZER
    // Built by Ops/fuzz.sh with `-sanitize=fuzzer -parse-as-library -D PADDOCK_LIBFUZZER`: libFuzzer
    // supplies `main` and calls this for every input of the target named by $PADDOCK_FUZZ_TARGET.

    private let selectedTarget: FuzzTarget = {
        let name = getenv("PADDOCK_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(
                Data(("PADDOCK_FUZZ_TARGET must name a target (\(names)), got '\(name)'\n").utf8))
            exit(2)
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        selectedTarget.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
        return 0
    }

// SwiftPM links an executable's entry point as `PaddockFuzz_main` (and defines `main` as it), so the
// fuzzing build provides that symbol and hands control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("PaddockFuzz_main")
func paddockFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv, fuzzOneInput)
}
#else

    @main
    struct PaddockFuzz {
        static func main() throws {
            // A plain build replays inputs: `PaddockFuzz <target> <file or directory>...` runs each file through
            // the target (a crash input reproduces without the fuzzing toolchain). `PaddockFuzz --write-seeds DIR`
            // writes the generated seeds as DIR/<target>/corpus/<name>.
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "--write-seeds", let root = arguments.dropFirst().first {
                for seed in FuzzSeeds.all() {
                    let directory = "\(root)/\(seed.target.rawValue)/corpus"
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    _ = FileManager.default.createFile(atPath: directory + "/" + seed.name, contents: Data(seed.bytes))
                    print("wrote \(directory)/\(seed.name) (\(seed.bytes.count) bytes)")
                }
                return
            }
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                FileHandle.standardError.write(Data(("usage: PaddockFuzz <\(names)> <file or directory>...\n").utf8))
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                for file in FuzzInputs.files(at: path) {
                    guard let bytes = FuzzInputs.read(file) else {
                        FileHandle.standardError.write(Data(("cannot read \(file)\n").utf8))
                        exit(1)
                    }
                    print("running \(file) (\(bytes.count) bytes)")
                    bytes.withUnsafeBytes { target.run($0) }
                    count += 1
                }
            }
            print("ran \(count) inputs through \(name)")
        }
    }
#endif
