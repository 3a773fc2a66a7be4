import NIOCore
import ZooKeeperWire

/// A buffer holding the bytes spelled by `hex`; spaces and newlines are ignored.
func buffer(hex: String) -> ByteBuffer {
    let digits = hex.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd number of hex digits in \(hex)")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return ByteBuffer(bytes: bytes)
}

func buffer(_ string: String) -> ByteBuffer {
    ByteBuffer(string: string)
}

extension ByteBuffer {
    /// The readable bytes as lowercase hex, no separators.
    var hex: String {
        self.readableBytesView.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}

/// Runs `body` on a fresh buffer and returns what it wrote.
func encoded(_ body: (inout ByteBuffer) throws -> Void) rethrows -> ByteBuffer {
    var buffer = ByteBuffer()
    try body(&buffer)
    return buffer
}

/// Splits one complete frame (length prefix + payload) into its payload, checking the prefix.
func payload(ofFrame frame: ByteBuffer) throws(ZooKeeperWireError) -> ByteBuffer {
    var frame = frame
    var decoder = ZKFrameDecoder()
    guard let payload = try decoder.decode(buffer: &frame) else {
        throw .truncated(field: "frame", needed: 4, available: frame.readableBytes)
    }
    guard frame.readableBytes == 0 else {
        throw .trailingBytes(context: "frame", count: frame.readableBytes)
    }
    return payload
}

/// The Stat used throughout: czxid 5, mzxid 6, ctime 1700000000000, mtime 1700000000001, version 1,
/// cversion 2, dataLength 5, pzxid 5.
let sampleStat = Stat(
    czxid: 5,
    mzxid: 6,
    ctime: 1_700_000_000_000,
    mtime: 1_700_000_000_001,
    version: 1,
    cversion: 2,
    aversion: 0,
    ephemeralOwner: 0,
    dataLength: 5,
    numChildren: 0,
    pzxid: 5
)

/// `sampleStat` as 68 bytes, computed field by field from the `Stat` record.
let sampleStatHex =
    "0000000000000005" + "0000000000000006" + "0000018bcfe56800" + "0000018bcfe56801"
    + "00000001" + "00000002" + "00000000" + "0000000000000000" + "00000005" + "00000000"
    + "0000000000000005"

/// A Stat with every field distinct and some negative, to catch swapped fields.
let oddStat = Stat(
    czxid: 0x1_0000_0001,
    mzxid: 0x1_0000_0002,
    ctime: -3,
    mtime: 4,
    version: 5,
    cversion: -6,
    aversion: 7,
    ephemeralOwner: EphemeralOwner.container,
    dataLength: 9,
    numChildren: 10,
    pzxid: Int64.max
)
