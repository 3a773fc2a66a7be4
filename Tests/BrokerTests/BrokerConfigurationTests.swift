import KafkaZooKeeper
import SegmentLog
import Testing

@testable import Broker

@Suite struct BrokerConfigurationTests {
    static let minimal = """
        broker.id=1
        zookeeper.connect=127.0.0.1:2181
        """

    @Test func defaultsAreKafkas() throws {
        let config = try BrokerConfiguration.parse(Self.minimal)
        #expect(config.brokerID == 1)
        #expect(config.listeners == [Endpoint(listenerName: "PLAINTEXT", host: "", port: 9092)])
        #expect(config.advertisedListeners == nil)
        #expect(config.logDirs == ["/tmp/kafka-logs"])
        #expect(config.zookeeperSessionTimeoutMs == 18_000)
        #expect(config.connectionTimeout == .milliseconds(18_000))
        #expect(config.numPartitions == 1)
        #expect(config.defaultReplicationFactor == 1)
        #expect(config.autoCreateTopicsEnable)
        #expect(config.deleteTopicEnable)
        #expect(!config.uncleanLeaderElectionEnable)
        #expect(config.logSegmentBytes == 1_073_741_824)
        #expect(config.logRollMs == 604_800_000)
        #expect(config.logRetentionMs == 604_800_000)
        #expect(config.logRetentionBytes == -1)
        #expect(config.logRetentionCheckIntervalMs == 300_000)
        #expect(config.messageMaxBytes == 1_048_588)
        #expect(config.socketRequestMaxBytes == 104_857_600)
        #expect(config.minInsyncReplicas == 1)
        #expect(config.fetchMaxBytes == 57_671_680)
        #expect(config.queuedMaxRequests == 500)
        #expect(config.connectionsMaxIdleMs == 600_000)
        #expect(config.maxDecompressedBatchBytes == 67_108_864)
        #expect(config.maxPartitionsPerTopic == 10_000)
        #expect(config.brokerRack == nil)
        #expect(config.adminPort == nil)
        #expect(config.ignoredKeys.isEmpty)
        #expect(config.logCleanupPolicy == .delete)
        #expect(config.logCleanerEnable)
        #expect(config.logCleanerThreads == 1)
        #expect(config.logCleanerDedupeBufferSize == 134_217_728)
        #expect(config.logCleanerBackoffMs == 15_000)
        #expect(config.logCleanerMinCleanableRatio == 0.5)
        #expect(config.logCleanerDeleteRetentionMs == 86_400_000)
        #expect(config.logCleanerMinCompactionLagMs == 0)
        #expect(config.logCleanerMaxCompactionLagMs == Int64.max)
    }

    @Test func cleanerKeysAreRead() throws {
        let config = try BrokerConfiguration.parse(
            Self.minimal + """

                log.cleanup.policy=compact,delete
                log.cleaner.enable=false
                log.cleaner.threads=2
                log.cleaner.dedupe.buffer.size=4194304
                log.cleaner.backoff.ms=100
                log.cleaner.min.cleanable.ratio=0.1
                log.cleaner.delete.retention.ms=1000
                log.cleaner.min.compaction.lag.ms=5
                log.cleaner.max.compaction.lag.ms=6
                """)
        #expect(config.ignoredKeys.isEmpty)
        #expect(config.logCleanupPolicy == .compactAndDelete)
        #expect(!config.logCleanerEnable)
        #expect(config.logCleanerThreads == 2)
        #expect(config.logCleanerDedupeBufferSize == 4_194_304)
        #expect(config.logCleanerBackoffMs == 100)
        #expect(config.logCleanerMinCleanableRatio == 0.1)
        #expect(config.logCleanerDeleteRetentionMs == 1000)
        #expect(config.logCleanerMinCompactionLagMs == 5)
        #expect(config.logCleanerMaxCompactionLagMs == 6)
        #expect(config.describedEntries.contains { $0.name == "log.cleanup.policy" && $0.value == "compact,delete" })
    }

