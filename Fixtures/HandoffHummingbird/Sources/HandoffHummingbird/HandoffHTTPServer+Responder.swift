import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

extension HandoffHTTPServer {
    /// Turns a Hummingbird responder (a router's `buildResponder()`) into what the server's
    /// `HTTP1Channel` calls, as Hummingbird's `Application` does: a context per request, a
    /// 500 for an error the responder did not turn into a response.
    /// - Parameters:
    ///   - responder: The responder.
    ///   - before: Awaited before every request: for instance until the upgrader has restored
    ///     the state the routes serve, so that nothing is answered from an empty state.
    /// - Returns: The channel's responder.
    public static func responder<Responder: HTTPResponder>(
        _ responder: Responder,
        before: @escaping @Sendable () async -> Void = {}
    ) -> HTTPChannelHandler.Responder
    where Responder.Context: RequestContext, Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        { request, writer, channel in
            await before()
            let context = Responder.Context(source: ApplicationRequestContextSource(channel: channel, logger: Logger(label: "request")))
            let response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            } catch {
                response = Response(status: .internalServerError)
            }
            try await writer.write(response: response.head, body: response.body)
        }
    }
}
