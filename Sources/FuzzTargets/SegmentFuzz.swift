import Foundation
import KafkaWire
import Logging
import NIOCore
import SegmentLog

/// The files a segment input can write, by the low 4 bits of a section's kind byte (modulo the count):
/// two segments of partition `t-0` with their indexes, one whose base offset is near `Int64.max`, the
/// partition's leader-epoch checkpoint, the log dir's offset checkpoints and clean-shutdown marker, and a
/// producer-state snapshot.
let segmentFiles = [
    "t-0/00000000000000000000.log", "t-0/00000000000000000000.index", "t-0/00000000000000000000.timeindex",
    "t-0/00000000000000000100.log", "t-0/00000000000000000100.index", "t-0/00000000000000000100.timeindex",
    "t-0/leader-epoch-checkpoint", "recovery-point-offset-checkpoint", "replication-offset-checkpoint",
    "log-start-offset-checkpoint", ".kafka_cleanshutdown", "t-0/09223372036854775000.log",
    "t-0/09223372036854775000.index", "t-0/00000000000000000100.snapshot",
]

/// Where inputs are written: under /dev/shm when there is one (no disk traffic), one directory per process.
private let segmentScratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return base + "/paddock-fuzz-segment-\(ProcessInfo.processInfo.processIdentifier)"
}()

/// The input is a sequence of sections `kind: UInt8, length: UInt16 (big-endian), bytes` (a length past
/// the end takes what is left). Each writes one of `segmentFiles` (bit 0x80 of the kind: recompute the
/// CRC-32C of the batches in it first, as a broker writing them would have). The log dir is then opened
/// (recovering `t-0`), read from start to end, searched by timestamp and epoch, appended to and closed.
/// Opening may refuse the files with an error; it must never trap.
func fuzzSegment(_ bytes: UnsafeRawBufferPointer) {
    let root = segmentScratch
    try? FileManager.default.removeItem(atPath: root)
    defer { try? FileManager.default.removeItem(atPath: root) }
    guard (try? FileManager.default.createDirectory(atPath: root + "/t-0", withIntermediateDirectories: true)) != nil
    else {
        preconditionFailure("cannot create the scratch directory \(root)")
    }
    var input = ByteBuffer(bytes: bytes)
    while let kind = input.readInteger(as: UInt8.self) {
        let declared = Int(input.readInteger(as: UInt16.self) ?? 0)
        var contents = input.readSlice(length: min(declared, input.readableBytes)) ?? ByteBuffer()
        let path = root + "/" + segmentFiles[Int(kind & 0x0f) % segmentFiles.count]
        if kind & 0x80 != 0, path.hasSuffix(ProducerSnapshot.fileSuffix) {
            // A snapshot's CRC-32C covers everything after its version and CRC fields.
            if contents.readableBytes >= 6 {
                let crc = CRC32C.checksum(contents, at: contents.readerIndex + 6, length: contents.readableBytes - 6)
                contents.setInteger(crc, at: contents.readerIndex + 2)
            }
        } else if kind & 0x80 != 0 {
            fixChecksums(&contents)
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data(contents.readableBytesView))
    }
    fuzzSegmentOpen(root: root)
}

/// Opens the log dir at `root`, reads, searches and appends to each partition, and closes it.
func fuzzSegmentOpen(root: String) {
    var config = LogConfig()
    config.segmentBytes = 64 << 10
    config.segmentIndexBytes = 4096
    config.indexIntervalBytes = 128
    config.maxDecompressedBatchBytes = 1 << 20
    let logger = Logger(label: "fuzz.segment", factory: { _ in SwiftLogNoOpLogHandler() })
    let now: Int64 = 1_700_000_000_000
    guard let directory = try? LogDirectory(path: root, now: now, config: { _ in config }, logger: logger) else {
        return
    }
    for partition in directory.topicPartitions {
        guard let log = directory.log(for: partition) else { continue }
        readAll(log)
        _ = try? log.offset(forTimestamp: 0)
        _ = try? log.offset(forTimestamp: now)
        _ = log.endOffset(forEpoch: 0)
        _ = log.endOffset(forEpoch: LeaderEpoch(rawValue: 5))
        let record = BatchRecord(offsetDelta: 0, value: ByteBuffer(string: "fuzz"))
        let batch = UncompressedRecordBatch.encode(records: [record], baseTimestamp: now)
        if let batches = try? ProduceRecordBatches(validating: batch, maxBatchBytes: 1 << 20) {
            let epoch = max(log.leaderEpochs.latestEpoch ?? 0, 0)
            _ = try? log.append(batches, leaderEpoch: epoch, now: now)
            readAll(log)
        }
    }
    try? directory.writeCheckpoints()
    try? directory.close(now: now)
}

/// Reads the log from its start offset to its end, a bounded number of fetches.
private func readAll(_ log: PartitionLog) {
    var offset = log.logStartOffset
    for _ in 0..<64 {
        guard case .batches(let bytes) = try? log.read(from: offset, maxBytes: 16 << 10), bytes.readableBytes > 0,
            let header = try? RecordBatchHeader(parsing: bytes, at: bytes.readerIndex)
        else { return }
        var last = header
        var position = bytes.readerIndex
        while let next = try? RecordBatchHeader(parsing: bytes, at: position), next.totalSize > 0 {
            last = next
            position += next.totalSize
        }
        // Checked here: the harness must not trap on what the files hold.
        let (lastOffset, overflow) = last.baseOffset.addingReportingOverflow(Int64(last.lastOffsetDelta))
        guard !overflow, lastOffset >= offset.rawValue, lastOffset < Int64.max else { return }
        offset = LogOffset(lastOffset + 1)
    }
}
