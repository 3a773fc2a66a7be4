import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// The NIO glue of `queued.max.request.bytes`: a connection whose frame waits for budget is not read
/// (its `read()` is held back) and is read again once the frame is admitted; closing releases.
@Suite struct RequestBytesGateTests {
    /// Counts the `read()` calls that reach the socket side of the pipeline.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    struct Connection {
        let channel: EmbeddedChannel
        let counter: ReadCounter
        let id: RequestByteBudget.ConnectionID

        init(_ budget: RequestByteBudget) throws {
            counter = ReadCounter()
            channel = EmbeddedChannel()
            let gate = RequestBytesGate(budget: budget, maxFrameSize: 10_000)
            try channel.pipeline.syncOperations.addHandlers([counter, gate])
            id = try #require(gate.connection)
        }

        /// Sends `frame`'s size and `body` bytes of it (all by default), then asks to read more.
        func receive(size: Int32, body: Int? = nil) throws {
            var buffer = ByteBuffer()
            buffer.writeInteger(size)
            buffer.writeRepeatingByte(1, count: body ?? Int(size))
            try channel.writeInbound(buffer)
            channel.pipeline.read()
        }

        /// Every inbound byte the gate passed on.
        func passedOn() throws -> Int {
            var total = 0
            while let buffer = try channel.readInbound(as: ByteBuffer.self) { total += buffer.readableBytes }
            return total
        }
    }

    @Test func aWaitingFrameHoldsReadsUntilItIsAdmitted() throws {
        let budget = RequestByteBudget(limit: 1000, unchargedFrameSize: 10)
        let a = try Connection(budget)
        let b = try Connection(budget)
        try a.receive(size: 800)
        #expect(a.counter.reads == 1)
        #expect(budget.charged == 800)

        try b.receive(size: 500, body: 100)  // the size and part of the body arrived in one socket read
        #expect(try b.passedOn() == 104)  // bytes already read are passed on, not dropped
        #expect(budget.waitingFrames == 1)
        #expect(b.counter.reads == 0)  // but the socket is not read again
        b.channel.pipeline.read()
        #expect(b.counter.reads == 0)

        budget.frameHandled(on: a.id)  // a's request was answered
        b.channel.embeddedEventLoop.run()
        #expect(b.counter.reads == 1)  // the held read went out
        #expect(budget.charged == 500)
        b.channel.pipeline.read()
        #expect(b.counter.reads == 2)
        _ = try a.channel.finish()
        _ = try b.channel.finish()
    }

    @Test func smallFramesPassWhileTheBudgetIsSpent() throws {
        let budget = RequestByteBudget(limit: 1000, unchargedFrameSize: 64)
        let a = try Connection(budget)
        let b = try Connection(budget)
        try a.receive(size: 1000, body: 10)
        try b.receive(size: 40)
        try b.receive(size: 64)
        #expect(b.counter.reads == 2)
        #expect(budget.charged == 1000)
        _ = try a.channel.finish()
        _ = try b.channel.finish()
    }

    @Test func closingAConnectionReleasesItsBytesAndWakesTheNextOne() throws {
        let budget = RequestByteBudget(limit: 1000, unchargedFrameSize: 10)
        let a = try Connection(budget)
        let b = try Connection(budget)
        try a.receive(size: 900, body: 1)  // a client that declares a large frame and stalls
        try b.receive(size: 900, body: 1)
        #expect(b.counter.reads == 0)
        try a.channel.close().wait()
        #expect(budget.charged == 900)
        b.channel.embeddedEventLoop.run()
        #expect(b.counter.reads == 1)
        try b.channel.close().wait()
        #expect(budget.charged == 0)
        #expect(budget.waitingFrames == 0)
    }

    @Test func anInvalidSizeIsLeftToTheDecoder() throws {
        let budget = RequestByteBudget(limit: 1000, unchargedFrameSize: 10)
        let a = try Connection(budget)
        try a.receive(size: -1, body: 0)
        try a.receive(size: 20_000, body: 0)
        #expect(try a.passedOn() == 8)
        #expect(budget.charged == 0)
        #expect(a.counter.reads == 2)
        _ = try a.channel.finish()
    }
}
