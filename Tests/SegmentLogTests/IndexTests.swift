import NIOCore
import Testing

@testable import SegmentLog

@Suite struct OffsetIndexTests {
    private static func index(_ entries: [(Int64, Int)], base: Int64 = 100) -> OffsetIndex {
        var index = OffsetIndex(baseOffset: base, maxIndexBytes: 80)
        for (offset, position) in entries { index.append(lastOffset: offset, position: position) }
        return index
    }

    @Test func lookupFindsTheLargestEntryAtOrBelowTheOffset() {
        let index = Self.index([(109, 4_200), (130, 8_500), (131, 12_800)])
        #expect(index.position(lookingFor: 100) == 0)
        #expect(index.position(lookingFor: 108) == 0)
        #expect(index.position(lookingFor: 109) == 4_200)
        #expect(index.position(lookingFor: 129) == 4_200)
        #expect(index.position(lookingFor: 130) == 8_500)
        #expect(index.position(lookingFor: 10_000) == 12_800)
        #expect(index.position(lookingFor: 5) == 0)
    }

    @Test func fullAfterSegmentIndexBytesWorthOfEntries() {
        let index = Self.index((1...10).map { (100 + Int64($0), $0 * 5_000) })
        #expect(index.isFull)
        #expect(index.sizeInBytes == 80)
    }

    @Test func fileBytesRoundTrip() {
        let index = Self.index([(109, 4_200), (130, 8_500)])
        var bytes = ByteBuffer()
        for entry in index.entries {
            var encoded = OffsetIndex.encode(entry)
            bytes.writeBuffer(&encoded)
        }
        #expect(Array(bytes.readableBytesView) == [0, 0, 0, 9, 0, 0, 0x10, 0x68, 0, 0, 0, 30, 0, 0, 0x21, 0x34])
        #expect(OffsetIndex(loading: bytes, baseOffset: 100, maxIndexBytes: 80, logSize: 9_000) == index)
    }

    /// A crash leaves the preallocated file with zero entries behind the real ones; a truncated log
    /// leaves entries pointing past its end; both are rebuilt rather than trusted.
    @Test func implausibleFilesAreRefused() {
        var zeroTail = ByteBuffer()
        var entry = OffsetIndex.encode(.init(relativeOffset: 9, position: 4_200))
        zeroTail.writeBuffer(&entry)
        zeroTail.writeRepeatingByte(0, count: 16)
        #expect(OffsetIndex(loading: zeroTail, baseOffset: 100, maxIndexBytes: 80, logSize: 9_000) == nil)
        let pastEnd = OffsetIndex.encode(.init(relativeOffset: 9, position: 4_200))
        #expect(OffsetIndex(loading: pastEnd, baseOffset: 100, maxIndexBytes: 80, logSize: 4_000) == nil)
        #expect(OffsetIndex(loading: ByteBuffer(bytes: [1, 2, 3]), baseOffset: 100, maxIndexBytes: 80, logSize: 9_000) == nil)
    }

    @Test func truncationDropsEntriesAtOrPastThePosition() {
        var index = Self.index([(109, 4_200), (130, 8_500), (131, 12_800)])
        #expect(index.truncate(toPosition: 8_500) == 2)
        #expect(index.entries == [.init(relativeOffset: 9, position: 4_200)])
    }
}

@Suite struct TimeIndexTests {
    @Test func onlyNewerTimestampsAreIndexed() {
        var index = TimeIndex(baseOffset: 50, maxIndexBytes: 120)
        #expect(index.appendIfNewer(timestamp: 1_000, offset: 52) != nil)
        #expect(index.appendIfNewer(timestamp: 1_000, offset: 60) == nil)
        #expect(index.appendIfNewer(timestamp: 900, offset: 61) == nil)
        #expect(index.appendIfNewer(timestamp: 2_000, offset: 70) != nil)
        #expect(index.last! == (2_000, 70))
    }

    @Test func lookupStartsAfterEverythingStrictlyOlder() {
        var index = TimeIndex(baseOffset: 50, maxIndexBytes: 120)
        index.appendIfNewer(timestamp: 1_000, offset: 52)
        index.appendIfNewer(timestamp: 2_000, offset: 70)
        index.appendIfNewer(timestamp: 3_000, offset: 90)
        #expect(index.offset(lookingFor: 500) == 50)
        #expect(index.offset(lookingFor: 1_000) == 50)
        #expect(index.offset(lookingFor: 1_001) == 52)
        #expect(index.offset(lookingFor: 2_500) == 70)
        #expect(index.offset(lookingFor: 9_000) == 90)
    }

    @Test func fileBytesRoundTripAndZeroTailIsRefused() {
        var index = TimeIndex(baseOffset: 50, maxIndexBytes: 120)
        index.appendIfNewer(timestamp: 1_000, offset: 52)
        index.appendIfNewer(timestamp: 2_000, offset: 70)
        var bytes = ByteBuffer()
        for entry in index.entries {
            var encoded = TimeIndex.encode(entry)
            bytes.writeBuffer(&encoded)
        }
        #expect(TimeIndex(loading: bytes, baseOffset: 50, maxIndexBytes: 120, nextOffset: 71) == index)
        #expect(TimeIndex(loading: bytes, baseOffset: 50, maxIndexBytes: 120, nextOffset: 70) == nil)
        bytes.writeRepeatingByte(0, count: 12)
        #expect(TimeIndex(loading: bytes, baseOffset: 50, maxIndexBytes: 120, nextOffset: 71) == nil)
    }
}
