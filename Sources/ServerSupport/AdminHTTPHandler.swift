package import NIOCore
package import NIOHTTP1

/// One answer of an admin endpoint.
package struct AdminResponse: Sendable {
    package var status: HTTPResponseStatus
    package var contentType: String
    package var body: String

    package init(_ status: HTTPResponseStatus, _ contentType: String, _ body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    package static func text(_ status: HTTPResponseStatus, _ body: String) -> AdminResponse {
        AdminResponse(status, "text/plain", body)
    }

    /// Prometheus text exposition format 0.0.4.
    package static func prometheus(_ body: String) -> AdminResponse {
        AdminResponse(.ok, "text/plain; version=0.0.4", body)
    }
}

/// The admin HTTP handler of both servers (the keeper's `admin.serverPort`, the broker's
/// `admin.port`): reads one request (its body is discarded), answers it with `route`, and closes
/// the connection. An `IdleStateHandler` ahead of it reports a connection idle for the admin idle
/// timeout, which it closes. Request heads are bounded by NIO's HTTP parser.
package final class AdminHTTPHandler: ChannelInboundHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    private let route: (HTTPRequestHead) -> AdminResponse
    private var head: HTTPRequestHead?

    package init(route: @escaping (HTTPRequestHead) -> AdminResponse) {
        self.route = route
    }

    /// The path of `head`'s URI, without its query.
    package static func path(of head: HTTPRequestHead) -> String {
        head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            let response = head.map(route) ?? .text(.badRequest, "bad request\n")
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: "\(response.body.utf8.count)")
            headers.add(name: "Connection", value: "close")
            let responseHead = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: response.body.utf8.count)
            buffer.writeString(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}

@available(*, unavailable)
extension AdminHTTPHandler: Sendable {}
