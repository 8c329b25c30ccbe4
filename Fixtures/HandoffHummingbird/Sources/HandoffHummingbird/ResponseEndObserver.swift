import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sits after Hummingbird's HTTP codec and tells the connection's ``HandoffConnectionHandler``
/// when a response begins (to add `Connection: close` while draining) and when its end has been
/// written (the request boundary the tracker waits for).
final class ResponseEndObserver: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var connection: HandoffConnectionHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        connection = try? context.pipeline.syncOperations.handler(type: HandoffConnectionHandler.self)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            if connection?.responseHeadWillBeWritten() == true {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .end:
            guard let connection else { return context.write(data, promise: promise) }
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.assumeIsolated().whenSuccess { connection.responseEndWritten() }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
