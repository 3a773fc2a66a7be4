import NIOCore

/// Follows the frame boundaries of a Kafka byte stream (`int32 size` + `size` bytes, as
/// `KafkaFrameDecoder` splits it) without keeping any of its bytes, and reports each frame's size as
/// soon as its 4 size bytes have arrived: `RequestBytesGate` charges a frame to the shared budget
/// before its body is read. Pure; bytes may come in any pieces (the drip-feed test).
///
/// A negative size, or one above `maxFrameSize`, ends the tracking: the decoder refuses the same
/// size and the connection closes.
struct KafkaFrameBoundaries {
    private enum State {
        /// `count` of the 4 size bytes read so far, big-endian, in `value`.
        case size(count: Int, value: UInt32)
        /// Body bytes still to come.
        case body(remaining: Int)
        /// An invalid size was seen.
        case stopped
    }

    let maxFrameSize: Int
    private var state = State.size(count: 0, value: 0)

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// True once an invalid size was seen.
    var isStopped: Bool {
        if case .stopped = state { true } else { false }
    }

    /// The sizes of the frames whose size field completed within `bytes` (the readable bytes), in order.
    mutating func framesStarted(in bytes: ByteBuffer) -> [Int] {
        var sizes: [Int] = []
        var index = bytes.readerIndex
        let end = bytes.writerIndex
        while index < end {
            switch state {
            case .stopped:
                return sizes
            case .body(let remaining):
                let step = min(remaining, end - index)
                index += step
                state = remaining == step ? .size(count: 0, value: 0) : .body(remaining: remaining - step)
            case .size(let count, let value):
                // In bounds: index < end.
                let byte = bytes.getInteger(at: index, as: UInt8.self) ?? 0
                index += 1
                let next = value << 8 | UInt32(byte)
                guard count == 3 else {
                    state = .size(count: count + 1, value: next)
                    continue
                }
                let size = Int(Int32(bitPattern: next))
                guard size >= 0, size <= maxFrameSize else {
                    state = .stopped
                    return sizes
                }
                sizes.append(size)
                state = size == 0 ? .size(count: 0, value: 0) : .body(remaining: size)
            }
        }
        return sizes
    }
}
