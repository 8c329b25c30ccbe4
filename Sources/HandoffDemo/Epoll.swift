#if canImport(Glibc)
import Glibc
#endif
import CHandoff

/// An epoll instance, level-triggered, keyed by file descriptor.
///
/// Thin wrappers over `epoll_ctl(2)` and `epoll_wait(2)`; each event's `data.fd` is the
/// descriptor it was registered for. Event masks are `EPOLLIN.rawValue` and the like.
struct Epoll: Sendable {
    /// The epoll descriptor.
    let descriptor: CInt

    /// Creates an instance with `epoll_create1(EPOLL_CLOEXEC)`.
    /// - Throws: ``SystemCallError`` naming `epoll_create1`.
    init() throws(SystemCallError) {
        let descriptor = epoll_create1(CInt(EPOLL_CLOEXEC))
        guard descriptor >= 0 else { throw SystemCallError("epoll_create1") }
        self.descriptor = descriptor
    }

    /// Starts watching `fd` for `events` (`EPOLL_CTL_ADD`).
    func add(_ fd: CInt, events: UInt32) throws(SystemCallError) {
        try control(EPOLL_CTL_ADD, fd, events: events, name: "epoll_ctl(ADD)")
    }

    /// Changes the events watched on `fd` (`EPOLL_CTL_MOD`).
    func modify(_ fd: CInt, events: UInt32) throws(SystemCallError) {
        try control(EPOLL_CTL_MOD, fd, events: events, name: "epoll_ctl(MOD)")
    }

    /// Stops watching `fd` (`EPOLL_CTL_DEL`); the descriptor stays open.
    func remove(_ fd: CInt) throws(SystemCallError) {
        try control(EPOLL_CTL_DEL, fd, events: 0, name: "epoll_ctl(DEL)")
    }

    /// Waits for events with `epoll_wait(2)`, retrying on `EINTR`.
    /// - Parameters:
    ///   - events: Where the kernel stores the ready events; its count is the most one wait
    ///     returns. Must not be empty.
    ///   - timeoutMilliseconds: -1 to wait without limit.
    /// - Returns: How many entries at the start of `events` are filled.
    func wait(
        into events: inout [epoll_event], timeoutMilliseconds: CInt
    ) throws(SystemCallError) -> Int {
        while true {
            let count = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(descriptor, buffer.baseAddress, CInt(buffer.count), timeoutMilliseconds)
            }
            if count >= 0 { return Int(count) }
            if errno != EINTR { throw SystemCallError("epoll_wait") }
        }
    }

    /// Closes the epoll descriptor.
    func close() {
        _ = Glibc.close(descriptor)
    }

    private func control(
        _ operation: CInt, _ fd: CInt, events: UInt32, name: String
    ) throws(SystemCallError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        guard epoll_ctl(descriptor, operation, fd, &event) == 0 else { throw SystemCallError(name) }
    }
}
