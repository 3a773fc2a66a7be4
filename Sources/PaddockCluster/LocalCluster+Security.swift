import Foundation
import KeeperClient
import Logging
import ZooKeeperWire

#if canImport(Glibc)
import Glibc
#endif

/// The local cluster's ensemble security, as a secure Kafka-in-ZooKeeper-mode deployment sets it up:
/// the brokers share one ensemble identity (digest user `kafka`, a random password generated on the
/// first `up` into `DIR/zookeeper-digest.password`, mode 0600, and kept: the znodes it secured stay
/// writable only with it) and create their znodes with `zookeeper.set.acl=true`. With `up --secure-root`
/// the root `/` also gets creator-ALL + world-READ, which Kafka's `zookeeper-security-migration` tool
/// does (`ZkSecurityMigrator.run`: `setAclIndividually("/")`); without it anyone may delete
/// `/controller` or `/controller_epoch`, because ZooKeeper checks DELETE on the parent, but other
/// clients may use the ensemble as an ordinary ZooKeeper (the README's kazoo example creates `/app`).
/// Reads stay open either way.
extension LocalCluster {
    /// The digest user every broker of the cluster authenticates as (the principal name Kafka's docs use).
    package static let digestUser = "kafka"

    /// The file holding the cluster's ensemble password (the brokers' `paddock.zookeeper.digest.password.file`).
    package var digestPasswordPath: String { "\(directory)/zookeeper-digest.password" }

    /// The cluster's password: the one in `digestPasswordPath`, or a new one from `random` (32 bytes as
    /// hex) written there with mode 0600 when the file does not exist yet.
    package func ensureDigestPassword(using random: inout some RandomNumberGenerator) throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: digestPasswordPath) {
            let text = try String(contentsOfFile: digestPasswordPath, encoding: .utf8)
            let password = text.trimmingCharacters(in: .newlines)
            guard !password.isEmpty else { throw Failure("\(digestPasswordPath) holds no password") }
            return password
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let password = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &random)) }
            .joined()
        let contents = Data((password + "\n").utf8)
        guard fm.createFile(atPath: digestPasswordPath, contents: contents, attributes: [.posixPermissions: 0o600])
        else { throw Failure("cannot write \(digestPasswordPath)") }
        return password
    }

    /// Gives `/` the secure ACL as the cluster's identity, unless it already has it.
    package func secureRoot(password: String, timeout: Duration) async throws {
        let logger = Logger(label: "paddock.cluster", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = try ZooKeeperClient(connectString: connectString, sessionTimeout: .seconds(10), logger: logger)
        try await client.connect(timeout: timeout)
        do {
            try await client.addAuth(scheme: "digest", credential: Array("\(Self.digestUser):\(password)".utf8))
            let (acl, _) = try await client.getACL("/")
            if acl.contains(where: { $0.id == .anyone && $0.perms != .read }) || acl.isEmpty {
                _ = try await client.setACL("/", acl: ACL.creatorAll + ACL.readUnsafe)
            }
            try await client.close()
        } catch {
            try? await client.close()  // the failure above is the one to report
            throw error
        }
    }
}
