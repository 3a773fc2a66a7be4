import Broker
import Consensus
import Foundation
import KafkaWire
import ZNodeTree
import KeeperReplica
import NIOCore
import RecordCompression
import SegmentLog
import ZooKeeperWire

/// Seed inputs built with the real encoders, for the targets whose input no real client produces
/// (peer frames, record batches in every codec, segment files, consumer-group records and programs).
/// `PaddockFuzz --write-seeds` writes them under Tests/Fuzz/<target>/corpus; the zookeeper and kafka seeds
/// come from the golden client fixtures (Tests/Fuzz/extract-seeds.py).
package enum FuzzSeeds {
    package static func all() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        peer() + recordBatch() + segment() + groups()
    }

    // MARK: - Peer

    private static func frames(_ messages: [PeerMessage]) -> [UInt8] {
        var buffer = ByteBuffer()
        for message in messages { message.writeFrame(to: &buffer) }
        return Array(buffer.readableBytesView)
    }

    private static func raft(_ from: Int, _ term: UInt64, _ message: Message) -> PeerMessage {
        .raft(Envelope(from: NodeID(from), to: NodeID(1), term: Term(term), message: message))
    }

    private static func txn(_ op: TxnOp, counter: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer()
        Txn(zxid: Zxid(epoch: 2, counter: counter), time: 1_700_000_000_000, session: SessionID(0x42), op: op)
            .write(to: &buffer)
        return buffer
    }

    private static func peer() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        let create = ZKRequest.create(
            CreateRequest(path: "/a", data: ByteBuffer(string: "x"), acl: ACL.openUnsafe, flags: 0))
        let entries = [
            LogEntry(index: LogIndex(1), term: Term(2), payload: ByteBuffer()),
            LogEntry(
                index: LogIndex(2), term: Term(2),
                payload: txn(.createSession(timeout: 4000, password: [1, 2]), counter: 1)),
            LogEntry(index: LogIndex(3), term: Term(2), payload: txn(.request(create), counter: 2)),
            LogEntry(index: LogIndex(4), term: Term(2), payload: txn(.closeSession, counter: 3)),
        ]
        let follower = frames([
            .hello(member: 2),
            raft(2, 2, .vote(lastIndex: .zero, lastTerm: .zero, leadershipTransfer: false)),
            raft(2, 2, .append(prevIndex: .zero, prevTerm: .zero, entries: entries, commit: LogIndex(4))),
            raft(2, 2, .heartbeat(commit: LogIndex(4), context: 7)),
            raft(2, 2, .readIndexResponse(requestID: 1, index: LogIndex(4))),
            .touch([SessionID(0x42)]),
        ])
        var tree = DataTree()
        _ = tree.apply(Txn(zxid: Zxid(epoch: 2, counter: 1), time: 0, session: SessionID(0x42), op: .request(create)))
        var image = ByteBuffer()
        do {
            try tree.writeSnapshot(to: &image)
        } catch {
            preconditionFailure("a one-node tree does not fit a snapshot: \(error)")
        }
        let metadata = SnapshotMetadata(index: LogIndex(10), term: Term(3))
        let snapshot = frames(
            [.hello(member: 3)]
                + PeerMessage.snapshotStream(
                    image: image, metadata: metadata,
                    envelope: Envelope(from: NodeID(3), to: NodeID(1), term: Term(3), message: .snapshot(metadata)),
                    chunkSize: 64))
        // Member 1 campaigns after its election timeout (one tick per frame): votes make it leader.
        var leader: [PeerMessage] = [.hello(member: 2)]
        leader += Array(repeating: raft(2, 0, .heartbeatResponse(context: 0)), count: 8)
        leader += [
            raft(2, 1, .preVoteResponse(granted: true)), raft(2, 1, .voteResponse(granted: true)),
            .forward(
                Txn(zxid: .zero, time: 0, session: SessionID(0x42), op: .createSession(timeout: 4000, password: [])),
                term: Term(1)),
            raft(2, 1, .appendResponse(success: true, index: LogIndex(2), rejectHint: .zero)),
            raft(2, 1, .readIndex(requestID: 9)), raft(2, 1, .logLost(lastIndex: .zero)),
        ]
        return [
            (.peer, "follower-append", follower), (.peer, "snapshot-stream", snapshot),
            (.peer, "campaign-and-lead", frames(leader)),
        ]
    }

    // MARK: - Record batches

    private static func sampleRecords(_ count: Int) -> [BatchRecord] {
        (0..<count).map { i in
            BatchRecord(
                timestampDelta: Int64(i), offsetDelta: Int32(i), key: ByteBuffer(string: "key\(i)"),
                value: ByteBuffer(string: "value \(i) of the fuzz seed"),
                headers: i == 0 ? [BatchRecord.Header(key: "h", value: ByteBuffer(string: "v"))] : [])
        }
    }

    /// A batch of `records` compressed with `codec` (nil: uncompressed), valid CRC.
    static func batch(_ records: [BatchRecord], codec: CompressionCodec?, baseOffset: Int64 = 0) -> ByteBuffer {
        var batch = UncompressedRecordBatch.encode(
            records: records, baseOffset: baseOffset, baseTimestamp: 1_700_000_000_000)
        guard let codec else { return batch }
        let section = batch.getSlice(at: RecordBatchHeader.size, length: batch.readableBytes - RecordBatchHeader.size)!
        var compressed = RecordCompression.compress(section, codec: codec)
        batch.moveWriterIndex(to: RecordBatchHeader.size)
        batch.writeBuffer(&compressed)
        batch.setInteger(
            Int32(batch.readableBytes - RecordBatchHeader.logOverhead), at: RecordBatchHeader.Field.batchLength)
        batch.setInteger(codec.rawValue, at: RecordBatchHeader.Field.attributes)
        fixChecksums(&batch)
        return batch
    }

    private static func recordBatch() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        var seeds: [(target: FuzzTarget, name: String, bytes: [UInt8])] = []
        let codecs: [CompressionCodec?] = [nil, .gzip, .snappy, .lz4, .zstd]
        for codec in codecs {
            let name = codec.map { "\($0)" } ?? "none"
            let bytes = batch(sampleRecords(3), codec: codec)
            seeds.append((.recordBatch, "batch-\(name)", [2] + Array(bytes.readableBytesView)))
            seeds.append((.recordBatch, "batch-\(name)-fixcrc", [1] + Array(bytes.readableBytesView)))
            if let codec {
                var section = ByteBuffer()
                for record in sampleRecords(3) { record.write(to: &section) }
                let compressed = RecordCompression.compress(section, codec: codec)
                seeds.append(
                    (
                        .recordBatch, "section-\(name)",
                        [0, UInt8(codec.rawValue - 1), 3] + Array(compressed.readableBytesView)
                    ))
            }
        }
        var two = batch(sampleRecords(2), codec: nil)
        var second = batch(sampleRecords(4), codec: .lz4)
        two.writeBuffer(&second)
        seeds.append((.recordBatch, "two-batches-logappendtime", [0x81] + Array(two.readableBytesView)))
        return seeds
    }

    // MARK: - Segments

    /// A partition directory written by the real log: two segments (bases 0 and 100), their rebuilt
    /// indexes, the checkpoints and the clean-shutdown marker, packed as segment-target sections.
    private static func segment() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        let root = NSTemporaryDirectory() + "/paddock-fuzz-seeds-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try? FileManager.default.createDirectory(atPath: root + "/t-0", withIntermediateDirectories: true)
        var first = ByteBuffer()
        for base in stride(from: Int64(0), to: 100, by: 25) {
            var next = batch(sampleRecords(25), codec: base == 50 ? .gzip : nil, baseOffset: base)
            first.writeBuffer(&next)
        }
        let second = batch(sampleRecords(10), codec: .zstd, baseOffset: 100)
        let partition = TopicPartition("t", 0)
        let files: [(String, String)] = [
            ("t-0/leader-epoch-checkpoint", "0\n2\n0 0\n3 100\n"),
            ("recovery-point-offset-checkpoint", OffsetCheckpoint.render([partition: LogOffset(rawValue: 100)])),
            ("replication-offset-checkpoint", OffsetCheckpoint.render([partition: LogOffset(rawValue: 110)])),
            ("log-start-offset-checkpoint", OffsetCheckpoint.render([partition: LogOffset(rawValue: 0)])),
        ]
        _ = FileManager.default.createFile(
            atPath: root + "/t-0/00000000000000000000.log", contents: Data(first.readableBytesView))
        _ = FileManager.default.createFile(
            atPath: root + "/t-0/00000000000000000100.log", contents: Data(second.readableBytesView))
        for (path, text) in files {
            _ = FileManager.default.createFile(atPath: root + "/" + path, contents: Data(text.utf8))
        }
        let snapshot = ProducerSnapshot(entries: [
            .init(producerID: 7, epoch: 0, lastSequence: 24, lastOffset: 99, offsetDelta: 24, timestamp: 1_000)
        ])
        _ = FileManager.default.createFile(
            atPath: root + "/t-0/" + ProducerSnapshot.fileName(offset: 100),
            contents: Data(snapshot.encoded().readableBytesView))
        fuzzSegmentOpen(root: root)
        func sections(_ indexes: [Int]) -> [UInt8] {
            var out: [UInt8] = []
            for index in indexes {
                guard let data = FileManager.default.contents(atPath: root + "/" + segmentFiles[index]) else {
                    continue
                }
                let bytes = [UInt8](data.prefix(Int(UInt16.max)))
                out += [UInt8(index), UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
            }
            return out
        }
        return [
            (.segment, "two-segments-clean", sections(Array(0..<11))),
            (.segment, "two-segments-recover", sections(Array(0..<10))),
            (.segment, "logs-only", sections([0, 3])),
            (.segment, "producer-snapshot", sections([0, 1, 2, 3, 4, 5, 13])),
        ]
    }

    // MARK: - Groups

    /// A record input of the groups target: mode 0, flags (bit 0: tombstone; partition count 25), key, value.
    private static func groupRecord(_ key: ByteBuffer, _ value: ByteBuffer?) -> [UInt8] {
        let keyBytes = Array(key.readableBytesView)
        return [0, value == nil ? 51 : 50, UInt8(keyBytes.count >> 8), UInt8(keyBytes.count & 0xff)] + keyBytes
            + Array((value ?? ByteBuffer()).readableBytesView)
    }

    private static func groups() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        let partitions = [TopicPartition("t0", 0), TopicPartition("t1", 3)]
        typealias I = GroupsInput
        // A static member and a dynamic one (KIP-394 off) join, the rebalance completes, both sync, and the
        // static member restarts (a new member id takes over).
        let stable: [UInt8] =
            [2, 1] + I.op(.join, 0, 1, 1) + I.op(.join, 0, 8, 1) + I.op(.tick, 0x80) + I.op(.tick, 0x80)
            + I.op(.sync, 2, 1, 0) + I.op(.sync, 3, 0, 0) + I.op(.join, 0, 1, 1) + I.op(.heartbeat, 2, 1)
        var program = ByteBuffer(bytes: stable.dropFirst())
        let value = GroupsRun.run(&program).group.storedValue(currentStateTimestampMs: 1_700_000_000_000)
        let group = GroupRecord.group("g", value)
        let offset = GroupRecord.offset(
            group: "g", partition: partitions[0],
            OffsetAndMetadata(offset: 42, leaderEpoch: 3, metadata: "m", commitTimestampMs: 1_700_000_000_000))
        let expiring = GroupRecord.offset(
            group: "g", partition: partitions[1],
            OffsetAndMetadata(offset: 7, commitTimestampMs: 1_000, expireTimestampMs: 2_000))
        // The versions Paddock reads but does not write: GroupMetadataValue v4 and OffsetCommitValue v4
        // (flexible), and GroupMetadataValue v0.
        var flexible = KafkaWriter()
        flexible.writeInt16(4)
        flexible.writeCompactString("consumer")
        flexible.writeInt32(2)
        flexible.writeCompactNullableString("range")
        flexible.writeCompactNullableString("c0-1")
        flexible.writeInt64(1_700_000_000_000)
        flexible.writeUnsignedVarInt(2)
        flexible.writeCompactString("c0-1")
        flexible.writeCompactNullableString("i1")
        flexible.writeCompactString("c0")
        flexible.writeCompactString("/127.0.0.1")
        flexible.writeInt32(2_000)
        flexible.writeInt32(1_000)
        flexible.writeCompactBytes(GroupsInput.subscription(["t1"]))
        flexible.writeCompactBytes(GroupsInput.assignment([partitions[1]]))
        flexible.writeUnsignedVarInt(0)
        flexible.writeUnsignedVarInt(0)
        var flexibleOffset = KafkaWriter()
        flexibleOffset.writeInt16(4)
        flexibleOffset.writeInt64(9)
        flexibleOffset.writeInt32(1)
        flexibleOffset.writeCompactString("meta")
        flexibleOffset.writeInt64(1_000)
        flexibleOffset.writeUnsignedVarInt(0)
        var old = KafkaWriter()
        old.writeInt16(0)
        old.writeString("consumer")
        old.writeInt32(1)
        old.writeNullableString("range")
        old.writeNullableString("c0-1")
        old.writeInt32(1)
        old.writeString("c0-1")
        old.writeString("c0")
        old.writeString("/127.0.0.1")
        old.writeInt32(1_000)
        old.writeBytes(GroupsInput.subscription(["t0"]))
        old.writeBytes(GroupsInput.assignment([partitions[0]]))

        // Two dynamic members: MEMBER_ID_REQUIRED, rejoin with the id, the rebalance completes, the leader
        // (the first member id) assigns, both sync, heartbeat and commit; one leaves, the other's session ends.
        let dynamic: [UInt8] =
            [2, 0] + I.op(.join, 0, 0, 0) + I.op(.join, 2, 0, 0) + I.op(.join, 0, 4, 0) + I.op(.join, 3, 4, 0)
            + I.op(.tick, 0x80) + I.op(.sync, 2, 0x50, 0) + I.op(.sync, 3, 0x50, 0) + I.op(.heartbeat, 2, 0)
            + I.op(.commit, 3, 0) + I.op(.leave, 0, 3, 0) + I.op(.tick, 0x80) + I.op(.tick, 0x80)
            + I.op(.sync, 2, 0, 0) + I.op(.tick, 0x7f) + I.op(.tick, 0x80)
        // The same, then the group is stored and loaded, a second static member joins, and the group is
        // unloaded and loaded again.
        let staticMembers: [UInt8] =
            stable + I.op(.storeAndLoad) + I.op(.heartbeat, 2, 1) + I.op(.join, 0, 2, 2) + I.op(.unload)
            + I.op(.storeAndLoad) + I.op(.tick, 0xbf)
        // A group loaded from a stored value, its members heartbeating and rejoining.
        let loaded: [UInt8] =
            [2, 4] + I.load(group.value!) + I.op(.heartbeat, 2, 0) + I.op(.join, 2, 0, 0) + I.op(.join, 0, 1, 0)
            + I.op(.tick, 0x80) + I.op(.sync, 2, 0, 0) + I.op(.leave, 1, 0, 1, 2, 0) + I.op(.tick, 0x80)
        return [
            (.groups, "group-metadata-v3", groupRecord(group.key, group.value)),
            (.groups, "group-metadata-v4", groupRecord(group.key, flexible.buffer)),
            (.groups, "group-metadata-v0", groupRecord(group.key, old.buffer)),
            (.groups, "group-tombstone", groupRecord(group.key, nil)),
            (.groups, "offset-commit-v3", groupRecord(offset.key, offset.value)),
            (.groups, "offset-commit-v1-expiring", groupRecord(expiring.key, expiring.value)),
            (.groups, "offset-commit-v4", groupRecord(offset.key, flexibleOffset.buffer)),
            (.groups, "offset-tombstone", groupRecord(offset.key, nil)),
            (.groups, "subscription", [1] + Array(GroupsInput.subscription(["t0", "t1"]).readableBytesView)),
            (.groups, "assignment", [1] + Array(GroupsInput.assignment(partitions).readableBytesView)),
            (.groups, "program-dynamic-members", dynamic),
            (.groups, "program-static-members", staticMembers),
            (.groups, "program-load", loaded),
        ]
    }
}
