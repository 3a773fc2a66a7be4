package import NIOCore
import NIOPosix

extension ZooKeeperClient {
    /// Sends one of ZooKeeper's four-letter words (`srvr`, `mntr`, `wchc`, ...; Administrator's Guide,
    /// "The Four Letter Words") to `host` on a fresh connection and returns what the server wrote
    /// before closing it: at most 1 MiB, bounded by `timeout` (a server that never closes is cut off).
    package static func fourLetterWord(
        _ word: String,
        to host: HostAndPort,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: TimeAmount
    ) async throws -> String {
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(timeout)
            .connect(host: host.host, port: host.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let underlying = channel.channel
        // Closing ends the inbound stream, so the loop below ends by the deadline at the latest.
        let timer = underlying.eventLoop.scheduleTask(in: timeout) { underlying.close(promise: nil) }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: word))
            var reply = ""
            for try await chunk in inbound {
                reply += String(buffer: chunk)
                if reply.utf8.count > 1_048_576 { break }
            }
            return reply
        }
    }
}
