#if canImport(Glibc)
import Glibc
#endif
import Handoff
import HandoffEtcd

/// The demo's whole life: start or inherit the listeners and the state, serve, upgrade on
/// SIGHUP, and stop.
///
/// ``run(signals:)`` returns the exit status. It returns after a graceful stop (SIGTERM,
/// SIGINT) or once a successor has taken over; in both cases every response begun has been
/// written. After a takeover the handed-over connections and the state are left alone: they
/// are the successor's now.
///
/// Nothing is answered before the state is restored (from the predecessor, or from the store
/// at a fresh start). A graceful stop drains, then offers the state to the store; if the
/// store refuses it, the demo says so and serves on, keeping its connections.
struct DemoApplication {
    var options: DemoOptions

    private enum Outcome: Sendable {
        case replaced
        /// Stopped for good with the state offered; the drained connections are to be closed.
        case stopped([HandoffConnection])
        case failed(String)
    }

    /// Runs the demo until it stops or is replaced.
    /// - Parameter signals: The trapped SIGTERM and SIGINT.
    /// - Returns: The process exit status.
    func run(signals: TerminationSignals) async -> CInt {
        let upgrader: Upgrader
        let state = DemoState()
        do {
            var configuration = UpgraderConfiguration(pidFile: options.pidFile)
            configuration.store = try Self.store(options)
            upgrader = try await Upgrader(configuration: configuration)
            try upgrader.state.register(state)
        } catch {
            DemoLog(generation: 0)("state=failed error=\(String(describing: error).debugDescription)")
            return 1
        }
        let log = DemoLog(generation: upgrader.generation)
        let events = upgrader.events()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events { log("event=\(event)") }
            }
            let status = await serve(upgrader: upgrader, state: state, log: log, signals: signals)
            group.cancelAll()
            return status
        }
    }

    private func serve(
        upgrader: Upgrader, state: DemoState, log: DemoLog, signals: TerminationSignals
    ) async -> CInt {
        let server: DemoServer
        do {
            var listeners: [CInt] = []
            for address in options.listenAddresses {
                listeners.append(try upgrader.descriptors.listener(try SocketAddress(parsing: address)))
            }
            server = try DemoServer(
                listeners: listeners, generation: upgrader.generation, state: state, log: log)
            try await upgrader.ready()
            for listener in listeners { log("listening=\(try SocketName.local(of: listener))") }
        } catch {
            log("state=failed error=\(String(describing: error).debugDescription)")
            upgrader.descriptors.closeAll()
            return 1
        }

        let outcome = await withTaskGroup(of: Outcome?.self) { group -> Outcome in
            group.addTask {
                do {
                    try await upgrader.run(participant: server)
                    return .replaced
                } catch is CancellationError {
                    return nil
                } catch {
                    return .failed(String(describing: error))
                }
            }
            group.addTask {
                let restored = await upgrader.state.restored()
                guard !Task.isCancelled else { return nil }
                log(Self.describe(restored, state: state))
                await server.startAnswering()
                return nil
            }
            group.addTask {
                for await signal in signals.stream {
                    log("state=stopping signal=\(TerminationSignals.name(of: signal))")
                    if let outcome = await Self.stop(server, upgrader: upgrader, state: state, log: log) {
                        return outcome
                    }
                    if Task.isCancelled { return nil }
                }
                return nil
            }
            var first: Outcome?
            for await outcome in group where first == nil {
                if let outcome {
                    first = outcome
                    group.cancelAll()
                }
            }
            return first ?? .failed("the upgrader stopped without a reason")
        }

        let status: CInt
        var closing: [HandoffConnection] = []
        switch outcome {
        case .replaced:
            log("state=replaced")
            status = 0
        case .stopped(let connections):
            closing = connections
            status = 0
        case .failed(let reason):
            log("state=failed error=\(reason.debugDescription)")
            status = 1
        }
        await server.stop(closing: closing)
        upgrader.descriptors.closeAll()  // already closed after a stop with the state offered
        log("state=stopped")
        return status
    }

    /// Tries to stop for good: drains `server` (once the state is restored, answering what was
    /// held), then offers the state through ``Upgrader/shutdown()``.
    /// - Returns: ``Outcome/stopped(_:)`` with the drained connections; `nil` if the offer
    ///   failed or the task was cancelled (a successor took over, the upgrader failed), and
    ///   the server then serves on.
    private static func stop(
        _ server: DemoServer, upgrader: Upgrader, state: DemoState, log: DemoLog
    ) async -> Outcome? {
        _ = await upgrader.state.restored()
        await server.startAnswering()
        var connections: [HandoffConnection]?
        while connections == nil && !Task.isCancelled {
            do {
                connections = try await server.drainForStop()
            } catch {
                // An upgrade is draining the server: it either takes over (and this task is
                // cancelled) or rolls back, and the stop goes on.
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        guard let connections else { return nil }
        guard !Task.isCancelled else {
            await server.cancelStop(connections)  // the final stop closes them gracefully
            return nil
        }
        do {
            try await upgrader.shutdown()
            log("state=offered \(state.summary)")
            return .stopped(connections)
        } catch {
            log("state=offer-failed error=\(String(describing: error).debugDescription)")
            await server.cancelStop(connections)
            log("state=serving connections=\(connections.count)")
            return nil
        }
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

    /// The log line for what became of the state this process could inherit.
    private static func describe(_ outcome: HandoffRegistry.Outcome, state: DemoState) -> String {
        switch outcome {
        case .restored: "state=restored \(state.summary)"
        case .nothingToRestore: "state=nothing-to-restore"
        case .failed(let error): "state=restore-failed error=\(String(describing: error).debugDescription)"
        }
    }
}
