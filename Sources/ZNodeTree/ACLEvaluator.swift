import Crypto
import Foundation
package import ZooKeeperWire

/// ACL checks and fix-ups (`ZooKeeperServer.checkACL`, `PrepRequestProcessor.fixupACL`) and the
/// digest scheme (`DigestAuthenticationProvider`). Pure.
package enum ACLEvaluator {
    /// The id a matching super digest adds to a connection (`new Id("super", "")`).
    package static let superID = ZKId(scheme: "super", id: "")

    /// Whether `auth` holds `perm` on a node with `acl`. An empty ACL grants everything.
    package static func permits(_ acl: [ACL], _ perm: Perms, auth: [ZKId]) -> Bool {
        if acl.isEmpty { return true }
        if auth.contains(superID) { return true }
        for entry in acl where entry.perms.contains(perm) {
            let id = entry.id
            switch id.scheme {
            case "world":
                if id.id == "anyone" { return true }
            case "ip":
                for a in auth where a.scheme == "ip" && ipMatches(client: a.id, pattern: id.id) { return true }
            default:
                for a in auth where a.scheme == id.scheme && a.id == id.id { return true }
            }
        }
        return false
    }

    /// Replaces `auth` entries with the caller's authenticated ids, validates every id, removes
    /// duplicates. nil means `INVALIDACL`.
    package static func fixup(_ acl: [ACL], auth: [ZKId]) -> [ACL]? {
        if acl.isEmpty { return nil }
        var result: [ACL] = []
        func append(_ entry: ACL) { if !result.contains(entry) { result.append(entry) } }
        for entry in acl {
            switch entry.id.scheme {
            case "world":
                guard entry.id.id == "anyone" else { return nil }
                append(entry)
            case "auth":
                // Only ids from providers that authenticate (digest; not ip, not super).
                let ids = auth.filter { $0.scheme == "digest" }
                if ids.isEmpty { return nil }
                for id in ids { append(ACL(perms: entry.perms, id: id)) }
            case "digest":
                guard isValidDigestID(entry.id.id) else { return nil }
                append(entry)
            case "ip":
                guard parseIP(entry.id.id) != nil else { return nil }
                append(entry)
            case "sasl", "x509":
                guard !entry.id.id.isEmpty else { return nil }
                append(entry)
            default:
                return nil
            }
        }
        return result
    }

    /// `DigestAuthenticationProvider.isValid`: `id.split(":").length == 2`, with Java's `split`
    /// dropping trailing empty strings ("a:b:c" and "user:" are refused, "a:b:" is accepted).
    static func isValidDigestID(_ id: String) -> Bool {
        var parts = id.split(separator: ":", omittingEmptySubsequences: false)
        while parts.last?.isEmpty == true { parts.removeLast() }
        return parts.count == 2
    }

    /// `user:base64(sha1("user:password"))` for the credential `user:password`.
    package static func digest(credential: String) -> String? {
        guard let colon = credential.firstIndex(of: ":") else { return nil }
        let user = credential[..<colon]
        let hash = Insecure.SHA1.hash(data: Array(credential.utf8))
        return "\(user):" + Data(hash).base64EncodedString()
    }

    /// The view of an ACL a reader without ADMIN gets: digest hashes replaced by `x`
    /// (`FinalRequestProcessor` getACL).
    package static func masked(_ acl: [ACL]) -> [ACL] {
        acl.map { entry in
            guard entry.id.scheme == "digest", let colon = entry.id.id.firstIndex(of: ":") else { return entry }
            return ACL(perms: entry.perms, id: ZKId(scheme: "digest", id: entry.id.id[..<colon] + ":x"))
        }
    }

    // MARK: - ip scheme (`IPAuthenticationProvider`)

    /// Address bytes and prefix length of `addr[/bits]`.
    package static func parseIP(_ text: String) -> (bytes: [UInt8], bits: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        guard let bytes = addressBytes(String(parts[0])) else { return nil }
        var bits = bytes.count * 8
        if parts.count == 2 {
            guard let b = Int(parts[1]), b >= 0, b <= bytes.count * 8 else { return nil }
            bits = b
        }
        return (bytes, bits)
    }

    static func addressBytes(_ text: String) -> [UInt8]? {
        if text.contains(":") { return ipv6Bytes(text) }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for o in octets {
            guard let v = UInt8(o) else { return nil }
            bytes.append(v)
        }
        return bytes
    }

    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    static func ipMatches(client: String, pattern: String) -> Bool {
        guard let (net, bits) = parseIP(pattern), let addr = addressBytes(client), addr.count == net.count else {
            return false
        }
        var remaining = bits
        for i in 0..<addr.count where remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if addr[i] & mask != net[i] & mask { return false }
            remaining -= take
        }
        return true
    }
}
