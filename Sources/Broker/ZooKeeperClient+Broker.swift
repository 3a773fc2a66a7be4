import KafkaZooKeeper
package import KeeperClient
package import ZooKeeperWire

extension ZooKeeperClient {
    /// Creates `path` and any missing ancestors as empty persistent nodes, each with the ACL `policy`
    /// gives its own path; existing nodes are fine (`KafkaZkClient.makeSurePersistentPathExists` /
    /// `createRecursive`).
    package func ensurePath(_ path: String, acls policy: ZkACLPolicy) async throws {
        for ancestor in ZkPaths.ancestry(of: path) {
            do {
                _ = try await create(ancestor, acl: policy.acl(for: ancestor))
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            }
        }
    }

    /// The node's data and Stat, or nil when it does not exist. With `watch`, a data watch is left
    /// on an existing node, an exists watch on a missing one, so creation is noticed too.
    package func dataIfExists(_ path: String, watch: Bool = false) async throws -> (data: [UInt8], stat: Stat)? {
        do {
            return try await getData(path, watch: watch)
        } catch let error as ZooKeeperError where error.code == .noNode {
            guard watch else { return nil }
            // Created between the two calls: read it (the exists watch now waits for its next change).
            guard try await exists(path, watch: true) != nil else { return nil }
            return try await dataIfExists(path, watch: watch)
        }
    }

    /// The node's children sorted, or [] when it does not exist.
    package func childrenIfExists(_ path: String, watch: Bool = false) async throws -> [String] {
        do {
            return try await getChildren(path, watch: watch).sorted()
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        }
    }
}
