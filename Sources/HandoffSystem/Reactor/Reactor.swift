import CHandoff
import Synchronization

/// The process's one way to wait on a descriptor: one level-triggered epoll loop on one
/// dedicated thread (an ``EpollThread``), started on first use.
///
/// A child's exit (its pidfd), the signal pipe, a store directory's inotify instance and the
/// control socket's listener are all watched here, instead of a dispatch source each, a blocking
/// `waitpid` on a global queue, or a poll. Handlers run on the reactor's thread, one at a time,
/// so they must be short and must not block: read what is ready, resume a continuation, yield
/// to a stream, start a task.
///
/// ```swift
/// let watch = try Reactor.shared().watch(fd) { _ in
///     drainWhatIsReady(fd)
///     return .keep
/// }
/// // later, from any thread:
/// watch.cancel(closing: true)   // the reactor closes fd after the last handler call
/// ```
///
/// The HTTP engine keeps an ``EpollThread`` of its own (its connections are its loop's whole
/// business); the upgrade's control channel and the keeper wait in `poll(2)` on purpose (see
/// Architecture.md).
package final class Reactor: Sendable {
    /// What a handler wants done with its descriptor after it ran.
    package enum Verdict: Sendable {
        /// Keep watching.
        case keep
        /// Stop watching; the descriptor stays open.
        case remove
        /// Stop watching and close the descriptor (on the reactor's thread, so its number cannot
        /// be reused while it is still registered).
        case close
        /// Stop watching, close the descriptor, then run `body` on the reactor's thread: for a
        /// waiter that must not go on while the descriptor is still open (an upgrade that reports
        /// its child gone has closed every descriptor it held for it).
        case closeThen(_ body: @Sendable () -> Void)
    }

    /// Called on the reactor's thread with the ready `epoll` events of a watched descriptor.
    package typealias Handler = @Sendable (_ events: UInt32) -> Verdict

    private static let instance = Mutex<Reactor?>(nil)
    private let loop: EpollThread<ReactorCommand>
    private let nextID = Atomic<UInt64>(1)

    /// The process's reactor, started on first use (a failed start is tried again next time).
    /// - Throws: ``HandoffError`` naming `epoll_create1`, `eventfd` or `pthread_create`.
    package static func shared() throws(HandoffError) -> Reactor {
        try instance.withLock { (reactor: inout Reactor?) throws(HandoffError) -> Reactor in
            if let reactor { return reactor }
            let started = try Reactor()
            reactor = started
            return started
        }
    }

    private init() throws(HandoffError) {
        let loop = try EpollThread<ReactorCommand>()
        self.loop = loop
        try loop.start { ReactorLoop(epoll: loop.epoll) }
    }

    /// Calls `handler` on the reactor's thread whenever `fd` is ready for `events`
    /// (level-triggered), until it returns ``Verdict/remove`` or ``Verdict/close``, or the watch
    /// is cancelled. A descriptor is watched once at a time.
    /// - Parameters:
    ///   - fd: A non-blocking descriptor (a handler may be called when nothing is left to read).
    ///   - events: The `epoll` events to wait for (`EPOLLIN` by default).
    ///   - handler: What to do when it is ready.
    /// - Returns: The watch, to cancel it.
    /// - Throws: ``HandoffError`` naming `epoll_ctl(ADD)`.
    @discardableResult
    package func watch(_ fd: CInt, events: UInt32 = EPOLLIN.rawValue, _ handler: @escaping Handler) throws(HandoffError) -> Watch {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        // The handler is in the loop's table before the kernel can report the descriptor ready;
        // were it not, level triggering reports it again.
        loop.submit(.add(fd, id: id, handler))
        do {
            try loop.epoll.add(fd, events: events)
        } catch {
            loop.submit(.remove(fd, id: id, close: false, then: nil))
            throw error
        }
        return Watch(reactor: self, fd: fd, id: id)
    }

    /// Runs `body` on the reactor's thread once `delay` has passed.
    /// - Parameters:
    ///   - delay: How long from now.
    ///   - body: Short, non-blocking work, like a handler's.
    package func after(_ delay: Duration, _ body: @escaping @Sendable () -> Void) {
        loop.submit(.timer(.now + delay, body))
    }

    /// One descriptor's registration with the reactor.
    package struct Watch: Sendable {
        let reactor: Reactor
        let fd: CInt
        let id: UInt64

        /// Stops watching. Callable from any thread, the reactor's included; idempotent. The
        /// handler may still run until the reactor's thread gets to the cancellation; `then`
        /// runs on that thread right after it, when the handler is called no more.
        /// - Parameters:
        ///   - closing: Close the descriptor then (so its number is not reused while a handler
        ///     could still run).
        ///   - then: What to do once the handler is called no more.
        package func cancel(closing: Bool = false, then: (@Sendable () -> Void)? = nil) {
            reactor.loop.submit(.remove(fd, id: id, close: closing, then: then))
        }
    }
}

