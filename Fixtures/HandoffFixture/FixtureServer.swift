import Dispatch
import FoundationEssentials
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
            var poller = [PollDescriptor(listener, .readable)]
            // Wake now and then to notice a drain; this is a test fixture, not a server.
            let ready = (try? Syscall.poll(&poller, timeoutMilliseconds: 20)) ?? 0
            // The listener was closed (the process is stopping): nothing more to accept, and
            // polling a closed descriptor would spin.
            if ready > 0 && poller[0].returned.contains(.invalid) { return }
            guard ready > 0, accepting.load(ordering: .sequentiallyConsistent),
                  restored.load(ordering: .sequentiallyConsistent) else { continue }
            guard let client = try? Syscall.accept(listener, nonBlocking: false) else { continue }
            let answer = Array("pid=\(Syscall.processID) generation=\(generation) count=\(counter.next())\n".utf8)
            _ = answer.withUnsafeBytes { try? Syscall.send(client, $0) }
            Syscall.close(client)
        }
    }
}
