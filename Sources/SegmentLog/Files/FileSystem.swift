#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Directory and whole-file operations on POSIX paths, every call checked.
enum FileSystem {
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func makeDirectory(_ path: String) throws(SegmentLogError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw .io(path: path, operation: "mkdir", errno: errno) }
    }

    /// Names in `path`, without `.` and `..`, sorted so callers see a stable order.
    static func contents(of path: String) throws(SegmentLogError) -> [String] {
        guard let directory = opendir(path) else { throw .io(path: path, operation: "opendir", errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func rename(_ from: String, to: String) throws(SegmentLogError) {
        guard renameat(AT_FDCWD, from, AT_FDCWD, to) == 0 else { throw .io(path: from, operation: "rename to \(to)", errno: errno) }
    }

    static func remove(_ path: String) throws(SegmentLogError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(path: path, operation: "unlink", errno: errno) }
    }

    /// Deletes a directory and everything in it (partition directories hold no subdirectories, but
    /// this does not rely on that).
    static func removeTree(_ path: String) throws(SegmentLogError) {
        for name in try contents(of: path) {
            let child = path + "/" + name
            if isDirectory(child) { try removeTree(child) } else { try remove(child) }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw .io(path: path, operation: "rmdir", errno: errno) }
    }

    /// fsyncs and closes descriptors from `PosixFile.duplicateDescriptor`, closing all of them even when
    /// one fsync fails; throws the first failure.
    package static func syncAndClose(_ descriptors: [Int32]) throws(SegmentLogError) {
        var failure: SegmentLogError?
        for descriptor in descriptors {
            if fsync(descriptor) != 0, failure == nil {
                failure = .io(path: "fd \(descriptor)", operation: "fsync", errno: errno)
            }
            _ = closeDescriptor(descriptor)
        }
        if let failure { throw failure }
    }

    /// fsyncs a directory so that creations, renames and deletions in it are durable.
    static func syncDirectory(_ path: String) throws(SegmentLogError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: path, operation: "open directory", errno: errno) }
        defer { _ = closeDescriptor(descriptor) }
        guard fsync(descriptor) == 0 else { throw .io(path: path, operation: "fsync directory", errno: errno) }
    }

    /// The whole file as text, or nil when it does not exist.
    static func readText(_ path: String) throws(SegmentLogError) -> String? {
        guard exists(path) else { return nil }
        let file = try PosixFile(path: path, create: false)
        var bytes = try file.read(at: 0, count: try file.size())
        try file.close()
        return bytes.readString(length: bytes.readableBytes)
    }

    /// The whole file as text when it is at most `maximumSize` bytes; nil when it does not exist.
    /// Larger files throw `tooLarge(size)` before anything is allocated for them.
    static func readSmallText(
        _ path: String, maximumSize: Int, tooLarge: (Int) -> SegmentLogError
    ) throws(SegmentLogError) -> String? {
        guard var bytes = try readSmallFile(path, maximumSize: maximumSize, tooLarge: tooLarge) else { return nil }
        return bytes.readString(length: bytes.readableBytes)
    }

    /// The whole file when it is at most `maximumSize` bytes; nil when it does not exist. Larger files
    /// throw `tooLarge(size)` before anything is allocated for them.
    static func readSmallFile(
        _ path: String, maximumSize: Int, tooLarge: (Int) -> SegmentLogError
    ) throws(SegmentLogError) -> ByteBuffer? {
        guard exists(path) else { return nil }
        let file = try PosixFile(path: path, create: false)
        let size = try file.size()
        guard size <= maximumSize else {
            try file.close()
            throw tooLarge(size)
        }
        let bytes = try file.read(at: 0, count: size)
        try file.close()
        return bytes
    }

    /// Replaces `path` with `text` atomically, as Kafka's checkpoint files are written: write
    /// `<path>.tmp`, fsync it, rename over `path`, fsync the directory.
    static func writeTextAtomically(_ text: String, to path: String) throws(SegmentLogError) {
        try writeAtomically(ByteBuffer(string: text), to: path, sync: true)
    }

    /// Replaces `path` with `bytes` through `<path>.tmp` and a rename, so a reader sees the old file
    /// or the whole new one. With `sync`, the file is fsynced before the rename and the directory
    /// after it; without, a crash may leave a short or empty file at `path`, which only a reader that
    /// checks its content (a CRC) may accept.
    static func writeAtomically(_ bytes: ByteBuffer, to path: String, sync: Bool) throws(SegmentLogError) {
        let temporary = path + ".tmp"
        let file = try PosixFile(path: temporary, create: true)
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        if sync { try file.sync() }
        try file.close()
        try rename(temporary, to: path)
        if sync { try syncDirectory(parent(of: path)) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
