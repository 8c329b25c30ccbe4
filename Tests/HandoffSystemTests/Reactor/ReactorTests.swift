import Glibc
import Synchronization
import Testing
@testable import HandoffSystem

/// The process's one way to wait on a descriptor: children's exits through their pidfds, the
/// signal pipe, plain descriptors and timers, all on the reactor's thread.
@Suite("Reactor: one epoll thread waits for children, signals, descriptors and timers", .timeLimit(.minutes(1)))
struct ReactorTests {
    @Test("a child's exit status comes through its pidfd, and a killed child reports the signal")
    func reapsThroughPidfd() async throws {
        let exited = try ChildProcess.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exit 7"], environment: [], controlFD: -1)
        #expect(await exited.reap() == .exited(7))
        let sleeping = try ChildProcess.spawn(path: "/bin/sleep", arguments: ["sleep", "600"], environment: [], controlFD: -1)
        #expect(await sleeping.killAndReap() == .signalled(SIGKILL))
    }

    @Test("twenty children reaped at once each get their own status")
    func reapsManyAtOnce() async throws {
        let children = try (0..<20).map { code in
            try ChildProcess.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exit \(code)"], environment: [], controlFD: -1)
        }
        let statuses = await withTaskGroup(of: (Int, HandoffSystem.ExitStatus).self) { group in
            for (index, child) in children.enumerated() {
                group.addTask { (index, await child.reap()) }
            }
            var statuses = [HandoffSystem.ExitStatus](repeating: .unknown, count: children.count)
            for await (index, status) in group { statuses[index] = status }
            return statuses
        }
        #expect(statuses == (0..<20).map { HandoffSystem.ExitStatus.exited(Int32($0)) })
    }

    @Test("a reaped-elsewhere child is reported unknown, not waited for")
    func reapedElsewhere() async throws {
        let child = try ChildProcess.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exit 3"], environment: [], controlFD: -1)
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, 0) == child.pid)
        #expect(await child.reap() == .unknown)
    }

    @Test("a watched pipe's handler runs each time it is readable; a cancellation's completion runs once it is called no more")
    func watchAndCancel() async throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        #expect(fcntl(ends[0], F_SETFL, O_NONBLOCK) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer { close(writeEnd) }
        let (bytes, continuation) = AsyncStream<UInt8>.makeStream()
        let cancelled = Atomic(false)
        let calledAfterCancel = Atomic(false)
        let watch = try Reactor.shared().watch(readEnd) { _ in
            if cancelled.load(ordering: .acquiring) { calledAfterCancel.store(true, ordering: .releasing) }
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) == 1 { continuation.yield(byte) }
            return .keep
        }
        var iterator = bytes.makeAsyncIterator()
        for value: UInt8 in [1, 2, 3] {
            var byte = value
            #expect(write(writeEnd, &byte, 1) == 1)
            #expect(await iterator.next() == value)
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            watch.cancel(closing: true) {
                cancelled.store(true, ordering: .releasing)
                done.resume()
            }
        }
        let late = calledAfterCancel.load(ordering: .acquiring)
        #expect(!late)
    }

    @Test("timers fire in deadline order on the reactor's thread")
    func timersInOrder() async throws {
        let reactor = try Reactor.shared()
        let (fired, continuation) = AsyncStream<Int>.makeStream()
        reactor.after(.milliseconds(30)) { continuation.yield(2) }
        reactor.after(.milliseconds(10)) { continuation.yield(1) }
        reactor.after(.milliseconds(50)) { continuation.yield(3); continuation.finish() }
        var order: [Int] = []
        for await number in fired { order.append(number) }
        #expect(order == [1, 2, 3])
    }

    @Test("a trapped signal raised in this process comes out of the stream")
    func trappedSignal() async throws {
        let trapped = TrappedSignals([SIGUSR2])
        // To the process, not this thread: a pool thread blocks signals, and would keep it pending.
        kill(getpid(), SIGUSR2)
        var iterator = trapped.stream.makeAsyncIterator()
        #expect(await iterator.next() == SIGUSR2)
    }
}
