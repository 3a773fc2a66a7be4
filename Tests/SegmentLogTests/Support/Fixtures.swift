#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaWire
import Logging
import NIOCore
import RecordCompression

@testable import SegmentLog

/// A fresh directory under /tmp for one test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/segmentlog-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw SegmentLogError.io(path: "/tmp", operation: "mkdtemp", errno: errno) }
    let path = String(cString: created)
    defer {
        // Cleanup failure must not mask the test's own outcome; the directory is under /tmp.
        do { try FileSystem.removeTree(path) } catch { print("could not remove \(path): \(error)") }
    }
    return try body(path)
}

/// Test batches: `records` records of `valueSize` bytes each, record i stamped `timestamp + i`,
/// their records section compressed with `codec` when given.
func produceBatch(
    records: Int = 1, valueSize: Int = 10, timestamp: Int64 = 1_000, codec: CompressionCodec? = nil
) throws -> ProduceRecordBatches {
    let batch = UncompressedRecordBatch.encode(
        records: (0..<records).map {
            BatchRecord(timestampDelta: Int64($0), offsetDelta: Int32($0), value: ByteBuffer(repeating: UInt8($0 & 0xFF), count: valueSize))
        },
        baseTimestamp: timestamp)
    guard let codec else { return try ProduceRecordBatches(validating: batch, maxBatchBytes: 1 << 30) }
    let section = batch.getSlice(at: RecordBatchHeader.size, length: batch.readableBytes - RecordBatchHeader.size)!
    return try ProduceRecordBatches(
        validating: replacingRecordsSection(of: batch, with: RecordCompression.compress(section, codec: codec), codec: codec.rawValue),
        maxBatchBytes: 1 << 30)
}

/// `batch` (one whole batch at index 0) with `section` after its header instead of its records, the
/// codec bits set to `codec`, and batchLength and CRC-32C fixed up: a compressed batch, or a
/// corrupt one that still passes produce validation.
func replacingRecordsSection(of batch: ByteBuffer, with section: ByteBuffer, codec: Int16) -> ByteBuffer {
    var result = batch.getSlice(at: 0, length: RecordBatchHeader.size)!
    result.writeImmutableBuffer(section)
    let attributes = result.getInteger(at: RecordBatchHeader.Field.attributes, as: Int16.self)!
    result.setInteger(attributes & ~0x07 | codec, at: RecordBatchHeader.Field.attributes)
    result.setInteger(Int32(result.readableBytes - RecordBatchHeader.logOverhead), at: RecordBatchHeader.Field.batchLength)
    let crc = CRC32C.checksum(
        result, at: RecordBatchHeader.Field.attributes, length: result.readableBytes - RecordBatchHeader.Field.attributes)
    result.setInteger(crc, at: RecordBatchHeader.Field.crc)
    return result
}

let testLogger = Logger(label: "segmentlog-test", factory: { _ in SwiftLogNoOpLogHandler() })
let testPartition = TopicPartition(topic: "orders", partition: 3)

func openLog(
    _ directory: String, config: LogConfig = LogConfig(), checkpoints: PartitionLog.Checkpoints = .init(), now: Int64 = 0
) throws -> PartitionLog {
    try PartitionLog(
        directory: directory + "/" + testPartition.directoryName, topicPartition: testPartition, config: config,
        checkpoints: checkpoints, now: now, logger: testLogger)
}

/// The headers of the batches in a read result, in order.
func batchHeaders(_ result: PartitionLog.ReadResult) throws -> [RecordBatchHeader] {
    guard case .batches(let bytes) = result else { throw TestFailure("expected batches, got \(result)") }
    var headers: [RecordBatchHeader] = []
    var position = bytes.readerIndex
    while position < bytes.writerIndex {
        let header = try RecordBatchHeader(verifying: bytes, at: position)
        headers.append(header)
        position += header.totalSize
    }
    return headers
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Raw file surgery for recovery tests.
enum FileSurgery {
    static func size(_ path: String) throws -> Int { try PosixFile(path: path, create: false).size() }

    static func truncate(_ path: String, to size: Int) throws {
        try PosixFile(path: path, create: false).truncate(to: size)
    }

    static func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        try PosixFile(path: path, create: false).write(ByteBuffer(bytes: bytes), at: offset)
    }

    static func append(_ path: String, _ bytes: [UInt8]) throws {
        let file = try PosixFile(path: path, create: false)
        try file.write(ByteBuffer(bytes: bytes), at: try file.size())
    }

    static func read(_ path: String) throws -> ByteBuffer {
        let file = try PosixFile(path: path, create: false)
        return try file.read(at: 0, count: try file.size())
    }

    static func segmentFile(_ directory: String, base: Int64, suffix: String) -> String {
        directory + "/" + testPartition.directoryName + "/" + LogSegment.fileName(baseOffset: base, suffix: suffix)
    }
}
