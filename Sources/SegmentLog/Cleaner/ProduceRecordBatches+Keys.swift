package import KafkaWire
import NIOCore

extension ProduceRecordBatches {
    /// Whether every record of a produce to a compacted topic has a key (`LogValidator.validateKey`).
    package enum KeyCheck: Hashable, Sendable {
        case allKeyed
        /// The record at `recordIndex` (counted across the batches, as Kafka's `RecordError` index
        /// counts within the request's records) has no key: INVALID_RECORD.
        case keyless(recordIndex: Int)
        /// A batch's records do not decompress or decode: CORRUPT_MESSAGE.
        case unreadable(String)
    }

    /// Reads every record (decompressing at most `maxDecompressedBytes` per batch) and finds the first
    /// without a key. A compacted topic refuses such records: the cleaner could never remove them.
    package func checkKeys(maxDecompressedBytes: Int) -> KeyCheck {
        var index = 0
        for batch in batches {
            let bytes = self.bytes.getSlice(at: batch.position, length: batch.header.totalSize) ?? self.bytes
            let records: [ScannedRecord]
            do {
                records = try CleanerRecords.records(
                    of: batch.header, in: bytes, maxDecompressedBytes: maxDecompressedBytes, hashKeys: false
                ).records
            } catch {
                return .unreadable("\(error)")
            }
            if let keyless = records.firstIndex(where: { !$0.hasKey }) {
                return .keyless(recordIndex: index + keyless)
            }
            index += records.count
        }
        return .allKeyed
    }
}
