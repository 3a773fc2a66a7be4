package import NIOCore
package import ZooKeeperWire

/// One znode: data, ACL and the persisted part of its Stat (`StatPersisted` in zookeeper.jute);
/// `dataLength` and `numChildren` are derived.
package struct ZNode: Hashable, Sendable {
    /// The payload, exactly sized and owned (never a slice of a network buffer); nil when created
    /// with null data. Not a ByteBuffer: its capacity is rounded up to a power of two (512 bytes
    /// for a 300-byte payload), a fifth of a member's memory at a million znodes.
    package var dataBytes: [UInt8]?

    /// The payload as a buffer (a copy: replies and snapshots write it into their frames).
    package var data: ByteBuffer? {
        get { dataBytes.map { ByteBuffer(bytes: $0) } }
        set { dataBytes = newValue.map { Array($0.readableBytesView) } }
    }
    package var acl: [ACL]
    package var czxid: Int64
    package var mzxid: Int64
    package var ctime: Int64
    package var mtime: Int64
    package var version: Int32
    /// Number of child *creates* (ZooKeeper's persisted cversion). Clients see
    /// `2 * cversion - numChildren`, i.e. creates plus deletes (`DataNode.copyStat`); the sequence
    /// suffix uses this stored value.
    package var cversion: Int32
    package var aversion: Int32
    package var ephemeralOwner: Int64
    package var pzxid: Int64
    /// Names (last path component) of the children.
    package var children: ChildNames

    package init(
        data: ByteBuffer?, acl: [ACL], czxid: Int64, mzxid: Int64, ctime: Int64, mtime: Int64,
        version: Int32 = 0, cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0, pzxid: Int64,
        children: ChildNames = []
    ) {
        self.dataBytes = data.map { Array($0.readableBytesView) }
        self.acl = acl
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.pzxid = pzxid
        self.children = children
    }

    /// Stat's int fields cannot describe more than `Int32.max`; data from a frame or a SQLite blob
    /// never gets there, but the conversion clamps rather than trusting that.
    package var dataLength: Int32 { Int32(clamping: dataBytes?.count ?? 0) }

    /// The Stat a client sees (`DataNode.copyStat`): cversion counts creates and deletes, and
    /// container and TTL nodes show ephemeralOwner 0 (`getClientEphemeralOwner`).
    package var stat: Stat {
        let numChildren = Int32(clamping: children.count)
        let clientOwner: Int64
        switch kind {
        case .container, .ttl: clientOwner = 0
        case .ephemeral, .persistent: clientOwner = ephemeralOwner
        }
        return Stat(
            czxid: czxid, mzxid: mzxid, ctime: ctime, mtime: mtime, version: version,
            cversion: cversion &* 2 &- numChildren, aversion: aversion, ephemeralOwner: clientOwner,
            dataLength: dataLength, numChildren: numChildren, pzxid: pzxid
        )
    }

    /// What kind of node `ephemeralOwner` says this is (`EphemeralType.get`).
    package var kind: Kind {
        if ephemeralOwner == 0 { return .persistent }
        if ephemeralOwner == EphemeralOwner.container { return .container }
        if let ttl = EphemeralOwner.ttl(of: ephemeralOwner) { return .ttl(ttl) }
        return .ephemeral(SessionID(ephemeralOwner))
    }

    package enum Kind: Equatable {
        case persistent
        case ephemeral(SessionID)
        case container
        case ttl(Int64)
    }

}
