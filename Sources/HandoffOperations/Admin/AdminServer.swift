import Synchronization
import Handoff
import HandoffServices
import HandoffSystem

/// The admin HTTP endpoint as a service of a ``ServiceRunner``: `GET /health`, `/ready`,
/// `/metrics` (Prometheus text format) and `/debug/services`.
///
/// It serves on its own epoll thread, so probes and scrapes never wait for the cooperative
/// pool, and parses with the package's bounded HTTP/1.1 parser (request line 8 KiB, header
/// fields 64 KiB, read timeouts). List it first, so it answers while the others start and
/// reports 503 on `/ready` while they drain or stop:
///
/// ```swift
/// var admin = AdminConfiguration(isEnabled: true, address: "127.0.0.1:9090")
/// let server = try AdminServer(configuration: admin, descriptors: upgrader.descriptors)
/// let runner = ServiceRunner(services: [server, state, UpgraderService(upgrader), http])
/// ```
///
/// With an upgrader's ``Descriptors`` its listener is inherited by every generation, so the
/// port stays the same across upgrades.
public final class AdminServer: ManagedService {
    public let name: String
    /// The configuration in force.
    public let configuration: AdminConfiguration
    /// The address the listener is bound to, with the port the kernel chose for port 0.
    public let boundAddress: SocketEndpoint?
    private let listener: CInt
    private let ownsListener: Bool
    private let started = Mutex(false)

    /// Binds (or inherits, from `descriptors`) the listener.
    /// - Parameters:
    ///   - configuration: Where and how to serve.
    ///   - descriptors: An upgrader's descriptors, to pass the listener on to successors;
    ///     `nil` to bind a socket of this process's own.
    ///   - name: The service's name (default `admin`).
    /// - Throws: ``HandoffError`` if the address does not parse or cannot be bound.
    public init(configuration: AdminConfiguration, descriptors: Descriptors? = nil, name: String = "admin") throws {
        self.name = name
        self.configuration = configuration
        let address = try SocketEndpoint(parsing: configuration.address)
        if let descriptors {
            listener = try descriptors.listener(address, name: configuration.descriptorName, backlog: 1024)
            ownsListener = false
        } else {
            listener = try Sockets.listener(address, backlog: 1024)
            ownsListener = true
        }
        do {
            try Syscall.setNonBlocking(listener)
            boundAddress = try SocketEndpoint.local(of: listener).address
        } catch {
            if ownsListener { Syscall.close(listener) }
            throw error
        }
    }

    deinit {
        if ownsListener { Syscall.close(listener) }
    }

    /// Serves until the service is asked to stop (or cancelled), then stops accepting, finishes
    /// the responses in flight and closes every connection.
    /// - Throws: ``HandoffError/Code/invalidArgument`` outside a ``ServiceRunner``, or if run
    ///   twice; ``HandoffError`` if the epoll thread cannot start.
    public func run() async throws {
        guard let runner = RunnerContext.current?.runner else {
            throw HandoffError(.invalidArgument, "AdminServer runs inside a ServiceRunner")
        }
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { throw HandoffError(.invalidArgument, "an AdminServer serves once; make a new one") }
        let server = try HTTPServer(listeners: [listener], routes: AdminRoutes(runner: runner), configuration: configuration.serverConfiguration)
        let stopped: (any Error)?
        do {
            try await StopSignal.waitForStop()
            stopped = nil
        } catch {
            stopped = error
        }
        await server.stop(endingThread: true)
        if let stopped { throw stopped }
    }
}
