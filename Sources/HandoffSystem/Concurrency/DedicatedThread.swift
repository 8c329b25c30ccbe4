#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread of its own, outside Swift's cooperative pool, for work that blocks: an
/// ``EpollThread``'s loop, or a `waitpid` where no pidfd can be had.
package enum DedicatedThread {
    /// Runs `body` on a new detached thread.
    /// - Parameter body: What the thread runs; the thread ends when it returns.
    /// - Throws: ``HandoffError`` naming `pthread_create`.
    package static func detach(_ body: @escaping @Sendable () -> Void) throws(HandoffError) {
        let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, argument)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(argument).release()
            throw HandoffError.system("pthread_create", errno: result)
        }
        pthread_detach(thread)
    }
}

/// What a thread started by ``DedicatedThread`` runs, passed through `pthread_create`'s argument.
private final class ThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
