import KafkaWire
import NIOCore

/// Reads the batches of a closed segment in order, a chunk at a time (Kafka's cleaner reads 512 KiB
/// at a time, growing for a larger batch), checking each as recovery does: whole within the segment,
/// magic 2, CRC-32C intact, offsets increasing and within the segment's 32-bit range. Anything else
/// throws `corruptSegment` naming the file and byte; so does a file that got shorter than `size`
/// (a truncation while the cleaner was reading: the caller tells the two apart).
struct SegmentBatchReader {
    /// Bytes read at once when the next batch is not already in memory.
    static let chunkSize = 1 << 20

    private let file: PosixFile
    private let size: Int
    private let baseOffset: Int64
    /// Bytes of the file from `chunkStart`.
    private var chunk = ByteBuffer()
    private var chunkStart = 0
    /// Where the next batch starts.
    private(set) var position: Int
    /// The offset the next batch must start at or after.
    private var nextOffset: Int64

    /// A reader of the first `size` bytes of `file` (a segment based at `baseOffset`), from byte
    /// `position`, which must be a batch start (0, or an offset index entry's position).
    init(file: PosixFile, size: Int, baseOffset: Int64, from position: Int = 0) {
        self.file = file
        self.size = size
        self.baseOffset = baseOffset
        self.position = position
        self.nextOffset = baseOffset
    }

    /// The next batch (its header, and the whole batch as a slice at reader index 0), or nil at the
    /// end of the segment.
    mutating func next() throws -> (header: RecordBatchHeader, batch: ByteBuffer)? {
        guard position < size else { return nil }
        try load(RecordBatchHeader.size)
        let header: RecordBatchHeader
        do {
            let parsed = try RecordBatchHeader(parsing: chunk, at: position - chunkStart)
            guard parsed.totalSize <= size - position else {
                throw RecordBatchError.truncated(
                    position: position, field: "records", needed: parsed.totalSize, available: size - position)
            }
            try load(parsed.totalSize)
            header = try RecordBatchHeader(verifying: chunk, at: position - chunkStart)
        } catch let error as RecordBatchError {
            throw SegmentLogError.corruptSegment(path: file.path, position: position, detail: "\(error)")
        }
        guard header.baseOffset >= nextOffset, header.offsetsFit(segmentBase: baseOffset) else {
            throw SegmentLogError.corruptSegment(
                path: file.path, position: position,
                detail: "batch baseOffset \(header.baseOffset) lastOffsetDelta \(header.lastOffsetDelta) does not "
                    + "follow offset \(nextOffset - 1) within the 32-bit range of segment \(baseOffset)")
        }
        let batch = chunk.getSlice(at: position - chunkStart, length: header.totalSize)!
        position += header.totalSize
        nextOffset = header.nextOffset
        return (header, batch)
    }

    /// Makes sure `count` bytes from `position` (at most what the segment has left) are in `chunk`.
    private mutating func load(_ count: Int) throws {
        let wanted = min(count, size - position)
        guard position + wanted > chunkStart + chunk.writerIndex || position < chunkStart else { return }
        let length = min(max(Self.chunkSize, wanted), size - position)
        chunk = try file.read(at: position, count: length)
        chunkStart = position
        guard chunk.readableBytes == length else {
            throw SegmentLogError.corruptSegment(
                path: file.path, position: position + chunk.readableBytes,
                detail: "the file ends \(length - chunk.readableBytes) bytes before the segment's \(size)")
        }
    }
}
