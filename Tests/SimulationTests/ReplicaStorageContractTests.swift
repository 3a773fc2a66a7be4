import Consensus
import Foundation
import ZNodeTree
import KeeperReplica
import KeeperStorage
import NIOCore
import SimulationKit
import TestSupport
import Testing
import ZooKeeperWire

/// The simulator's disk stands in for SQLite only if both keep the same `ReplicaStorage`
/// contract. Each seed drives one random sequence of replica writes (appends, conflict
/// truncations, applied tree rows, compaction, snapshot installs) into a `KeeperDatabase` and a
/// `KeeperDisk`, and after every write both must load the same state, as a restarting member
/// would see it.
@Suite struct ReplicaStorageContractTests {
    @Test(arguments: 0..<12)
    func databaseAndSimulatedDiskLoadTheSameState(seed: Int) throws {
        try compare(seed: seed, groupUpTo: 1)
    }

    /// `StorageDriver` hands SQLite the writes queued behind a busy commit as one group: the
    /// group must leave what its writes leave one by one.
    @Test(arguments: 100..<112)
    func aGroupCommitLoadsAsItsWritesOneByOne(seed: Int) throws {
        try compare(seed: seed, groupUpTo: 6)
    }

    /// Drives one seed's writes into both storages (the database in groups of up to `groupUpTo`
    /// consecutive writes) and compares what each would load after every group.
    private func compare(seed: Int, groupUpTo: Int) throws {
        let directory = NSTemporaryDirectory() + "paddock-contract-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try KeeperDatabase(path: directory + "/" + KeeperDatabase.fileName)
        defer { database.close() }
        var disk = KeeperDisk()
        var writer = WriteSequence(seed: UInt64(seed))
        var group: [ReplicaWrite] = []
        var groupSize = 1
        for step in 0..<40 {
            switch writer.next() {
            case .write(let write):
                group.append(write)
                disk.commit(write)
                guard group.count >= groupSize else { continue }
                try database.commit(group)
            case .checkpoint(let checkpoint):
                try database.commit(group)
                try database.checkpoint(checkpoint)
                disk.checkpoint(checkpoint)
            }
            group = []
            groupSize = Int.random(in: 1...groupUpTo, using: &writer.random)
            let fromDatabase = try database.load(config: TreeConfig())
            let fromDisk = try disk.load(config: TreeConfig())
            let context = "seed \(seed) step \(step): \(writer.lastKind)"
            #expect(TreeSnapshot(fromDatabase.tree) == TreeSnapshot(fromDisk.tree), "\(context)")
            #expect(fromDatabase.applied == fromDisk.applied, "\(context)")
            #expect(fromDatabase.hardState == fromDisk.hardState, "\(context)")
            #expect(fromDatabase.tail == fromDisk.tail, "\(context)")
            #expect(fromDatabase.lastIndex == fromDisk.lastIndex, "\(context)")
            #expect(fromDatabase.tail.map(\.index) == writer.unappliedIndexes, "\(context)")
        }
    }

    /// The seeds above reach every kind of write (else the contract is checked for less).
    @Test func seedsCoverEveryKindOfWrite() {
        var kinds: Set<String> = []
        for seed in 0..<12 {
            var writer = WriteSequence(seed: UInt64(seed))
            for _ in 0..<40 {
                if case .write(let write) = writer.next(), write.compactThrough != nil { kinds.insert("compact") }
                kinds.insert(writer.lastKind)
            }
        }
        #expect(kinds == ["append", "apply", "checkpoint", "stale checkpoint", "truncate", "install", "hard state", "compact"])
    }
}

/// Writes as a member's pipeline produces them: entries of the current term, applied in order,
/// their tree rows flushed with the applied mark, the log compacted behind it, now and then a
/// new term overwriting unapplied entries, or a leader's snapshot replacing everything.
private struct WriteSequence {
    var random: Xoshiro256StarStar
    var term: UInt64 = 1
    /// The log as storage holds it: index → (term, txn); indexes after `applied`.
    var log: [(index: Int64, term: UInt64, txn: Txn)] = []
    var applied = AppliedMark.zero
    var tree = DataTree()
    var lastKind = ""
    var nextCounter: UInt32 = 1

    init(seed: UInt64) { random = Xoshiro256StarStar(seed: seed) }

    var unappliedIndexes: [LogIndex] { log.map { LogIndex($0.index) }.filter { $0 > applied.index } }

    enum Step {
        case write(ReplicaWrite)
        case checkpoint(ReplicaCheckpoint)
    }

