import Testing
import ZooKeeperWire

@testable import ZNodeTree

/// Session expiry in tick buckets (`ExpiryQueue.roundToNextInterval`: `(time / interval + 1) * interval`).
@Suite("SessionExpiryTracker")
struct SessionExpiryTrackerTests {
    let s1 = SessionID(0x11)
    let s2 = SessionID(0x22)
    let s3 = SessionID(0x33)

    @Test(arguments: [
        // (now, timeout, deadline) with a 2000 ms tick
        (Int64(0), Int64(5_000), Int64(6_000)),
        (0, 4_000, 6_000),  // an exact multiple still goes to the next bucket, as in ZooKeeper
        (1, 3_999, 6_000),
        (1_500, 4_000, 6_000),
        (1_999, 4_000, 6_000),
        (2_000, 4_000, 8_000),
        (10_001, 1, 12_000),
    ])
    func deadlinesAreRoundedUpToTheNextTick(now: Int64, timeout: Int64, deadline: Int64) {
        var t = SessionExpiryTracker(tickMillis: 2_000)
        t.track(s1, timeoutMillis: timeout, now: now)
        #expect(t.remaining(s1, now: now) == deadline - now)
        #expect(t.expired(now: deadline - 1) == [])
        #expect(t.isLive(s1))
        #expect(t.expired(now: deadline) == [s1])
    }

    @Test func expiredReportsEachSessionOnceAndMarksItClosing() {
        var t = SessionExpiryTracker(tickMillis: 1_000)
        t.track(s1, timeoutMillis: 3_000, now: 0)
        t.track(s2, timeoutMillis: 3_000, now: 0)
        #expect(t.expired(now: 10_000) == [s1, s2])
        #expect(t.expired(now: 20_000) == [])
        #expect(!t.isLive(s1))
        #expect(t.touch(s1, now: 20_000) == false, "a closing session cannot be renewed")
        #expect(t.count == 2, "tracked until its closeSession is applied")
        t.remove(s1)
        t.remove(s2)
        #expect(t.count == 0)
        #expect(t.remaining(s1, now: 0) == nil)
    }

    @Test func expiredIsSortedBySessionID() {
        var t = SessionExpiryTracker(tickMillis: 10)
        for id in [SessionID(9), SessionID(-5), SessionID(3), SessionID(0x7FFF_FFFF_FFFF_FFFF)] {
            t.track(id, timeoutMillis: 10, now: 0)
        }
        #expect(t.expired(now: 100) == [SessionID(-5), SessionID(3), SessionID(9), SessionID(0x7FFF_FFFF_FFFF_FFFF)])
    }

    @Test func touchExtendsButNeverShortens() {
        var t = SessionExpiryTracker(tickMillis: 2_000)
        t.track(s1, timeoutMillis: 5_000, now: 0)  // deadline 6000
        #expect(t.touch(s1, now: 3_000) == true)  // 8000 -> 10000
        #expect(t.remaining(s1, now: 3_000) == 7_000)
        #expect(t.expired(now: 9_999) == [])
        #expect(t.touch(s1, now: 0) == true)  // would be 6000: keeps 10000
        #expect(t.remaining(s1, now: 0) == 10_000)
        #expect(t.expired(now: 10_000) == [s1])
    }

    @Test func touchOfAnUnknownSessionFails() {
        var t = SessionExpiryTracker(tickMillis: 2_000)
        #expect(t.touch(s1, now: 0) == false)
        #expect(!t.isLive(s1))
        #expect(t.remaining(s1, now: 0) == nil)
    }

    @Test func trackingAgainGivesAFreshDeadline() {
        var t = SessionExpiryTracker(tickMillis: 1_000)
        t.track(s1, timeoutMillis: 2_000, now: 0)  // 3000
        t.track(s1, timeoutMillis: 10_000, now: 500)  // 11000
        #expect(t.count == 1)
        #expect(t.expired(now: 10_999) == [])
        #expect(t.touch(s1, now: 5_000) == true)  // uses the new timeout: 16000
        #expect(t.remaining(s1, now: 5_000) == 11_000)
    }

    @Test func markClosingStopsExpiryAndRenewal() {
        var t = SessionExpiryTracker(tickMillis: 1_000)
        t.track(s1, timeoutMillis: 1_000, now: 0)
        t.track(s2, timeoutMillis: 1_000, now: 0)
        t.markClosing(s1)
        #expect(!t.isLive(s1))
        #expect(t.isLive(s2))
        #expect(t.touch(s1, now: 0) == false)
        #expect(t.expired(now: 100_000) == [s2])
        t.markClosing(s3)  // unknown: ignored
        t.track(s3, timeoutMillis: 1_000, now: 0)
        #expect(t.isLive(s3))
    }

    @Test func removeForgetsTheSession() {
        var t = SessionExpiryTracker(tickMillis: 1_000)
        t.track(s1, timeoutMillis: 1_000, now: 0)
        t.track(s2, timeoutMillis: 1_000, now: 0)
        t.remove(s1)
        #expect(t.count == 1)
        #expect(!t.isLive(s1))
        #expect(t.touch(s1, now: 0) == false)
        #expect(t.expired(now: 5_000) == [s2])
        t.remove(s1)  // twice: no effect
        #expect(t.count == 1)
    }
}
