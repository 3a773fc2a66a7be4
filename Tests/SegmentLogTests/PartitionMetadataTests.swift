import NIOCore
import Testing

@testable import SegmentLog

/// `partition.metadata` (KIP-516): the codec, and the decision taken when a partition log is opened.
@Suite struct PartitionMetadataTests {
    private static let path = "/logs/orders-0/partition.metadata"
    private static let first = TopicID(base64: "AAAAAAAAAAAAAAAAAAAAAQ")!
    private static let second = TopicID(base64: "q83vEjRWeJCrze8SNFZ4kA")!

    private static func refusal(_ text: String) -> (path: String, field: String)? {
        do {
            _ = try PartitionMetadataFile.parse(text, path: path)
            return nil
        } catch {
            guard case .corruptPartitionMetadata(let path, let field, _) = error else { return nil }
            return (path, field)
        }
    }

    // MARK: - Codec

    @Test func rendersKafkasFormat() {
        #expect(PartitionMetadataFile.render(Self.second) == "version: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\n")
    }

    @Test func roundTripsTopicIDs() throws {
        for id in [Self.first, Self.second, TopicID(base64: "_____________________w")!] {
            #expect(try PartitionMetadataFile.parse(PartitionMetadataFile.render(id), path: Self.path) == id)
            #expect(TopicID(base64: id.description) == id)
        }
        #expect(Self.second.bytes.count == 16)
    }

    @Test func acceptsKafkasWhitespaceAndAMissingFinalNewline() throws {
        #expect(try PartitionMetadataFile.parse("version:  0\ntopic_id:\tq83vEjRWeJCrze8SNFZ4kA", path: Self.path) == Self.second)
    }

    @Test(arguments: [
        ("", "version"),
        ("version: 0\n", "topic_id"),
        ("version: 1\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\n", "version"),
        ("version:0\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\n", "version"),
        ("versions: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\n", "version"),
        ("version: 99999999999999999999999\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\n", "version"),
        ("version: 0\ntopic: q83vEjRWeJCrze8SNFZ4kA\n", "topic_id"),
        ("version: 0\ntopic_id: \n", "topic_id"),
        ("version: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4k\n", "topic_id"),
        ("version: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4kAA\n", "topic_id"),
        ("version: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4kB\n", "topic_id"),
        ("version: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4k=\n", "topic_id"),
        ("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n", "topic_id"),
        ("version: 0\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\nextra: 1\n", "topic_id"),
        ("version: 0\r\ntopic_id: q83vEjRWeJCrze8SNFZ4kA\r\n", "version"),
        ("\u{0}\u{FFFD}\u{7F}", "version"),
    ])
    func refusesMalformedFilesNamingFileAndField(text: String, field: String) throws {
        let refusal = try #require(Self.refusal(text))
        #expect(refusal.path == Self.path)
        #expect(refusal.field == field)
    }

