import KafkaZooKeeper
import SegmentLog
import Testing
import ZooKeeperWire

@testable import Broker

/// `zookeeper.set.acl`: the ACL of every znode a broker creates, path by path (`ZkData.defaultAcls`).
@Suite struct ZkACLPolicyTests {
    static let secure = ACL.creatorAll + ACL.readUnsafe

    /// Every node a broker, its controller or its topic admin creates, except the sensitive ones.
    static let ordinaryPaths: [String] =
        ZkPaths.persistentPaths.flatMap(ZkPaths.ancestry(of:)).filter {
            $0 != "/consumers" && !$0.hasPrefix("/config/users") && !$0.hasPrefix("/config/brokers")
        }
        + [
            "/cluster", ZkPaths.clusterID, ZkPaths.broker(1), ZkPaths.controller, ZkPaths.controllerEpoch,
            ZkPaths.feature,
            ZkPaths.topic("t"), ZkPaths.partitions("t"), ZkPaths.partition(TopicPartition("t", 0)),
            ZkPaths.partitionState(TopicPartition("t", 0)), ZkPaths.deleteTopic("t"), ZkPaths.topicConfig("t"),
            "/admin", "/config", "/isr_change_notification/isr_change_0000000001",
            "/config/changes/config_change_0000000001",
            // Kafka opens only /consumers itself; nodes below it get the default.
            "/consumers/group/offsets",
        ]

    @Test(arguments: ordinaryPaths)
    func secureModeGivesCreatorAllAndWorldRead(path: String) {
        #expect(ZkACLPolicy.secure.acl(for: path) == Self.secure)
    }

    @Test(arguments: [
        "/config/users", "/config/users/alice", "/config/brokers", "/config/brokers/1", "/config/brokers/<default>",
        "/delegation_token/tokens", "/delegation_token/tokens/abc",
    ])
    func sensitivePathsAreCreatorOnly(path: String) {
        #expect(ZkACLPolicy.isSensitive(path))
        #expect(ZkACLPolicy.secure.acl(for: path) == ACL.creatorAll)
    }

    @Test func consumersStaysOpenForOldConsumers() {
        #expect(ZkACLPolicy.secure.acl(for: "/consumers") == ACL.openUnsafe)
    }

    @Test(arguments: ordinaryPaths + ["/config/users", "/config/brokers/1", "/consumers"])
    func withoutSetACLEverythingIsOpen(path: String) {
        #expect(ZkACLPolicy.open.acl(for: path) == ACL.openUnsafe)
    }

    /// `/config/topics` and `/delegation_token` itself are not in `SensitiveRootPaths`.
    @Test func onlyTheListedRootsAreSensitive() {
        #expect(!ZkACLPolicy.isSensitive("/config/topics/t"))
        #expect(!ZkACLPolicy.isSensitive("/delegation_token"))
        #expect(!ZkACLPolicy.isSensitive("/config"))
    }

    /// Deleting `/controller` needs DELETE on the root: an open root leaves it to anyone.
    @Test func rootIsWorldWritableUnlessWorldMayOnlyRead() {
        #expect(ZkACLPolicy.isWorldWritable(ACL.openUnsafe))
        #expect(ZkACLPolicy.isWorldWritable([]))
        #expect(ZkACLPolicy.isWorldWritable([ACL(perms: [.read, .delete], id: .anyone)]))
        #expect(!ZkACLPolicy.isWorldWritable(Self.secure))
        let kafka = ZKId(scheme: "digest", id: "kafka:x")
        #expect(!ZkACLPolicy.isWorldWritable([ACL(perms: .all, id: kafka)] + ACL.readUnsafe))
        #expect(!ZkACLPolicy.isWorldWritable([ACL(perms: [.read, .write, .admin], id: .anyone)]))
    }

    @Test func brokerConfigurationChoosesThePolicy() throws {
        let base = "broker.id=1\nzookeeper.connect=h:2181\n"
        #expect(try BrokerConfiguration.parse(base).zkACLPolicy == .open)
        let secure = try BrokerConfiguration.parse(
            base + "zookeeper.set.acl=true\npaddock.zookeeper.digest.user=kafka\n"
                + "paddock.zookeeper.digest.password.file=/p\n",
            readFile: { _, _ in Array("secret\n".utf8) })
        #expect(secure.zkACLPolicy == .secure)
        #expect(ControllerStateMachine.Settings(secure).acls == .secure)
    }
}