    @Test func everyKeyIsRead() throws {
        let config = try BrokerConfiguration.parse(
            """
            # a full file
            broker.id = 7
            listeners=INTERNAL://0.0.0.0:19092,PLAINTEXT://:9092
            advertised.listeners=INTERNAL://10.0.0.7:19092,PLAINTEXT://kafka7.example:9092
            listener.security.protocol.map=INTERNAL:PLAINTEXT,PLAINTEXT:PLAINTEXT
            log.dirs=/data/a,/data/b
            log.dir=/ignored
            zookeeper.connect=zk1:2181,zk2:2181/kafka
            zookeeper.session.timeout.ms=4000
            zookeeper.connection.timeout.ms=6000
            num.partitions=3
            default.replication.factor=2
            auto.create.topics.enable=false
            delete.topic.enable=false
            unclean.leader.election.enable=true
            log.segment.bytes=1048576
            log.roll.ms=3600000
            log.roll.hours=1
            log.retention.ms=60000
            log.retention.minutes=5
            log.retention.hours=1
            log.retention.bytes=1000000
            log.retention.check.interval.ms=1000
            message.max.bytes=2000000
            socket.request.max.bytes=5000000
            min.insync.replicas=2
            broker.rack=rack-a
            admin.port=8081
            fetch.max.bytes=1000
            queued.max.requests=7
            connections.max.idle.ms=1234
            paddock.max.decompressed.batch.bytes=4096
            paddock.max.partitions.per.topic=12
            """)
        #expect(config.brokerID == 7)
        #expect(config.listeners.map(\.description) == ["INTERNAL://0.0.0.0:19092", "PLAINTEXT://:9092"])
        #expect(config.advertisedEndpoints(hostName: "h").map(\.description) == ["INTERNAL://10.0.0.7:19092", "PLAINTEXT://kafka7.example:9092"])
        #expect(config.logDirs == ["/data/a", "/data/b"])
        #expect(config.zookeeperConnect == "zk1:2181,zk2:2181/kafka")
        #expect(config.sessionTimeout == .milliseconds(4000))
        #expect(config.connectionTimeout == .milliseconds(6000))
        #expect(config.numPartitions == 3)
        #expect(config.defaultReplicationFactor == 2)
        #expect(!config.autoCreateTopicsEnable)
        #expect(!config.deleteTopicEnable)
        #expect(config.uncleanLeaderElectionEnable)
        #expect(config.logSegmentBytes == 1_048_576)
        #expect(config.logRollMs == 3_600_000)
        #expect(config.logRetentionMs == 60_000)
        #expect(config.logRetentionBytes == 1_000_000)
        #expect(config.logRetentionCheckIntervalMs == 1000)
        #expect(config.messageMaxBytes == 2_000_000)
        #expect(config.socketRequestMaxBytes == 5_000_000)
        #expect(config.minInsyncReplicas == 2)
        #expect(config.brokerRack == "rack-a")
        #expect(config.adminPort == 8081)
        #expect(config.fetchMaxBytes == 1000)
        #expect(config.queuedMaxRequests == 7)
        #expect(config.connectionsMaxIdleMs == 1234)
        #expect(config.maxDecompressedBatchBytes == 4096)
        #expect(config.maxPartitionsPerTopic == 12)
    }

    @Test func coarserTimeUnitsApplyWhenFinerOnesAreAbsent() throws {
        let hours = try BrokerConfiguration.parse(Self.minimal + "\nlog.retention.hours=2\nlog.roll.hours=3\nlog.dir=/one")
        #expect(hours.logRetentionMs == 7_200_000)
        #expect(hours.logRollMs == 10_800_000)
        #expect(hours.logDirs == ["/one"])
        let minutes = try BrokerConfiguration.parse(Self.minimal + "\nlog.retention.minutes=3\nlog.retention.hours=2")
        #expect(minutes.logRetentionMs == 180_000)
        let forever = try BrokerConfiguration.parse(Self.minimal + "\nlog.retention.hours=-1")
        #expect(forever.logRetentionMs == -1)
    }

    @Test func emptyAdvertisedHostBecomesTheHostName() throws {
        let config = try BrokerConfiguration.parse(Self.minimal + "\nlisteners=PLAINTEXT://:9093")
        #expect(config.advertisedEndpoints(hostName: "box1") == [Endpoint(listenerName: "PLAINTEXT", host: "box1", port: 9093)])
    }

