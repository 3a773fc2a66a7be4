import KafkaZooKeeper
import KeeperClient
import ZooKeeperWire

/// Hands out producer ids for InitProducerId (`ZkProducerIdManager`): ids come from blocks of 1000
/// claimed in `/latest_producer_id_block` with a version-checked setData, so brokers never hand
/// out the same id; a broker uses its block up before claiming the next. Ids of a block unused at
/// shutdown are lost, as in Kafka.
actor ProducerIDAllocator {
    private let brokerID: BrokerID
    private var block: ProducerIDBlock?
    private var next: Int64 = 0

    init(brokerID: BrokerID) {
        self.brokerID = brokerID
    }

    /// The next unused producer id, claiming a new block through `client` when needed.
    func allocate(using client: ZooKeeperClient) async throws -> Int64 {
        if let block, next <= block.end {
            return take()
        }
        let claimed = try await claimBlock(using: client)
        // Another allocation may have claimed a block while this one waited: the newer block wins.
        if block.map({ $0.start < claimed.start }) ?? true {
            block = claimed
            next = claimed.start
        }
        return take()
    }

    /// `next`, moving past it; a block ending at `Int64.max` (the znode is input) is used up there
    /// rather than wrapping.
    private func take() -> Int64 {
        let id = next
        let (following, overflow) = next.addingReportingOverflow(1)
        if overflow { block = nil } else { next = following }
        return id
    }

    private func claimBlock(using client: ZooKeeperClient) async throws -> ProducerIDBlock {
        while true {
            let (data, stat) = try await client.getData(ZkPaths.latestProducerIDBlock)
            let claimed = ProducerIDBlock.next(after: try ProducerIDBlock.decode(data), for: brokerID)
            do {
                _ = try await client.setData(
                    ZkPaths.latestProducerIDBlock, data: claimed.encode(), version: stat.version)
                return claimed
            } catch let error as ZooKeeperError where error.code == .badVersion {
                continue  // another broker claimed the block first: take the one after it
            }
        }
    }
}
