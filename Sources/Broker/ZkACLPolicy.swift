import KafkaZooKeeper
package import ZooKeeperWire

/// The ACL a broker gives each znode it creates: Kafka's `ZkData.defaultAcls(isSecure, path)`
/// (`core/src/main/scala/kafka/zk/ZkData.scala`), chosen by `zookeeper.set.acl`.
///
/// Not secure (Kafka's default): `OPEN_ACL_UNSAFE` everywhere, so any ZooKeeper client may register a
/// fake broker or rewrite a partition's state. Secure: `CREATOR_ALL_ACL` (the `auth` id, which the
/// ensemble replaces with the creating session's authenticated ids) plus `READ_ACL_UNSAFE`, except
/// that the sensitive paths (`ZkData.SensitiveRootPaths`: user and broker configs, delegation
/// tokens) get no world READ, and `/consumers` stays open because pre-0.9 consumers of any identity
/// write under it. Brokers of one cluster authenticate as one identity, so each can change what
/// another created (the controller rewrites partition states created by a previous controller).
package struct ZkACLPolicy: Hashable, Sendable {
    /// `zookeeper.set.acl`.
    package var isSecure: Bool

    package init(isSecure: Bool) {
        self.isSecure = isSecure
    }

    /// Everything open (`zookeeper.set.acl=false`).
    package static let open = ZkACLPolicy(isSecure: false)
    /// Creator-only writes (`zookeeper.set.acl=true`).
    package static let secure = ZkACLPolicy(isSecure: true)

    /// `ZkData.SensitiveRootPaths`: `ConfigEntityTypeZNode.path(USER)`, `.path(BROKER)`, `DelegationTokensZNode.path`.
    package static let sensitiveRootPaths = [ZkPaths.userConfigs, ZkPaths.brokerConfigs, ZkPaths.delegationTokens]
    /// `ConsumerPathZNode.path`: kept open in secure mode (the node itself only, as in Kafka).
    package static let consumersPath = ZkPaths.consumers

    /// `ZkData.sensitivePath`: a plain string prefix test, exactly as Kafka does it.
    package static func isSensitive(_ path: String) -> Bool {
        sensitiveRootPaths.contains { path.hasPrefix($0) }
    }

    /// Whether anyone may create or delete children of a node with `acl` (an empty ACL allows everything).
    ///
    /// ZooKeeper checks DELETE and CREATE on the *parent*, so the ACLs the brokers set do not protect the
    /// top-level nodes (`/controller`, `/controller_epoch`, `/brokers`...) from deletion while the root of
    /// the cluster's namespace (`/`, or the chroot) is open. Kafka brokers leave that root alone: a chroot
    /// they create gets the secure ACL, and `zookeeper-security-migration` sets it on `/`
    /// (`ZkSecurityMigrator.run`: `setAclIndividually("/")`). The broker warns instead.
    package static func isWorldWritable(_ acl: [ACL]) -> Bool {
        acl.isEmpty
            || acl.contains { $0.id == .anyone && !$0.perms.intersection([.create, .delete]).isEmpty }
    }

    /// The ACL for a znode created at `path` (a path as the broker names it, below any chroot).
    package func acl(for path: String) -> [ACL] {
        guard isSecure, path != Self.consumersPath else { return ACL.openUnsafe }
        return Self.isSensitive(path) ? ACL.creatorAll : ACL.creatorAll + ACL.readUnsafe
    }
}
