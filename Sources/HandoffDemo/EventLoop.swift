#if canImport(Glibc)
import Glibc
#endif
import CHandoff
import Synchronization

/// What an ``EventLoop`` calls on its thread. Implementations are confined to that thread.
protocol EventLoopHandler<Command>: AnyObject, SendableMetatype {
    associatedtype Command: Sendable

    /// How long the next wait may last, in milliseconds; -1 for no limit. Asked before every
    /// wait.
    var timeoutMilliseconds: CInt { get }

    /// A registered descriptor is ready; `events` is the epoll mask.
    func handle(events: UInt32, on descriptor: CInt)
    /// A command submitted from another thread, in submission order.
    func handle(_ command: Command)
    /// Called after every wait that had a time limit, whether or not events came.
    func checkTimers()
}

/// A level-triggered epoll loop on one dedicated thread, plus a command queue into it.
///
/// Other threads talk to the loop only through ``submit(_:)``: the command goes into a locked
/// queue and an `eventfd(2)` registered in the epoll set wakes the loop, which runs the queued
/// commands on its own thread. Everything else about the loop, the ``Epoll`` registrations
/// included, belongs to the handler running on that thread. The thread runs until the process
/// exits.
///
/// ```swift
/// let loop = try EventLoop<MyCommand>()
/// try loop.start { MyHandler(epoll: loop.epoll) }
/// loop.submit(.doSomething)
/// ```
final class EventLoop<Command: Sendable>: Sendable {
    /// The epoll set the handler registers its descriptors in.
    let epoll: Epoll
    private let wakeDescriptor: CInt
    private let pending = Mutex<[Command]>([])

    /// Creates the epoll set and its wake-up `eventfd`.
    /// - Throws: ``SystemCallError`` naming the call that failed.
    init() throws(SystemCallError) {
        let epoll = try Epoll()
        let wake = chandoff_eventfd()
        guard wake >= 0 else {
            let error = SystemCallError("eventfd")
            epoll.close()
            throw error
        }
        do {
            try epoll.add(wake, events: EPOLLIN.rawValue)
        } catch {
            _ = close(wake)
            epoll.close()
            throw error
        }
        self.epoll = epoll
        self.wakeDescriptor = wake
    }

    deinit {
        _ = close(wakeDescriptor)
        epoll.close()
    }

    /// Queues `command` for the loop thread and wakes it. Callable from any thread.
    func submit(_ command: Command) {
        pending.withLock { $0.append(command) }
        var one: UInt64 = 1
        // Fails only with EAGAIN when the counter is saturated, and then the loop is awake anyway.
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Starts a thread that creates a handler with `makeHandler` and runs the loop with it.
    /// - Throws: ``SystemCallError`` naming `pthread_create`.
    func start<Handler: EventLoopHandler>(
        _ makeHandler: @escaping @Sendable () -> Handler
    ) throws(SystemCallError) where Handler.Command == Command {
        try Self.detachThread {
            do {
                try self.run(makeHandler())
            } catch {
                fatalError("handoff-demo: event loop failed: \(error)")
            }
        }
    }

    /// Runs the loop on the calling thread; returns only if waiting fails.
    func run<Handler: EventLoopHandler>(
        _ handler: Handler
    ) throws(SystemCallError) where Handler.Command == Command {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
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

    private func runCommands<Handler: EventLoopHandler>(
        _ handler: Handler
    ) where Handler.Command == Command {
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

    /// Runs `body` on a new detached POSIX thread, outside Swift's cooperative pool.
    private static func detachThread(_ body: @escaping @Sendable () -> Void) throws(SystemCallError) {
        let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, argument)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(argument).release()
            throw SystemCallError("pthread_create", errorNumber: result)
        }
        pthread_detach(thread)
    }
}

/// What a thread started by ``EventLoop`` runs, passed through `pthread_create`'s argument.
private final class ThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