    @Test func groupCoordinatorKeysHaveKafkasDefaultsAndRanges() throws {
        let defaults = try BrokerConfiguration.parse(Self.minimal).groupCoordinator
        #expect(defaults.offsetsTopicPartitions == 50 && defaults.offsetsTopicReplicationFactor == 3)
        #expect(defaults.group.initialRebalanceDelayMs == 3_000 && defaults.group.minSessionTimeoutMs == 6_000)
        #expect(defaults.offsetsRetentionMs == 7 * 24 * 3_600_000 && defaults.offsetsCommitTimeoutMs == 5_000)
        let set = try BrokerConfiguration.parse(
            Self.minimal
                + "\noffsets.topic.num.partitions=3\noffsets.topic.replication.factor=1\noffsets.retention.minutes=2"
                + "\ngroup.max.size=10").groupCoordinator
        #expect(set.offsetsTopicPartitions == 3 && set.offsetsTopicReplicationFactor == 1)
        #expect(set.offsetsRetentionMs == 120_000 && set.group.maxSize == 10)
        for bad in [
            "offsets.topic.num.partitions=0", "group.min.session.timeout.ms=9000\ngroup.max.session.timeout.ms=8000",
            "offsets.retention.minutes=-1", "group.max.size=0",
        ] {
            #expect(throws: BrokerConfiguration.Problem.self) { try BrokerConfiguration.parse(Self.minimal + "\n" + bad) }
        }
    }

    @Test func unknownKeysAreCollectedOnceEach() throws {
        let config = try BrokerConfiguration.parse(
            Self.minimal + "\nnum.network.threads=3\nnum.io.threads=8\nnum.network.threads=4\ngroup.initial.rebalance.delay.ms=0")
        #expect(config.ignoredKeys == ["num.network.threads", "num.io.threads"])
        #expect(config.groupCoordinator.group.initialRebalanceDelayMs == 0)
    }

    @Test(arguments: [
        ("num.partitions=zero", "num.partitions: expected a whole number in 1...2147483647, got \"zero\""),
        ("num.partitions=0", "num.partitions: expected a whole number in 1...2147483647, got \"0\""),
        ("auto.create.topics.enable=yes", "auto.create.topics.enable: expected true or false, got \"yes\""),
        ("listeners=localhost:9092", "listeners: expected NAME://host:port, got \"localhost:9092\""),
        ("listeners=PLAINTEXT://:99999", "listeners: expected NAME://host:port, got \"PLAINTEXT://:99999\""),
        ("zookeeper.session.timeout.ms=-5", "zookeeper.session.timeout.ms: expected a whole number in 1...2147483647, got \"-5\""),
        ("admin.port=70000", "admin.port: expected a whole number in 0...65535, got \"70000\""),
        ("fetch.max.bytes=-1", "fetch.max.bytes: expected a whole number in 0...2147483647, got \"-1\""),
        ("queued.max.requests=0", "queued.max.requests: expected a whole number in 1...2147483647, got \"0\""),
        (
            "connections.max.idle.ms=0",
            "connections.max.idle.ms: expected a whole number in 1...2147483647, got \"0\""
        ),
        (
            "paddock.max.decompressed.batch.bytes=0",
            "paddock.max.decompressed.batch.bytes: expected a whole number in 1...2147483647, got \"0\""
        ),
        (
            "paddock.max.partitions.per.topic=0",
            "paddock.max.partitions.per.topic: expected a whole number in 1...2147483647, got \"0\""
        ),
        (
            "listeners=SSL://:9093",
            "listener.security.protocol.map: listener SSL uses SSL; Paddock supports PLAINTEXT only"
        ),
        (
            "listeners=CLIENT://:9093",
            "listener.security.protocol.map: no security protocol for listener CLIENT"
        ),
        (
            "log.cleanup.policy=compress",
            "log.cleanup.policy: expected delete, compact or compact,delete, got \"compress\""
        ),
        (
            "log.cleaner.dedupe.buffer.size=1048576",
            "log.cleaner.dedupe.buffer.size: must be at least 1MB per cleaner thread, got 1048576 for 1 thread(s)"
        ),
        (
            "log.cleaner.min.cleanable.ratio=2",
            "log.cleaner.min.cleanable.ratio: expected a number in 0...1, got \"2\""
        ),
        ("log.cleaner.threads=0", "log.cleaner.threads: expected a whole number in 1...1024, got \"0\""),
        (
            "log.cleaner.max.compaction.lag.ms=0",
            "log.cleaner.max.compaction.lag.ms: expected a whole number in 1...9223372036854775807, got \"0\""
        ),
    ])
    func badValuesNameTheKeyAndValue(line: String, message: String) {
        #expect(throws: BrokerConfiguration.Problem(message)) {
            try BrokerConfiguration.parse(Self.minimal + "\n" + line)
        }
    }

    @Test func requiredKeysAreReported() {
        #expect(throws: BrokerConfiguration.Problem("broker.id: required (Paddock does not generate broker ids)")) {
            try BrokerConfiguration.parse("zookeeper.connect=h:1")
        }
        #expect(throws: BrokerConfiguration.Problem("zookeeper.connect: required (host:port[,host:port...][/chroot])")) {
            try BrokerConfiguration.parse("broker.id=1")
        }
        #expect(throws: BrokerConfiguration.Problem("zookeeper.connect: expected host:port[,host:port...][/chroot], got \"h:1/a//b\"")) {
            try BrokerConfiguration.parse("broker.id=1\nzookeeper.connect=h:1/a//b")
        }
    }

    @Test func javaPropertiesSyntax() {
        let entries = JavaProperties.parse(
            """
              # comment
            ! also a comment
            a=1
            b : 2
            c   3
            d=multi\\
                line
            e=tab\\there\\u0041\\=
            f\\ g=space in key
            h=
            trailing=x\\\\
            """)
        let pairs = entries.map { "\($0.key)|\($0.value)" }
        #expect(pairs == ["a|1", "b|2", "c|3", "d|multiline", "e|tab\thereA=", "f g|space in key", "h|", "trailing|x\\"])
        #expect(entries.map(\.line) == [3, 4, 5, 6, 8, 9, 10, 11])
    }
}

