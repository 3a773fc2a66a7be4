package import NIOCore
package import ZooKeeperWire

/// A point-in-time image of the tree and session table, streamed to a member that is too far
/// behind for log entries (Raft's InstallSnapshot). Jute primitives:
/// ```
/// int version (=1); long lastZxid;
/// int nodeCount; { ustring path; buffer data; vector<ACL> acl; long czxid; long mzxid; long ctime;
///                  long mtime; int version; int cversion; int aversion; long ephemeralOwner; long pzxid; }*
/// int sessionCount; { long id; int timeout; buffer password; int owner; }*
/// ```
/// Nodes are written in path order so two equal trees give identical bytes.
extension DataTree {
    package static let snapshotVersion: Int32 = 1

    /// The largest image `writeSnapshot` writes: a `ByteBuffer` holds at most `UInt32.max` bytes
    /// (NIO traps past it), and clients can grow the tree past that with enough large nodes.
    package static let maxSnapshotBytes = Int(UInt32.max)

    /// The bytes `writeSnapshot` would write, or nil when the image cannot be written at all: one
    /// of its length or count fields would not fit its `int`.
    package var snapshotSize: Int? {
        func fits(_ length: Int) -> Bool { length <= Int(Int32.max) }
        func string(_ text: String) -> Int? { fits(text.utf8.count) ? 4 + text.utf8.count : nil }
        guard fits(nodes.count), fits(sessions.count) else { return nil }
        var total = 4 + 8 + 4 + 4
        for (path, node) in nodes {
            let dataLength = node.dataBytes?.count ?? 0
            guard let pathSize = string(path), fits(dataLength), fits(node.acl.count) else { return nil }
            var aclSize = 4
            for entry in node.acl {
                guard let scheme = string(entry.id.scheme), let id = string(entry.id.id) else { return nil }
                aclSize += 4 + scheme + id
            }
            // path, data, acl, then czxid mzxid ctime mtime, version cversion aversion,
            // ephemeralOwner pzxid.
            total += pathSize + 4 + dataLength + aclSize + 4 * 8 + 3 * 4 + 2 * 8
        }
        for record in sessions.values {
            guard fits(record.password.count) else { return nil }
            total += 8 + 4 + 4 + record.password.count + 4
        }
        return total
    }

    /// Writes the image, or throws `.encodingTooLong` (and writes nothing) when it would pass
    /// `maxBytes` (at most `maxSnapshotBytes`) or a field could not hold its length: the member
    /// then fails that snapshot send rather than trapping.
    package func writeSnapshot(to buffer: inout ByteBuffer, maxBytes: Int = maxSnapshotBytes) throws(ZooKeeperWireError) {
        let limit = min(maxBytes, Self.maxSnapshotBytes - buffer.writerIndex)
        guard let size = snapshotSize, size <= limit else {
            throw .encodingTooLong(context: "tree snapshot", length: snapshotSize ?? .max, limit: limit)
        }
        buffer.reserveCapacity(minimumWritableBytes: size)
        buffer.writeInteger(Self.snapshotVersion)
        buffer.writeInteger(lastZxid.rawValue)
        // Cannot trap: `snapshotSize` checked every count and length against Int32.
        buffer.writeInteger(Int32(nodes.count))
        for path in nodes.keys.sorted() {
            let node = nodes[path]!
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(node.data)
            buffer.writeJuteACLs(node.acl)
            buffer.writeInteger(node.czxid)
            buffer.writeInteger(node.mzxid)
            buffer.writeInteger(node.ctime)
            buffer.writeInteger(node.mtime)
            buffer.writeInteger(node.version)
            buffer.writeInteger(node.cversion)
            buffer.writeInteger(node.aversion)
            buffer.writeInteger(node.ephemeralOwner)
            buffer.writeInteger(node.pzxid)
        }
        buffer.writeInteger(Int32(sessions.count))
        for id in sessions.keys.sorted() {
            let record = sessions[id]!
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(record.timeout)
            buffer.writeJuteBytes(record.password)
            buffer.writeInteger(record.owner)
        }
    }

    package init(snapshot buffer: inout ByteBuffer, config: TreeConfig) throws(ZooKeeperWireError) {
        let version = try buffer.readJuteInt32(field: "snapshot.version")
        guard version == Self.snapshotVersion else {
            throw .invalidValue(field: "snapshot.version", value: Int64(version))
        }
        let lastZxid = Zxid(try buffer.readJuteInt64(field: "snapshot.lastZxid"))
        let nodeCount = try buffer.readJuteInt32(field: "snapshot.nodeCount")
        // Each node takes at least 64 bytes: refuse counts the buffer cannot hold before reserving.
        guard nodeCount >= 1, Int(nodeCount) <= buffer.readableBytes / 64 else {
            throw .invalidLength(field: "snapshot.nodeCount", length: nodeCount)
        }
        var rows: [(path: String, node: ZNode)] = []
        rows.reserveCapacity(Int(nodeCount))
        for _ in 0..<nodeCount {
            guard let path = try buffer.readJuteString(field: "snapshot.path") else {
                throw .invalidValue(field: "snapshot.path", value: -1)
            }
            let data = try buffer.readJuteBuffer(field: "snapshot.data")
            let acl = try buffer.readJuteACLs(field: "snapshot.acl") ?? []
            let node = ZNode(
                data: data, acl: acl,
                czxid: try buffer.readJuteInt64(field: "snapshot.czxid"),
                mzxid: try buffer.readJuteInt64(field: "snapshot.mzxid"),
                ctime: try buffer.readJuteInt64(field: "snapshot.ctime"),
                mtime: try buffer.readJuteInt64(field: "snapshot.mtime"),
                version: try buffer.readJuteInt32(field: "snapshot.version"),
                cversion: try buffer.readJuteInt32(field: "snapshot.cversion"),
                aversion: try buffer.readJuteInt32(field: "snapshot.aversion"),
                ephemeralOwner: try buffer.readJuteInt64(field: "snapshot.ephemeralOwner"),
                pzxid: try buffer.readJuteInt64(field: "snapshot.pzxid"))
            rows.append((path, node))
        }
        let sessionCount = try buffer.readJuteInt32(field: "snapshot.sessionCount")
        guard sessionCount >= 0, Int(sessionCount) <= buffer.readableBytes / 16 else {
            throw .invalidLength(field: "snapshot.sessionCount", length: sessionCount)
        }
        var sessions: [SessionID: SessionRecord] = [:]
        for _ in 0..<sessionCount {
            let id = SessionID(try buffer.readJuteInt64(field: "snapshot.sessionId"))
            let timeout = try buffer.readJuteInt32(field: "snapshot.timeout")
            let password = try buffer.readJuteBytes(field: "snapshot.password") ?? []
            let owner = try buffer.readJuteInt32(field: "snapshot.owner")
            sessions[id] = SessionRecord(timeout: timeout, password: password, owner: owner)
        }
        guard buffer.readableBytes == 0 else { throw .trailingBytes(context: "snapshot", count: buffer.readableBytes) }
        self.init(restoring: rows, sessions: sessions, lastZxid: lastZxid, config: config)
    }
}
