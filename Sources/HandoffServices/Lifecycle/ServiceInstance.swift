import Handoff
import HandoffSystem
/// One run of one service: its graceful stop signal, the latch that cancels it, and the latch
/// fulfilled when its task has ended. A service started again after a failed upgrade gets a
/// new instance (and epoch).
final class ServiceInstance: Sendable {
    let epoch: Int
    let stopSignal = StopSignal()
    /// Fulfilled to cancel the service's task ("abort now").
    let abort = AsyncLatch<Void>()
    /// Fulfilled once the service's task has ended.
    let finished = AsyncLatch<Void>()

    init(epoch: Int) { self.epoch = epoch }

    /// Runs `body`, cancelling it once `abort` is fulfilled (or the task is cancelled); returns
    /// or throws what `body` does.
    static func abortable(_ abort: AsyncLatch<Void>, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                _ = try? await abort.wait()
                return false
            }
            let bodyFinishedFirst = try await group.next()!
            group.cancelAll()
            if !bodyFinishedFirst {
                // Aborted: wait for the body to notice, and pass on how it ended.
                while let finished = try await group.next(), !finished {}
            }
        }
    }
}
