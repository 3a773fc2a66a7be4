import KafkaWire
import NIOCore

/// Finishing or undoing a cleaner swap a crash interrupted, when a partition directory is opened
/// (Kafka's `LogLoader.removeTempFilesAndCollectSwapFiles` and the swap passes of `LogLoader.load`).
///
/// The swap (`PartitionLog.replaceSegments(with:)`) renames the copy's `.cleaned` files to `.swap`,
/// index files first and `<base>.log.swap` last, fsyncs the directory (the commit), deletes the
/// segments it replaces, then renames the `.swap` files to their final names. So at open:
/// - `.cleaned` files are a copy that never committed: deleted.
/// - A `<base>.log.swap` committed: every other segment file whose base offset lies in
///   `[base, its next offset)` is one it replaces (or an index file already renamed, rebuilt from the
///   log then): deleted; its `.swap` files are renamed to their final names.
/// - An index `.swap` without its `<base>.log.swap` belongs to a swap that did not commit: deleted.
enum SwapRecovery {
    /// What to do in a directory, in order: delete, then rename.
    struct Plan: Hashable, Sendable {
        var deletions: [String] = []
        var renames: [Rename] = []
        /// Base offsets of the committed swaps being completed.
        var completedSwaps: [Int64] = []
    }

    struct Rename: Hashable, Sendable {
        var from: String
        var to: String
    }

    /// The plan for a directory holding `names`; `nextOffset(base)` is the offset after the last batch
    /// of `<base>.log.swap` (its base when empty).
    static func plan(names: [String], nextOffset: (Int64) throws -> Int64) rethrows -> Plan {
        var plan = Plan()
        let cleaned = LogCleaner.cleanedSuffix
        let swap = LogCleaner.swapSuffix
        var swapLogs: [Int64: String] = [:]
        for name in names where name.hasSuffix(".log" + swap) {
            if let base = LogSegment.baseOffset(ofLogFile: String(name.dropLast(swap.count))) {
                swapLogs[base] = name
            }
        }
        var ranges: [Range<Int64>] = []
        for base in swapLogs.keys.sorted() {
            ranges.append(base..<max(base, try nextOffset(base)))
            plan.completedSwaps.append(base)
        }
        for name in names {
            if name.hasSuffix(cleaned) {
                plan.deletions.append(name)
            } else if name.hasSuffix(swap) {
                let final = String(name.dropLast(swap.count))
                if let (base, _) = segmentFile(final), swapLogs[base] != nil {
                    plan.renames.append(Rename(from: name, to: final))
                } else {
                    plan.deletions.append(name)
                }
            } else if let (base, _) = segmentFile(name), ranges.contains(where: { $0.contains(base) }) {
                plan.deletions.append(name)
            }
        }
        // The log file's rename last, as in the swap itself.
        plan.renames.sort { ($0.to.hasSuffix(".log") ? 1 : 0, $0.to) < ($1.to.hasSuffix(".log") ? 1 : 0, $1.to) }
        return plan
    }

    /// `<20-digit base>.log|.index|.timeindex`: its base offset and kind.
    static func segmentFile(_ name: String) -> (Int64, String)? {
        for kind in LogSegment.fileKinds where name.hasSuffix(kind) {
            guard let base = LogSegment.baseOffset(ofLogFile: String(name.dropLast(kind.count)) + ".log") else {
                return nil
            }
            return (base, kind)
        }
        return nil
    }

    /// Applies the plan for the partition directory `directory` (nothing when there is nothing to
    /// do) and makes it durable. Returns the plan carried out.
    static func run(in directory: String) throws -> Plan {
        let names = try FileSystem.contents(of: directory)
        let plan = try plan(names: names) { base in
            let name = LogSegment.fileName(baseOffset: base, suffix: ".log" + LogCleaner.swapSuffix)
            return try nextOffset(ofLogFile: directory + "/" + name, base: base)
        }
        guard !plan.deletions.isEmpty || !plan.renames.isEmpty else { return plan }
        for name in plan.deletions { try FileSystem.remove(directory + "/" + name) }
        for rename in plan.renames {
            try FileSystem.rename(directory + "/" + rename.from, to: directory + "/" + rename.to)
        }
        try FileSystem.syncDirectory(directory)
        return plan
    }

    /// The offset after the last batch of the log file at `path` (a segment based at `base`), reading
    /// batch headers only. A header that does not parse, or offsets that do not follow on, throw
    /// `corruptSegment`: the swap file was fsynced before it was committed, so it must be whole.
    static func nextOffset(ofLogFile path: String, base: Int64) throws -> Int64 {
        let file = try PosixFile(path: path, create: false)
        defer {
            // Read-only use: nothing is lost if close fails.
            _ = try? file.close()
        }
        let size = try file.size()
        var position = 0
        var next = base
        while position < size {
            let bytes = try file.read(at: position, count: min(RecordBatchHeader.size, size - position))
            let header: RecordBatchHeader
            do {
                header = try RecordBatchHeader(parsing: bytes, at: bytes.readerIndex)
            } catch {
                throw SegmentLogError.corruptSegment(path: path, position: position, detail: "\(error)")
            }
            guard header.totalSize <= size - position, header.baseOffset >= next, header.offsetsFit(segmentBase: base)
            else {
                throw SegmentLogError.corruptSegment(
                    path: path, position: position, detail: "batch at offset \(header.baseOffset) does not follow on")
            }
            next = header.nextOffset
            position += header.totalSize
        }
        return next
    }
}
