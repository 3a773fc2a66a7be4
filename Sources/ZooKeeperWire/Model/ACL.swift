/// An identity under an auth scheme: `class Id { ustring scheme; ustring id; }`.
public struct ZKId: Hashable, Sendable, CustomStringConvertible {
    public var scheme: String
    public var id: String

    public init(scheme: String, id: String) {
        self.scheme = scheme
        self.id = id
    }

    /// `world:anyone`.
    public static let anyone = ZKId(scheme: "world", id: "anyone")
    /// `auth:` — replaced at create/setACL time by the caller's authenticated ids.
    public static let authIDs = ZKId(scheme: "auth", id: "")

    public var description: String { "\(scheme):\(id)" }
}

/// Permission bits (`ZooDefs.Perms`).
public struct Perms: OptionSet, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let read = Perms(rawValue: 1)
    public static let write = Perms(rawValue: 2)
    public static let create = Perms(rawValue: 4)
    public static let delete = Perms(rawValue: 8)
    public static let admin = Perms(rawValue: 16)
    public static let all: Perms = [.read, .write, .create, .delete, .admin]
}

/// One access-control entry: `class ACL { int perms; Id id; }`.
public struct ACL: Hashable, Sendable {
    public var perms: Perms
    public var id: ZKId

    public init(perms: Perms, id: ZKId) {
        self.perms = perms
        self.id = id
    }

    /// `ZooDefs.Ids.OPEN_ACL_UNSAFE`: everyone may do everything.
    public static let openUnsafe: [ACL] = [ACL(perms: .all, id: .anyone)]
    /// `ZooDefs.Ids.CREATOR_ALL_ACL`: the creator's authenticated ids get everything.
    public static let creatorAll: [ACL] = [ACL(perms: .all, id: .authIDs)]
    /// `ZooDefs.Ids.READ_ACL_UNSAFE`: everyone may read.
    public static let readUnsafe: [ACL] = [ACL(perms: .read, id: .anyone)]
}
