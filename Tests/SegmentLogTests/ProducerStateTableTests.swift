import Testing

@testable import SegmentLog

/// The idempotent producer's sequence rules (`ProducerStateTable`), batch by batch.
@Suite struct ProducerStateTableTests {
    private func batch(_ first: Int32, _ count: Int32, at offset: Int64) -> ProducerStateTable.BatchMetadata {
        .init(
            firstSequence: first, lastSequence: ProducerStateTable.lastSequence(firstSequence: first, recordCount: count),
            firstOffset: LogOffset(offset), lastOffset: LogOffset(offset + Int64(count) - 1), maxTimestamp: 0)
    }

    private func append(
        _ table: inout ProducerStateTable, id: Int64 = 7, epoch: Int16 = 0, _ metadata: ProducerStateTable.BatchMetadata
    ) -> ProducerStateTable.Check {
        let check = table.check(
            producerID: id, epoch: epoch, firstSequence: metadata.firstSequence, lastSequence: metadata.lastSequence)
        if check == .append { table.appended(producerID: id, epoch: epoch, batch: metadata) }
        return check
    }

    @Test func sequencesFollowOnAndARetriedBatchIsAnsweredWithItsFirstOffsets() {
        var table = ProducerStateTable()
        let first = batch(0, 3, at: 10)
        #expect(append(&table, first) == .append)
        #expect(append(&table, batch(3, 2, at: 13)) == .append)
        // The same batch again (its answer was lost): not written twice.
        #expect(append(&table, batch(0, 3, at: 99)) == .duplicate(first))
        // A gap, or a batch overlapping the last without matching it, is out of order.
        #expect(append(&table, batch(6, 1, at: 15)) == .outOfOrderSequence)
        #expect(append(&table, batch(4, 2, at: 15)) == .outOfOrderSequence)
        #expect(append(&table, batch(5, 1, at: 15)) == .append)
    }

    @Test func onlyTheLastFiveBatchesAreRemembered() {
        var table = ProducerStateTable()
        for index in 0..<7 { #expect(append(&table, batch(Int32(index), 1, at: Int64(index))) == .append) }
        #expect(table.producers[7]?.batches.map(\.firstSequence) == [2, 3, 4, 5, 6])
        #expect(append(&table, batch(2, 1, at: 50)) == .duplicate(batch(2, 1, at: 2)))
        // Older than the five kept: no longer recognised, and not next either.
        #expect(append(&table, batch(1, 1, at: 50)) == .outOfOrderSequence)
    }

    @Test func epochsFenceOldProducersAndStartAtSequenceZero() {
        var table = ProducerStateTable()
        #expect(append(&table, epoch: 3, batch(0, 2, at: 0)) == .append)
        #expect(append(&table, epoch: 2, batch(2, 1, at: 2)) == .invalidProducerEpoch)
        #expect(append(&table, epoch: 4, batch(2, 1, at: 2)) == .outOfOrderSequence)
        #expect(append(&table, epoch: 4, batch(0, 1, at: 2)) == .append)
        #expect(table.producers[7]?.epoch == 4)
        #expect(table.producers[7]?.batches.count == 1)
    }

    @Test func unknownProducersMustStartAtZeroAndPlainBatchesAreNotChecked() {
        var table = ProducerStateTable()
        #expect(append(&table, id: 9, batch(5, 1, at: 0)) == .unknownProducerID)
        #expect(append(&table, id: 9, batch(0, 1, at: 0)) == .append)
        #expect(append(&table, id: -1, batch(42, 1, at: 1)) == .append)
        #expect(table.producers[-1] == nil)
    }

    @Test func sequencesWrapAfterInt32Max() {
        #expect(ProducerStateTable.lastSequence(firstSequence: Int32.max - 1, recordCount: 3) == 0)
        #expect(ProducerStateTable.nextSequence(after: Int32.max) == 0)
        var table = ProducerStateTable()
        table.appended(producerID: 7, epoch: 0, batch: batch(Int32.max - 1, 2, at: 0))
        #expect(append(&table, batch(0, 1, at: 2)) == .append)
    }

    @Test func truncationForgetsBatchesPastTheNewEnd() {
        var table = ProducerStateTable()
        #expect(append(&table, batch(0, 2, at: 0)) == .append)
        #expect(append(&table, batch(2, 2, at: 2)) == .append)
        #expect(append(&table, id: 8, batch(0, 1, at: 4)) == .append)
        table.truncate(to: 2)
        #expect(table.producers[7]?.batches.map(\.firstSequence) == [0])
        #expect(table.producers[8] == nil)
        // The truncated batch comes again from the producer (or the new leader): it is next, not a duplicate.
        #expect(append(&table, batch(2, 2, at: 2)) == .append)
    }
}