    mutating func next() -> Step {
        var write = ReplicaWrite()
        switch Int.random(in: 0..<12, using: &random) {
        case 10 where log.contains(where: { $0.index > applied.index.rawValue }):
            // As the pipeline: rows applied since the last checkpoint, written beside the log.
            lastKind = "checkpoint"
            let rows = applySome()
            var checkpoint = ReplicaCheckpoint(applied: applied)
            checkpoint.nodes = rows.nodes
            checkpoint.sessions = rows.sessions
            return .checkpoint(checkpoint)
        case 11 where applied.index > .zero:
            // One that was in flight across a snapshot install: older than what storage holds.
            lastKind = "stale checkpoint"
            var stale = ReplicaCheckpoint(
                applied: AppliedMark(index: applied.index - 1, term: applied.term, zxid: applied.zxid))
            stale.nodes = [
                (
                    "/stale",
                    ZNode(
                        data: nil, acl: ACL.openUnsafe, czxid: 1, mzxid: 1, ctime: 0, mtime: 0, version: 0, cversion: 0,
                        aversion: 0, ephemeralOwner: 0, pzxid: 1)
                )
            ]
            return .checkpoint(stale)
        case 0..<4:
            lastKind = "append"
            let first = (log.last?.index ?? applied.index.rawValue) + 1
            write.entries = (first..<first + Int64.random(in: 1...3, using: &random)).map { append(index: $0) }
            write.hardState = HardState(term: Term(term), vote: NodeID(1), commit: LogIndex(log.last?.index ?? 0))
            if applied.index > .zero, random.chance(perMille: 300) {
                // As the pipeline after a durable checkpoint: the append drops the rows it covers.
                write.compactThrough = applied.index
                log.removeAll { $0.index <= applied.index.rawValue }
            }
        case 4..<7 where log.contains(where: { $0.index > applied.index.rawValue }):
            lastKind = "apply"
            let rows = applySome()
            write.nodes = rows.nodes
            write.sessions = rows.sessions
            write.applied = applied
            if random.chance(perMille: 500) {
                write.compactThrough = applied.index
                log.removeAll { $0.index <= applied.index.rawValue }
            }
        case 7 where log.contains(where: { $0.index > applied.index.rawValue }):
            lastKind = "truncate"
            term += 1
            let from = log.first(where: { $0.index > applied.index.rawValue })!.index
            log.removeAll { $0.index >= from }
            write.entries = [append(index: from)]
            write.hardState = HardState(term: Term(term), vote: nil, commit: applied.index)
        case 8 where random.chance(perMille: 300):
            lastKind = "install"
            term += 1
            var image = tree
            let index = (log.last?.index ?? applied.index.rawValue) + 5
            _ = image.apply(txn(counter: index))
            tree = image
            _ = tree.takeDirty()
            applied = AppliedMark(index: LogIndex(index), term: Term(term), zxid: tree.lastZxid)
            log = []
            write.replaceTree = true
            write.nodes = tree.nodes.keys.sorted().map { ($0, tree.node($0)) }
            write.sessions = tree.sessions.keys.sorted().map { ($0, tree.sessions[$0]) }
            write.applied = applied
            write.hardState = HardState(term: Term(term), vote: nil, commit: applied.index)
        default:
            lastKind = "hard state"
            write.hardState = HardState(term: Term(term), vote: NodeID(2), commit: applied.index)
        }
        return .write(write)
    }

    /// Applies some of the pending entries; the rows they changed.
    private mutating func applySome() -> (
        nodes: [(path: String, node: ZNode?)], sessions: [(id: SessionID, record: SessionRecord?)]
    ) {
        let pending = log.filter { $0.index > applied.index.rawValue }
        for entry in pending.prefix(Int.random(in: 1...pending.count, using: &random)) {
            _ = tree.apply(entry.txn)
            applied = AppliedMark(index: LogIndex(entry.index), term: Term(entry.term), zxid: tree.lastZxid)
        }
        let dirty = tree.takeDirty()
        return (dirty.paths.sorted().map { ($0, tree.node($0)) }, dirty.sessions.sorted().map { ($0, tree.sessions[$0]) })
    }

    private mutating func append(index: Int64) -> LogEntry {
        let txn = txn(counter: index)
        log.append((index, term, txn))
        var payload = ByteBuffer()
        txn.write(to: &payload)
        return LogEntry(index: LogIndex(index), term: Term(term), payload: payload)
    }

    /// A create, a setData or a new session, with a zxid above every earlier one.
    private mutating func txn(counter index: Int64) -> Txn {
        nextCounter += 1
        let zxid = Zxid(epoch: UInt32(term), counter: nextCounter)
        let session = SessionID(0x0100_0000_0000_0000 + Int64(nextCounter))
        let op: TxnOp
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            op = .createSession(timeout: 30_000, password: [UInt8(truncatingIfNeeded: index)])
        case 1:
            op = .request(
                .setData(SetDataRequest(path: "/", data: ByteBuffer(string: "v\(index)"), version: -1)))
        default:
            op = .request(
                .create2(
                    CreateRequest(
                        path: "/n\(index)-\(nextCounter)", data: ByteBuffer(string: "d\(index)"), acl: ACL.openUnsafe,
                        flags: 0)))
        }
        return Txn(
            zxid: zxid, time: 1_700_000_000_000 + index, session: session, xid: Xid(Int32(truncatingIfNeeded: index)),
            auth: [], op: op)
    }
}
