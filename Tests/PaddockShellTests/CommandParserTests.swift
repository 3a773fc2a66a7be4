import Testing
import ZooKeeperWire

@testable import PaddockShell

@Suite struct CommandParserTests {
    private func parse(_ line: String) throws -> ShellCommand? {
        try CommandParser.parse(line)?.command
    }

    private func usageError(_ line: String) -> UsageError? {
        do {
            _ = try CommandParser.parse(line)
            return nil
        } catch {
            return error
        }
    }

    @Test func zkCliFlagsParseSeparateOrCombinedAndOnEitherSideOfThePath() throws {
        #expect(try parse("ls /a") == .ls(path: "/a", stat: false, recursive: false, watch: false))
        #expect(try parse("ls -s -w /a") == .ls(path: "/a", stat: true, recursive: false, watch: true))
        #expect(try parse("ls -sR /") == .ls(path: "/", stat: true, recursive: true, watch: false))
        #expect(try parse("get /a -s") == .get(path: "/a", stat: true, watch: false))
        #expect(try parse("stat -w /a") == .stat(path: "/a", watch: true))
        #expect(try parse("removewatches /a -c") == .removeWatches(path: "/a", type: .children))
        #expect(try parse("removewatches /a") == .removeWatches(path: "/a", type: .any))
    }

    @Test func valueFlagsTakeTheNextWordOrTheRestOfTheWord() throws {
        #expect(try parse("set -v 3 /a hello") == .set(path: "/a", data: "hello", stat: false, version: 3))
        #expect(try parse("set -v3 -s /a hello") == .set(path: "/a", data: "hello", stat: true, version: 3))
        #expect(try parse("delete -v 0 /a") == .delete(path: "/a", version: 0))
        #expect(try parse("set /a -1") == .set(path: "/a", data: "-1", stat: false, version: nil))
    }

    @Test func createFlagsChooseTheMode() throws {
        #expect(try parse("create /a") == .create(path: "/a", data: nil, acl: nil, mode: .persistent, ttl: nil))
        #expect(try parse("create -e -s /a x") == .create(path: "/a", data: "x", acl: nil, mode: .ephemeralSequential, ttl: nil))
        #expect(try parse("create -s /a") == .create(path: "/a", data: nil, acl: nil, mode: .persistentSequential, ttl: nil))
        #expect(try parse("create -c /a") == .create(path: "/a", data: nil, acl: nil, mode: .container, ttl: nil))
        #expect(try parse("create -t 500 /a d") == .create(path: "/a", data: "d", acl: nil, mode: .persistentWithTTL, ttl: 500))
        #expect(try parse("create -s -t 500 /a") == .create(path: "/a", data: nil, acl: nil, mode: .persistentSequentialWithTTL, ttl: 500))
        #expect(
            try parse("create /a d world:anyone:r")
                == .create(path: "/a", data: "d", acl: [ACL(perms: .read, id: .anyone)], mode: .persistent, ttl: nil))
        #expect(usageError("create -e -t 5 /a")?.message == "TTL nodes cannot be ephemeral or containers")
        #expect(usageError("create -c -e /a")?.message == "Containers cannot be ephemeral or sequential")
    }

    @Test func quotesKeepBlanksAndBackslashesEscape() throws {
        #expect(try CommandParser.tokenize(#"set /a "two words""#) == ["set", "/a", "two words"])
        #expect(try CommandParser.tokenize("set /a 'it''s' \"\"") == ["set", "/a", "its", ""])
        #expect(try CommandParser.tokenize(#"set /a a\ b"#) == ["set", "/a", "a b"])
        #expect(try parse(#"set /a '{"k": 1}'"#) == .set(path: "/a", data: #"{"k": 1}"#, stat: false, version: nil))
        #expect(usageError("set /a \"open")?.message == "Unclosed quote \"")
    }

    @Test func quotingArgumentsRoundTripsThroughTheTokenizer() throws {
        let words = ["set", "/a", "two words", "it's", "", #"back\slash"#, "{\"k\":1}"]
        #expect(try CommandParser.tokenize(CommandParser.quote(words)) == words)
    }

    @Test func blankAndCommentLinesAreNoCommand() throws {
        #expect(try CommandParser.parse("   ") == nil)
        #expect(try CommandParser.parse("# a comment") == nil)
    }

    @Test func mistakesSayWhatIsWrongAndShowTheUsage() {
        #expect(usageError("ls") == UsageError("Missing arguments", usage: "ls [-s] [-w] [-R] path"))
        #expect(usageError("ls -x /") == UsageError("Unknown option -x", usage: "ls [-s] [-w] [-R] path"))
        #expect(usageError("get a")?.message == "Path must start with / character: a")
        #expect(usageError("get /a/")?.message == "Path must not end with / character: /a/")
        #expect(usageError("set -v x /a d")?.message == "-v needs a number, got x")
        #expect(usageError("set /a")?.message == "Missing arguments")
        #expect(usageError("delete /a /b")?.message == "Too many arguments")
        #expect(usageError("frobnicate /")?.message == "Unknown command: frobnicate (help lists the commands)")
        #expect(usageError("removewatches /a -c -d")?.message == "Give at most one of -c, -d, -a")
        #expect(usageError("addWatch -m SOMETIMES /a")?.message == "Unknown watch mode SOMETIMES")
    }

    @Test func commandNamesMatchWithoutRegardToCase() throws {
        #expect(try parse("getacl /a") == .getAcl(path: "/a", stat: false))
        #expect(try parse("GETEPHEMERALS") == .getEphemerals(path: "/"))
        #expect(try parse("addwatch /a") == .addWatch(path: "/a", mode: .persistentRecursive))
        #expect(try parse("addWatch -m persistent /a") == .addWatch(path: "/a", mode: .persistent))
    }

    @Test func jsonIsAcceptedByReadCommandsOnly() throws {
        #expect(try CommandParser.parse("ls --json /") == ParsedLine(command: .ls(path: "/", stat: false, recursive: false, watch: false), json: true))
        #expect(try CommandParser.parse("ensemble --json")?.json == true)
        #expect(usageError("delete --json /a")?.message == "--json applies to commands that read")
    }

    @Test func paddockCommandsTakeTheirOptions() throws {
        #expect(try parse("tree") == .tree(path: "/", depth: nil))
        #expect(try parse("tree /brokers --depth 2") == .tree(path: "/brokers", depth: 2))
        #expect(usageError("tree --depth x")?.message == "--depth needs a number >= 0, got x")
        #expect(try parse("watches /brokers/ids") == .watches(path: "/brokers/ids"))
        #expect(try parse("watches") == .watches(path: nil))
        #expect(try parse("sessions /brokers/ids") == .sessions(path: "/brokers/ids"))
        #expect(try parse("redo 3") == .redo(3))
        #expect(try parse("connect 127.0.0.1:2181") == .connect(hosts: "127.0.0.1:2181"))
        #expect(try parse("connect") == .connect(hosts: nil))
    }

    @Test func aclsUseZkCliSyntaxWithColonsInsideTheId() throws {
        #expect(
            try CommandParser.parseACL("digest:bob:Zm9v=:cdrwa,ip:10.0.0.1:r") == [
                ACL(perms: .all, id: ZKId(scheme: "digest", id: "bob:Zm9v=")),
                ACL(perms: .read, id: ZKId(scheme: "ip", id: "10.0.0.1")),
            ])
        #expect(throws: UsageError.self) { try CommandParser.parseACL("world:anyone:x") }
        #expect(throws: UsageError.self) { try CommandParser.parseACL("world") }
    }
}
