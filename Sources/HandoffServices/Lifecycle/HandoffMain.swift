import Handoff
import HandoffSystem

/// The one `main` a Handoff program needs: runs its services with upgrades, and at a stop offers
/// the state to the store.
///
/// Without it every program repeats the same wiring: run the runner, then offer the state unless
/// a successor took it over, then turn the outcome into an exit status.
///
/// ```swift
/// let upgrader = try await Upgrader(configuration: .init(pidFile: "/run/app.pid"))
/// try upgrader.state.register(sessions)
/// let runner = ServiceRunner(services: [UpgraderService(upgrader), httpServer])
/// let outcome = await HandoffMain.run(runner, upgrader: upgrader)
/// exit(outcome.status)
/// ```
///
/// SIGTERM or SIGINT stops the services in reverse order and then offers the registered state
/// to the configured ``HandoffStore``; SIGHUP upgrades, and once a successor has taken over
/// there is nothing to offer (it has the state). A service's fatal error stops the services
/// too, but offers nothing: a process that failed may never have received its state (a
/// successor failing before READY holds only its initial values), and an offer of those would be
/// claimed before the state its predecessor offers later. The listening sockets are closed
/// last.
public enum HandoffMain {
    /// How a program's run ended.
    public struct Outcome: Sendable {
        /// The exit status to end the process with: 0 after a stop whose state was offered, or
        /// after a successor took over; 1 if a service failed or the state could not be offered.
        public let status: Int32
        /// Whether a successor took over this process.
        public let replaced: Bool
        /// Why the run failed, if it did: the runner's fatal error or the store's refusal.
        public let error: HandoffError?
        /// Whether the state was offered to the store: the services stopped without a fatal
        /// error and without a takeover, and the store took every registered state.
        public let offered: Bool
    }

    /// Runs `runner` until its services stop or a successor takes over, then offers the state
    /// (unless replaced) and closes every descriptor `upgrader` holds.
    /// - Parameters:
    ///   - runner: The process's services, with an ``UpgraderService`` among them.
    ///   - upgrader: The process's upgrader.
    ///   - onEvent: Called with every ``UpgradeEvent``, for logging.
    /// - Returns: The outcome; pass ``Outcome/status`` to `exit`.
    public static func run(
        _ runner: ServiceRunner,
        upgrader: Upgrader,
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async -> Outcome {
        let events = onEvent.map { ($0, upgrader.events()) }
        let (failure, offered) = await withTaskGroup(of: (HandoffError?, Bool)?.self) { group in
            if let (handler, stream) = events {
                group.addTask {
                    for await event in stream { handler(event) }
                    return nil
                }
            }
            group.addTask {
                do {
                    try await runner.run()
                } catch {
                    return (error as? HandoffError ?? HandoffError(.serviceFailed, "\(error)"), false)
                }
                guard !upgrader.isReplaced else { return (nil, false) }
                do {
                    try await upgrader.shutdown()
                    return (nil, true)
                } catch {
                    return (error as? HandoffError ?? HandoffError(.storeFailed, "\(error)"), false)
                }
            }
            var outcome: (HandoffError?, Bool) = (nil, false)
            for await result in group {
                if let result {
                    outcome = result
                    group.cancelAll()
                }
            }
            return outcome
        }
        upgrader.descriptors.closeAll()
        return Outcome(status: failure == nil ? 0 : 1, replaced: upgrader.isReplaced, error: failure, offered: offered)
    }
}
