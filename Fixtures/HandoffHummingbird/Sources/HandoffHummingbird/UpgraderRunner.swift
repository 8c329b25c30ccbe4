import Handoff
import Logging
import ServiceLifecycle

/// Runs an ``Upgrader`` as a swift-service-lifecycle `Service`, next to the
/// ``HandoffHTTPServer`` it upgrades: declares the process ready once the server accepts, then
/// upgrades on SIGHUP until a successor has taken over, and returns.
///
/// Give it `successTerminationBehavior: .gracefullyShutdownGroup`, so that the group stops
/// (and the process exits) once it has been replaced.
public struct UpgraderRunner: Service {
    let upgrader: Upgrader
    let server: HandoffHTTPServer
    let logger: Logger
    let onListening: @Sendable () -> Void
    let afterReady: @Sendable () -> Void

    /// - Parameters:
    ///   - upgrader: The upgrader.
    ///   - server: The server it drains, adopts into and resumes.
    ///   - logger: Where each ``UpgradeEvent`` is logged, at `info`, as `event=…`.
    ///   - onListening: Called once the server accepts, before the process says it is ready.
    ///   - afterReady: Called once the process has said it is ready (its predecessor drains).
    public init(
        upgrader: Upgrader, server: HandoffHTTPServer, logger: Logger,
        onListening: @escaping @Sendable () -> Void = {}, afterReady: @escaping @Sendable () -> Void = {}
    ) {
        self.upgrader = upgrader
        self.server = server
        self.logger = logger
        self.onListening = onListening
        self.afterReady = afterReady
    }

    /// Waits for the server, declares ready, upgrades until replaced.
    /// - Throws: What ``Upgrader/ready()`` or ``Upgrader/run(participant:)`` throws.
    public func run() async throws {
        let events = upgrader.events()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events { logger.info("event=\(event)") }
            }
            group.addTask {
                await server.waitUntilListening()
                onListening()
                try await upgrader.ready()
                afterReady()
                do {
                    try await cancelWhenGracefulShutdown { try await upgrader.run(participant: server) }
                } catch is CancellationError where Task.isShuttingDownGracefully {
                    // Stopped, not replaced: the application offers its state next.
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
