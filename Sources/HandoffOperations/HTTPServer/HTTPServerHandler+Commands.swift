import Handoff
import HandoffServices
import HandoffSystem
// The commands an ``HTTPServer`` sends its loop: the steps of an upgrade and of a stop.
extension HTTPServerHandler {
    func handle(_ command: HTTPServerCommand) {
        switch command {
        case .drain(let purpose, let waiter):
            guard mode == .serving, drainWaiter == nil else {
                let purpose = mode == .draining ? " for \(drainPurpose)" : ""
                waiter.resume(throwing: HandoffError(.drainFailed, "the server is not serving (\(mode)\(purpose))"))
                return
            }
            mode = .draining
            drainPurpose = purpose
            drainWaiter = waiter
            unregisterListeners()
            acceptPausedUntil = nil
            for case let connection? in connections { settle(connection) }
            finishIfIdle()
        case .resume(let purpose, let handedBack, let waiter):
            // An upgrade refused by a drain for a stop resumes nothing: the stop goes on.
            if mode == .draining && drainWaiter == nil && drainPurpose == purpose {
                mode = .serving
                registerListeners()
                serve(handedBack + takeLeftovers())
            } else {
                serve(handedBack)
            }
            waiter.resume()
        case .adopt(let handedOver, let waiter):
            serve(handedOver)
            waiter.resume()
        case .startAnswering(let waiter):
            if !answering {
                answering = true
                for case let connection? in connections {
                    if mode == .serving && !connection.inbound.isEmpty && !connection.closing {
                        handleBufferedRequests(on: connection)
                    }
                    armDeadline(connection)
                    settle(connection)
                }
            }
            waiter.resume()
        case .stop(let closing, let endLoop, let waiter):
            stopWaiters.append(waiter)
            if endLoop { endsLoopWhenStopped = true }
            let leftovers = closing + takeLeftovers()
            guard mode != .stopped else {
                serve(leftovers)
                finishIfIdle()
                return
            }
            mode = .stopping
            stopDeadline = ContinuousClock.now + configuration.stopGracePeriod
            unregisterListeners()
            acceptPausedUntil = nil
            serve(leftovers)  // closed at once, unread: their requests were never begun
            for case let connection? in connections {
                // Requests that have already arrived are in flight: answer them before closing.
                if !connection.hasPendingOutput && !connection.closing { read(connection) }
                settle(connection)
            }
            finishIfIdle()
        }
    }

    /// Resumes whoever waits for the connections to be gone.
    func finishIfIdle() {
        guard connectionCount == 0 else { return }
        switch mode {
        case .draining:
            if let waiter = drainWaiter {
                drainWaiter = nil
                let connections = detached
                detached = []
                waiter.resume(returning: connections)
            }
        case .stopping, .stopped:
            // The loop thread stays, idle: a late command still finds someone to answer it.
            mode = .stopped
            stopDeadline = nil
            if let waiter = drainWaiter {
                // A stop overtook a drain: hand over what was detached before the stop.
                drainWaiter = nil
                waiter.resume(returning: detached)
                detached = []
            }
            let waiters = stopWaiters
            stopWaiters = []
            for waiter in waiters { waiter.resume() }
        case .serving:
            break
        }
    }
}
