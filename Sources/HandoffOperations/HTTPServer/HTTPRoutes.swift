import Handoff
import HandoffServices
import HandoffSystem
/// What an ``HTTPServer`` answers: the routes plug in here.
///
/// Called on the server's loop thread, once per complete request, in order. Write the whole
/// response into `output` (``HTTPResponseWriter`` builds heads); the server writes it out.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.
package protocol HTTPRoutes: Sendable {
    /// Appends the response to `head`.
    /// - Parameters:
    ///   - head: The parsed request. Its ``HTTPRequestHead/keepAlive`` is already `false` when
    ///     the server closes the connection after this response (a stop), so the response says
    ///     `Connection: close`.
    ///   - request: The request's bytes; `head.path` and `head.body` index into them.
    ///   - output: The connection's output buffer.
    func respond(to head: HTTPRequestHead, in request: UnsafeRawBufferPointer, into output: inout [UInt8])
}
