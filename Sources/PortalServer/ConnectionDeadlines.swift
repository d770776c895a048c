import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import PorttiModel

/// Bounds how long a connection may hold the portal's resources without making progress, and answers a
/// request the HTTP parser could not read with a `Problem` body.
///
/// - No request under way (a new or idle connection, or one sending a request's headers slowly or not at
///   all): closed `headTimeout` after it opened or after its last answer ended. Partial headers produce no
///   part, so a sender dripping header bytes is closed too (the "slowloris" attack).
/// - A buffered (JSON) body: closed unless it ends within `bodyTimeout` of its headers. Uploads
///   (`streamingPaths`) are exempt: their pace is checked while they are read (`UploadPace`).
/// - While an answer is being written (a notification stream, say) nothing is timed here.
///
/// Sits after the HTTP codec, so it sees requests as heads, bodies and ends.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let streamingPaths: Set<String>
    /// Requests whose head has come and whose answer has not ended.
    private var underWay = 0
    private var readingBufferedBody = false
    private var closeAfterAnswer = false
    private var deadline: Scheduled<Void>?

    init(headTimeout: Duration, bodyTimeout: Duration, streamingPaths: Set<String>) {
        self.headTimeout = TimeAmount(headTimeout)
        self.bodyTimeout = TimeAmount(bodyTimeout)
        self.streamingPaths = streamingPaths
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(headTimeout, context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelActive(context: ChannelHandlerContext) {
        arm(headTimeout, context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            underWay += 1
            disarm()
            let path = head.path.map { String($0.prefix { $0 != "?" }) } ?? ""
            if !streamingPaths.contains(path) {
                readingBufferedBody = true
                arm(bodyTimeout, context)
            }
        case .body:
            break
        case .end:
            if readingBufferedBody {
                readingBufferedBody = false
                disarm()
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            // An answer that says `Connection: close` (a refused upload whose body was never read) ends the
            // connection once written, rather than waiting for a body nobody will read.
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
        case .body:
            break
        case .end:
            underWay = max(underWay - 1, 0)
            if closeAfterAnswer {
                disarm()
                context.writeAndFlush(data).whenComplete { _ in context.close(promise: nil) }
                promise?.succeed()
                return
            }
            if underWay == 0 && !readingBufferedBody { arm(headTimeout, context) }
        }
        context.write(data, promise: promise)
    }

    /// A request the parser cannot read (headers over the limit, a bad request line, characters HTTP forbids)
    /// is answered with a `Problem`, not an empty 400, and the connection closed: nothing after it can be read.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, underWay == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let problem: PortalError
        switch parserError {
        case .headerOverflow: problem = PortalError(.headersTooLarge, detail: "the request's headers are too large")
        default: problem = PortalError(.malformedRequest, detail: "unreadable HTTP request: \(parserError)")
        }
        var (head, bytes) = problem.responseBytes
        head.headerFields[.connection] = "close"
        head.headerFields[.contentLength] = String(bytes.count)
        disarm()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    private func arm(_ timeout: TimeAmount, _ context: ChannelHandlerContext) {
        disarm()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
