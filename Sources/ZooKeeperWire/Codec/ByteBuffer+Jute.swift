public import NIOCore

// Jute primitives (`org.apache.jute.BinaryInputArchive` / `BinaryOutputArchive` wire format):
//
// | IDL type      | bytes                                              |
// |---------------|----------------------------------------------------|
// | int / long    | 4 / 8 bytes, big-endian, signed                    |
// | boolean       | 1 byte; 0 is false, anything else true             |
// | ustring       | int32 byte length + UTF-8 bytes; -1 is null        |
// | buffer        | int32 length + bytes; -1 is null                   |
// | vector<T>     | int32 count + elements; -1 is null                 |
// | record        | fields in declaration order, no header or trailer  |
//
// Readers consume (`read*`), writers return the bytes written (`write*`), as NIO's own helpers do.
// Readers work on a complete frame, so missing bytes throw `.truncated` rather than returning nil, and
// every length or count is checked against the bytes that remain before anything is allocated
// (ClickHouse `ZooKeeperIO.h` does the same). The frame limit (`ZKFrameDecoder.maxFrameLength`)
// therefore caps every string, buffer and vector.
//
// The rule for all input (sockets, files, znodes), here and in every module built on this one
// (issue 11): a value read from input never reaches a trap. Arithmetic on it is checked or saturating,
// conversions are checked (`Int32(exactly:)`, `clamping:`), counts and sizes are checked against the
// bytes present before allocating, and an encoder whose field could overflow sizes the whole record
// first and throws (`.replyTooLong`, `.encodingTooLong`) without writing. Preconditions guard only the
// program's own invariants; a trap on the event loop stops the whole member.

extension ByteBuffer {
    // MARK: - Fixed-width primitives

    /// Reads a jute `int`.
    @inlinable
    public mutating func readJuteInt32(field: String) throws(ZooKeeperWireError) -> Int32 {
        guard let value = self.readInteger(as: Int32.self) else {
            throw .truncated(field: field, needed: 4, available: self.readableBytes)
        }
        return value
    }

    /// Reads a jute `long`.
    @inlinable
    public mutating func readJuteInt64(field: String) throws(ZooKeeperWireError) -> Int64 {
        guard let value = self.readInteger(as: Int64.self) else {
            throw .truncated(field: field, needed: 8, available: self.readableBytes)
        }
        return value
    }

    /// Reads a jute `boolean`: one byte, any non-zero value is true (Java's `DataInput.readBoolean`).
    @inlinable
    public mutating func readJuteBool(field: String) throws(ZooKeeperWireError) -> Bool {
        guard let value = self.readInteger(as: UInt8.self) else {
            throw .truncated(field: field, needed: 1, available: self.readableBytes)
        }
        return value != 0
    }

    /// Writes a jute `boolean` as one byte, 0 or 1.
    @discardableResult
    @inlinable
    public mutating func writeJuteBool(_ value: Bool) -> Int {
        self.writeInteger(value ? 1 : 0, as: UInt8.self)
    }

    // MARK: - Length-prefixed primitives

    /// Reads the `int32` length of a ustring or buffer: nil for the null marker -1; throws for any
    /// other negative length or one longer than the bytes that remain.
    mutating func readJuteLength(field: String) throws(ZooKeeperWireError) -> Int? {
        let length = try self.readJuteInt32(field: field)
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= self.readableBytes else {
            throw .invalidLength(field: field, length: length)
        }
        return Int(length)
    }

    /// Reads a jute `ustring`; nil for a null string (length -1).
    ///
    /// Throws `.invalidLength` for other negative lengths or a length beyond the remaining bytes (before
    /// allocating anything) and `.invalidUTF8` for bytes that are not UTF-8.
    public mutating func readJuteString(field: String) throws(ZooKeeperWireError) -> String? {
        guard let length = try self.readJuteLength(field: field) else { return nil }
        let string = self.withUnsafeReadableBytes { bytes in
            String(validating: UnsafeRawBufferPointer(rebasing: bytes.prefix(length)), as: UTF8.self)
        }
        guard let string else { throw .invalidUTF8(field: field) }
        self.moveReaderIndex(forwardBy: length)
        return string
    }

