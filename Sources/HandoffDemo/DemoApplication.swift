import Handoff
import HandoffEtcd
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's whole life: one ``ServiceRunner`` runs the admin endpoint (with `--admin`), the
/// control socket (with `--control-socket`), the upgrader, the jobs pipeline (with
/// `--jobs-log`) and the HTTP server, in that order, under ``HandoffMain/run(_:upgrader:onEvent:)``
/// like any Handoff program.
///
/// ``run()`` returns the exit status, once every service has stopped: after a graceful stop
/// (SIGTERM, SIGINT; a second one cancels what is left) or once a successor has taken over
/// (SIGHUP). In both cases every response begun has been written. A stop offers the state to
/// the store once the HTTP server no longer changes it; after a takeover the handed-over
/// connections and the state are the successor's.
struct DemoApplication {
    var options: DemoOptions

    /// Runs the demo until it stops or is replaced.
    /// - Returns: The process exit status.
    func run() async -> CInt {
        let upgrader: Upgrader
        let state = DemoState()
        let metrics = MetricsRegistry()
        var jobs: (DemoJobs, JobsLog)?
        do {
            var configuration = UpgraderConfiguration(pidFile: options.pidFile)
            configuration.systemd.storesDescriptors = options.storesDescriptors
            configuration.store = try Self.store(options)
            configuration.checkpointInterval = options.checkpointInterval
            upgrader = try await Upgrader(configuration: configuration)
            try upgrader.state.register(state)
            if let path = options.jobsLog {
                let pipeline = (try DemoJobs(metrics: metrics), try JobsLog(path: path))
                try upgrader.state.register(pipeline.0)
                try upgrader.state.register(pipeline.0.incoming)
                try upgrader.state.register(pipeline.0.transformed)
                jobs = pipeline
            }
        } catch {
            DemoLog(generation: 0)("state=failed error=\(String(describing: error).debugDescription)")
            return 1
        }
        let log = DemoLog(generation: upgrader.generation)
        let runner: ServiceRunner
        do {
            runner = try makeRunner(upgrader: upgrader, state: state, jobs: jobs, metrics: metrics, log: log)
        } catch {
            log("state=failed error=\(String(describing: error).debugDescription)")
            upgrader.descriptors.closeAll()
            return 1
        }

        let outcome = await HandoffMain.run(runner, upgrader: upgrader) { log("event=\($0)") }
        if let error = outcome.error { log("state=failed error=\(String(describing: error).debugDescription)") }
        if outcome.replaced { log("state=replaced") }
        if outcome.offered { log("state=offered \(state.summary)") }
        log("state=stopped")
        return outcome.status
    }

    private func makeRunner(upgrader: Upgrader, state: DemoState, jobs: (DemoJobs, JobsLog)?, metrics: MetricsRegistry, log: DemoLog) throws -> ServiceRunner {
        var listeners: [CInt] = []
        for address in options.listenAddresses {
            if address.hasPrefix("fd:") {
                // A socket systemd passed (socket activation), inherited by name ever after.
                let name = String(address.dropFirst(3))
                guard let fd = try upgrader.descriptors.inherited(name, kind: .listener) else {
                    throw HandoffError(.unknownDescriptor, "no listening socket named \(name) was passed (LISTEN_FDNAMES, FileDescriptorName=)")
                }
                listeners.append(fd)
                continue
            }
            listeners.append(try upgrader.descriptors.listener(try SocketEndpoint(parsing: address)))
        }
        var serverConfiguration = HTTPServerConfiguration()
        if let timeout = options.headerTimeout {
            serverConfiguration.headerTimeout = timeout
            serverConfiguration.bodyTimeout = timeout
        }
        let server = try DemoServer(listeners: listeners, generation: upgrader.generation, state: state, jobs: jobs?.0, configuration: serverConfiguration, log: log)
        var services: [any ManagedService] = []
        if let address = options.adminAddress {
            var adminConfiguration = AdminConfiguration(isEnabled: true, address: address)
            if let timeout = options.headerTimeout { adminConfiguration.requestTimeout = timeout }
            let admin = try AdminServer(configuration: adminConfiguration, descriptors: upgrader.descriptors)
            log("admin=\(admin.boundAddress.map { "\($0)" } ?? address)")
            services.append(admin)
        }
        if let path = options.controlSocket {
            services.append(try ControlServer(configuration: ControlConfiguration(socketPath: path), upgrader: upgrader))
        }
        services.append(UpgraderService(upgrader) { [listeners] in
            for listener in listeners {
                log("listening=\((try? Syscall.localEndpoint(of: listener))?.address?.description ?? "?")")
            }
        })
        if let (jobs, jobsLog) = jobs {
            services.append(try JobsPipeline.make(jobs: jobs, log: jobsLog))
        }
        services.append(DemoHTTPService(server: server, upgrader: upgrader, state: state, log: log))
        var configuration = RunnerConfiguration()
        configuration.logger = options.logWriter
        return ServiceRunner(services: services, configuration: configuration, metrics: metrics)
    }

    /// The store `--store` or `--state-dir` names; `nil` for the library's default. An etcd store
    /// falls back to the directory (or the default one) when etcd cannot take an offer.
    private static func store(_ options: DemoOptions) throws -> (any HandoffStore)? {
        let directory = try options.stateDirectory.map { try DirectoryStore(directory: $0) }
        guard let url = options.etcdStore else { return directory }
        let etcd = try EtcdStore(configuration: EtcdConfiguration(parsing: url))
        let fallback = try directory ?? DirectoryStore(directory: DirectoryStore.defaultDirectory(for: "handoff-demo"))
        return FallbackStore(primary: etcd, fallback: fallback) { message in
            DemoLog(generation: DemoLog.currentGeneration)(message)
        }
    }
}
