import NIOCore
import SimulationKit
import Testing
import TestSupport

@testable import Broker

/// `queued.max.request.bytes`: the shared budget's admission rules (`QueuedRequestBytes`).
@Suite struct QueuedRequestBytesTests {
    typealias ID = QueuedRequestBytes.ConnectionID

    @Test func framesAreAdmittedWhileTheyFitThenWaitInArrivalOrder() {
        var budget = QueuedRequestBytes(limit: 1000, unchargedFrameSize: 10)
        let (a, b, c) = (budget.connectionOpened(), budget.connectionOpened(), budget.connectionOpened())
        #expect(budget.frameStarted(on: a, size: 600) == .admitted)
        #expect(budget.frameStarted(on: b, size: 500) == .waiting)
        // Would fit, but b waits before it: first come, first served.
        #expect(budget.frameStarted(on: c, size: 300) == .waiting)
        #expect(budget.charged == 600)
        #expect(budget.frameHandled(on: a) == [b, c])
        #expect(budget.charged == 800)
        #expect(budget.waitingFrames == 0)
    }

    @Test func aLargeFrameAtTheHeadIsNotOvertaken() {
        var budget = QueuedRequestBytes(limit: 1000, unchargedFrameSize: 10)
        let (a, b, c) = (budget.connectionOpened(), budget.connectionOpened(), budget.connectionOpened())
        #expect(budget.frameStarted(on: a, size: 400) == .admitted)
        #expect(budget.frameStarted(on: a, size: 400) == .admitted)
        #expect(budget.frameStarted(on: b, size: 1000) == .waiting)
        #expect(budget.frameStarted(on: c, size: 100) == .waiting)
        #expect(budget.frameHandled(on: a).isEmpty)  // 400 charged: b still does not fit
        #expect(budget.frameHandled(on: a) == [b])  // c waits behind b although 100 fit nowhere now
        #expect(budget.charged == 1000)
        #expect(budget.frameHandled(on: b) == [c])
        #expect(budget.charged == 100)
    }

    @Test func smallFramesAreNeverCharged() {
        var budget = QueuedRequestBytes(limit: 1000, unchargedFrameSize: 64)
        let (a, b) = (budget.connectionOpened(), budget.connectionOpened())
        #expect(budget.frameStarted(on: a, size: 1000) == .admitted)
        #expect(budget.frameStarted(on: b, size: 900) == .waiting)
        // The budget is spent and a frame waits, yet metadata-sized requests still pass.
        #expect(budget.frameStarted(on: a, size: 64) == .admitted)
        #expect(budget.frameStarted(on: b, size: 0) == .admitted)
        #expect(budget.charged == 1000)
        #expect(budget.frameHandled(on: a) == [b])  // the 1000-byte frame was a's oldest
        #expect(budget.frameHandled(on: a).isEmpty)  // the uncharged one
        #expect(budget.charged == 900)
    }

    @Test func aFrameHandledBeforeItWasAdmittedStopsWaiting() {
        var budget = QueuedRequestBytes(limit: 100, unchargedFrameSize: 0)
        let (a, b) = (budget.connectionOpened(), budget.connectionOpened())
        #expect(budget.frameStarted(on: a, size: 100) == .admitted)
        #expect(budget.frameStarted(on: b, size: 50) == .waiting)
        // b's bytes had already been read with its size (one socket read), so it was decoded and handled.
        #expect(budget.frameHandled(on: b) == [b])
        #expect(budget.waitingFrames == 0)
        #expect(budget.charged == 100)
        #expect(budget.frameHandled(on: a).isEmpty)
        #expect(budget.charged == 0)
    }

    @Test func closingAConnectionReleasesItsBytesAndDropsItsWaitingFrames() {
        var budget = QueuedRequestBytes(limit: 100, unchargedFrameSize: 0)
        let (a, b, c) = (budget.connectionOpened(), budget.connectionOpened(), budget.connectionOpened())
        #expect(budget.frameStarted(on: a, size: 60) == .admitted)
        #expect(budget.frameStarted(on: a, size: 40) == .admitted)
        #expect(budget.frameStarted(on: b, size: 70) == .waiting)
        #expect(budget.frameStarted(on: c, size: 30) == .waiting)
        #expect(budget.connectionClosed(b).isEmpty)
        #expect(budget.connectionClosed(a) == [c])
        #expect(budget.charged == 30)
        #expect(budget.connections == 1)
        // Late inputs about closed connections change nothing.
        #expect(budget.frameHandled(on: a).isEmpty)
        #expect(budget.frameStarted(on: b, size: 99) == .admitted)
        #expect(budget.connectionClosed(a).isEmpty)
        #expect(budget.charged == 30)
    }

    /// A size the configuration should have refused (above the limit) is charged as the limit: it
    /// still gets through once the budget is empty, and nothing overflows.
    @Test func framesLargerThanTheLimitAreChargedAsTheLimit() {
        var budget = QueuedRequestBytes(limit: 100, unchargedFrameSize: 0)
        let a = budget.connectionOpened()
        #expect(budget.frameStarted(on: a, size: Int(Int32.max)) == .admitted)
        #expect(budget.charged == 100)
        var huge = QueuedRequestBytes(limit: Int.max, unchargedFrameSize: 0)
        let b = huge.connectionOpened()
        #expect(huge.frameStarted(on: b, size: Int.max) == .admitted)
        #expect(huge.frameStarted(on: b, size: Int.max) == .waiting)
        #expect(huge.frameHandled(on: b) == [b])
    }