/// `zookeeper.set.acl` and the ensemble credential (`paddock.zookeeper.digest.*`).
@Suite struct BrokerZookeeperSecurityConfigurationTests {
    static let base = "broker.id=1\nzookeeper.connect=h:2181\n"
    static let credential = "paddock.zookeeper.digest.user=kafka\npaddock.zookeeper.digest.password.file=/etc/pw\n"

    static func parse(_ text: String, file: [UInt8] = Array("s3cret\n".utf8)) throws(BrokerConfiguration.Problem)
        -> BrokerConfiguration
    {
        try BrokerConfiguration.parse(base + text) { path, limit in
            #expect(path == "/etc/pw")
            #expect(limit == ZkDigestCredential.maxPasswordFileBytes + 1)
            return file
        }
    }

    @Test func offByDefaultAndWithoutCredential() throws {
        let config = try Self.parse("")
        #expect(!config.zookeeperSetACL)
        #expect(config.zookeeperDigest == nil)
    }

    @Test func setACLWithCredentialReadsThePasswordFile() throws {
        let config = try Self.parse("zookeeper.set.acl=true\n" + Self.credential)
        #expect(config.zookeeperSetACL)
        #expect(config.zookeeperDigest?.user == "kafka")
        #expect(config.zookeeperDigest?.authData == Array("kafka:s3cret".utf8))
        #expect(config.ignoredKeys.isEmpty)
    }

    /// Kafka authenticates without ACLs too (a cluster on its way to `zookeeper.set.acl=true`).
    @Test func credentialWithoutSetACLAuthenticatesButLeavesNodesOpen() throws {
        let config = try Self.parse(Self.credential)
        #expect(!config.zookeeperSetACL)
        #expect(config.zookeeperDigest != nil)
        #expect(config.zkACLPolicy == .open)
    }

    @Test(arguments: [Array("pw\r\n".utf8), Array("pw".utf8), Array("pw\n".utf8)])
    func oneTrailingLineBreakIsNotPartOfThePassword(file: [UInt8]) throws {
        #expect(try Self.parse(Self.credential, file: file).zookeeperDigest?.authData == Array("kafka:pw".utf8))
    }

