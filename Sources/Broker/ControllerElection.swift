import KafkaZooKeeper
import KeeperClient
import ZooKeeperWire

/// One attempt to become controller (`KafkaZkClient.registerControllerAndIncrementControllerEpoch`).
///
/// Reads `/controller_epoch` (creating it as `0`, data version 0, if missing), then runs
/// `multi(create /controller EPHEMERAL, setData /controller_epoch = epoch+1 at the version read)`.
/// Success makes us controller with epoch+1 and the new data version as the fencing token.
/// NODEEXISTS or BADVERSION: if `/controller` names us and the epoch is epoch+1, an earlier attempt
/// of ours succeeded (a retry after connection loss); otherwise another broker won.
struct ControllerElection {
    let client: ZooKeeperClient
    let brokerID: BrokerID
    /// `zookeeper.set.acl`'s choice for `/controller` and `/controller_epoch`.
    let acls: ZkACLPolicy

    /// The epoch and its zk version if we won, nil if another broker is controller.
    func attempt(timestamp: Int64) async throws -> ClusterSnapshot.ControllerEpoch? {
        let current = try await readOrCreateEpoch()
        let newEpoch = current.epoch + 1
        let results = try await client.multi([
            .create(
                path: ZkPaths.controller, data: ControllerPayload.encode(brokerID: brokerID, timestamp: timestamp),
                acl: acls.acl(for: ZkPaths.controller), mode: .ephemeral),
            .setData(path: ZkPaths.controllerEpoch, data: ControllerEpochPayload.encode(newEpoch), version: current.version),
        ])
        switch results.firstError {
        case nil:
            guard case .setData(let stat) = results[1] else { throw ZooKeeperError(code: .marshallingError, path: ZkPaths.controllerEpoch) }
            return .init(epoch: newEpoch, version: stat.version)
        case .nodeExists, .badVersion:
            guard case let (data, _)? = try await client.dataIfExists(ZkPaths.controller),
                (try? ControllerPayload.decode(data)) == brokerID,
                case let (epochData, stat)? = try await client.dataIfExists(ZkPaths.controllerEpoch),
                (try? ControllerEpochPayload.decode(epochData)) == newEpoch
            else { return nil }
            return .init(epoch: newEpoch, version: stat.version)
        case let code?:
            throw ZooKeeperError(code: code, path: ZkPaths.controller)
        }
    }

    /// `getControllerEpoch` or `maybeCreateControllerEpochZNode` (`KafkaController.InitialControllerEpoch` = 0).
    private func readOrCreateEpoch() async throws -> ClusterSnapshot.ControllerEpoch {
        if case let (data, stat)? = try await client.dataIfExists(ZkPaths.controllerEpoch) {
            return .init(epoch: try ControllerEpochPayload.decode(data), version: stat.version)
        }
        do {
            _ = try await client.create(
                ZkPaths.controllerEpoch, data: ControllerEpochPayload.encode(0),
                acl: acls.acl(for: ZkPaths.controllerEpoch))
            return .init(epoch: 0, version: 0)
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            return try await readOrCreateEpoch()
        }
    }
}
