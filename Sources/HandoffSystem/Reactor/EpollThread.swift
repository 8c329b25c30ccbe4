import CHandoff
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What an ``EpollThread`` calls on its thread. Implementations are confined to that thread.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package protocol EpollThreadHandler<Command>: AnyObject, SendableMetatype {
    /// What other threads submit to the loop.
    associatedtype Command: Sendable

    /// How long the next wait may last, in milliseconds; -1 for no limit. Asked before every
    /// wait.
    var timeoutMilliseconds: CInt { get }

    /// A registered descriptor is ready.
    /// - Parameters:
    ///   - events: The epoll mask.
    ///   - descriptor: The descriptor it was registered for.
    func handle(events: UInt32, on descriptor: CInt)
    /// A command submitted from another thread, in submission order.
    /// - Parameter command: The command.
    func handle(_ command: Command)
    /// Called after every wait that had a time limit, whether or not events came.
    func checkTimers()
    /// Whether the loop should end after this round; checked after every wait.
    var isFinished: Bool { get }
}

extension EpollThreadHandler {
    /// Never: the loop runs until the process exits.
    package var isFinished: Bool { false }
}

/// A level-triggered epoll loop on one dedicated thread, plus a command queue into it.
///
/// Other threads talk to the loop only through ``submit(_:)``: the command goes into a locked
/// queue and an `eventfd(2)` registered in the epoll set wakes the loop, which runs the queued
/// commands on its own thread. Everything else about the loop, the ``EpollSet`` registrations
/// included, belongs to the handler running on that thread. The thread runs until its handler
/// says it ``EpollThreadHandler/isFinished``, or until the process exits.
///
/// ```swift
/// let loop = try EpollThread<MyCommand>()
/// try loop.start { MyHandler(epoll: loop.epoll) }
/// loop.submit(.doSomething)
/// ```
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package final class EpollThread<Command: Sendable>: Sendable {
    /// The epoll set the handler registers its descriptors in.
    package let epoll: EpollSet
    private let wakeDescriptor: CInt
    private let pending = Mutex<[Command]>([])

    /// Creates the epoll set and its wake-up `eventfd`.
    /// - Throws: ``HandoffError`` naming the call that failed.
    package init() throws(HandoffError) {
        let epoll = try EpollSet()
        let wake: CInt
        do {
            wake = try Syscall.check("eventfd") { chandoff_eventfd() }
            try epoll.add(wake, events: EPOLLIN.rawValue)
        } catch {
            epoll.close()
            throw error
        }
        self.epoll = epoll
        self.wakeDescriptor = wake
    }

    deinit {
        Syscall.close(wakeDescriptor)
        epoll.close()
    }

    /// Queues `command` for the loop thread and wakes it. Callable from any thread.
    /// - Parameter command: What the handler is to do.
    package func submit(_ command: Command) {
        pending.withLock { $0.append(command) }
        var one: UInt64 = 1
        // Fails only with EAGAIN when the counter is saturated, and then the loop is awake anyway.
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Starts a thread that creates a handler with `makeHandler` and runs the loop with it.
    /// - Parameter makeHandler: Makes the handler, on the new thread.
    /// - Throws: ``HandoffError`` naming `pthread_create`.
    package func start<Handler: EpollThreadHandler>(
        _ makeHandler: @escaping @Sendable () -> Handler
    ) throws(HandoffError) where Handler.Command == Command {
        try DedicatedThread.detach {
            do {
                try self.run(makeHandler())
            } catch {
                fatalError("handoff: epoll thread failed: \(error)")
            }
        }
    }

    /// Runs the loop on the calling thread; returns when the handler is finished, or throws if
    /// waiting fails.
    /// - Parameter handler: What handles the events and commands.
    /// - Throws: ``HandoffError`` naming `epoll_wait`.
    package func run<Handler: EpollThreadHandler>(_ handler: Handler) throws(HandoffError) where Handler.Command == Command {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !handler.isFinished {
            let timeout = handler.timeoutMilliseconds
            let count = try epoll.wait(into: &events, timeoutMilliseconds: timeout)
            for index in 0..<count {
                let event = events[index]
                if event.data.fd == wakeDescriptor {
                    runCommands(handler)
                } else {
                    handler.handle(events: event.events, on: event.data.fd)
                }
            }
            if timeout >= 0 { handler.checkTimers() }
        }
    }

    private func runCommands<Handler: EpollThreadHandler>(_ handler: Handler) where Handler.Command == Command {
        var counter: UInt64 = 0
        _ = read(wakeDescriptor, &counter, MemoryLayout<UInt64>.size)
        let commands = pending.withLock { queue -> [Command] in
            defer { queue.removeAll() }
            return queue
        }
        for command in commands {
            handler.handle(command)
        }
    }
}
