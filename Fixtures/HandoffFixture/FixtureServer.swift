import Foundation
import Handoff
import Synchronization

/// Answers every connection with "pid=<pid> generation=<n>\n" and closes it. Draining stops the
/// accepting; resuming starts it again on the same listener.
final class FixtureServer: UpgradeParticipant {
    private let listener: Int32
    private let generation: Int
    private let accepting = Atomic<Bool>(true)

    init(listener: Int32, generation: Int) {
        self.listener = listener
        self.generation = generation
    }

    func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func drain() async throws -> [HandoffConnection] {
        accepting.store(false, ordering: .sequentiallyConsistent)
        return []
    }

    func resume(_ connections: [HandoffConnection]) async {
        accepting.store(true, ordering: .sequentiallyConsistent)
    }

    private func acceptLoop() {
        let answer = Array("pid=\(getpid()) generation=\(generation)\n".utf8)
        while true {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            // Wake now and then to notice a drain; this is a test fixture, not a server.
            guard poll(&poller, 1, 20) > 0, accepting.load(ordering: .sequentiallyConsistent) else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            _ = send(client, answer, answer.count, Int32(MSG_NOSIGNAL))
            close(client)
        }
    }
}
