import Handoff
import HandoffServices
import HandoffSystem
// The admin routes as the HTTP engine's routes.
extension AdminRoutes: HTTPRoutes {
    func respond(to head: HTTPRequestHead, in request: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        let path = String(decoding: UnsafeRawBufferPointer(rebasing: request[head.path]), as: UTF8.self)
        guard let answer = answer(path: path) else {
            HTTPResponseWriter.appendResponse(.notFound, contentType: "text/plain; charset=utf-8", body: "not found\n", for: head, into: &output)
            return
        }
        guard head.method == .get || head.method == .head else {
            HTTPResponseWriter.appendResponse(
                .methodNotAllowed, contentType: "text/plain; charset=utf-8", body: "method not allowed\n", for: head,
                extraFields: "Allow: GET, HEAD\r\n", into: &output)
            return
        }
        HTTPResponseWriter.appendResponse(answer.status, contentType: answer.contentType, body: answer.body, for: head, into: &output)
    }
}

extension AdminConfiguration {
    /// The engine's limits: ``requestTimeout`` for a request's header and its body alike.
    var serverConfiguration: HTTPServerConfiguration {
        var server = HTTPServerConfiguration()
        server.headerTimeout = requestTimeout
        server.bodyTimeout = requestTimeout
        server.idleTimeout = idleTimeout
        server.maxConnections = maxConnections
        server.stopGracePeriod = .seconds(2)
        return server
    }
}
