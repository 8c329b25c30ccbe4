import Glibc
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// A connection that does what it is told through the registry, at once or when released.
private final class FakeConnection: DrainableConnection {
    enum Behaviour { case idle, busy, unhandoverable }
    let registry: ConnectionRegistry
    let behaviour: Behaviour
    let descriptor: CInt
    let ticket = Mutex<ConnectionRegistry.Ticket?>(nil)
    let draining = Mutex(false)
    /// A drain that began while `register` ran, before the ticket was known.
    let finishPending = Mutex(false)

    init(registry: ConnectionRegistry, behaviour: Behaviour, descriptor: CInt) {
        self.registry = registry
        self.behaviour = behaviour
        self.descriptor = descriptor
        let ticket = registry.register(self)
        self.ticket.withLock { $0 = ticket }
        if finishPending.withLock({ $0 }) { finishRequest() }
    }

    func beginDrain() {
        draining.withLock { $0 = true }
        if behaviour == .idle { finishRequest() }
    }
    func cancelDrain() { draining.withLock { $0 = false } }
    func forceClose() { registry.closed(ticket.withLock { $0! }) }

    /// The request in flight is answered: hand over if draining.
    func finishRequest() {
        guard draining.withLock({ $0 }) else { return }
        guard let ticket = ticket.withLock({ $0 }) else {
            finishPending.withLock { $0 = true }
            return
        }
        if behaviour == .unhandoverable {
            registry.closed(ticket)
        } else {
            registry.detached(ticket, as: HandoffConnection(descriptor: descriptor, unreadBytes: [UInt8(descriptor)]))
        }
    }
}

@Suite("The connection registry", .offCooperativePool)
struct ConnectionRegistryTests {
    @Test("a drain hands over idle connections at once and busy ones when their request ends")
    func drainWaitsForBusy() async {
        let registry = ConnectionRegistry()
        let idle = FakeConnection(registry: registry, behaviour: .idle, descriptor: 10)
        let busy = FakeConnection(registry: registry, behaviour: .busy, descriptor: 11)
        #expect(registry.counts.live == 2)
        async let drained = registry.drain(deadline: .seconds(60))
        // Wait, with a deadline, for the idle one to leave, then answer the busy one.
        let clock = ContinuousClock()
        let until = clock.now + .seconds(10)
        while registry.counts.live != 1 && clock.now < until { await Task.yield() }
        #expect(registry.counts.live == 1)
        busy.finishRequest()
        let connections = await drained
        #expect(Set(connections.map(\.descriptor)) == [10, 11])
        #expect(connections.first { $0.descriptor == 11 }?.unreadBytes == [11])
        _ = idle
    }

    @Test("the deadline closes what cannot be handed over; a resume serves the rest on")
    func deadlineAndResume() async {
        let registry = ConnectionRegistry()
        let stuck = FakeConnection(registry: registry, behaviour: .unhandoverable, descriptor: 12)
        let connections = await registry.drain(deadline: .milliseconds(50))
        #expect(connections.isEmpty)
        #expect(registry.counts.live == 0)
        #expect(registry.resume().isEmpty)
        #expect(!registry.isDraining)
        _ = stuck
    }

    @Test("a connection registered during a drain drains at once; one detached late comes back on resume")
    func lateConnections() async {
        let registry = ConnectionRegistry()
        let busy = FakeConnection(registry: registry, behaviour: .busy, descriptor: 13)
        let stillBusy = FakeConnection(registry: registry, behaviour: .busy, descriptor: 15)
        let drain = Task { await registry.drain(deadline: .seconds(60)) }
        let clock = ContinuousClock()
        var until = clock.now + .seconds(10)
        while !registry.isDraining && clock.now < until { await Task.yield() }
        let late = FakeConnection(registry: registry, behaviour: .idle, descriptor: 14)
        until = clock.now + .seconds(10)
        while registry.counts.detached != 1 && clock.now < until { await Task.yield() }
        // The drain cannot end while the busy one lives: cancel it as the upgrade timeout would.
        drain.cancel()
        let connections = await drain.value
        _ = late
        #expect(connections.map(\.descriptor) == [14])
        busy.finishRequest()  // detached after the drain returned
        let leftovers = registry.resume()
        #expect(leftovers.map(\.descriptor) == [13])
        // The one still live serves on; the one detached late is the caller's to serve again.
        #expect(!stillBusy.draining.withLock { $0 })
        #expect(registry.counts.live == 1)
    }
}

@Suite("A listener lent to a framework", .offCooperativePool)
struct SharedListenerTests {
    @Test("the lent duplicate is the same socket; closing it leaves the upgrader's listening")
    func lend() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        let listener = SharedListener(descriptor: fd, backlog: 64)
        #expect(throws: HandoffError.self) { try listener.lend() }  // not listening yet
        #expect(listen(fd, 64) == 0)
        let lent = try listener.lend()
        #expect(lent != fd)
        #expect(fcntl(lent, F_GETFD) & FD_CLOEXEC != 0)
        #expect(listen(lent, 128) == 0)  // what NIO does
        try listener.restoreBacklog()
        close(lent)
        var listening: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        #expect(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0)
        #expect(listening == 1)
    }
}
