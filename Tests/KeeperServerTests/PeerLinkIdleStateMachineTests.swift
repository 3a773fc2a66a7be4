import NIOCore
import NIOEmbedded
import Testing

@testable import KeeperServer

/// The idle rule for inbound quorum links (ZooKeeper: a learner socket's read timeout of
/// `syncLimit × tickTime`): silence is what this member observed, measured from bytes read.
@Suite struct PeerLinkIdleStateMachineTests {
    /// tickTime 500 ms, syncLimit 5, as the Ensemble suite configures: checks every 625 ms.
    static let idle: Int64 = 2_500

    /// Runs the checks a driver makes every `checkIntervalMillis` through `until`, with bytes
    /// arriving at the given times; returns the time of the check that closed the link.
    static func closeTime(bytesAt arrivals: [Int64], until end: Int64, checkJitter: Int64 = 0) -> Int64? {
        var machine = PeerLinkIdleStateMachine(idleMillis: idle, now: 0)
        var pending = arrivals.sorted()[...]
        var now: Int64 = 0
        var k: Int64 = 0
        while now < end {
            k += 1
            now += machine.checkIntervalMillis + (k % 2 == 0 ? checkJitter : 0)
            while let next = pending.first, next <= now {
                machine.bytesReceived()
                pending = pending.dropFirst()
            }
            if machine.check(now: now) == .close { return now }
        }
        return nil
    }

    @Test func checksRunFourTimesPerIdleLimit() {
        #expect(PeerLinkIdleStateMachine(idleMillis: Self.idle, now: 0).checkIntervalMillis == 625)
        #expect(PeerLinkIdleStateMachine(idleMillis: 0, now: 0).checkIntervalMillis == 1)
    }

    /// A peer's keep-alives (every third of the limit) keep the link open indefinitely, checks
    /// running a little late or not.
    @Test(arguments: [0, 40, 300] as [Int64])
    func keepAlivesKeepAHealthyLinkOpen(jitter: Int64) {
        let keepAlives = stride(from: Int64(833), through: 120_000, by: 833).map { $0 }
        #expect(Self.closeTime(bytesAt: keepAlives, until: 120_000, checkJitter: jitter) == nil)
    }

    /// A link that goes silent is closed between the limit and the limit plus one check interval
    /// after the last byte.
    @Test func aSilentLinkIsClosedWithinTheLimitPlusOneInterval() {
        let lastByte: Int64 = 10_000
        let keepAlives = stride(from: Int64(833), through: lastByte, by: 833).map { $0 }
        let closed = Self.closeTime(bytesAt: keepAlives, until: 60_000)
        #expect(closed != nil)
        if let closed, let last = keepAlives.last {
            #expect(closed - last >= Self.idle)
            #expect(closed - last <= Self.idle + 625)
        }
        // Nothing ever read (a connection that never says hello, or a half-open one).
        #expect(Self.closeTime(bytesAt: [], until: 60_000) == 2_500)
    }

    /// Was: one window per limit, judged by the frames handled so far. When this member's own
    /// event loop was busy past a check (a long `process()`), NIO ran the overdue check before
    /// reading the socket again, so a peer whose keep-alives were waiting unread was declared
    /// silent. Now a late check credits one interval at most, and bytes read next renew the link.
    @Test func aLateCheckAfterThisMemberStalledDoesNotCloseTheLink() {
        var machine = PeerLinkIdleStateMachine(idleMillis: Self.idle, now: 0)
        machine.bytesReceived()
        #expect(machine.check(now: 625) == .keepOpen)
        #expect(machine.check(now: 1_250) == .keepOpen)  // the keep-alive due at 1,458 is not read yet
        // The loop stalls for 4 s; keep-alives pile up unread; the overdue check runs first.
        #expect(machine.check(now: 5_250) == .keepOpen)
        // The next poll reads them.
        machine.bytesReceived()
        #expect(machine.check(now: 5_875) == .keepOpen)
        #expect(machine.check(now: 6_500) == .keepOpen)
    }

    /// Even repeated stalls of this member never add up to the limit on their own while the peer
    /// keeps sending: each late check is followed by a poll that reads what arrived.
    @Test func repeatedStallsOfThisMemberNeverCloseAnActiveLink() {
        var machine = PeerLinkIdleStateMachine(idleMillis: Self.idle, now: 0)
        var now: Int64 = 0
        for _ in 0..<50 {
            now += 3_000  // a late check: the loop was busy
            #expect(machine.check(now: now) == .keepOpen)
            machine.bytesReceived()  // the poll after it reads the peer's keep-alives
            now += 625
            #expect(machine.check(now: now) == .keepOpen)
        }
    }

    /// Clock values that would overflow do not trap.
    @Test func extremeClockValuesDoNotTrap() {
        var machine = PeerLinkIdleStateMachine(idleMillis: Int64.max, now: Int64.min)
        #expect(machine.check(now: Int64.max) == .keepOpen)
        #expect(machine.check(now: Int64.min) == .keepOpen)
    }
}

/// `PeerLinkIdleHandler` on an embedded channel: any bytes renew the link, a partial frame too.
@Suite struct PeerLinkIdleHandlerTests {
    final class SilentRecorder: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used only on the embedded loop of one test.
        typealias InboundIn = ByteBuffer
        var silent: [PeerLinkIdleHandler.Silent] = []
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? PeerLinkIdleHandler.Silent { silent.append(event) }
        }
    }

    @Test func bytesOfAnUnfinishedFrameKeepTheLinkOpenAndSilenceClosesIt() throws {
        let loop = EmbeddedEventLoop()
        let recorder = SilentRecorder()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(PeerLinkIdleHandler(idleMillis: 2_500))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // A large frame trickles in: 10 bytes every 600 ms for 30 s, never complete.
        for _ in 0..<50 {
            loop.advanceTime(by: .milliseconds(600))
            try channel.writeInbound(ByteBuffer(repeating: 1, count: 10))
        }
        #expect(recorder.silent.isEmpty)
        loop.advanceTime(by: .milliseconds(2_500 + 625))
        #expect(recorder.silent == [PeerLinkIdleHandler.Silent(idleMillis: 2_500)])
        _ = try? channel.finish()
    }
}
