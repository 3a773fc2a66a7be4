#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One open file, every system call checked, errors naming the path. Synchronous: callers run it off
/// the event loop (STYLE.md §3). Not `Sendable`; a partition log owns its files.
final class PosixFile {
    let path: String
    private var descriptor: Int32
    /// False for a borrowed descriptor (`init(borrowing:path:)`), which is never closed here.
    private var ownsDescriptor = true

    /// Opens `path` read-write, creating it (mode 0644) when `create` is set.
    init(path: String, create: Bool) throws(SegmentLogError) {
        self.path = path
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        self.descriptor = descriptor
    }

    /// Uses `descriptor` without owning it: `close()` and deinit leave it open for its owner.
    init(borrowing descriptor: Int32, path: String) {
        self.path = path
        self.descriptor = descriptor
        self.ownsDescriptor = false
    }

    deinit {
        if descriptor >= 0 && ownsDescriptor { _ = closeDescriptor(descriptor) }
    }

    func size() throws(SegmentLogError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .io(path: path, operation: "fstat", errno: errno) }
        return Int(info.st_size)
    }

    /// Up to `count` bytes from `offset`; fewer only at end of file.
    func read(at offset: Int, count: Int) throws(SegmentLogError) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        var total = 0
        while total < count {
            let result = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - total) { bytes in
                pread(descriptor, bytes.baseAddress, count - total, off_t(offset + total))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "pread", errno: errno)
            }
            if result == 0 { break }
            total += result
        }
        return buffer
    }

    /// Writes all of `buffer`'s readable bytes at `offset`.
    func write(_ buffer: ByteBuffer, at offset: Int) throws(SegmentLogError) {
        var written = 0
        let count = buffer.readableBytes
        while written < count {
            let result = buffer.withUnsafeReadableBytes { bytes in
                pwrite(descriptor, bytes.baseAddress! + written, count - written, off_t(offset + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "pwrite", errno: errno)
            }
            written += result
        }
    }

    func truncate(to size: Int) throws(SegmentLogError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw .io(path: path, operation: "ftruncate", errno: errno) }
    }

    func sync() throws(SegmentLogError) {
        guard fsync(descriptor) == 0 else { throw .io(path: path, operation: "fsync", errno: errno) }
    }

    /// A second descriptor of the same open file, to fsync it without holding the log: the caller
    /// closes it (`FileSystem.syncAndClose`).
    func duplicateDescriptor() throws(SegmentLogError) -> Int32 {
        let copy = dup(descriptor)
        guard copy >= 0 else { throw .io(path: path, operation: "dup", errno: errno) }
        return copy
    }

    func close() throws(SegmentLogError) {
        guard descriptor >= 0 else { return }
        guard ownsDescriptor else {
            descriptor = -1
            return
        }
        let result = closeDescriptor(descriptor)
        descriptor = -1
        guard result == 0 else { throw .io(path: path, operation: "close", errno: errno) }
    }
}

/// `close(2)`, reachable from inside `PosixFile.close()`, whose name shadows it.
func closeDescriptor(_ descriptor: Int32) -> Int32 { close(descriptor) }