    @Test func garbageNeverTraps() {
        // A fixed-seed linear congruential generator: the same inputs every run.
        var state: UInt64 = 0x516
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let alphabet = Array("version: 0\ntopic_id:AQq_-=\u{0}é".unicodeScalars)
        for _ in 0..<2000 {
            let length = Int(next() % 80)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(alphabet[Int(next() % UInt64(alphabet.count))]) }
            do {
                _ = try PartitionMetadataFile.parse(text, path: Self.path)
            } catch {
                guard case .corruptPartitionMetadata(let path, _, _) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(path == Self.path)
            }
        }
    }

    // MARK: - Open decision

    @Test func decidesFromStoredAndExpectedIDs() {
        #expect(PartitionIdentity.decide(stored: .topicID(Self.first), expected: Self.first) == .keep)
        #expect(PartitionIdentity.decide(stored: .topicID(Self.first), expected: Self.second) == .replace(stale: Self.first))
        #expect(PartitionIdentity.decide(stored: .absent, expected: Self.first) == .writeMetadata)
        #expect(PartitionIdentity.decide(stored: .malformed("bad"), expected: Self.first) == .refuse(reason: "bad"))
        // Topics from before KIP-516 have no id: no check at all.
        #expect(PartitionIdentity.decide(stored: .topicID(Self.first), expected: nil) == .keep)
        #expect(PartitionIdentity.decide(stored: .malformed("bad"), expected: nil) == .keep)
    }

    @Test func missingFileIsWrittenAndTheLogKept() throws {
        try withTemporaryDirectory { root in
            let directory = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let created = try directory.openLog(
                for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u1")
            #expect(created.outcome == .identified)
            _ = try created.log.append(try produceBatch(records: 3), leaderEpoch: 0, now: 0)
            #expect(try directory.storedTopicID(of: testPartition) == Self.first)
            try directory.close(now: 0)

            // A log from before KIP-516: the file is written, the records stay.
            try FileSystem.remove(root + "/" + testPartition.directoryName + "/" + PartitionMetadataFile.fileName)
            let reopened = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let upgraded = try reopened.openLog(
                for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u2")
            #expect(upgraded.outcome == .identified)
            #expect(upgraded.log.logEndOffset == 3)
            #expect(
                try FileSystem.readText(root + "/" + testPartition.directoryName + "/partition.metadata")
                    == "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n")
            #expect(!FileSystem.exists(root + "/" + testPartition.directoryName + "/partition.metadata.tmp"))
        }
    }

    @Test func sameIDKeepsTheLog() throws {
        try withTemporaryDirectory { root in
            let directory = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let log = try directory.openLog(for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u1").log
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0)
            try directory.close(now: 0)

            let reopened = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let kept = try reopened.openLog(for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u2")
            #expect(kept.outcome == .kept)
            #expect(kept.log.logEndOffset == 2)
        }
    }

    @Test func differentIDDeletesTheLogAndStartsEmpty() throws {
        try withTemporaryDirectory { root in
            let directory = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let log = try directory.openLog(for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u1").log
            _ = try log.append(try produceBatch(records: 5), leaderEpoch: 3, now: 0)
            log.updateHighWatermark(5)
            try directory.close(now: 0)

            let reopened = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let fresh = try reopened.openLog(for: testPartition, topicID: Self.second, config: LogConfig(), now: 0, uniqueId: "u2")
            #expect(fresh.outcome == .replaced(stale: Self.first))
            #expect(fresh.log.logStartOffset == 0)
            #expect(fresh.log.logEndOffset == 0)
            #expect(fresh.log.highWatermark == 0)
            #expect(fresh.log.leaderEpochs.latestEpoch == nil)
            #expect(try reopened.storedTopicID(of: testPartition) == Self.second)
            #expect(try FileSystem.contents(of: root).filter { $0.hasSuffix(LogDirectory.deleteSuffix) }.isEmpty)
            guard case .batches(let bytes) = try fresh.log.read(from: 0, maxBytes: 1 << 20) else {
                Issue.record("offset 0 out of range in the fresh log")
                return
            }
            #expect(bytes.readableBytes == 0)
        }
    }

    @Test(arguments: ["version: 7\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n", String(repeating: "x", count: 1 << 20)])
    func malformedFileRefusesThePartitionAndLeavesItAlone(text: String) throws {
        try withTemporaryDirectory { root in
            let directory = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            let log = try directory.openLog(for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u1").log
            _ = try log.append(try produceBatch(records: 2), leaderEpoch: 0, now: 0)
            try directory.close(now: 0)
            let file = root + "/" + testPartition.directoryName + "/partition.metadata"
            try FileSystem.writeTextAtomically(text, to: file)

            let reopened = try LogDirectory(path: root, now: 0, config: { _ in LogConfig() }, logger: testLogger)
            do {
                _ = try reopened.openLog(for: testPartition, topicID: Self.first, config: LogConfig(), now: 0, uniqueId: "u2")
                Issue.record("a malformed partition.metadata was accepted")
            } catch let error as SegmentLogError {
                guard case .corruptPartitionMetadata(let path, _, _) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(path == file)
            }
            // Untouched: the records and the file are still there for a human.
            #expect(reopened.log(for: testPartition)?.logEndOffset == 2)
            #expect(try FileSystem.readText(file) == text)
            // A topic without an id is not checked.
            #expect(try reopened.openLog(for: testPartition, topicID: nil, config: LogConfig(), now: 0, uniqueId: "u3").outcome == .kept)
        }
    }
}
