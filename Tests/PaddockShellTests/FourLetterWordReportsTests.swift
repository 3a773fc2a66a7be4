import Testing
import ZooKeeperWire

@testable import PaddockShell

/// Four-letter-word text captured from Apache ZooKeeper 3.8.0 (Debian's package, one member, two
/// kazoo sessions owning /brokers/ids/1 and /2 and watching them) and from Paddock's keeper.
enum Captured {
    static let zkSrvr = """
        Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
        Latency min/avg/max: 0/8.5/35
        Received: 14
        Sent: 13
        Connections: 3
        Outstanding: 0
        Zxid: 0x100000006
        Mode: leader
        Node count: 9
        Proposal sizes last/min/max: 134/48/134

        """
    static let zkMntr = """
        zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
        zk_server_state\tleader
        zk_peer_state\tleading - broadcast
        zk_ephemerals_count\t2
        zk_num_alive_connections\t3
        zk_avg_latency\t8.5
        zk_global_sessions\t2
        zk_synced_followers\t0

        """
    static let zkCons = """
         /127.0.0.1:51288[0](queued=0,recved=1,sent=0)
         /127.0.0.1:51258[1](queued=0,recved=8,sent=8,sid=0x100009b30a00000,lop=GETC,est=1795257816574,to=10000,lcxid=0x7,lzxid=0x100000006,lresp=10173472,llat=6,minlat=0,avglat=10,maxlat=35)
         /127.0.0.1:51268[1](queued=0,recved=4,sent=4,sid=0x100009b30a00001,lop=EXIS,est=1795257816645,to=10000,lcxid=0x3,lzxid=0x100000006,lresp=10173478,llat=1,minlat=0,avglat=5,maxlat=12)


        """
    static let zkDump = """
        SessionTracker dump:
        Session Sets (1)/(2):
        2 expire at Sat Nov 21 10:43:47 UTC 2026:
        \t0x100009b30a00001
        \t0x100009b30a00000
        ephemeral nodes dump:
        Sessions with Ephemerals (2):
        0x100009b30a00001:
        \t/brokers/ids/2
        0x100009b30a00000:
        \t/brokers/ids/1
        Connections dump:
        Connections Sets (2)/(3):
        0 expire at Sat Nov 21 10:43:43 UTC 2026:
        3 expire at Sat Nov 21 10:43:53 UTC 2026:
        \tip: /127.0.0.1:51296 sessionId: 0x0
        \tip: /127.0.0.1:51258 sessionId: 0x100009b30a00000
        \tip: /127.0.0.1:51268 sessionId: 0x100009b30a00001

        """
    static let zkWchc = "0x100009b30a00001\n\t/brokers/ids/1\n\n"
    static let zkWchp = "/brokers/ids/1\n\t0x100009b30a00001\n\n"
    static let paddockSrvr = """
        Zookeeper version: 3.9.3-paddock-0.1.0, built on 2026-11-21 00:00 UTC
        Latency min/avg/max: 0/4.4000/15
        Received: 12
        Sent: 10
        Connections: 3
        Outstanding: 0
        Zxid: 0x100000006
        Mode: leader
        Node count: 8
        Proposal sizes last/min/max: -1/-1/-1

        """
    static let paddockCons = """
         /127.0.0.1:35406[1](queued=0,recved=8,sent=8,sid=0x1a1fdc7056d0000,lop=GETC,est=1795259041132,to=10000,lcxid=0x7,lzxid=0x100000006,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)
         /127.0.0.1:35412[1](queued=0,recved=4,sent=4,sid=0x1a1fdc705710000,lop=EXIS,est=1795259041136,to=10000,lcxid=0x3,lzxid=0x100000006,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)
         /127.0.0.1:35428[1](queued=0,recved=0,sent=0)


        """
    static let paddockDump = """
        SessionTracker dump:
        Global Sessions(2):
        0x1a1fdc7056d0000\t10000ms\t(expires in 10149ms)
        0x1a1fdc705710000\t10000ms\t(expires in 10149ms)
        ephemeral nodes dump:
        Sessions with Ephemerals (2):
        0x1a1fdc7056d0000:
        \t/brokers/ids/1
        0x1a1fdc705710000:
        \t/brokers/ids/2
        Connections dump:
        Connections Sets (1)/(3):
        0x1a1fdc7056d0000
        0x1a1fdc705710000

        """
    static let paddockWchc = "0x1a1fdc7056d0000\n\t/brokers/ids\n0x1a1fdc705710000\n\t/brokers/ids/1\n"
    static let paddockWchp = "/brokers/ids\n\t0x1a1fdc7056d0000\n/brokers/ids/1\n\t0x1a1fdc705710000\n"
    static let notWhitelisted = "wchc is not executed because it is not in the whitelist.\n"
}