    /// Writes a jute `ustring`; nil is written as the null marker -1.
    @discardableResult
    public mutating func writeJuteString(_ string: String?) -> Int {
        guard let string else { return self.writeInteger(-1, as: Int32.self) }
        let length = self.writeInteger(Int32(string.utf8.count), as: Int32.self)
        return length + self.writeString(string)
    }

    /// Reads a jute `buffer` as a slice of this buffer (no copy); nil for a null buffer (length -1).
    public mutating func readJuteBuffer(field: String) throws(ZooKeeperWireError) -> ByteBuffer? {
        guard let length = try self.readJuteLength(field: field) else { return nil }
        // Cannot fail: readJuteLength checked `length <= readableBytes`.
        return self.readSlice(length: length)!
    }

    /// Writes a jute `buffer`; nil is written as the null marker -1.
    @discardableResult
    public mutating func writeJuteBuffer(_ buffer: ByteBuffer?) -> Int {
        guard let buffer else { return self.writeInteger(-1, as: Int32.self) }
        let length = self.writeInteger(Int32(buffer.readableBytes), as: Int32.self)
        return length + self.writeImmutableBuffer(buffer)
    }

    /// Reads a jute `buffer` as a byte array (for small values: passwords, auth data, SASL tokens).
    public mutating func readJuteBytes(field: String) throws(ZooKeeperWireError) -> [UInt8]? {
        guard let length = try self.readJuteLength(field: field) else { return nil }
        // Cannot fail: readJuteLength checked `length <= readableBytes`.
        return self.readBytes(length: length)!
    }

    /// Writes a byte array as a jute `buffer`; nil is written as the null marker -1.
    @discardableResult
    public mutating func writeJuteBytes(_ bytes: [UInt8]?) -> Int {
        guard let bytes else { return self.writeInteger(-1, as: Int32.self) }
        let length = self.writeInteger(Int32(bytes.count), as: Int32.self)
        return length + self.writeBytes(bytes)
    }

    // MARK: - Vectors

    /// Reads a jute `vector<T>` count and then its elements; nil for a null vector (count -1).
    ///
    /// The count is checked against `readableBytes / minimumElementSize` before any storage is
    /// reserved, so a count of `0x7fffffff` in a small frame throws instead of allocating.
    mutating func readJuteVector<Element>(
        field: String,
        minimumElementSize: Int,
        _ readElement: (inout ByteBuffer) throws(ZooKeeperWireError) -> Element
    ) throws(ZooKeeperWireError) -> [Element]? {
        let count = try self.readJuteInt32(field: field)
        if count == -1 { return nil }
        guard count >= 0, Int(count) <= self.readableBytes / minimumElementSize else {
            throw .invalidLength(field: field, length: count)
        }
        var elements: [Element] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<count {
            elements.append(try readElement(&self))
        }
        return elements
    }

    /// Writes a jute `vector<T>`; nil is written as the null marker -1.
    mutating func writeJuteVector<Element>(
        _ elements: [Element]?,
        _ writeElement: (inout ByteBuffer, Element) -> Int
    ) -> Int {
        guard let elements else { return self.writeInteger(-1, as: Int32.self) }
        var written = self.writeInteger(Int32(elements.count), as: Int32.self)
        for element in elements {
            written += writeElement(&self, element)
        }
        return written
    }

    /// Reads a jute `vector<ustring>`; nil for a null vector. A null element is rejected with
    /// `.invalidValue(field:value: -1)`: no ZooKeeper peer sends one.
    public mutating func readJuteStringVector(field: String) throws(ZooKeeperWireError) -> [String]? {
        try self.readJuteVector(field: field, minimumElementSize: 4) { (buffer) throws(ZooKeeperWireError) in
            try buffer.readJuteRequiredString(field: field)
        }
    }

    /// Writes a jute `vector<ustring>`; nil is written as the null marker -1.
    @discardableResult
    public mutating func writeJuteStringVector(_ strings: [String]?) -> Int {
        self.writeJuteVector(strings) { $0.writeJuteString($1) }
    }

    /// Reads a jute `vector<org.apache.zookeeper.data.ACL>`; nil for a null vector.
    public mutating func readJuteACLs(field: String) throws(ZooKeeperWireError) -> [ACL]? {
        // An ACL is at least perms (4) + two empty ustrings (4 + 4).
        try self.readJuteVector(field: field, minimumElementSize: 12) { (buffer) throws(ZooKeeperWireError) in
            try buffer.readACL()
        }
    }

