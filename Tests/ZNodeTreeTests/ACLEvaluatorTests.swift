import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// ACL checks, fix-ups and the digest and ip schemes (`ZooKeeperServer.checkACL`,
/// `PrepRequestProcessor.fixupACL`, `DigestAuthenticationProvider`, `IPAuthenticationProvider`).
@Suite("ACLEvaluator")
struct ACLEvaluatorTests {
    // MARK: - digest

    @Test(arguments: [
        ("super:test", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="),
        ("user1:pw", "user1:UwFvtt99nn7zVDmU1KK5F5q3Zg4="),
    ])
    func digestIsUserColonBase64SHA1OfTheCredential(credential: String, expected: String) {
        #expect(ACLEvaluator.digest(credential: credential) == expected)
    }

    @Test func digestHashesTheWholeCredentialIncludingFurtherColons() {
        let digest = ACLEvaluator.digest(credential: "a:b:c")
        #expect(digest?.hasPrefix("a:") == true)
        #expect(digest != ACLEvaluator.digest(credential: "a:b"))
        #expect(ACLEvaluator.digest(credential: "no-colon") == nil)
        #expect(ACLEvaluator.digest(credential: ":pw")?.hasPrefix(":") == true)
    }

    // MARK: - permits

    @Test func emptyACLGrantsEverything() {
        #expect(ACLEvaluator.permits([], .admin, auth: []))
    }

    @Test(arguments: [Perms.read, .write, .create, .delete, .admin])
    func permissionsAreCheckedBitByBit(perm: Perms) {
        let acl = [ACL(perms: perm, id: .anyone)]
        for other in [Perms.read, .write, .create, .delete, .admin] {
            #expect(ACLEvaluator.permits(acl, other, auth: []) == (other == perm))
        }
        #expect(ACLEvaluator.permits(ACL.openUnsafe, perm, auth: []))
    }

    @Test func digestIDsMatchExactly() {
        let acl = [ACL(perms: .read, id: user1)]
        #expect(ACLEvaluator.permits(acl, .read, auth: [user1]))
        #expect(!ACLEvaluator.permits(acl, .read, auth: []))
        #expect(!ACLEvaluator.permits(acl, .read, auth: [ZKId(scheme: "digest", id: "user1:x")]))
        #expect(!ACLEvaluator.permits(acl, .read, auth: [ZKId(scheme: "sasl", id: user1Digest)]))
        #expect(!ACLEvaluator.permits(acl, .write, auth: [user1]))
        #expect(ACLEvaluator.permits(acl, .read, auth: [ZKId(scheme: "ip", id: "127.0.0.1"), user1]))
    }

    @Test func worldOnlyMatchesAnyone() {
        #expect(!ACLEvaluator.permits([ACL(perms: .all, id: ZKId(scheme: "world", id: "other"))], .read, auth: []))
    }

    @Test func superIDBypassesEveryACL() {
        let acl = [ACL(perms: .read, id: user1)]
        #expect(ACLEvaluator.superID == ZKId(scheme: "super", id: ""))
        for perm in [Perms.read, .write, .create, .delete, .admin] {
            #expect(ACLEvaluator.permits(acl, perm, auth: [superUser]))
        }
    }

    // MARK: - ip

    @Test(arguments: [
        ("10.0.0.0/8", "10.1.2.3", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("10.0.0.0/8", "10.255.255.255", true),
        ("10.1.2.3", "10.1.2.3", true),
        ("10.1.2.3", "10.1.2.4", false),
        ("10.1.2.3/32", "10.1.2.3", true),
        ("192.168.0.0/23", "192.168.1.77", true),
        ("192.168.0.0/23", "192.168.2.1", false),
        ("0.0.0.0/0", "203.0.113.9", true),
        ("10.0.0.0/8", "::1", false),
        ("::1", "::1", true),
        ("::1", "::2", false),
        ("2001:db8::/32", "2001:db8:1::5", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("2001:db8::/33", "2001:db8:7fff::1", true),
        ("2001:db8::/33", "2001:db8:8000::1", false),
        ("fe80::/10", "febf:ffff::1", true),
        ("fe80::/10", "fec0::1", false),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", true),
        ("::/0", "1:2:3:4:5:6:7:8", true),
        ("::/0", "10.0.0.1", false),
        ("10.0.0.0/8", "not-an-ip", false),
    ])
    func ipSchemeMatchesAddressPrefixes(pattern: String, client: String, matches: Bool) {
        #expect(ACLEvaluator.ipMatches(client: client, pattern: pattern) == matches)
        let acl = [ACL(perms: .read, id: ZKId(scheme: "ip", id: pattern))]
        #expect(ACLEvaluator.permits(acl, .read, auth: [ZKId(scheme: "ip", id: client)]) == matches)
    }

    @Test func parseIPReadsAddressesAndPrefixLengths() {
        #expect(ACLEvaluator.parseIP("10.0.0.0/8")?.bytes == [10, 0, 0, 0])
        #expect(ACLEvaluator.parseIP("10.0.0.0/8")?.bits == 8)
        #expect(ACLEvaluator.parseIP("1.2.3.4")?.bits == 32)
        #expect(ACLEvaluator.parseIP("::1")?.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(ACLEvaluator.parseIP("::1")?.bits == 128)
        #expect(ACLEvaluator.parseIP("::")?.bytes == Array(repeating: 0, count: 16))
        #expect(ACLEvaluator.parseIP("1::")?.bytes == [0, 1] + Array(repeating: 0, count: 14))
        #expect(ACLEvaluator.parseIP("fe80::1:2/64")?.bytes == [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2])
        #expect(ACLEvaluator.parseIP("fe80::1:2/64")?.bits == 64)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.-1", "a.b.c.d", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/",
        "10.0.0.0/8/9", "::1/129", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7::8",
    ])
    func parseIPRefusesMalformedAddresses(text: String) {
        #expect(ACLEvaluator.parseIP(text) == nil)
    }

    // MARK: - fixup

    @Test func fixupRefusesEmptyAndUnknown() {
        #expect(ACLEvaluator.fixup([], auth: [user1]) == nil)
        #expect(ACLEvaluator.fixup([ACL(perms: .all, id: ZKId(scheme: "kerberos", id: "x"))], auth: []) == nil)
        #expect(ACLEvaluator.fixup([ACL(perms: .all, id: ZKId(scheme: "sasl", id: ""))], auth: []) == nil)
        #expect(
            ACLEvaluator.fixup([ACL(perms: .all, id: ZKId(scheme: "sasl", id: "alice@REALM"))], auth: [])
                == [ACL(perms: .all, id: ZKId(scheme: "sasl", id: "alice@REALM"))]
        )
    }

    /// `DigestAuthenticationProvider.isValid`: `id.split(":").length == 2` (Java drops trailing
    /// empty strings).
    @Test(arguments: [
        ("user:hash", true), (user1Digest, true), (":hash", true), ("a:b:", true),
        ("no-colon", false), ("user:", false), ("a:b:c", false), ("", false), (":", false), ("user::", false),
    ])
    func digestIDsNeedExactlyOneNameAndHash(id: String, valid: Bool) {
        let acl = [ACL(perms: .all, id: ZKId(scheme: "digest", id: id))]
        #expect((ACLEvaluator.fixup(acl, auth: []) != nil) == valid)
    }

    @Test func fixupReplacesAuthWithTheCallersDigestIDs() {
        let other = ZKId(scheme: "digest", id: "user2:abc=")
        let ip = ZKId(scheme: "ip", id: "127.0.0.1")
        let fixed = ACLEvaluator.fixup(
            [ACL(perms: [.read, .write], id: .authIDs), ACL(perms: .read, id: .anyone)],
            auth: [ip, user1, other, superUser]
        )
        #expect(
            fixed == [
                ACL(perms: [.read, .write], id: user1), ACL(perms: [.read, .write], id: other),
                ACL(perms: .read, id: .anyone),
            ]
        )
        #expect(ACLEvaluator.fixup(ACL.creatorAll, auth: [ip, superUser]) == nil)
    }

