import ZooKeeperWire

/// A server address from the connect string.
package struct HostAndPort: Hashable, Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A parsed connect string: `host1:port1,host2:port2[/chroot]` (`ConnectStringParser.java`).
///
/// The chroot starts at the first `/`; a bare `/` means no chroot. A host without a port gets 2181.
/// IPv6 literals are written in brackets: `[::1]:2181`.
package struct ConnectString: Hashable, Sendable {
    package var hosts: [HostAndPort]
    package var chroot: Chroot

    package static let defaultPort = 2181

    package init(parsing string: String) throws(ZooKeeperError) {
        var hostPart = Substring(string)
        var chrootPath: String? = nil
        if let slash = string.firstIndex(of: "/") {
            let path = String(string[slash...])
            hostPart = string[..<slash]
            if path != "/" {
                guard Chroot.isValidChroot(path) else { throw ZooKeeperError(code: .badArguments, path: path) }
                chrootPath = path
            }
        }
        var hosts: [HostAndPort] = []
        for entry in hostPart.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = entry.trimmingSpaces()
            guard !trimmed.isEmpty else { continue }
            hosts.append(try Self.parseHost(trimmed, in: string))
        }
        guard !hosts.isEmpty else { throw ZooKeeperError(code: .badArguments, path: string) }
        self.hosts = hosts
        self.chroot = Chroot(chrootPath)
    }

    private static func parseHost(_ entry: Substring, in string: String) throws(ZooKeeperError) -> HostAndPort {
        let host: Substring
        var portText: Substring? = nil
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { throw ZooKeeperError(code: .badArguments, path: string) }
            host = entry[entry.index(after: entry.startIndex)..<close]
            let rest = entry[entry.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw ZooKeeperError(code: .badArguments, path: string) }
                portText = rest.dropFirst()
            }
        } else if let colon = entry.lastIndex(of: ":") {
            host = entry[..<colon]
            portText = entry[entry.index(after: colon)...]
        } else {
            host = entry
        }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw ZooKeeperError(code: .badArguments, path: string)
            }
            port = value
        }
        guard !host.isEmpty else { throw ZooKeeperError(code: .badArguments, path: string) }
        return HostAndPort(host: String(host), port: port)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " { result.removeFirst() }
        while result.last == " " { result.removeLast() }
        return result
    }
}
