/// Reading ZooKeeper's four-letter-word answers (`srvr`, ...; ZooKeeper Administrator's Guide, "The
/// Four Letter Words"); `ZooKeeperClient.fourLetterWord` sends them.
package enum FourLetterWord {
    /// The version a `srvr` answer names (`Zookeeper version: 3.8.0-...`), else the answer's start.
    package static func serverVersion(fromSrvr reply: String) -> String {
        for line in reply.split(whereSeparator: \.isNewline) where line.hasPrefix("Zookeeper version:") {
            return String(line.dropFirst("Zookeeper version:".count).drop(while: { $0 == " " }))
        }
        let trimmed = reply.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return trimmed.isEmpty ? "unknown" : String(trimmed.prefix(120))
    }
}
