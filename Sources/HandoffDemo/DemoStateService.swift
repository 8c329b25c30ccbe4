import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's state as a service: first to start, last but one to stop. Its stop offers the
/// state to the store (unless a successor took it over) once the HTTP server, stopped before
/// it, no longer changes it.
final class DemoStateService: ManagedService {
    let name = "state"
    let upgrader: Upgrader
    let state: DemoState
    let log: DemoLog
    /// Set when the state could not be offered: the demo then exits 1.
    let offerFailed = Mutex(false)

    init(upgrader: Upgrader, state: DemoState, log: DemoLog) {
        self.upgrader = upgrader
        self.state = state
        self.log = log
    }

    func run() async throws {
        try? await StopSignal.waitForStop()
        let replaced = upgrader.isReplaced
        do {
            try await upgrader.shutdown()
            if !replaced { log("state=offered \(state.summary)") }
        } catch {
            offerFailed.withLock { $0 = true }
            log("state=offer-failed error=\(String(describing: error).debugDescription)")
        }
    }
}
