package import KafkaWire
package import NIOCore
package import RecordCompression

/// Why the records of a stored batch could not be read although its header could.
package enum StoredRecordsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The codec bits hold 5, 6 or 7, which name no codec.
    case unknownCodec(Int16)
    /// The compressed records section does not decompress.
    case decompression(DecompressionError)
    /// The (decompressed) records section does not hold `recordCount` well-formed records.
    case records(RecordBatchError)

    package var description: String {
        switch self {
        case .unknownCodec(let codec): "unknown compression codec \(codec)"
        case .decompression(let error): "\(error)"
        case .records(let error): "records: \(error)"
        }
    }
}

extension RecordBatchHeader {
    /// The records of `batch`, the whole batch this header was parsed from (at its reader index),
    /// decompressing the records section when the codec bits name a codec. At most
    /// `maxDecompressedBytes` are inflated, so a corrupt or hostile batch cannot exhaust memory.
    package func records(in batch: ByteBuffer, maxDecompressedBytes: Int) throws(StoredRecordsError) -> [BatchRecord] {
        guard
            var section = batch.getSlice(
                at: batch.readerIndex + RecordBatchHeader.size, length: totalSize - RecordBatchHeader.size)
        else {
            throw .records(
                .truncated(position: 0, field: "records", needed: totalSize, available: batch.readableBytes))
        }
        if !attributes.isUncompressed {
            guard let codec = CompressionCodec(rawValue: attributes.compressionCodec) else {
                throw .unknownCodec(attributes.compressionCodec)
            }
            do {
                section = try RecordCompression.decompress(section, codec: codec, maxOutputBytes: maxDecompressedBytes)
            } catch {
                throw .decompression(error)
            }
        }
        do {
            return try BatchRecord.records(inSection: section, count: recordCount)
        } catch {
            throw .records(error)
        }
    }

    /// The timestamp Kafka reports for a record of this batch (`DefaultRecordBatch`): the batch's
    /// maxTimestamp under LogAppendTime, else baseTimestamp plus the record's delta. Both are the
    /// producer's: the sum wraps, as Java's `long` addition does, rather than trapping.
    func timestamp(of record: BatchRecord) -> Int64 {
        attributes.isLogAppendTime ? maxTimestamp : baseTimestamp &+ record.timestampDelta
    }
}
