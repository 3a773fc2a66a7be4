import Broker
import KafkaZooKeeper
import Foundation
import PaddockCluster
import Testing

@Suite("paddock cluster: generated files, ports and status lines")
struct LocalClusterTests {
    private func cluster(members: Int = 3, brokers: Int = 3) -> LocalCluster {
        LocalCluster(directory: "/tmp/pd", members: members, brokers: brokers)
    }

    /// Parses a generated server.properties; the password file is not read from disk.
    private func parse(_ text: String) throws -> BrokerConfiguration {
        try BrokerConfiguration.parse(text) { path, _ in
            #expect(path == "/tmp/pd/zookeeper-digest.password")
            return Array("generated\n".utf8)
        }
    }

    @Test func brokerConfigIsKafkaServerPropertiesTheBrokerAcceptsWithoutWarnings() throws {
        let text = cluster().brokerConfigText(2)
        let parsed = try parse(text)
        #expect(parsed.ignoredKeys == [])
        #expect(parsed.brokerID.rawValue == 2)
        #expect(parsed.listeners.map(\.description) == ["PLAINTEXT://127.0.0.1:9093"])
        #expect(parsed.adminPort == 10093)
        #expect(parsed.logDirs == ["/tmp/pd/broker2/logs"])
        #expect(parsed.zookeeperConnect == "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183")
        #expect(parsed.zookeeperSessionTimeoutMs == 6000)
        #expect(parsed.numPartitions == 3)
        #expect(parsed.defaultReplicationFactor == 3)
        #expect(parsed.minInsyncReplicas == 2)
        #expect(parsed.autoCreateTopicsEnable && parsed.deleteTopicEnable)
        #expect(parsed.zookeeperSetACL)
        #expect(parsed.zookeeperDigest?.user == "kafka")
        #expect(parsed.zookeeperDigest?.authData == Array("kafka:generated".utf8))
    }

    /// `up --no-zookeeper-acl`: new znodes are open, but the brokers still authenticate as the cluster's
    /// identity, so znodes an earlier secure run created stay writable.
    @Test func withoutACLsBrokersStillAuthenticate() throws {
        var cluster = cluster()
        cluster.zookeeperACL = false
        let parsed = try parse(cluster.brokerConfigText(1))
        #expect(!parsed.zookeeperSetACL)
        #expect(parsed.zookeeperDigest?.user == "kafka")
    }

