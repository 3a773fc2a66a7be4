import KafkaWire
import NIOCore
import RecordCompression

/// The cap on decompressed bytes the harness allows, as the broker's own cap does.
private let maxDecompressedBytes = 1 << 20

/// The first byte picks a mode, the rest is the payload:
/// - mode 0: the payload is a compressed records section; byte 1 picks the codec and byte 2 the
///   record count; it is decompressed and parsed as records;
/// - mode 1: the payload is a Produce partition's records with every batch's CRC-32C recomputed
///   first (a client can compute it; this lets the fuzzer past the checksum);
/// - mode 2: the payload as sent.
/// Batches are validated as the broker does, given offsets, and each batch's records section is
/// decompressed (when compressed) and parsed.
func fuzzRecordBatch(_ bytes: UnsafeRawBufferPointer) {
    guard let mode = bytes.first else { return }
    var payload = ByteBuffer(bytes: bytes.dropFirst())
    switch mode % 3 {
    case 0:
        guard payload.readableBytes >= 2, let selector = payload.readInteger(as: UInt8.self),
            let count = payload.readInteger(as: UInt8.self)
        else { return }
        let codec = CompressionCodec(rawValue: Int16(selector % 4) + 1)!
        guard
            let section = try? RecordCompression.decompress(payload, codec: codec, maxOutputBytes: maxDecompressedBytes)
        else { return }
        _ = try? BatchRecord.records(inSection: section, count: Int32(count))
    case 1:
        fixChecksums(&payload)
        validateAndRead(payload, logAppendTime: mode & 0x80 != 0)
    default:
        validateAndRead(payload, logAppendTime: mode & 0x80 != 0)
    }
}

private func validateAndRead(_ payload: ByteBuffer, logAppendTime: Bool) {
    guard var batches = try? ProduceRecordBatches(validating: payload, maxBatchBytes: 1_048_588) else { return }
    _ = batches.recordCount
    for batch in batches.batches {
        let header = batch.header
        guard
            var section = batches.bytes.getSlice(
                at: batch.position + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size)
        else {
            preconditionFailure("a validated batch at \(batch.position) is not whole")
        }
        if !header.attributes.isUncompressed {
            guard let codec = CompressionCodec(rawValue: header.attributes.compressionCodec),
                let inflated = try? RecordCompression.decompress(
                    section, codec: codec, maxOutputBytes: maxDecompressedBytes)
            else { continue }
            section = inflated
        }
        _ = try? BatchRecord.records(inSection: section, count: header.recordCount)
    }
    batches.assignOffsets(from: 0, partitionLeaderEpoch: 3, logAppendTime: logAppendTime ? 1_700_000_000_000 : nil)
}

/// Recomputes the CRC-32C of every batch whose length fits in `payload`, as a producer would write it.
func fixChecksums(_ payload: inout ByteBuffer) {
    var position = payload.readerIndex
    while position + RecordBatchHeader.size <= payload.writerIndex,
        let length = payload.getInteger(at: position + RecordBatchHeader.Field.batchLength, as: Int32.self),
        length >= RecordBatchHeader.size - RecordBatchHeader.logOverhead
    {
        let total = RecordBatchHeader.logOverhead + Int(length)
        guard total <= payload.writerIndex - position else { return }
        let crc = CRC32C.checksum(
            payload, at: position + RecordBatchHeader.Field.attributes,
            length: total - RecordBatchHeader.Field.attributes)
        payload.setInteger(crc, at: position + RecordBatchHeader.Field.crc)
        position += total
    }
}
