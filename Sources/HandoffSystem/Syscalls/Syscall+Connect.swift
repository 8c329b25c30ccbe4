#if canImport(Glibc)
import Glibc
#endif

extension Syscall {
    /// connect(2) to `endpoint`, retrying `EINTR` on a blocking socket.
    /// - Throws: ``HandoffError`` naming `connect(endpoint)` and its errno.
    package static func connect(_ fd: CInt, to endpoint: SocketEndpoint, _ name: @autoclosure () -> String? = nil) throws(HandoffError) {
        let label = name() ?? "connect(\(endpoint))"
        try endpoint.withSockAddr { pointer, length throws(HandoffError) in
            _ = try check(label) { Glibc.connect(fd, pointer, length) }
        }
    }

    /// The outcome of starting a connect(2) on a non-blocking socket.
    package enum ConnectProgress: Sendable, Equatable {
        /// Connected at once.
        case connected
        /// Under way (`EINPROGRESS`): wait for the socket to be writable, then read
        /// ``SocketOption/error``.
        case inProgress
    }

    /// connect(2) on a non-blocking socket: done, or under way.
    package static func startConnect(_ fd: CInt, to endpoint: SocketEndpoint) throws(HandoffError) -> ConnectProgress {
        // Not retried on EINTR: the connect goes on in the background, as with EINPROGRESS.
        do {
            try endpoint.withSockAddr { pointer, length throws(HandoffError) in
                _ = try check("connect(\(endpoint))", retryOnInterrupt: false) { Glibc.connect(fd, pointer, length) }
            }
            return .connected
        } catch where error.errno == .inProgress || error.errno == .interrupted {
            return .inProgress
        }
    }

    /// A new blocking stream socket connected to `endpoint`, close-on-exec.
    package static func connectedSocket(to endpoint: SocketEndpoint, _ flags: SocketFlags = []) throws(HandoffError) -> CInt {
        let fd = try socket(for: endpoint, .stream, flags)
        do {
            try connect(fd, to: endpoint)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Whether anybody accepts on the Unix socket at `endpoint`: `false` if connecting is
    /// refused (a path a dead process left behind).
    package static func isAccepting(_ endpoint: SocketEndpoint, _ type: SocketType) throws(HandoffError) -> Bool {
        let probe = try socket(.unix, type, [], "socket(probe)")
        defer { close(probe) }
        do {
            try connect(probe, to: endpoint)
            return true
        } catch where error.errno == .connectionRefused {
            return false
        } catch {
            return true
        }
    }
}

extension Syscall {
    /// getaddrinfo(3) of `host` and `port` for stream sockets: every address, in the resolver's
    /// order.
    /// - Throws: ``HandoffError/Code/systemCall`` naming `getaddrinfo(host)` and the resolver's
    ///   reason (`gai_strerror`; it sets no errno).
    package static func resolve(host: String, port: UInt16) throws(HandoffError) -> [SocketEndpoint] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw HandoffError(.systemCall, "getaddrinfo(\(host)): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(first) }
        var endpoints: [SocketEndpoint] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            next = info.pointee.ai_next
            guard let address = info.pointee.ai_addr else { continue }
            var storage = sockaddr_storage()
            let length = min(Int(info.pointee.ai_addrlen), MemoryLayout<sockaddr_storage>.size)
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length)) }
            if let endpoint = SocketEndpoint(storage: storage, length: socklen_t(length)) { endpoints.append(endpoint) }
        }
        return endpoints
    }

    /// A blocking TCP connection to `endpoint` with `TCP_NODELAY`, made within `timeout`: a
    /// non-blocking connect(2) waited for with poll(2), its outcome read from `SO_ERROR`.
    /// - Throws: ``HandoffError`` naming the call that failed (`connect: timed out after …` with
    ///   `ETIMEDOUT` when the time ran out).
    package static func connect(to endpoint: SocketEndpoint, timeout: Duration) throws(HandoffError) -> CInt {
        let fd = try socket(for: endpoint, .stream, .nonBlocking)
        do throws(HandoffError) {
            if try startConnect(fd, to: endpoint) == .inProgress {
                let deadline = ContinuousClock.now + timeout
                while true {
                    let left = deadline - ContinuousClock.now
                    let milliseconds = max(0, Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                    if try wait(for: .writable, on: fd, timeoutMilliseconds: milliseconds) { break }
                    if left <= .zero { throw HandoffError(.systemCall, "connect(\(endpoint)): timed out after \(timeout)", errno: .timedOut) }
                }
                let error = try socketOption(fd, .error)
                guard error == 0 else { throw HandoffError.system("connect(\(endpoint))", errno: error) }
            }
            try setNonBlocking(fd, false)
            try setSocketOption(fd, .noDelay, 1)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// `SO_RCVTIMEO` and `SO_SNDTIMEO`: how long a blocking read or write may wait before it
    /// fails with `EAGAIN`.
    package static func setTimeouts(_ fd: CInt, _ timeout: Duration) throws(HandoffError) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        try check("setsockopt(SO_RCVTIMEO)") { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size) }
        try check("setsockopt(SO_SNDTIMEO)") { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size) }
    }
}
