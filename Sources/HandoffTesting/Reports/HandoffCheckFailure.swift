import Handoff

/// One property a check found broken: which one, and what was seen.
///
/// Thrown by the single checks of ``HandoffStoreConformance`` and ``HandoffAwareChecks``, and
/// listed in a ``HandoffCheckReport``. It is a plain `Error`, so any test framework reports it.
public struct HandoffCheckFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broken property's name (a ``HandoffStoreConformance/Property`` or
    /// ``HandoffAwareChecks/Property`` raw value).
    public var property: String
    /// What was expected and what happened instead.
    public var reason: String

    /// Creates a failure.
    /// - Parameters:
    ///   - property: The broken property's name.
    ///   - reason: What was expected and what happened instead.
    public init(property: String, reason: String) {
        self.property = property
        self.reason = reason
    }

    public var description: String { "\(property): \(reason)" }
}
