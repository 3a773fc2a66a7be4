/// Node metadata as the client sees it.
///
/// ```
/// class Stat {
///     long czxid; long mzxid; long ctime; long mtime; int version; int cversion; int aversion;
///     long ephemeralOwner; int dataLength; int numChildren; long pzxid;
/// }
/// ```
public struct Stat: Hashable, Sendable {
    public var czxid: Int64
    public var mzxid: Int64
    public var ctime: Int64
    public var mtime: Int64
    public var version: Int32
    public var cversion: Int32
    public var aversion: Int32
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32
    public var pzxid: Int64

    public init(
        czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0,
        version: Int32 = 0, cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0,
        dataLength: Int32 = 0, numChildren: Int32 = 0, pzxid: Int64 = 0
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    /// Encoded size in bytes.
    public static let encodedSize = 68
}