/// What other threads ask of the reactor's loop.
enum ReactorCommand: Sendable {
    case add(CInt, id: UInt64, Reactor.Handler)
    case remove(CInt, id: UInt64, close: Bool, then: (@Sendable () -> Void)?)
    case timer(ContinuousClock.Instant, @Sendable () -> Void)
}

/// The reactor's loop state, confined to its thread: handlers by descriptor, and timers.
private final class ReactorLoop: EpollThreadHandler {
    private struct Entry {
        let id: UInt64
        let handler: Reactor.Handler
    }

    private let epoll: EpollSet
    /// By descriptor, as an `Int`: the process's other tables are keyed by `Int`, and each key
    /// type a dictionary is first made with costs a scan of every conformance record.
    private var entries: [Int: Entry] = [:]
    /// Sorted by deadline, earliest last.
    private var timers: [(deadline: ContinuousClock.Instant, body: @Sendable () -> Void)] = []

    init(epoll: EpollSet) {
        self.epoll = epoll
    }

    var timeoutMilliseconds: CInt {
        guard let next = timers.last?.deadline else { return -1 }
        let left = ContinuousClock.now.duration(to: next)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        // Rounded up: waking a little early would only wait again.
        return CInt(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    func handle(events: UInt32, on descriptor: CInt) {
        // Nothing registered (an event of a descriptor whose handler is not in yet, or one just
        // removed in this round): level triggering reports it again if it matters.
        guard let entry = entries[Int(descriptor)] else { return }
        switch entry.handler(events) {
        case .keep:
            break
        case .remove:
            unregister(descriptor)
        case .close:
            unregister(descriptor)
            Syscall.close(descriptor)
        case .closeThen(let body):
            unregister(descriptor)
            Syscall.close(descriptor)
            body()
        }
    }

    func handle(_ command: ReactorCommand) {
        switch command {
        case .add(let fd, let id, let handler):
            entries[Int(fd)] = Entry(id: id, handler: handler)
        case .remove(let fd, let id, let close, let then):
            // A stale removal (the handler already removed itself, and the number may be
            // registered anew) leaves the newer registration alone.
            guard entries[Int(fd)]?.id == id else {
                then?()
                return
            }
            unregister(fd)
            if close { Syscall.close(fd) }
            then?()
        case .timer(let deadline, let body):
            let index = timers.firstIndex { $0.deadline < deadline } ?? timers.endIndex
            timers.insert((deadline, body), at: index)
        }
    }

    func checkTimers() {
        let now = ContinuousClock.now
        while let last = timers.last, last.deadline <= now {
            timers.removeLast()
            last.body()
        }
    }

    private func unregister(_ fd: CInt) {
        entries[Int(fd)] = nil
        // ENOENT/EBADF: the descriptor was closed already, which removed it from the set.
        try? epoll.remove(fd)
    }
}
