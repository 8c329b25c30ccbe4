import Synchronization
import HandoffSystem

/// Holds merges of offers back while the registry's state is given up: ``close()`` waits for
/// the merge in progress, so nothing is merged into state already collected; ``reopen()``
/// (the handover was abandoned) lets them go on.
final class MergeGate: Sendable {
    private struct State {
        var closed = false
        var busy = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Starts one merge; `false` once closed.
    func enter() -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.busy += 1
            return true
        }
    }

    /// Ends one merge.
    func leave() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.busy -= 1
            guard state.busy == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Lets no merge start, and waits for those in progress.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                state.closed = true
                if state.busy == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Lets merges start again.
    func reopen() {
        state.withLock { $0.closed = false }
    }
}
