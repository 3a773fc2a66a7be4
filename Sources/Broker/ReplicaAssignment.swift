package import KafkaZooKeeper
/// Kafka's rack-unaware replica placement (`AdminUtils.assignReplicasToBrokersRackUnaware`).
///
/// Spreads partitions round-robin over the brokers (sorted by id), starting at `startIndex`; the
/// followers of each partition are placed at a shift from the leader that grows by one every time the
/// partition id wraps around the broker list, so replicas of consecutive "rounds" do not pile onto
/// the same brokers. Kafka draws `startIndex` and the initial shift at random (unless a fixed start
/// index is given, then both equal it); here they are inputs so callers and tests choose.
///
/// ```
/// 5 brokers, 10 partitions, RF 3, start 0, shift 0 (Kafka's AdminUtils comment):
/// broker-0  broker-1  broker-2  broker-3  broker-4
/// p0        p1        p2        p3        p4       (1st replica)
/// p5        p6        p7        p8        p9       (1st replica)
/// p4        p0        p1        p2        p3       (2nd replica)
/// p8        p9        p5        p6        p7       (2nd replica)
/// p3        p4        p0        p1        p2       (3rd replica)
/// p7        p8        p9        p5        p6       (3rd replica)
/// ```
package enum ReplicaAssignment {
    /// Why no assignment could be made (`InvalidPartitionsException`, `InvalidReplicationFactorException`).
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidPartitions(Int32)
        case invalidReplicationFactor(Int)
        case replicationFactorTooLarge(replicationFactor: Int, brokers: Int)

        package var description: String {
            switch self {
            case .invalidPartitions(let count): "Number of partitions must be larger than 0, got \(count)."
            case .invalidReplicationFactor(let factor): "Replication factor must be larger than 0, got \(factor)."
            case .replicationFactorTooLarge(let factor, let brokers):
                "Replication factor: \(factor) larger than available brokers: \(brokers)."
            }
        }
    }

    /// Replicas for partitions `firstPartition ..< firstPartition + partitions`.
    ///
    /// - Parameters:
    ///   - brokers: the live brokers; sorted here, as Kafka sorts its broker metadata by id.
    ///   - startIndex: index into the sorted brokers of partition 0's first replica.
    ///   - replicaShift: the initial follower shift.
    package static func assign(
        partitions: Int32,
        replicationFactor: Int,
        brokers: [BrokerID],
        startIndex: Int,
        replicaShift: Int,
        firstPartition: Int32 = 0
    ) throws(Failure) -> [Int32: [BrokerID]] {
        // Partition ids stay Int32: `firstPartition + partitions` must not pass Int32.max.
        guard partitions > 0, firstPartition >= 0, partitions <= Int32.max - firstPartition else {
            throw .invalidPartitions(partitions)
        }
        guard replicationFactor > 0 else { throw .invalidReplicationFactor(replicationFactor) }
        let sorted = brokers.sorted()
        guard replicationFactor <= sorted.count else {
            throw .replicationFactorTooLarge(replicationFactor: replicationFactor, brokers: sorted.count)
        }
        let count = sorted.count
        var result: [Int32: [BrokerID]] = [:]
        var shift = replicaShift
        var partition = Int(max(0, firstPartition))
        for _ in 0..<partitions {
            if partition > 0 && partition % count == 0 { shift += 1 }
            let first = (partition + startIndex) % count
            var replicas = [sorted[first]]
            for j in 0..<(replicationFactor - 1) {
                // AdminUtils.replicaIndex: followers sit 1 ... count-1 places after the leader.
                let offset = 1 + (shift + j) % (count - 1)
                replicas.append(sorted[(first + offset) % count])
            }
            result[Int32(partition)] = replicas
            partition += 1
        }
        return result
    }

    /// A new topic's assignment with Kafka's random start index and shift drawn from `random`.
    package static func assignNewTopic(
        partitions: Int32,
        replicationFactor: Int,
        brokers: [BrokerID],
        random: inout some RandomNumberGenerator
    ) throws(Failure) -> [Int32: [BrokerID]] {
        let count = max(brokers.count, 1)
        return try assign(
            partitions: partitions, replicationFactor: replicationFactor, brokers: brokers,
            startIndex: Int.random(in: 0..<count, using: &random), replicaShift: Int.random(in: 0..<count, using: &random))
    }

    /// Partitions added to an existing topic (`AdminZkClient.addPartitions`): the replication factor
    /// of partition 0, starting from the broker index of partition 0's first replica, numbered after
    /// the existing partitions.
    package static func assignAddedPartitions(
        existing: [Int32: [BrokerID]],
        newTotal: Int32,
        brokers: [BrokerID]
    ) throws(Failure) -> [Int32: [BrokerID]] {
        guard Int(newTotal) > existing.count else {
            throw .invalidPartitions(Int32(clamping: Int(newTotal) - existing.count))
        }
        let partition0 = existing[0] ?? existing.sorted { $0.key < $1.key }.first?.value ?? []
        let sorted = brokers.sorted()
        let startIndex = partition0.first.flatMap { first in sorted.firstIndex { $0 >= first } } ?? 0
        return try assign(
            partitions: newTotal - Int32(clamping: existing.count), replicationFactor: partition0.count,
            brokers: sorted, startIndex: startIndex, replicaShift: startIndex,
            firstPartition: Int32(clamping: existing.count))
    }
}
