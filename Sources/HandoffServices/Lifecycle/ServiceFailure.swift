import Handoff
import HandoffSystem
/// An error a service ran into, as the runner reports it on ``ServiceRunner/failures()``.
public struct ServiceFailure: Sendable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable {
        /// Reported; the service goes on (``RunnerContext/reportTransient(_:)-type.method``).
        case transient
        /// The service failed; the runner stops every service in reverse order.
        case fatal
    }

    /// The service (or `service/task` inside a ``TaskScope``) that reported it.
    public var service: String
    /// How bad it is.
    public var severity: Severity
    /// The error.
    public var error: any Error

    /// Creates a failure report.
    /// - Parameters:
    ///   - service: Who reported it.
    ///   - severity: How bad it is.
    ///   - error: The error.
    public init(service: String, severity: Severity, error: any Error) {
        self.service = service
        self.severity = severity
        self.error = error
    }

    public var description: String { "\(severity.rawValue) failure in \(service): \(error)" }
}
