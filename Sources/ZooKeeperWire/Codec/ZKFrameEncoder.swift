public import NIOCore

/// Writes already-framed buffers through unchanged.
///
/// `ZKRequestFrame.encode`, `ZKReplyFrame.encode` and `ZKReplyFrame.encodeNotification` produce complete
/// length-prefixed frames, so there is nothing left to encode. This type exists so a pipeline has the
/// symmetric `ByteToMessageHandler(ZKFrameDecoder())` + `MessageToByteHandler(ZKFrameEncoder())` shape
/// (STYLE.md §2); writing the frames straight to the channel is equally correct.
public struct ZKFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) {
        out.writeImmutableBuffer(data)
    }
}