    @Test func fixupRemovesDuplicatesKeepingOrder() {
        let acl = [ACL(perms: .all, id: .anyone), ACL(perms: .read, id: user1), ACL(perms: .all, id: .anyone)]
        #expect(ACLEvaluator.fixup(acl, auth: []) == [ACL(perms: .all, id: .anyone), ACL(perms: .read, id: user1)])
        // the same id with different perms is two entries
        let twoPerms = [ACL(perms: .all, id: .anyone), ACL(perms: .read, id: .anyone)]
        #expect(ACLEvaluator.fixup(twoPerms, auth: []) == twoPerms)
    }

    @Test func fixupAcceptsValidIPEntries() {
        let acl = [
            ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
            ACL(perms: .read, id: ZKId(scheme: "ip", id: "::1")),
        ]
        #expect(ACLEvaluator.fixup(acl, auth: []) == acl)
    }

    // MARK: - masking

    @Test func maskedHidesDigestHashesOnly() {
        let acl = [
            ACL(perms: .all, id: user1), ACL(perms: .read, id: .anyone),
            ACL(perms: .read, id: ZKId(scheme: "digest", id: "odd")),
            ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
            ACL(perms: .admin, id: ZKId(scheme: "digest", id: ":onlyhash")),
        ]
        #expect(
            ACLEvaluator.masked(acl) == [
                ACL(perms: .all, id: ZKId(scheme: "digest", id: "user1:x")), ACL(perms: .read, id: .anyone),
                ACL(perms: .read, id: ZKId(scheme: "digest", id: "odd")),
                ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.0/8")),
                ACL(perms: .admin, id: ZKId(scheme: "digest", id: ":x")),
            ]
        )
    }
}
