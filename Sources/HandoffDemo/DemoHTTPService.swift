import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's HTTP server as a service of the runner, and its part in upgrades.
///
/// It answers nothing before the state is restored (the upgrader restores it once every
/// service runs). Asked to stop, it drains for good — stops accepting, writes out every
/// response begun — and closes its connections, so the state no longer changes before the
/// state service offers it. During an upgrade the runner drains it as an
/// ``UpgradeParticipant``: its connections go to the successor, or come back on a rollback.
struct DemoHTTPService: ManagedService, UpgradeParticipant {
    let name = "http"
    let server: DemoServer
    let upgrader: Upgrader
    let state: DemoState
    let log: DemoLog

    func run() async throws {
        let restored = await withTaskGroup(of: HandoffRegistry.Outcome?.self) { group in
            group.addTask { await upgrader.state.restored() }
            group.addTask {
                try? await StopSignal.waitForStop()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let restored {
            log(Self.describe(restored, state: state))
            await server.startAnswering()
            try? await StopSignal.waitForStop()
        }
        log("state=stopping")
        guard !upgrader.isReplaced else {
            // Drained for an upgrade that committed: the connections are the successor's.
            await server.stop()
            return
        }
        do {
            let connections = try await server.drainForStop()
            await server.stop(closing: connections)
        } catch {
            // Draining for an upgrade that is still deciding: what it keeps is not ours to close.
            await server.stop()
        }
    }

    func drain() async throws -> [HandoffConnection] { try await server.drain() }
    func resume(_ connections: [HandoffConnection]) async { await server.resume(connections) }
    func adopt(_ connections: [HandoffConnection]) async { await server.adopt(connections) }

    /// The log line for what became of the state this process could inherit.
    private static func describe(_ outcome: HandoffRegistry.Outcome, state: DemoState) -> String {
        switch outcome {
        case .restored: "state=restored \(state.summary)"
        case .nothingToRestore: "state=nothing-to-restore"
        case .failed(let error): "state=restore-failed error=\(String(describing: error).debugDescription)"
        }
    }
}
