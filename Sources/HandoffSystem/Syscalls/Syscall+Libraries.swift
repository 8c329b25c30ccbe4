#if canImport(Glibc)
import Glibc
#endif

/// A shared library opened with dlopen(3) (`RTLD_NOW | RTLD_LOCAL`), kept open for the
/// process's life: `HandoffEtcd` opens the system's OpenSSL this way, only when an `https`
/// endpoint is configured.
package struct DynamicLibrary: @unchecked Sendable {  // a handle the loader owns; read-only
    private let handle: UnsafeMutableRawPointer

    /// - Throws: ``HandoffError/Code/systemCall`` with dlerror(3)'s text.
    package init(_ name: String) throws(HandoffError) {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            throw HandoffError(.systemCall, "dlopen(\(name)): \(DynamicLibrary.lastError())")
        }
        self.handle = handle
    }

    /// dlsym(3): the address of `name`, or `nil`.
    package func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(handle, name)
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown reason"
    }
}

extension Syscall {
    /// Whether `host` is a numeric IPv4 or IPv6 address (inet_pton(3)), not a name.
    package static func isNumericAddress(_ host: String) -> Bool {
        SocketEndpoint.parseIPv4(host) != nil || SocketEndpoint.parseIPv6(host) != nil
    }

    /// Runs `body` (a write through a library that writes with write(2), which has no
    /// `MSG_NOSIGNAL`) with `SIGPIPE` held back on this thread; a `SIGPIPE` the write raised
    /// (it failed with `EPIPE`) is consumed before the mask is restored, one that was pending
    /// before is left. `errno` is as `body` left it.
    package static func withBrokenPipeSignalHeld(_ body: () -> Int) -> Int {
        var pipe = sigset_t(), previous = sigset_t(), pending = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        sigpending(&pending)
        let wasPending = sigismember(&pending, SIGPIPE) == 1
        pthread_sigmask(SIG_BLOCK, &pipe, &previous)
        let result = body()
        let saved = Glibc.errno
        if result < 0 && saved == EPIPE && !wasPending {
            var none = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipe, nil, &none)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        Glibc.errno = saved
        return result
    }
}

extension Errno {
    /// Sets `errno` on this thread: for code that reports failure the C way (-1 and `errno`),
    /// as the TLS session does for the connection reading through it.
    package static func set(_ value: Errno) {
        Glibc.errno = value.rawValue
    }
}
