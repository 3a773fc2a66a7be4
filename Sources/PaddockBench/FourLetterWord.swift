import KeeperClient
import NIOCore
import NIOPosix

/// ZooKeeper's four-letter-word commands (`srvr`, ...; ZooKeeper Administrator's Guide, "The Four
/// Letter Words"): send the word on a fresh connection, read until the server closes it.
package enum FourLetterWord {
    /// The server's answer, at most 64 KiB, or the error that prevented it. Bounded by `timeout`.
    static func send(
        _ word: String,
        to host: HostAndPort,
        eventLoopGroup: any EventLoopGroup,
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
        // A server that never closes must not hang the benchmark: closing ends the inbound stream.
        let timer = underlying.eventLoop.scheduleTask(in: timeout) { underlying.close(promise: nil) }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: word))
            var reply = ""
            for try await chunk in inbound {
                reply += String(buffer: chunk)
                if reply.utf8.count > 65_536 { break }
            }
            return reply
        }
    }

    /// The version a `srvr` answer names (`Zookeeper version: 3.8.0-...`), else the answer's start.
    package static func serverVersion(fromSrvr reply: String) -> String {
        for line in reply.split(whereSeparator: \.isNewline) where line.hasPrefix("Zookeeper version:") {
            return String(line.dropFirst("Zookeeper version:".count).drop(while: { $0 == " " }))
        }
        let trimmed = reply.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return trimmed.isEmpty ? "unknown" : String(trimmed.prefix(120))
    }
}