    @Test func setACLWithoutCredentialIsRefused() {
        #expect(
            throws: BrokerConfiguration.Problem(
                "zookeeper.set.acl: true needs the ensemble credential the brokers authenticate with: "
                    + "set paddock.zookeeper.digest.user and paddock.zookeeper.digest.password.file")
        ) { try Self.parse("zookeeper.set.acl=true\n") }
    }

    @Test func badValuesAreRefusedWithoutShowingThePassword() {
        #expect(throws: BrokerConfiguration.Problem("zookeeper.set.acl: expected true or false, got \"yes\"")) {
            try Self.parse("zookeeper.set.acl=yes\n")
        }
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.password.file: required with paddock.zookeeper.digest.user")) {
            try Self.parse("paddock.zookeeper.digest.user=kafka\n")
        }
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.user: required with paddock.zookeeper.digest.password.file")) {
            try Self.parse("paddock.zookeeper.digest.password.file=/etc/pw\n")
        }
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.user: expected a name without \":\", got \"a:b\"")) {
            try Self.parse("paddock.zookeeper.digest.user=a:b\npaddock.zookeeper.digest.password.file=/etc/pw\n")
        }
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.password.file: \"/etc/pw\" holds no password (empty, or not UTF-8)")) {
            try Self.parse(Self.credential, file: Array("\n".utf8))
        }
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.password.file: \"/etc/pw\" holds no password (empty, or not UTF-8)")) {
            try Self.parse(Self.credential, file: [0xff, 0xfe])
        }
        let long = [UInt8](repeating: 0x61, count: ZkDigestCredential.maxPasswordFileBytes + 1)
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.password.file: \"/etc/pw\" is longer than 4096 bytes; expected a password")) {
            try Self.parse(Self.credential, file: long)
        }
    }

    @Test func unreadablePasswordFileIsAProblem() {
        #expect(throws: BrokerConfiguration.Problem("paddock.zookeeper.digest.password.file: cannot read \"/nonexistent/pw\": no such file, or not readable")) {
            try BrokerConfiguration.parse(
                Self.base + "paddock.zookeeper.digest.user=kafka\npaddock.zookeeper.digest.password.file=/nonexistent/pw\n")
        }
    }

    @Test func thePasswordNeverAppearsInDescriptions() throws {
        let config = try Self.parse("zookeeper.set.acl=true\n" + Self.credential)
        let credential = try #require(config.zookeeperDigest)
        var dumped = ""
        dump(config, to: &dumped)
        for text in [
            "\(config)", String(reflecting: config), "\(credential)", String(reflecting: credential), dumped,
        ] {
            #expect(!text.contains("s3cret"), "\(text)")
        }
        #expect("\(credential)" == "digest user kafka")
    }
}

/// `queued.max.request.bytes`: always a bound in Paddock (Kafka's default, -1, has none).
@Suite struct QueuedMaxRequestBytesConfigurationTests {
    static let base = "broker.id=1\nzookeeper.connect=h:2181\n"

    @Test func defaultIs256MiBOrOneFrameIfThatIsLarger() throws {
        let config = try BrokerConfiguration.parse(Self.base)
        #expect(config.queuedMaxRequestBytes == nil)
        #expect(config.queuedRequestBytesLimit == 268_435_456)
        #expect(config.divergences.isEmpty)
        let big = try BrokerConfiguration.parse(Self.base + "socket.request.max.bytes=500000000\n")
        #expect(big.queuedRequestBytesLimit == 500_000_000)
    }

    @Test func anExplicitValueIsUsed() throws {
        let config = try BrokerConfiguration.parse(Self.base + "queued.max.request.bytes=209715200\n")
        #expect(config.queuedRequestBytesLimit == 209_715_200)
        #expect(config.ignoredKeys.isEmpty)
    }

    @Test(arguments: ["-1", "0"])
    func kafkasUnboundedValuesKeepPaddocksBoundWithAWarning(value: String) throws {
        let config = try BrokerConfiguration.parse(Self.base + "queued.max.request.bytes=\(value)\n")
        #expect(config.queuedRequestBytesLimit == 268_435_456)
        #expect(
            config.divergences == [
                "queued.max.request.bytes=\(value) means no bound in Kafka; Paddock keeps its bound of 268435456 bytes"
            ])
    }

    @Test func aValueBelowOneFrameIsRefusedAsInKafka() {
        #expect(
            throws: BrokerConfiguration.Problem(
                "queued.max.request.bytes: must be at least socket.request.max.bytes (104857600), got 1000")
        ) { try BrokerConfiguration.parse(Self.base + "queued.max.request.bytes=1000\n") }
        #expect(throws: BrokerConfiguration.Problem.self) {
            try BrokerConfiguration.parse(Self.base + "queued.max.request.bytes=lots\n")
        }
    }
}
