#if canImport(Glibc)
import Glibc
#endif
import Handoff

/// The demo's whole life: start or inherit the listeners, serve, upgrade on SIGHUP, and stop.
///
/// ``run(signals:)`` returns the exit status. It returns after a graceful stop (SIGTERM,
/// SIGINT) or once a successor has taken over; in both cases every response begun has been
/// written. After a takeover the handed-over connections are left alone: they are the
/// successor's now.
struct DemoApplication {
    var options: DemoOptions

    private enum Outcome: Sendable {
        case replaced
        case signalled(CInt)
        case failed(String)
    }

    /// Runs the demo until it stops or is replaced.
    /// - Parameter signals: The trapped SIGTERM and SIGINT.
    /// - Returns: The process exit status.
    func run(signals: TerminationSignals) async -> CInt {
        let upgrader: Upgrader
        do {
            upgrader = try await Upgrader(configuration: UpgraderConfiguration(pidFile: options.pidFile))
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
            let status = await serve(upgrader: upgrader, log: log, signals: signals)
            group.cancelAll()
            return status
        }
    }

    private func serve(upgrader: Upgrader, log: DemoLog, signals: TerminationSignals) async -> CInt {
        let server: DemoServer
        do {
            var listeners: [CInt] = []
            for address in options.listenAddresses {
                listeners.append(try upgrader.descriptors.listener(try SocketAddress(parsing: address)))
            }
            server = try DemoServer(listeners: listeners, generation: upgrader.generation, log: log)
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
                for await signal in signals.stream { return .signalled(signal) }
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
        switch outcome {
        case .replaced:
            log("state=replaced")
            status = 0
        case .signalled(let signal):
            log("state=stopping signal=\(TerminationSignals.name(of: signal))")
            status = 0
        case .failed(let reason):
            log("state=failed error=\(reason.debugDescription)")
            status = 1
        }
        await server.stop()
        upgrader.descriptors.closeAll()
        log("state=stopped")
        return status
    }
}
