/// A ZooKeeper transaction id: `(epoch << 32) | counter` (`server/util/ZxidUtils.java`).
///
/// Every committed transaction gets one; replies carry the server's last applied zxid.
public struct Zxid: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public init(epoch: UInt32, counter: UInt32) {
        self.rawValue = Int64(bitPattern: UInt64(epoch) << 32 | UInt64(counter))
    }

    public static let zero = Zxid(0)

    /// The leader epoch (consensus term) the transaction was committed in.
    public var epoch: UInt32 { UInt32(truncatingIfNeeded: UInt64(bitPattern: rawValue) >> 32) }
    /// The position of the transaction within its epoch, starting at 1.
    public var counter: UInt32 { UInt32(truncatingIfNeeded: UInt64(bitPattern: rawValue)) }

    public static func < (lhs: Zxid, rhs: Zxid) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "0x" + String(UInt64(bitPattern: rawValue), radix: 16) }
}

/// A session id as ZooKeeper hands it out (`SessionTrackerImpl.initializeNextSessionId`).
public struct SessionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// Session id 0 in a ConnectRequest asks for a new session.
    public static let none = SessionID(0)

    public static func < (lhs: SessionID, rhs: SessionID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// Hex, as ZooKeeper prints session ids.
    public var description: String { "0x" + String(UInt64(bitPattern: rawValue), radix: 16) }
}

/// A client request id (`RequestHeader.xid`). Negative values are reserved (see `Xid` constants).
public struct Xid: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Watch notifications travel with xid -1 (`ClientCnxn.NOTIFICATION_XID`).
    public static let notification = Xid(-1)
    /// Pings use xid -2.
    public static let ping = Xid(-2)
    /// Auth packets use xid -4.
    public static let auth = Xid(-4)
    /// SetWatches / SetWatches2 on reconnect use xid -8.
    public static let setWatches = Xid(-8)

    public var description: String { String(rawValue) }
}
