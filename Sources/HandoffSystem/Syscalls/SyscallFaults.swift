import Synchronization

/// Failures a test makes system calls return, in-process: `EINTR`, `EAGAIN`, `EMFILE`,
/// `ENOSPC` — whatever a real machine does only now and then.
///
/// Faults are bound to a task (a task-local), so a test that injects them disturbs no other test
/// running beside it; blocking work that hops to a thread of its own carries the scope along
/// (``Syscall/carryingFaults(_:)``). Each fault matches a call by the name ``Syscall/check(_:retryOnInterrupt:_:)``
/// gives it, up to its first `(`: `"write"` matches `write(/run/x.tmp)`.
///
/// ```swift
/// let faults = SyscallFaults([.init("fsync", .noSpace)])
/// try await faults.inject { try await store.offer(envelope, ttl: nil) }   // throws storeFailed, ENOSPC
/// #expect(faults.unused.isEmpty)                                          // the fault was met
/// ```
public final class SyscallFaults: Sendable {
    /// One failure to inject.
    package struct Fault: Sendable, Equatable {
        /// The call's name, without arguments: `"write"`, `"accept4"`, `"open"`.
        package let call: String
        /// The errno the call fails with.
        package let errno: Errno
        /// How many times it fails before it works again.
        package var remaining: Int

        package init(_ call: String, _ errno: Errno, times: Int = 1) {
            self.call = call
            self.errno = errno
            self.remaining = times
        }
    }

    /// The faults in force for the running task (and work it carries them to).
    @TaskLocal public static var current: SyscallFaults?

    /// Whether any test of this process has injected faults: until then no call pays for the
    /// task-local lookup.
    public static let armed = Atomic<Bool>(false)

    private let faults: Mutex<[Fault]>

    package init(_ faults: [Fault]) {
        self.faults = Mutex(faults)
        Self.armed.store(true, ordering: .relaxed)
    }

    /// The faults not yet met (fully or in part).
    package var unused: [Fault] { faults.withLock { $0.filter { $0.remaining > 0 } } }

    /// Runs `body` with these faults in force.
    package func inject<R>(_ body: () async throws -> R) async rethrows -> R {
        try await Self.$current.withValue(self) { try await body() }
    }

    /// Runs synchronous `body` with these faults in force.
    package func inject<R>(_ body: () throws -> R) rethrows -> R {
        try Self.$current.withValue(self) { try body() }
    }

    /// The errno to fail `name` with, once, if a fault for it is left.
    @usableFromInline
    func take(_ name: String) -> Errno? {
        let bare = name.prefix { $0 != "(" }
        return faults.withLock { faults in
            guard let index = faults.firstIndex(where: { $0.remaining > 0 && $0.call == bare }) else { return nil }
            faults[index].remaining -= 1
            return faults[index].errno
        }
    }
}
