import Testing

@testable import Broker

/// `queued.max.requests`: the permits connections take before handling a request.
@Suite struct RequestPermitsTests {
    @Test func aWaiterGetsTheNextReleasedPermit() async {
        let permits = RequestPermits(count: 1)
        #expect(await permits.acquire())
        #expect(permits.available == 0)
        let waiter = Task { await permits.acquire() }
        permits.release()
        #expect(await waiter.value)
        #expect(permits.available == 0)
        permits.release()
        #expect(permits.available == 1)
    }

    @Test func aCancelledWaiterGetsNoPermit() async {
        let permits = RequestPermits(count: 1)
        #expect(await permits.acquire())
        let waiter = Task { await permits.acquire() }
        waiter.cancel()
        #expect(await waiter.value == false)
        permits.release()
        #expect(permits.available == 1)
    }
}
