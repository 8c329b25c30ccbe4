import CHandoff
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Unix signals as an `AsyncStream`, trapped so that none is lost.
///
/// Each signal gets a real `sigaction` handler that writes its number to a process-wide pipe;
/// the process's ``Reactor`` watches the pipe and fans the numbers out to every
/// ``TrappedSignals`` that asked for them. The handler is installed before `init` returns, so a
/// signal sent after that is delivered, even before anyone iterates ``stream`` (it waits in the
/// pipe until the reactor reads it).
///
/// ```swift
/// let termination = TrappedSignals([SIGTERM, SIGINT])
/// for await signal in termination.stream { await stopGracefully(); break }
/// ```
///
/// A dispatch *signal* source is not safe for this on Linux: it needs the disposition set to
/// `SIG_IGN` and reads through `signalfd`, and the kernel discards an ignored process-directed
/// signal unless the main thread happens to block it, so a SIGHUP or SIGTERM can vanish.
public final class TrappedSignals: Sendable {
    /// Every trapped signal's number, as it arrives.
    public let stream: AsyncStream<Int32>
    private let id: Int

    /// Traps `numbers` (their previous dispositions are replaced) for this stream.
    public init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        id = SignalPipe.shared.subscribe(numbers, continuation)
        continuation.onTermination = { [id] _ in SignalPipe.shared.unsubscribe(id) }
    }

    deinit { SignalPipe.shared.unsubscribe(id) }
}

/// The process-wide pipe the signal handler writes to, and the streams it feeds.
private final class SignalPipe: Sendable {
    static let shared = SignalPipe()

    private struct Subscriber {
        let numbers: Set<Int32>
        let continuation: AsyncStream<Int32>.Continuation
    }

    private let subscribers = Mutex<(next: Int, all: [Int: Subscriber])>((0, [:]))
    /// Whether the reactor watches the pipe. Tried again at every subscription until it does:
    /// until then the numbers wait in the pipe.
    private let watching = Mutex(false)

    private init() {}

    func subscribe(_ numbers: [Int32], _ continuation: AsyncStream<Int32>.Continuation) -> Int {
        let id = subscribers.withLock { state in
            defer { state.next += 1 }
            state.all[state.next] = Subscriber(numbers: Set(numbers), continuation: continuation)
            return state.next
        }
        for number in numbers { _ = chandoff_signal_pipe(number) }
        watchPipe()
        return id
    }

    /// Has the reactor read the pipe whenever it is readable, from now on.
    private func watchPipe() {
        watching.withLock { watching in
            guard !watching else { return }
            let fd = chandoff_signal_pipe_read_end()
            guard fd >= 0, (try? Reactor.shared().watch(fd) { _ in
                SignalPipe.shared.drain(fd)
                return .keep
            }) != nil else { return }
            watching = true
        }
    }

    func unsubscribe(_ id: Int) {
        _ = subscribers.withLock { $0.all.removeValue(forKey: id) }
    }

    private func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return }
            let current = subscribers.withLock { Array($0.all.values) }
            for byte in buffer[0..<count] {
                let number = Int32(byte)
                for subscriber in current where subscriber.numbers.contains(number) {
                    subscriber.continuation.yield(number)
                }
            }
        }
    }
}
