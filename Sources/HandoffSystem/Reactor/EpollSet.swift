import CHandoff
#if canImport(Glibc)
import Glibc
#endif

/// An epoll instance, level-triggered, keyed by file descriptor.
///
/// Thin wrappers over `epoll_ctl(2)` and `epoll_wait(2)`; each event's `data.fd` is the
/// descriptor it was registered for. Event masks are `EPOLLIN.rawValue` and the like.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package struct EpollSet: Sendable {
    /// The epoll descriptor.
    package let descriptor: CInt

    /// Creates an instance with `epoll_create1(EPOLL_CLOEXEC)`.
    /// - Throws: ``HandoffError`` naming `epoll_create1`.
    package init() throws(HandoffError) {
        descriptor = try Syscall.check("epoll_create1") { epoll_create1(CInt(EPOLL_CLOEXEC)) }
    }

    /// Starts watching `fd` for `events` (`EPOLL_CTL_ADD`).
    /// - Throws: ``HandoffError`` naming `epoll_ctl(ADD)`.
    package func add(_ fd: CInt, events: UInt32) throws(HandoffError) {
        try control(EPOLL_CTL_ADD, fd, events: events, name: "epoll_ctl(ADD)")
    }

    /// Changes the events watched on `fd` (`EPOLL_CTL_MOD`).
    /// - Throws: ``HandoffError`` naming `epoll_ctl(MOD)`.
    package func modify(_ fd: CInt, events: UInt32) throws(HandoffError) {
        try control(EPOLL_CTL_MOD, fd, events: events, name: "epoll_ctl(MOD)")
    }

    /// Stops watching `fd` (`EPOLL_CTL_DEL`); the descriptor stays open.
    /// - Throws: ``HandoffError`` naming `epoll_ctl(DEL)`.
    package func remove(_ fd: CInt) throws(HandoffError) {
        try control(EPOLL_CTL_DEL, fd, events: 0, name: "epoll_ctl(DEL)")
    }

    /// Waits for events with `epoll_wait(2)`, retrying on `EINTR`.
    /// - Parameters:
    ///   - events: Where the kernel stores the ready events; its count is the most one wait
    ///     returns. Must not be empty.
    ///   - timeoutMilliseconds: -1 to wait without limit.
    /// - Returns: How many entries at the start of `events` are filled.
    /// - Throws: ``HandoffError`` naming `epoll_wait`.
    package func wait(into events: inout [epoll_event], timeoutMilliseconds: CInt) throws(HandoffError) -> Int {
        let count = try Syscall.check("epoll_wait") {
            events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(descriptor, buffer.baseAddress, CInt(buffer.count), timeoutMilliseconds)
            }
        }
        return Int(count)
    }

    /// Closes the epoll descriptor.
    package func close() {
        Syscall.close(descriptor)
    }

    private func control(_ operation: CInt, _ fd: CInt, events: UInt32, name: String) throws(HandoffError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        try Syscall.check(name) { epoll_ctl(descriptor, operation, fd, &event) }
    }
}
