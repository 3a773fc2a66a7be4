import JSON
import Testing
import ZooKeeperWire

@testable import PaddockShell

@Suite struct EnsembleViewTests {
    private let first = SessionID(0x1_0000_9b30_a000_00)
    private let second = SessionID(0x1_0000_9b30_a000_01)

    private func zooKeeper(_ member: String) -> MemberAnswers {
        MemberAnswers(member: member, replies: [
            "srvr": Captured.zkSrvr, "mntr": Captured.zkMntr, "cons": Captured.zkCons, "dump": Captured.zkDump,
            "wchc": Captured.zkWchc, "wchp": Captured.zkWchp,
        ])
    }

    @Test func ensembleShowsRoleZxidLoadAndLagPerMember() {
        let follower = Captured.zkSrvr.replacing("Mode: leader", with: "Mode: follower").replacing("0x100000006", with: "0x100000002")
        let answers = [
            zooKeeper("h1:2181"),
            MemberAnswers(member: "h2:2181", replies: ["srvr": follower]),
            MemberAnswers(member: "h3:2181", replies: [:], failure: "unreachable"),
        ]
        let rendered = EnsembleViews.ensemble(answers)
        let lines = rendered.text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("MEMBER   MODE"))
        #expect(lines[1].hasPrefix("h1:2181  leader    0x100000006  3            2         0/8.5/35             0"))
        #expect(lines[2].contains("follower") && lines[2].contains("  4  "))
        #expect(lines[3].hasPrefix("h3:2181  down") && lines[3].hasSuffix("unreachable"))
        guard case .array(let rows) = rendered.json else {
            Issue.record("ensemble JSON is not an array")
            return
        }
        #expect(rows[1]["lag"] == .int(4))
        #expect(rows[2]["error"] == .string("unreachable"))
    }

    @Test func lagIsUnknownAcrossEpochsOrWithoutLeader() throws {
        let leader = try #require(ServerReport(srvr: Captured.zkSrvr))
        var older = leader
        older.zxid = 0x0_0000_0009
        #expect(EnsembleViews.lag(of: older, leader: leader) == nil)
        #expect(EnsembleViews.lag(of: leader, leader: nil) == nil)
        #expect(EnsembleViews.lag(of: leader, leader: leader) == 0)
    }

    @Test func watchesMergeWchcAndWchpAndNameTheClient() {
        var own = OwnWatches()
        own.added(.data, on: "/brokers/ids/1")
        let rendered = EnsembleViews.watches([zooKeeper("h1:2181")], filter: "/brokers/ids", ownSession: second, own: own)
        #expect(
            rendered.text == """
                MEMBER   SESSION            PATH            KIND  CLIENT
                h1:2181  0x100009b30a00001  /brokers/ids/1  data  127.0.0.1:51268 (this shell)
                """)
        let other = EnsembleViews.watches([zooKeeper("h1:2181")], filter: nil, ownSession: nil, own: OwnWatches())
        #expect(other.text.contains("  -     127.0.0.1:51268"))
        #expect(EnsembleViews.watches([zooKeeper("h1:2181")], filter: "/elsewhere", ownSession: nil, own: own).text
            == "No watches on /elsewhere or below")
    }

    @Test func watchesSayWhichMembersCouldNotAnswer() {
        let refused = MemberAnswers(member: "h2:2181", replies: ["wchc": Captured.notWhitelisted, "wchp": Captured.notWhitelisted])
        let rendered = EnsembleViews.watches([zooKeeper("h1:2181"), refused], filter: nil, ownSession: nil, own: OwnWatches())
        #expect(rendered.text.hasSuffix("unavailable: h2:2181: wchc/wchp not answered (4lw.commands.whitelist?)"))
    }

    @Test func sessionsUnderAPathAreTheEphemeralOwners() {
        let rendered = EnsembleViews.sessions([zooKeeper("h1:2181")], filter: "/brokers/ids")
        #expect(
            rendered.text == """
                MEMBER   SESSION            CLIENT           TIMEOUT  LAST OP  EPHEMERALS UNDER /brokers/ids
                h1:2181  0x100009b30a00000  127.0.0.1:51258  10000ms  GETC     /brokers/ids/1
                h1:2181  0x100009b30a00001  127.0.0.1:51268  10000ms  EXIS     /brokers/ids/2
                """)
        let all = EnsembleViews.sessions([zooKeeper("h1:2181")], filter: nil)
        #expect(all.text.split(separator: "\n").count == 3)
        guard case .array(let rows) = all.json else {
            Issue.record("sessions JSON is not an array")
            return
        }
        #expect(rows[0]["lastZxid"] == .string("0x100000006") && rows[0]["averageLatencyMs"] == .int(10))
        #expect(EnsembleViews.sessions([zooKeeper("h1:2181")], filter: "/none").text == "No sessions own ephemerals under /none")
    }

    @Test func ownersConnectedNowhereStillShow() {
        let dumpOnly = MemberAnswers(member: "h1:2181", replies: ["cons": "\n", "dump": Captured.zkDump])
        let rendered = EnsembleViews.sessions([dumpOnly], filter: nil)
        #expect(
            rendered.text == """
                MEMBER  SESSION            CLIENT  TIMEOUT  LAST OP  EPHEMERALS
                -       0x100009b30a00000  -       -        -        1
                -       0x100009b30a00001  -       -        -        1
                """)
    }

    @Test func ownWatchesForgetOneShotsWhenTheyFire() {
        var own = OwnWatches()
        own.added(.data, on: "/a")
        own.added(.child, on: "/a")
        own.added(.persistentRecursive, on: "/b")
        own.eventReceived(.nodeDataChanged, path: "/a")
        #expect(own.kinds["/a"] == [.child])
        own.eventReceived(.nodeChildrenChanged, path: "/a")
        #expect(own.kinds["/a"] == nil)
        own.eventReceived(.nodeDeleted, path: "/b")
        #expect(own.kinds["/b"] == [.persistentRecursive])
        own.eventReceived(.persistentWatchRemoved, path: "/b")
        #expect(own.kinds.isEmpty)
    }
}