    /// Writes a jute `vector<org.apache.zookeeper.data.ACL>`; nil is written as the null marker -1.
    @discardableResult
    public mutating func writeJuteACLs(_ acls: [ACL]?) -> Int {
        self.writeJuteVector(acls) { $0.writeACL($1) }
    }

    // MARK: - Required (non-null) values

    /// Reads a ustring that the record needs (a path, a scheme): null is `.invalidValue(field:, value: -1)`.
    mutating func readJuteRequiredString(field: String) throws(ZooKeeperWireError) -> String {
        guard let string = try self.readJuteString(field: field) else {
            throw .invalidValue(field: field, value: -1)
        }
        return string
    }

    // MARK: - org.apache.zookeeper.data records

    /// Reads a `Stat` (68 bytes):
    /// ```
    /// class Stat {
    ///     long czxid; long mzxid; long ctime; long mtime; int version; int cversion; int aversion;
    ///     long ephemeralOwner; int dataLength; int numChildren; long pzxid;
    /// }
    /// ```
    public mutating func readStat() throws(ZooKeeperWireError) -> Stat {
        guard self.readableBytes >= Stat.encodedSize else {
            throw .truncated(field: "stat", needed: Stat.encodedSize, available: self.readableBytes)
        }
        return Stat(
            czxid: try self.readJuteInt64(field: "stat.czxid"),
            mzxid: try self.readJuteInt64(field: "stat.mzxid"),
            ctime: try self.readJuteInt64(field: "stat.ctime"),
            mtime: try self.readJuteInt64(field: "stat.mtime"),
            version: try self.readJuteInt32(field: "stat.version"),
            cversion: try self.readJuteInt32(field: "stat.cversion"),
            aversion: try self.readJuteInt32(field: "stat.aversion"),
            ephemeralOwner: try self.readJuteInt64(field: "stat.ephemeralOwner"),
            dataLength: try self.readJuteInt32(field: "stat.dataLength"),
            numChildren: try self.readJuteInt32(field: "stat.numChildren"),
            pzxid: try self.readJuteInt64(field: "stat.pzxid")
        )
    }

    /// Writes a `Stat` (always 68 bytes).
    @discardableResult
    public mutating func writeStat(_ stat: Stat) -> Int {
        var written = self.writeInteger(stat.czxid)
        written += self.writeInteger(stat.mzxid)
        written += self.writeInteger(stat.ctime)
        written += self.writeInteger(stat.mtime)
        written += self.writeInteger(stat.version)
        written += self.writeInteger(stat.cversion)
        written += self.writeInteger(stat.aversion)
        written += self.writeInteger(stat.ephemeralOwner)
        written += self.writeInteger(stat.dataLength)
        written += self.writeInteger(stat.numChildren)
        written += self.writeInteger(stat.pzxid)
        return written
    }

    /// Reads an `Id`: `class Id { ustring scheme; ustring id; }`. Null strings read as "" (ZooKeeper's
    /// `world:anyone` and `auth:` ids never carry nulls; a lenient read keeps old clients working).
    public mutating func readZKId() throws(ZooKeeperWireError) -> ZKId {
        let scheme = try self.readJuteString(field: "id.scheme") ?? ""
        let id = try self.readJuteString(field: "id.id") ?? ""
        return ZKId(scheme: scheme, id: id)
    }

    /// Writes an `Id`.
    @discardableResult
    public mutating func writeZKId(_ id: ZKId) -> Int {
        self.writeJuteString(id.scheme) + self.writeJuteString(id.id)
    }

    /// Reads an `ACL`: `class ACL { int perms; Id id; }`. Unknown permission bits are kept as sent;
    /// the server validates them.
    public mutating func readACL() throws(ZooKeeperWireError) -> ACL {
        let perms = try self.readJuteInt32(field: "acl.perms")
        let id = try self.readZKId()
        return ACL(perms: Perms(rawValue: perms), id: id)
    }

    /// Writes an `ACL`.
    @discardableResult
    public mutating func writeACL(_ acl: ACL) -> Int {
        self.writeInteger(acl.perms.rawValue) + self.writeZKId(acl.id)
    }
}
