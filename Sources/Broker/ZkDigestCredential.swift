/// The identity a broker authenticates as to the ensemble, with ZooKeeper's `digest` scheme
/// (`addauth digest user:password`; the ensemble then knows the session as
/// `digest:user:base64(sha1(user:password))`).
///
/// Kafka authenticates to ZooKeeper with SASL (a JAAS `Client` section); Paddock's keeper offers the
/// digest scheme, so the broker reads a user (`paddock.zookeeper.digest.user`) and a password file
/// (`paddock.zookeeper.digest.password.file`). Every broker of a cluster uses the same credential:
/// with `zookeeper.set.acl=true` a znode is writable only by the identity that created it.
///
/// The password never appears in a description, a debug description or a mirror, so logging the
/// configuration cannot leak it.
package struct ZkDigestCredential: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    package let user: String
    private let password: String

    /// The longest password file accepted: a password, not a file that happens to be there.
    package static let maxPasswordFileBytes = 4096

    /// nil when `user` is empty or holds a `:` (the digest scheme splits `user:password` at the first
    /// colon, so such a user could not be named in an ACL), or `password` is empty.
    package init?(user: String, password: String) {
        guard !user.isEmpty, !user.contains(":"), !password.isEmpty else { return nil }
        self.user = user
        self.password = password
    }

    /// The credential of the `digest` auth packet: `user:password` in UTF-8.
    package var authData: [UInt8] { Array("\(user):\(password)".utf8) }

    package var description: String { "digest user \(user)" }
    package var debugDescription: String { "ZkDigestCredential(user: \(user), password: <hidden>)" }
    package var customMirror: Mirror { Mirror(self, children: ["user": user], displayStyle: .struct) }

    /// The credential of `user` with the password in `passwordFile`, read with `readFile` (given the most
    /// bytes it needs to return). Problems name `userKey` or `fileKey` and the file, never its content.
    package static func load(
        user: String, passwordFile: String, userKey: String, fileKey: String,
        readFile: (_ path: String, _ limit: Int) throws -> [UInt8]
    ) throws(BrokerConfiguration.Problem) -> ZkDigestCredential {
        let limit = maxPasswordFileBytes
        let bytes: [UInt8]
        do {
            bytes = try readFile(passwordFile, limit + 1)
        } catch {
            throw .init("\(fileKey): cannot read \"\(passwordFile)\": \(error)")
        }
        guard bytes.count <= limit else {
            throw .init("\(fileKey): \"\(passwordFile)\" is longer than \(limit) bytes; expected a password")
        }
        guard let password = password(fromFile: bytes) else {
            throw .init("\(fileKey): \"\(passwordFile)\" holds no password (empty, or not UTF-8)")
        }
        guard let credential = ZkDigestCredential(user: user, password: password) else {
            throw .init("\(userKey): expected a name without \":\", got \"\(user)\"")
        }
        return credential
    }

    /// The password from the bytes of a password file: UTF-8, one trailing line break removed.
    /// nil when the bytes are not UTF-8 or nothing is left.
    package static func password(fromFile bytes: [UInt8]) -> String? {
        guard var text = String(validating: bytes, as: UTF8.self) else { return nil }
        // "\r\n" is one Character in Swift.
        if text.last == "\n" || text.last == "\r\n" { text.removeLast() }
        return text.isEmpty ? nil : text
    }
}
