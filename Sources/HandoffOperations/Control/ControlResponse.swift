import Handoff
import HandoffServices
import HandoffSystem
/// A process's answer to a ``ControlRequest``: one ``FrameType/controlResponse`` frame whose
/// payload is this, as JSON.
///
/// ```json
/// {"ok":true,"pid":4711}
/// {"ok":false,"error":{"code":"childExited","reason":"new process closed the control channel before HELLO …"}}
/// ```
public struct ControlResponse: Sendable, Hashable, Codable {
    /// Why a request failed.
    public struct Failure: Sendable, Hashable, Codable {
        /// The ``HandoffError/Code`` name (`childExited`, `permissionDenied`…).
        public var code: String
        /// The reason, in words a person can act on.
        public var reason: String
    }

    /// Whether the request succeeded.
    public var ok: Bool
    /// For `upgrade`: the pid of the process that took over.
    public var pid: Int32?
    /// For `status`: where the process stands.
    public var status: ControlStatus?
    /// Why the request failed, if it did.
    public var error: Failure?

    /// A success.
    public init(pid: Int32? = nil, status: ControlStatus? = nil) {
        self.ok = true
        self.pid = pid
        self.status = status
    }

    /// A failure.
    public init(failure: HandoffError) {
        self.ok = false
        self.error = Failure(code: failure.code.name, reason: failure.reason)
    }

    /// The failure as an error, if the request failed.
    public var handoffError: HandoffError? {
        guard !ok else { return nil }
        return HandoffError(HandoffError.Code(error?.code ?? "unknown"), error?.reason ?? "the process gave no reason")
    }
}