@Suite struct KafkaViewTests {
    private func node(_ json: String, owner: Int64 = 0, czxid: Int64 = 0, version: Int32 = 0) -> KafkaViews.Node {
        KafkaViews.Node(data: Array(json.utf8), stat: Stat(czxid: czxid, version: version, ephemeralOwner: owner))
    }

    @Test func brokersShowEndpointsRackOwnerAndEpoch() {
        let v5 = #"{"version":5,"host":"h","port":9092,"jmx_port":-1,"timestamp":"1700000000000","endpoints":["PLAINTEXT://h:9092"],"rack":"r1"}"#
        let v1 = #"{"version":1,"host":"old","port":9093}"#
        let rendered = KafkaViews.brokers([("10", node(v1, owner: 0x5, czxid: 0x20)), ("2", node(v5, owner: 0x4, czxid: 0x10))])
        #expect(
            rendered.text == """
                ID  ENDPOINTS             RACK  SESSION  EPOCH (CZXID)  REGISTERED
                2   PLAINTEXT://h:9092    r1    0x4      0x10           Tue Nov 14 22:13:20 UTC 2023
                10  PLAINTEXT://old:9093  -     0x5      0x20           -
                """)
        #expect(KafkaViews.brokers([]).text == "No brokers registered under /brokers/ids")
        // A registration the codec refuses shows as "-"; its raw data stays in the JSON output.
        let refused = KafkaViews.brokers([("3", node(#"{"version":5,"endpoints":["PLAINTEXT://h:0"]}"#, czxid: 0x1))])
        #expect(refused.text.hasSuffix("3   -          -     -        0x1            -"))
        #expect(refused.json.items?.first?["registration"]?["version"] == .int(5))
    }

    @Test func groupsShowStateMembersAndLag() {
        let v5 = #"{"version":5,"endpoints":["PLAINTEXT://h:9092","SSL://h:9093"]}"#
        #expect(KafkaViews.bootstrap([("1", node(v5)), ("2", node(#"{"version":1}"#))]) == ["h:9092"])
        let rendered = KafkaViews.groups([
            GroupSummary(group: "orders-app", state: "Stable", members: 3, lag: 12),
            GroupSummary(group: "audit", state: "Empty", members: 0, lag: nil),
        ])
        #expect(
            rendered.text == """
                GROUP       STATE   MEMBERS  LAG
                audit       Empty   0        -
                orders-app  Stable  3        12
                """)
        #expect(KafkaViews.groups([]).text == "No consumer groups")
    }

    @Test func topicsShowReplicasLeaderAndIsrPerPartition() {
        let topic = KafkaViews.Topic(
            name: "orders",
            node: node(#"{"version":3,"partitions":{"1":[2,1],"0":[1,2]},"topic_id":"abc"}"#),
            states: [
                "0": node(#"{"version":1,"leader":1,"leader_epoch":4,"controller_epoch":7,"isr":[1,2]}"#),
                "1": node(#"{"version":1,"leader":-1,"leader_epoch":5,"controller_epoch":7,"isr":[]}"#),
            ])
        let rendered = KafkaViews.topics([topic])
        #expect(
            rendered.text == """
                TOPIC   PARTITION  REPLICAS  LEADER  ISR  LEADER EPOCH
                orders  0          1,2       1       1,2  4
                orders  1          2,1       none         5
                """)
        #expect(rendered.json.rendered().contains(#""topicId":"abc""#))
    }

    @Test func controllerNamesTheBrokerSessionAndEpoch() {
        let rendered = KafkaViews.controller(
            controller: node(#"{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}"#, owner: 0x9, czxid: 0x30),
            epoch: node("7", version: 6))
        #expect(
            rendered.text == """
                controller: broker 1 since Tue Nov 14 22:13:20 UTC 2023
                session: 0x9  czxid: 0x30
                controller_epoch: 7 (zkVersion 6)
                """)
        #expect(rendered.json["controllerEpoch"] == .int(7))
        #expect(KafkaViews.controller(controller: nil, epoch: nil).text.contains("none (/controller does not exist)"))
    }
}
