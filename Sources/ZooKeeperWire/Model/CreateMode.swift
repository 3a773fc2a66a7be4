/// `CreateMode` and its flag values, as sent in `CreateRequest.flags`.
public enum CreateMode: Int32, Sendable, CaseIterable {
    case persistent = 0
    case ephemeral = 1
    case persistentSequential = 2
    case ephemeralSequential = 3
    case container = 4
    case persistentWithTTL = 5
    case persistentSequentialWithTTL = 6

    public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }
    public var isSequential: Bool {
        self == .persistentSequential || self == .ephemeralSequential || self == .persistentSequentialWithTTL
    }
    public var isContainer: Bool { self == .container }
    public var isTTL: Bool { self == .persistentWithTTL || self == .persistentSequentialWithTTL }
}

/// Encodings of node types in `Stat.ephemeralOwner` (`server/EphemeralType.java`).
public enum EphemeralOwner {
    /// Container nodes carry `Long.MIN_VALUE`.
    public static let container: Int64 = Int64.min
    /// TTL nodes: high byte `0xFF`, extended-type bits 40..55 zero (TTL), TTL in milliseconds in the
    /// low 40 bits (`EphemeralType.TTL`: `EXTENDED_MASK | EXTENDED_BIT_TTL | ttl`).
    public static let ttlMask: UInt64 = 0xFF00_0000_0000_0000
    /// Largest TTL in milliseconds: `2^40 - 1`.
    public static let maxTTL: Int64 = (1 << 40) - 1

    /// The `ephemeralOwner` of a TTL node. Callers check the TTL is in `1...maxTTL` first (a create
    /// with any other TTL is BADARGUMENTS); out-of-range bits are masked off rather than trapping
    /// on a negative value or spilling into the type bits.
    public static func ttl(_ milliseconds: Int64) -> Int64 {
        Int64(bitPattern: ttlMask | (UInt64(bitPattern: milliseconds) & UInt64(maxTTL)))
    }

    /// The TTL encoded in an `ephemeralOwner`, or nil when the node is not a TTL node.
    public static func ttl(of owner: Int64) -> Int64? {
        let raw = UInt64(bitPattern: owner)
        guard owner != container, raw & 0xFFFF_FF00_0000_0000 == ttlMask else { return nil }
        return Int64(raw & UInt64(maxTTL))
    }
}