    /// The password is generated once (random input), written with mode 0600, and kept afterwards.
    @Test func digestPasswordIsGeneratedOnceAndPrivate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = LocalCluster(directory: directory)
        var random = CountingGenerator()
        let first = try cluster.ensureDigestPassword(using: &random)
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit))
        let attributes = try FileManager.default.attributesOfItem(atPath: cluster.digestPasswordPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: cluster.digestPasswordPath, encoding: .utf8) == first + "\n")
        #expect(try cluster.ensureDigestPassword(using: &random) == first)
        // The broker reads the file the config names.
        #expect(try BrokerConfiguration.parse(cluster.brokerConfigText(1)).zookeeperDigest?.user == "kafka")
    }

    /// A deterministic generator: 1, 2, 3, ...
    private struct CountingGenerator: RandomNumberGenerator {
        var state: UInt64 = 0
        mutating func next() -> UInt64 {
            state &+= 1
            return state
        }
    }

    @Test func brokerConfigFollowsThePortsAndTheEnsembleSize() throws {
        var cluster = cluster(members: 1, brokers: 2)
        cluster.firstClientPort = 12181
        cluster.firstKafkaPort = 19092
        let parsed = try parse(cluster.brokerConfigText(1))
        #expect(parsed.zookeeperConnect == "127.0.0.1:12181")  // no chroot: Kafka's layout at the root
        #expect(parsed.listeners.map(\.port) == [19092])
        #expect(cluster.bootstrapServers == "127.0.0.1:19092,127.0.0.1:19093")
    }

    @Test func filesLiveInOneDirectoryPerProcess() {
        let cluster = cluster()
        #expect(cluster.configPath(.keeper, 1) == "/tmp/pd/keeper1/zoo.cfg")
        #expect(cluster.configPath(.broker, 3) == "/tmp/pd/broker3/server.properties")
        #expect(cluster.pidPath(.broker, 3) == "/tmp/pd/broker3/broker.pid")
        #expect(cluster.logPath(.broker, 3) == "/tmp/pd/broker3/broker.log")
        #expect(cluster.logPath(.keeper, 2) == "/tmp/pd/keeper2/keeper.log")
    }

    @Test func noBrokersMeansNoBootstrapServers() throws {
        let cluster = cluster(brokers: 0)
        try cluster.validate()
        #expect(cluster.bootstrapServers == "")
        #expect(cluster.ports.count == 12)
    }

    @Test func validationRejectsPortCollisionsAndCounts() {
        var overlapping = cluster()
        overlapping.firstKafkaPort = 2182  // keeper2's client port
        #expect(throws: LocalCluster.Failure.self) { try overlapping.validate() }
        var tooHigh = cluster()
        tooHigh.firstKafkaPort = 65534
        #expect(throws: LocalCluster.Failure.self) { try tooHigh.validate() }
        #expect(throws: LocalCluster.Failure.self) { try cluster(brokers: 10).validate() }
        #expect(throws: LocalCluster.Failure.self) { try cluster(members: 0).validate() }
        #expect(throws: Never.self) { try cluster().validate() }
    }

    @Test func numbersIncludeDirectoriesLeftByALargerUp() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["broker1", "broker5", "brokerx", "keeper1"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
        }
        let cluster = LocalCluster(directory: root, members: 1, brokers: 2)
        #expect(cluster.numbers(.broker) == [1, 2, 5])
        #expect(cluster.numbers(.keeper) == [1])
        #expect(LocalCluster(directory: root + "/absent", members: 1, brokers: 0).numbers(.broker) == [])
    }

    @Test func controllerIDComesFromTheControllerZnodeJSON() {
        let v2 = #"{"version":2,"brokerid":3,"timestamp":"1700000000000","kraftControllerEpoch":-1}"#
        #expect(BrokerRegistry.controllerID(fromPayload: Array(v2.utf8)) == 3)
        let v1 = #"{"version":1,"brokerid":12,"timestamp":"1700000000000"}"#
        #expect(BrokerRegistry.controllerID(fromPayload: Array(v1.utf8)) == 12)
        #expect(BrokerRegistry.controllerID(fromPayload: Array("garbage".utf8)) == nil)
        #expect(BrokerRegistry.controllerID(fromPayload: Array(#"{"version":2}"#.utf8)) == nil)
    }

    @Test func statusLinesNameTheControllerAndUnknownRegistrations() {
        let cluster = cluster()
        let registry = BrokerRegistry(registered: [1, 2], controller: 2, controllerEpoch: 4)
        #expect(
            cluster.brokerStatusLine(2, pid: 42, listening: true, registry: registry)
                == "broker2 pid=42 kafka=127.0.0.1:9093 registered=yes listening=yes controller")
        #expect(
            cluster.brokerStatusLine(3, pid: nil, listening: false, registry: registry)
                == "broker3 pid=- kafka=127.0.0.1:9094 registered=no listening=no")
        #expect(
            cluster.brokerStatusLine(1, pid: 7, listening: false, registry: nil)
                == "broker1 pid=7 kafka=127.0.0.1:9092 registered=unknown listening=no")
        #expect(LocalCluster.controllerLine(registry) == "controller: broker 2 (epoch 4)")
        #expect(LocalCluster.controllerLine(BrokerRegistry(registered: [], controller: nil, controllerEpoch: nil)) == "controller: none")
        #expect(LocalCluster.controllerLine(nil) == "controller: unknown (ensemble unreachable)")
    }
}
