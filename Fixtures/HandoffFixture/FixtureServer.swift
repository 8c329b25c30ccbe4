import Dispatch
import FoundationEssentials
import Glibc
import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Answers every connection with "pid=<pid> generation=<n> count=<c>\n" and closes it, once the
/// state is restored (``open()``). Draining stops the accepting; resuming starts it again on
/// the same listener.
final class FixtureServer: UpgradeParticipant {
    private let listener: Int32
    private let generation: Int
    private let counter: FixtureCounter
    private let accepting = Atomic<Bool>(true)
    private let restored = Atomic<Bool>(false)

    init(listener: Int32, generation: Int, counter: FixtureCounter) {
        self.listener = listener
        self.generation = generation
        self.counter = counter
    }

    /// Starts answering: the state is in place.
    func open() { restored.store(true, ordering: .sequentiallyConsistent) }

    func start() {
        DispatchQueue(label: "fixture.accept").async { [self] in acceptLoop() }  // a thread of its own while it blocks
    }

    func drain() async throws -> [HandoffConnection] {
        accepting.store(false, ordering: .sequentiallyConsistent)
        return []
    }

    func resume(_ connections: [HandoffConnection]) async {
        accepting.store(true, ordering: .sequentiallyConsistent)
    }

    private func acceptLoop() {
        while true {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            // Wake now and then to notice a drain; this is a test fixture, not a server.
            let ready = poll(&poller, 1, 20)
            // The listener was closed (the process is stopping): nothing more to accept, and
            // polling a closed descriptor would spin.
            if ready > 0 && poller.revents & Int16(POLLNVAL) != 0 { return }
            guard ready > 0, accepting.load(ordering: .sequentiallyConsistent),
                  restored.load(ordering: .sequentiallyConsistent) else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            let answer = Array("pid=\(getpid()) generation=\(generation) count=\(counter.next())\n".utf8)
            _ = send(client, answer, answer.count, Int32(MSG_NOSIGNAL))
            close(client)
        }
    }
}
