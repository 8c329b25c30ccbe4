import HandoffSystem

/// Creating and checking the sockets behind named descriptors.
package enum Sockets {
    /// A new listening socket bound to `address`, close-on-exec.
    ///
    /// TCP listeners get `SO_REUSEADDR`; IPv6 ones `IPV6_V6ONLY`, so `[::]` and `0.0.0.0` can
    /// both be bound. A Unix path left behind by a dead process (nobody accepts on it) is
    /// removed and bound again; a live one is refused with `EADDRINUSE`.
    package static func listener(_ address: SocketEndpoint, backlog: Int32) throws(HandoffError) -> CInt {
        let fd = try bound(address, type: .stream)
        do throws(HandoffError) {
            try Syscall.listen(fd, backlog: backlog, "listen(\(address))")
        } catch {
            Syscall.close(fd)
            throw error
        }
        return fd
    }

    /// A new datagram socket bound to `address`, close-on-exec.
    static func datagram(_ address: SocketEndpoint) throws(HandoffError) -> CInt {
        try bound(address, type: .datagram)
    }

    private static func bound(_ address: SocketEndpoint, type: SocketType) throws(HandoffError) -> CInt {
        let fd = try Syscall.socket(for: address, type)
        do throws(HandoffError) {
            switch address {
            case .ipv4:
                if type == .stream { try Syscall.setSocketOption(fd, .reuseAddress, 1) }
            case .ipv6:
                if type == .stream { try Syscall.setSocketOption(fd, .reuseAddress, 1) }
                try Syscall.setSocketOption(fd, .ipv6Only, 1)
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

    private static func bind(_ fd: CInt, _ address: SocketEndpoint, type: SocketType) throws(HandoffError) {
        do throws(HandoffError) {
            try Syscall.bind(fd, to: address)
        } catch where error.errno == .addressInUse {
            guard case .unix(let path) = address, try !Syscall.isAccepting(address, type) else { throw error }
            Syscall.removeQuietly(path)
            try Syscall.bind(fd, to: address)
        }
    }

    /// Checks that `fd` is what `kind` says, and returns its local address for sockets (as
    /// ``SocketEndpoint/local(of:)`` does); `nil` for a file.
    ///
    /// A listener must be a listening (`SO_ACCEPTCONN`) stream socket; a connection a stream
    /// socket that is not listening and has a peer; a datagram socket a `datagramSocket` one; a file
    /// anything that is not a socket.
    /// - Throws: ``HandoffError/Code/descriptorMismatch`` naming what differs.
    @discardableResult
    static func validate(_ fd: CInt, as kind: DescriptorKind, name: String) throws(HandoffError) -> (family: AddressFamily, address: SocketEndpoint?)? {
        func mismatch(_ why: String) -> HandoffError {
            HandoffError(.descriptorMismatch, "descriptor \"\(name)\" (fd \(fd)) should be a \(kind) but \(why)")
        }
        let isSocket = try Syscall.status(fd, "fstat(\(name))").kind == .socket
        if kind == .file {
            if isSocket { throw mismatch("is a socket") }
            return nil
        }
        guard isSocket else { throw mismatch("is not a socket") }
        let type = SocketType(rawValue: try Syscall.socketOption(fd, .type))
        let listening = try Syscall.socketOption(fd, .acceptsConnections) != 0
        switch kind {
        case .listener:
            if type != .stream { throw mismatch("has socket type \(type.rawValue), not SOCK_STREAM") }
            if !listening { throw mismatch("is not listening") }
        case .connection:
            if type != .stream { throw mismatch("has socket type \(type.rawValue), not SOCK_STREAM") }
            if listening { throw mismatch("is listening") }
            if !Syscall.isConnected(fd) { throw mismatch("is not connected") }
        case .datagram:
            if type != .datagram { throw mismatch("has socket type \(type.rawValue), not SOCK_DGRAM") }
        case .file:
            break
        }
        let local = try Syscall.localEndpoint(of: fd)
        guard local.family == .ipv4 || local.family == .ipv6 || local.family == .unix else {
            throw mismatch("has address family \(local.family.rawValue)")
        }
        return local
    }
}
