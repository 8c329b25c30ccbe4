import Handoff
import HandoffSystem
/// A child of a ``Supervisor``: a name, a restart policy, and the factory that builds its task
/// anew at every start.
///
/// ```swift
/// ChildSpec("persist", restart: .always) {
///     try await persistQueue.process { delivery in try await store.append(delivery.message) }
/// }
/// ```
///
/// The child runs as a task of the supervisor, with its own ``StopSignal`` (triggered when the
/// supervisor stops it; it is cancelled at its stop deadline) and a ``RunnerContext`` named
/// `supervisor/child`. Returning ends it normally; throwing is a failure.
public struct ChildSpec: Sendable {
    /// Unique among its supervisor's children.
    public var name: String
    /// When it is started again after it ended on its own.
    public var restart: RestartPolicy
    /// How long it may take to stop gracefully; `nil` for the supervisor's
    /// ``SupervisorConfiguration/stopTimeout``.
    public var stopTimeout: Duration?
    /// Runs one life of the child; called again at every restart.
    public var run: @Sendable () async throws -> Void

    /// - Parameters:
    ///   - name: Unique among its supervisor's children.
    ///   - restart: When it is started again (default ``RestartPolicy/always``).
    ///   - stopTimeout: Its graceful-stop deadline; `nil` for the supervisor's.
    ///   - run: One life of the child, called anew at every start.
    public init(_ name: String, restart: RestartPolicy = .always, stopTimeout: Duration? = nil, run: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.restart = restart
        self.stopTimeout = stopTimeout
        self.run = run
    }

    /// A supervisor as the child of another: a tree. When it exceeds its restart intensity it
    /// fails, and its parent restarts it (a fresh run, its own history forgotten) or fails in
    /// turn.
    /// - Parameters:
    ///   - supervisor: The child supervisor; its name is the child's.
    ///   - restart: When the parent starts it again (default ``RestartPolicy/always``).
    /// - Returns: The spec.
    public static func supervisor(_ supervisor: Supervisor, restart: RestartPolicy = .always) -> ChildSpec {
        ChildSpec(supervisor.name, restart: restart, stopTimeout: .seconds(3600)) { try await supervisor.run() }
    }
}
