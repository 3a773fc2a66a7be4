import Testing

@testable import SegmentLog

@Suite struct CheckpointTests {
    @Test func offsetCheckpointRendersKafkasFormatSorted() throws {
        let offsets: [TopicPartition: LogOffset] = [
            TopicPartition(topic: "b-topic", partition: 0): 7, TopicPartition(topic: "a", partition: 10): 42,
            TopicPartition(topic: "a", partition: 2): 0,
        ]
        let text = OffsetCheckpoint.render(offsets)
        #expect(text == "0\n3\na 2 0\na 10 42\nb-topic 0 7\n")
        #expect(try OffsetCheckpoint.parse(text, path: "/x") == offsets)
    }

    @Test func emptyCheckpointRoundTrips() throws {
        #expect(OffsetCheckpoint.render([:]) == "0\n0\n")
        #expect(try OffsetCheckpoint.parse("0\n0\n", path: "/x").isEmpty)
    }

    @Test(arguments: [
        ("", 1, "empty file"),
        ("1\n0\n", 1, "unrecognised version \"1\""),
        ("0\nx\n", 2, "missing or invalid entry count"),
        ("0\n2\na 0 1\n", 4, "expected 2 entries, found 1"),
        ("0\n1\na 0\n", 3, "expected 3 fields in \"a 0\""),
        ("0\n1\na zero 1\n", 3, "partition \"zero\" is not a Int32 in 0...2147483647"),
        ("0\n1\na 0 -5\n", 3, "offset \"-5\" is not a Int64 in 0...4611686018427387904"),
        ("0\n1\na 0 9223372036854775807\n", 3, "offset \"9223372036854775807\" is not a Int64 in 0...4611686018427387904"),
        ("0\n1\na 0 99999999999999999999999\n", 3, "offset \"99999999999999999999999\" is not a Int64 in 0...4611686018427387904"),
        ("0\n1\na 2147483648 0\n", 3, "partition \"2147483648\" is not a Int32 in 0...2147483647"),
    ])
    func garbledCheckpointNamesFileAndLine(text: String, line: Int, detail: String) {
        #expect(throws: SegmentLogError.self) { try OffsetCheckpoint.parse(text, path: "/logs/recovery-point-offset-checkpoint") }
        do {
            _ = try OffsetCheckpoint.parse(text, path: "/logs/recovery-point-offset-checkpoint")
        } catch {
            #expect("\(error)" == "/logs/recovery-point-offset-checkpoint line \(line) is not a valid checkpoint: \(detail)")
        }
    }

    @Test func leaderEpochCheckpointRoundTrips() throws {
        var cache = LeaderEpochCache()
        cache.assign(epoch: 0, startOffset: 0)
        cache.assign(epoch: 3, startOffset: 120)
        #expect(cache.render() == "0\n2\n0 0\n3 120\n")
        #expect(try LeaderEpochCache(parsing: cache.render(), path: "/x") == cache)
        #expect(throws: SegmentLogError.self) { try LeaderEpochCache(parsing: "0\n2\n3 120\n1 200\n", path: "/x") }
    }
}

@Suite struct LeaderEpochCacheTests {
    private static func cache(_ entries: [(Int32, Int64)]) -> LeaderEpochCache {
        var cache = LeaderEpochCache()
        for (epoch, offset) in entries { cache.assign(epoch: LeaderEpoch(epoch), startOffset: LogOffset(offset)) }
        return cache
    }

    @Test func sameEpochAtALaterOffsetChangesNothing() {
        var cache = Self.cache([(1, 0)])
        let changed = cache.assign(epoch: 1, startOffset: 10)
        #expect(!changed)
        #expect(cache.entries == [.init(epoch: 1, startOffset: 0)])
    }

    @Test func newEntryDropsEntriesItContradicts() {
        var cache = Self.cache([(1, 0), (2, 10), (4, 20)])
        let changed = cache.assign(epoch: 3, startOffset: 15)
        #expect(changed)
        #expect(cache.entries == [.init(epoch: 1, startOffset: 0), .init(epoch: 2, startOffset: 10), .init(epoch: 3, startOffset: 15)])
    }

    /// `LeaderEpochFileCache.endOffsetFor`: the requested epoch's end is the next epoch's start.
    @Test func endOffsetForEpoch() {
        let cache = Self.cache([(1, 0), (3, 10), (5, 20)])
        #expect(cache.endOffset(for: 5, logEndOffset: 30) == .init(epoch: 5, startOffset: 30))
        #expect(cache.endOffset(for: 3, logEndOffset: 30) == .init(epoch: 3, startOffset: 20))
        #expect(cache.endOffset(for: 4, logEndOffset: 30) == .init(epoch: 3, startOffset: 20))
        #expect(cache.endOffset(for: 0, logEndOffset: 30) == .init(epoch: 0, startOffset: 0))
        #expect(cache.endOffset(for: 6, logEndOffset: 30) == nil)
    }

    @Test func truncationFromEndAndStart() {
        var cache = Self.cache([(1, 0), (3, 10), (5, 20)])
        let truncatedEnd = cache.truncateFromEnd(20)
        #expect(truncatedEnd)
        #expect(cache.latestEpoch == 3)
        let truncatedStart = cache.truncateFromStart(12)
        #expect(truncatedStart)
        #expect(cache.entries == [.init(epoch: 3, startOffset: 12)])
        let truncatedAgain = cache.truncateFromStart(5)
        #expect(!truncatedAgain)
    }
}
