#if canImport(Glibc)
import Glibc
#endif
import HandoffSystem

/// Creating and checking the sockets behind named descriptors.
package enum Sockets {
    /// A new listening socket bound to `address`, close-on-exec.
    ///
    /// TCP listeners get `SO_REUSEADDR`; IPv6 ones `IPV6_V6ONLY`, so `[::]` and `0.0.0.0` can
    /// both be bound. A Unix path left behind by a dead process (nobody accepts on it) is
    /// removed and bound again; a live one is refused with `EADDRINUSE`.
    package static func listener(_ address: SocketEndpoint, backlog: Int32) throws(HandoffError) -> CInt {
        let fd = try bound(address, type: streamSocket)
        do throws(HandoffError) {
            try Syscall.check("listen(\(address))") { listen(fd, backlog) }
        } catch {
            Syscall.close(fd)
            throw error
        }
        return fd
    }

    /// A new datagram socket bound to `address`, close-on-exec.
    static func datagram(_ address: SocketEndpoint) throws(HandoffError) -> CInt {
        try bound(address, type: datagramSocket)
    }

    private static func bound(_ address: SocketEndpoint, type: Int32) throws(HandoffError) -> CInt {
        let fd = try Syscall.check("socket(\(address))") { socket(address.family, type | closeOnExecSocket, 0) }
        do throws(HandoffError) {
            switch address {
            case .ipv4:
                if type == streamSocket { try Syscall.setSocketOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") }
            case .ipv6:
                if type == streamSocket { try Syscall.setSocketOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") }
                try Syscall.setSocketOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY")
            case .unix, .abstract:
                break
            }
            try bind(fd, address, type: type)
            return fd
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    private static func bind(_ fd: CInt, _ address: SocketEndpoint, type: Int32) throws(HandoffError) {
        do throws(HandoffError) {
            try address.withSockAddr { pointer, length throws(HandoffError) in
                _ = try Syscall.check("bind(\(address))") { Glibc.bind(fd, pointer, length) }
            }
        } catch where error.errno == .addressInUse {
            guard case .unix(let path) = address, try isStale(address, type: type) else { throw error }
            _ = unlink(path)
            try address.withSockAddr { pointer, length throws(HandoffError) in
                _ = try Syscall.check("bind(\(address))") { Glibc.bind(fd, pointer, length) }
            }
        }
    }

    /// Whether nobody is bound behind a Unix socket path: connecting is refused.
    private static func isStale(_ address: SocketEndpoint, type: Int32) throws(HandoffError) -> Bool {
        let probe = try Syscall.check("socket(probe)") { socket(AF_UNIX, type | closeOnExecSocket, 0) }
        defer { Syscall.close(probe) }
        let result = try address.withSockAddr { pointer, length throws(HandoffError) in
            connect(probe, pointer, length) == 0 ? 0 : errno
        }
        return result == ECONNREFUSED
    }

    /// Checks that `fd` is what `kind` says, and returns its local address for sockets (as
    /// ``SocketEndpoint/local(of:)`` does); `nil` for a file.
    ///
    /// A listener must be a listening (`SO_ACCEPTCONN`) stream socket; a connection a stream
    /// socket that is not listening and has a peer; a datagram socket a `datagramSocket` one; a file
    /// anything that is not a socket.
    /// - Throws: ``HandoffError/Code/descriptorMismatch`` naming what differs.
    @discardableResult
    static func validate(_ fd: CInt, as kind: DescriptorKind, name: String) throws(HandoffError) -> (family: Int32, address: SocketEndpoint?)? {
        func mismatch(_ why: String) -> HandoffError {
            HandoffError(.descriptorMismatch, "descriptor \"\(name)\" (fd \(fd)) should be a \(kind) but \(why)")
        }
        var info = stat()
        try Syscall.check("fstat(\(name))") { fstat(fd, &info) }
        let isSocket = (info.st_mode & S_IFMT) == S_IFSOCK
        if kind == .file {
            if isSocket { throw mismatch("is a socket") }
            return nil
        }
        guard isSocket else { throw mismatch("is not a socket") }
        let type = try Syscall.socketOption(fd, SO_TYPE, "SO_TYPE")
        let listening = try Syscall.socketOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") != 0
        switch kind {
        case .listener:
            if type != streamSocket { throw mismatch("has socket type \(type), not streamSocket") }
            if !listening { throw mismatch("is not listening") }
        case .connection:
            if type != streamSocket { throw mismatch("has socket type \(type), not streamSocket") }
            if listening { throw mismatch("is listening") }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connected = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
            }
            if !connected { throw mismatch("is not connected") }
        case .datagram:
            if type != datagramSocket { throw mismatch("has socket type \(type), not datagramSocket") }
        case .file:
            break
        }
        let local = try SocketEndpoint.local(of: fd)
        guard local.family == AF_INET || local.family == AF_INET6 || local.family == AF_UNIX else {
            throw mismatch("has address family \(local.family)")
        }
        return local
    }
}
