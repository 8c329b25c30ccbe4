
import HandoffSystem
/// The response statuses the servers send, each with its status line and a short body.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package enum HTTPStatus: Sendable {
    case ok
    case accepted
    case noContent
    case badRequest
    case notFound
    case methodNotAllowed
    case contentTooLarge
    case uriTooLong
    case headerFieldsTooLarge
    case notImplemented
    case httpVersionNotSupported
    case insufficientStorage
    case requestTimeout
    case serviceUnavailable

    /// The status line, ending in CRLF.
    package var statusLine: StaticString {
        switch self {
        case .ok: "HTTP/1.1 200 OK\r\n"
        case .accepted: "HTTP/1.1 202 Accepted\r\n"
        case .noContent: "HTTP/1.1 204 No Content\r\n"
        case .badRequest: "HTTP/1.1 400 Bad Request\r\n"
        case .notFound: "HTTP/1.1 404 Not Found\r\n"
        case .methodNotAllowed: "HTTP/1.1 405 Method Not Allowed\r\n"
        case .contentTooLarge: "HTTP/1.1 413 Content Too Large\r\n"
        case .uriTooLong: "HTTP/1.1 414 URI Too Long\r\n"
        case .headerFieldsTooLarge: "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        case .notImplemented: "HTTP/1.1 501 Not Implemented\r\n"
        case .httpVersionNotSupported: "HTTP/1.1 505 HTTP Version Not Supported\r\n"
        case .insufficientStorage: "HTTP/1.1 507 Insufficient Storage\r\n"
        case .requestTimeout: "HTTP/1.1 408 Request Timeout\r\n"
        case .serviceUnavailable: "HTTP/1.1 503 Service Unavailable\r\n"
        }
    }

    /// The plain-text body sent with an error status.
    package var errorBody: StaticString {
        switch self {
        case .ok: "ok\n"
        case .accepted: "accepted\n"
        case .noContent: ""
        case .badRequest: "bad request\n"
        case .notFound: "not found\n"
        case .methodNotAllowed: "method not allowed\n"
        case .contentTooLarge: "content too large\n"
        case .uriTooLong: "URI too long\n"
        case .headerFieldsTooLarge: "request header fields too large\n"
        case .notImplemented: "not implemented\n"
        case .httpVersionNotSupported: "HTTP version not supported\n"
        case .insufficientStorage: "insufficient storage\n"
        case .requestTimeout: "request timeout\n"
        case .serviceUnavailable: "service unavailable\n"
        }
    }
}