    /// Random opens, frames, handlings and closes: the charge never exceeds the limit and always equals
    /// what the admitted, unhandled frames hold; every waiting frame is eventually resolved.
    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func chargeStaysWithinTheLimitAndMatchesTheAdmittedFrames(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let limit = 1000
        var budget = QueuedRequestBytes(limit: limit, unchargedFrameSize: 50)
        // Our own view: per connection, its frames (size, admitted?) oldest first.
        var model: [ID: [(size: Int, admitted: Bool)]] = [:]
        func resolve(_ ids: [ID]) {
            for id in ids {
                guard let index = model[id]?.firstIndex(where: { !$0.admitted }) else {
                    Issue.record("resolved \(id) without a waiting frame")
                    continue
                }
                model[id]?[index].admitted = true
            }
        }
        for _ in 0..<2000 {
            let open = model.keys.sorted { $0.rawValue < $1.rawValue }
            switch Int.random(in: 0..<10, using: &random) {
            case 0 where open.count < 8, _ where open.isEmpty:
                model[budget.connectionOpened()] = []
            case 1...5:
                let id = open[Int.random(in: 0..<open.count, using: &random)]
                let size = Int.random(in: 0...600, using: &random)
                let admission = budget.frameStarted(on: id, size: size)
                model[id]?.append((size, admission == .admitted))
            case 6...8:
                let id = open[Int.random(in: 0..<open.count, using: &random)]
                guard model[id]?.isEmpty == false else { continue }
                let handled = model[id]?.removeFirst()
                var resolved = budget.frameHandled(on: id)
                if handled?.admitted == false, let index = resolved.firstIndex(of: id) { resolved.remove(at: index) }
                resolve(resolved)
            default:
                let id = open[Int.random(in: 0..<open.count, using: &random)]
                model[id] = nil
                resolve(budget.connectionClosed(id))
            }
            let expected = model.values.joined().filter { $0.admitted && $0.size > 50 }.reduce(0) { $0 + $1.size }
            #expect(budget.charged == expected)
            #expect(budget.charged <= limit)
            #expect(budget.waitingFrames == model.values.joined().filter { !$0.admitted }.count)
        }
        for id in model.keys.sorted(by: { $0.rawValue < $1.rawValue }) { resolve(budget.connectionClosed(id)) }
        #expect(budget.charged == 0)
        #expect(budget.waitingFrames == 0)
    }
}

/// `KafkaFrameBoundaries`: frame sizes found in a byte stream however it is cut.
@Suite struct KafkaFrameBoundariesTests {
    static func frame(_ size: Int32, body: Int? = nil) -> [UInt8] {
        var bytes = withUnsafeBytes(of: size.bigEndian, Array.init)
        bytes += [UInt8](repeating: 7, count: body ?? Int(max(size, 0)))
        return bytes
    }

    static let stream = frame(5) + frame(0) + frame(300) + frame(1) + frame(70_000)

    @Test func wholeStreamYieldsEverySizeInOrder() {
        var boundaries = KafkaFrameBoundaries(maxFrameSize: 100_000)
        #expect(boundaries.framesStarted(in: ByteBuffer(bytes: Self.stream)) == [5, 0, 300, 1, 70_000])
    }

    /// The drip-feed test: one byte at a time, and every other cut, give the same sizes.
    @Test(arguments: [1, 2, 3, 5, 7, 4096])
    func anyCuttingYieldsTheSameSizes(piece: Int) {
        var boundaries = KafkaFrameBoundaries(maxFrameSize: 100_000)
        var sizes: [Int] = []
        var start = 0
        while start < Self.stream.count {
            let end = min(start + piece, Self.stream.count)
            sizes += boundaries.framesStarted(in: ByteBuffer(bytes: Self.stream[start..<end]))
            start = end
        }
        #expect(sizes == [5, 0, 300, 1, 70_000])
    }

    @Test func readerIndexIsRespected() {
        var buffer = ByteBuffer(bytes: [9, 9] + Self.frame(3))
        buffer.moveReaderIndex(forwardBy: 2)
        var boundaries = KafkaFrameBoundaries(maxFrameSize: 10)
        #expect(boundaries.framesStarted(in: buffer) == [3])
    }

    @Test(arguments: [Int32(-1), Int32.min, 101])
    func anInvalidSizeStopsTheTracking(size: Int32) {
        var boundaries = KafkaFrameBoundaries(maxFrameSize: 100)
        let bytes = Self.frame(2) + Self.frame(size, body: 4) + Self.frame(1)
        #expect(boundaries.framesStarted(in: ByteBuffer(bytes: bytes)) == [2])
        #expect(boundaries.isStopped)
        #expect(boundaries.framesStarted(in: ByteBuffer(bytes: Self.frame(1))).isEmpty)
    }
}
