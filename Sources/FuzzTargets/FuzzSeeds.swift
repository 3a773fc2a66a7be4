import Consensus
import Foundation
import KafkaWire
import KeeperCore
import KeeperReplica
import NIOCore
import RecordCompression
import SegmentLog
import ZooKeeperWire

/// Seed inputs built with the real encoders, for the targets whose input no real client produces
/// (peer frames, record batches in every codec, segment files). `PaddockFuzz --write-seeds` writes
/// them under Tests/Fuzz/<target>/corpus; the zookeeper and kafka seeds come from the golden client
/// fixtures (Tests/Fuzz/extract-seeds.py).
package enum FuzzSeeds {
    package static func all() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        peer() + recordBatch() + segment()
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
}
