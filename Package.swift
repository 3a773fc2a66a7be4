// swift-tools-version: 6.1
import PackageDescription

/// Swift settings shared by every target (STYLE.md §1): Swift 6 mode plus the upcoming features
/// that keep module boundaries honest.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "paddock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "paddock", targets: ["paddock"]),
        .library(name: "KeeperClient", targets: ["KeeperClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The compression libraries Kafka's record batches use (codecs 1-4), for RecordCompression.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Debian ships no snappy.pc: the module map links libsnappy and includes <snappy-c.h>.
        .systemLibrary(name: "CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "ZooKeeperWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ZNodeTree",
            dependencies: [
                "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Consensus",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KeeperReplica",
            dependencies: [
                "Consensus", "ZNodeTree", "ZooKeeperWire", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        // Pure helpers shared by the seeded tests, simulators and fuzz targets: the deterministic
        // generators and `TreeSnapshot`.
        .target(
            name: "TestSupport",
            dependencies: ["ZNodeTree", "ZooKeeperWire"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SimulationKit",
            dependencies: [
                "Consensus", "KeeperReplica", "ZNodeTree", "ZooKeeperWire", "Broker", "KafkaZooKeeper", "SegmentLog",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The package's one JSON model: parse (hostile input), build, render in order.
        .target(name: "JSON", swiftSettings: strictSettings),
        // Kafka's ZooKeeper-mode layout: znode paths, payload codecs, the ids they carry.
        .target(name: "KafkaZooKeeper", dependencies: ["JSON", "SegmentLog"], swiftSettings: strictSettings),
        .target(
            name: "ServerSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Embeds Schemas/*.sql into KeeperStorage at build time (their only copy).
        .executableTarget(name: "EmbedSchemas", swiftSettings: strictSettings),
        .plugin(
            name: "EmbedSchemasPlugin", capability: .buildTool(), dependencies: ["EmbedSchemas"],
            path: "Sources/EmbedSchemasPlugin"),
        .target(
            name: "KeeperStorage",
            dependencies: [
                "CSQLite",
                "Consensus",
                "ZNodeTree",
                "KeeperReplica",
                "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedSchemasPlugin"]
        ),
        .target(
            name: "KeeperServer",
            dependencies: [
                "ZooKeeperWire",
                "ZNodeTree",
                "KeeperReplica",
                "Consensus",
                "KeeperStorage",
                "ServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KeeperClient",
            dependencies: [
                "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PaddockCluster",
            dependencies: ["KafkaZooKeeper", "KeeperClient", "ZooKeeperWire", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Test-only helpers shared by the test targets that start real `paddock` processes (the
        // pure ones are in TestSupport).
        .target(name: "PaddockTestSupport", swiftSettings: strictSettings),
        .target(
            name: "PaddockBench",
            dependencies: [
                "JSON", "KeeperClient", "ZooKeeperWire", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "RecordCompression",
            dependencies: ["CZlib", "CSnappy", "CLZ4", "CZstd", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SegmentLog",
            dependencies: [
                "KafkaWire",
                "RecordCompression",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // MD5 of record keys for the cleaner's offset map, as Kafka's `SkimpyOffsetMap`.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Broker",
            dependencies: [
                "JSON",
                "KafkaZooKeeper",
                "KafkaWire",
                "SegmentLog",
                "KeeperClient",
                "ZooKeeperWire",
                "ServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PaddockShell",
            dependencies: [
                "JSON",
                "KafkaZooKeeper",
                "KeeperClient",
                "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Fuzz targets (issue 11): replayed by FuzzTests, run under libFuzzer by Ops/fuzz.sh.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "ZooKeeperWire", "ZNodeTree", "Consensus", "KeeperReplica", "KafkaWire", "RecordCompression",
                "SegmentLog", "Broker", "TestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "PaddockFuzz", dependencies: ["FuzzTargets"], swiftSettings: strictSettings),
        .executableTarget(
            name: "paddock",
            dependencies: [
                "PaddockCluster",
                "PaddockBench",
                "PaddockShell",
                "Broker",
                "KafkaZooKeeper",
                "KeeperServer",
                "KeeperClient",
                "SegmentLog",
                "ServerSupport",
                "ZooKeeperWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ZooKeeperWireTests",
            dependencies: ["ZooKeeperWire", .product(name: "NIOTestUtils", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "ConsensusTests", dependencies: ["Consensus"], swiftSettings: strictSettings),
        .testTarget(
            name: "SimulationTests",
            dependencies: [
                "SimulationKit", "TestSupport", "Consensus", "Broker", "KafkaZooKeeper", "SegmentLog", "ZNodeTree",
                "KeeperReplica", "KeeperStorage", "ZooKeeperWire",
            ],
            swiftSettings: strictSettings),
        .testTarget(name: "ZNodeTreeTests", dependencies: ["ZNodeTree", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "KeeperReplicaTests",
            dependencies: ["KeeperReplica", "ZNodeTree", "Consensus", "ZooKeeperWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "KeeperStorageTests", dependencies: ["KeeperStorage", "KeeperReplica", "Consensus", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "KeeperServerTests",
            dependencies: [
                "KeeperServer", "KeeperClient", "KeeperReplica", "ZNodeTree", "Consensus", "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeeperClientTests",
            dependencies: [
                "KeeperClient", "ZooKeeperWire", "PaddockTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "PaddockBenchTests", dependencies: ["PaddockBench", "JSON"], swiftSettings: strictSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strictSettings),
        .testTarget(
            name: "KafkaZooKeeperTests", dependencies: ["KafkaZooKeeper", "JSON", "SegmentLog"], swiftSettings: strictSettings),
        .testTarget(name: "PaddockClusterTests", dependencies: ["PaddockCluster", "Broker", "KafkaZooKeeper"], swiftSettings: strictSettings),
        .testTarget(
            name: "KafkaWireTests",
            dependencies: ["KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RecordCompressionTests",
            dependencies: ["RecordCompression", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SegmentLogTests",
            dependencies: [
                "SegmentLog", "KafkaWire", "RecordCompression", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "Broker", "KafkaZooKeeper", "KafkaWire", "SegmentLog", "KeeperClient", "ZooKeeperWire", "PaddockTestSupport",
                "SimulationKit", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"], swiftSettings: strictSettings),
        .testTarget(
            name: "PaddockShellTests",
            dependencies: ["PaddockShell", "JSON", "KeeperClient", "ZooKeeperWire", "PaddockTestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
