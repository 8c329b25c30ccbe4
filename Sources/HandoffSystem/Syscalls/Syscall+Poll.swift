#if canImport(Glibc)
import Glibc
#endif

/// The readiness poll(2) waits for and reports.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    @inlinable public init(rawValue: Int16) { self.rawValue = rawValue }

    /// `POLLIN`.
    public static let readable = PollEvents(rawValue: Int16(POLLIN))
    /// `POLLOUT`.
    public static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// `POLLERR` (reported only).
    public static let error = PollEvents(rawValue: Int16(POLLERR))
    /// `POLLNVAL` (reported only): the descriptor is not open.
    public static let invalid = PollEvents(rawValue: Int16(POLLNVAL))
    /// `POLLHUP` (reported only).
    public static let hangUp = PollEvents(rawValue: Int16(POLLHUP))
}

/// One descriptor of a ``Syscall/poll(_:timeoutMilliseconds:)``: what to wait for, and what
/// came.
public struct PollDescriptor: Sendable {
    public var fd: CInt
    public var events: PollEvents
    public var returned: PollEvents

    @inlinable
    public init(_ fd: CInt, _ events: PollEvents) {
        self.fd = fd
        self.events = events
        self.returned = []
    }
}

extension Syscall {
    /// poll(2), retrying `EINTR` (with the same timeout): the number of descriptors with news,
    /// 0 on timeout. A negative timeout waits for ever.
    /// - Throws: ``HandoffError`` naming `name` (`poll(…)`) and its errno.
    @inlinable
    @discardableResult
    public static func poll(_ descriptors: inout [PollDescriptor], timeoutMilliseconds: Int32, _ name: @autoclosure () -> String = "poll") throws(HandoffError) -> Int {
        var fds = descriptors.map { pollfd(fd: $0.fd, events: $0.events.rawValue, revents: 0) }
        let ready = try check(name()) { Glibc.poll(&fds, nfds_t(fds.count), timeoutMilliseconds) }
        for index in fds.indices { descriptors[index].returned = PollEvents(rawValue: fds[index].revents) }
        return Int(ready)
    }

    /// Waits until `fd` has `events` or `timeoutMilliseconds` pass: whether it did.
    package static func wait(for events: PollEvents, on fd: CInt, timeoutMilliseconds: Int32, _ name: @autoclosure () -> String = "poll") throws(HandoffError) -> Bool {
        var fds = [PollDescriptor(fd, events)]
        return try poll(&fds, timeoutMilliseconds: timeoutMilliseconds, name()) > 0
    }
}

/// A fixed set of descriptors to poll(2) again and again without allocating: for loops that
/// must not allocate once started (the keeper).
package struct PollSet {
    private var fds: [pollfd]

    /// One entry per descriptor, with the events to wait for.
    package init(_ entries: [(CInt, PollEvents)]) {
        fds = entries.map { pollfd(fd: $0.0, events: $0.1.rawValue, revents: 0) }
    }

    /// poll(2), retrying `EINTR`: how many entries have news. A negative timeout waits for ever.
    @discardableResult
    package mutating func wait(timeoutMilliseconds: Int32 = -1, _ name: @autoclosure () -> String = "poll") throws(HandoffError) -> Int {
        let count = nfds_t(fds.count)
        return Int(try fds.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(HandoffError) in try Syscall.check(name()) { Glibc.poll(buffer.baseAddress, count, timeoutMilliseconds) } }
        }.get())
    }

    /// What entry `index` reported at the last ``wait(timeoutMilliseconds:_:)``.
    package func returned(_ index: Int) -> PollEvents {
        PollEvents(rawValue: fds[index].revents)
    }
}
