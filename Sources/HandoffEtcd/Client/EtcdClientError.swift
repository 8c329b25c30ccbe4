import Handoff
import HandoffSystem

/// Why a request to etcd failed, as the client sees it; ``EtcdStore`` turns it into a
/// ``HandoffError`` at its boundary.
enum EtcdClientError: Error, Sendable {
    /// No endpoint took the connection: the request was applied nowhere.
    case unreachable(String)
    /// The request was sent, and no answer came back: it may have been applied.
    case outcomeUnknown(String)
    /// etcd answered with an error: the gRPC status code, its message, the HTTP status.
    case refused(code: Int, message: String, status: Int)
    /// The answer did not parse.
    case malformed(String)
    /// TLS failed: OpenSSL missing, the server's certificate not trusted or not naming the host,
    /// or our certificate refused (a `HandoffError` with the code that says which). Nothing was
    /// served.
    case tls(HandoffError)

    /// gRPC status codes the gateway answers with.
    enum Status {
        static let invalidArgument = 3
        static let notFound = 5
        static let permissionDenied = 7
        static let unavailable = 14
        static let unauthenticated = 16
    }

    /// Whether etcd said that a lease named in the request does not exist (it expired).
    var isLeaseNotFound: Bool {
        if case .refused(_, let message, _) = self { return message.contains("requested lease not found") }
        return false
    }

    /// Whether etcd refused the token: it expired, or the server restarted and forgot it.
    var isInvalidToken: Bool {
        if case .refused(let code, let message, _) = self {
            return code == Status.unauthenticated || message.contains("invalid auth token")
        }
        return false
    }

    /// Whether the failure is about credentials: missing, wrong, or lacking the permission.
    var isAccessDenied: Bool {
        guard case .refused(let code, let message, _) = self else { return false }
        return code == Status.permissionDenied || code == Status.unauthenticated
            || message.contains("user name is empty") || message.contains("authentication failed")
            || message.contains("permission denied")
    }

    /// Whether the server could not serve it right now (no leader, shutting down): worth trying
    /// another endpoint.
    var isUnavailable: Bool {
        if case .refused(let code, _, _) = self { return code == Status.unavailable }
        return false
    }

    /// What it means to a caller of a ``HandoffStore``, with `doing` ("offering sessions/eu-1")
    /// in front of the reason.
    func handoffError(_ doing: String) -> HandoffError {
        switch self {
        case .unreachable(let reason):
            return HandoffError(.storeUnreachable, "\(doing): etcd cannot be reached (\(reason)); nothing was changed")
        case .outcomeUnknown(let reason):
            return HandoffError(.storeUnreachable, "\(doing): etcd did not answer (\(reason)); the request may or may not have been applied")
        case .refused(_, let message, let status):
            let code: HandoffError.Code = isAccessDenied ? .accessDenied : .storeFailed
            return HandoffError(code, "\(doing): etcd refused the request (HTTP \(status)): \(message)")
        case .malformed(let reason):
            return HandoffError(.storeFailed, "\(doing): etcd's answer does not parse: \(reason)")
        case .tls(let error):
            return HandoffError(error.code, "\(doing): \(error.reason); nothing was changed")
        }
    }
}

extension HandoffError {
    /// The same error with the endpoint in front of its reason.
    func naming(_ endpoint: EtcdEndpoint) -> HandoffError {
        HandoffError(code, "\(endpoint): \(reason)")
    }
}