@Suite struct FourLetterWordReportsTests {
    @Test func srvrFromZooKeeper() throws {
        let report = try #require(ServerReport(srvr: Captured.zkSrvr))
        #expect(report.mode == "leader")
        #expect(report.zxid == 0x1_0000_0006)
        #expect(report.connections == 3)
        #expect(report.nodeCount == 9)
        #expect(report.latency == "0/8.5/35")
        #expect(report.version.hasPrefix("3.8.0"))
    }

    @Test func textFromPaddockParsesTheSameWay() throws {
        let srvr = try #require(ServerReport(srvr: Captured.paddockSrvr))
        #expect(srvr.mode == "leader" && srvr.zxid == 0x1_0000_0006 && srvr.latency == "0/4.4000/15")
        let cons = ConnectionReport.parse(cons: Captured.paddockCons)
        #expect(cons.map(\.session) == [SessionID(0x1a1_fdc7_056d_0000), SessionID(0x1a1_fdc7_0571_0000), nil])
        let dump = DumpReport(dump: Captured.paddockDump)
        #expect(dump.sessions == [SessionID(0x1a1_fdc7_056d_0000): 10000, SessionID(0x1a1_fdc7_0571_0000): 10000])
        #expect(dump.ephemerals[SessionID(0x1a1_fdc7_0571_0000)] == ["/brokers/ids/2"])
        let watches = WatchDump.parse(wchc: Captured.paddockWchc)
        #expect(watches.count == 2)
        #expect(Set(watches) == Set(WatchDump.parse(wchp: Captured.paddockWchp)))
    }

    @Test func srvrOfAMemberNotServingIsNoReport() {
        #expect(ServerReport(srvr: "This ZooKeeper instance is not currently serving requests\n") == nil)
        #expect(ServerReport(srvr: "srvr is not executed because it is not in the whitelist.\n") == nil)
    }

    @Test func mntrKeepsOrderAndFindsKeys() {
        let report = MonitorReport(mntr: Captured.zkMntr)
        #expect(report.entries.first?.key == "zk_version")
        #expect(report["zk_global_sessions"] == "2")
        #expect(report["zk_peer_state"] == "leading - broadcast")
    }

    @Test func consListsConnectionsWithTheirSessions() {
        let connections = ConnectionReport.parse(cons: Captured.zkCons)
        #expect(connections.count == 3)
        #expect(connections[0].remote == "127.0.0.1:51288" && connections[0].session == nil)
        #expect(connections[1].session == SessionID(0x1_0000_9b30_a000_00))
        #expect(connections[1].timeout == 10000)
        #expect(connections[1].lastOperation == "GETC")
        #expect(connections[1].lastZxid == 0x1_0000_0006)
        #expect(connections[2].averageLatency == 5)
    }

    @Test func dumpOfZooKeeperGivesSessionsAndEphemeralsByOwner() {
        let dump = DumpReport(dump: Captured.zkDump)
        #expect(Set(dump.sessions.keys) == [SessionID(0x1_0000_9b30_a000_00), SessionID(0x1_0000_9b30_a000_01)])
        #expect(dump.sessions[SessionID(0x1_0000_9b30_a000_00)] == .some(nil))
        #expect(dump.ephemerals[SessionID(0x1_0000_9b30_a000_01)] == ["/brokers/ids/2"])
        #expect(dump.ephemerals[SessionID(0x1_0000_9b30_a000_00)] == ["/brokers/ids/1"])
    }

    @Test func wchcAndWchpGiveTheSamePairs() {
        let bySession = WatchDump.parse(wchc: Captured.zkWchc)
        let byPath = WatchDump.parse(wchp: Captured.zkWchp)
        #expect(bySession == [WatchDump.Entry(session: SessionID(0x1_0000_9b30_a000_01), path: "/brokers/ids/1")])
        #expect(bySession == byPath)
        #expect(WatchDump.parse(wchc: Captured.notWhitelisted).isEmpty)
    }
}
