import KafkaWire
import NIOCore
import RecordCompression
import Testing

@testable import SegmentLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How fast the cleaner compacts a generated log: run with `PADDOCK_CLEANER_BENCH=<MiB>` set (off by
/// default; it writes that many MiB to /tmp), e.g.
/// `PADDOCK_CLEANER_BENCH=256 swift test --filter LogCleanerThroughputTests`. Prints MB/s of log read.
@Suite struct LogCleanerThroughputTests {
    static let megabytes = getenv("PADDOCK_CLEANER_BENCH").flatMap { Int(String(cString: $0)) }

    @Test(.enabled(if: megabytes != nil), arguments: [nil, CompressionCodec.lz4])
    func cleaningThroughput(codec: CompressionCodec?) throws {
        try withTemporaryDirectory { directory in
            var config = compactedConfig(segmentBytes: 64 << 20)
            config.indexIntervalBytes = 4096
            let log = try openLog(directory, config: config)
            let keys = 100_000
            let value = String(repeating: "v", count: 200)
            let target = (Self.megabytes ?? 0) << 20
            var index = 0
            while log.size < target {
                let records = (0..<100).map { offset in
                    KeyedRecord("key-\((index + offset) % keys)", value)
                }
                index += 100
                _ = try log.append(try keyedBatch(records, codec: codec), leaderEpoch: 0, now: 1_000)
            }
            try appendTail(log)
            let size = log.size
            var cleaner = LogCleaner(mapMemory: 128 << 20)
            let started = ContinuousClock.now
            guard case .cleaned(_, let stats) = try cleanOnce(log, now: 5_000, cleaner: &cleaner) else {
                throw TestFailure("nothing cleaned")
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let mb = Double(stats.bytesRead) / 1e6
            print(
                "cleaner throughput (\(codec.map { "\($0)" } ?? "uncompressed")): \(size) bytes, \(index) records, "
                    + "read \(stats.bytesRead) wrote \(stats.bytesWritten) in \(seconds) s: "
                    + "\((mb / seconds * 10).rounded() / 10) MB/s")
            #expect(stats.recordsWritten == min(keys, index))
        }
    }
}
