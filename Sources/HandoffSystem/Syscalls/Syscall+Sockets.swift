import CHandoff
#if canImport(Glibc)
import Glibc
#endif

/// A socket's type, as `socket(2)` and `getsockopt(SO_TYPE)` name it.
public struct SocketType: RawRepresentable, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `SOCK_STREAM`.
    public static let stream = SocketType(rawValue: Int32(SOCK_STREAM.rawValue))
    /// `SOCK_DGRAM`.
    public static let datagram = SocketType(rawValue: Int32(SOCK_DGRAM.rawValue))
}

/// An address family, as a socket's local address reports it.
public struct AddressFamily: RawRepresentable, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `AF_INET`.
    public static let ipv4 = AddressFamily(rawValue: AF_INET)
    /// `AF_INET6`.
    public static let ipv6 = AddressFamily(rawValue: AF_INET6)
    /// `AF_UNIX`.
    public static let unix = AddressFamily(rawValue: AF_UNIX)
}

/// An `Int32` socket option: its level, its name and the name errors carry.
public struct SocketOption: Sendable {
    public let level: Int32
    public let name: Int32
    public let label: String

    @inlinable
    init(_ level: Int32, _ name: Int32, _ label: String) {
        self.level = level
        self.name = name
        self.label = label
    }

    /// `SO_REUSEADDR`.
    public static let reuseAddress = SocketOption(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR")
    /// `IPV6_V6ONLY`.
    public static let ipv6Only = SocketOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, "IPV6_V6ONLY")
    /// `SO_SNDBUF`.
    public static let sendBuffer = SocketOption(SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF")
    /// `SO_RCVBUF`.
    public static let receiveBuffer = SocketOption(SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF")
    /// `SO_TYPE` (read only).
    public static let type = SocketOption(SOL_SOCKET, SO_TYPE, "SO_TYPE")
    /// `SO_ACCEPTCONN` (read only): whether the socket listens.
    public static let acceptsConnections = SocketOption(SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN")
    /// `SO_ERROR` (read only): a non-blocking connect's outcome.
    public static let error = SocketOption(SOL_SOCKET, SO_ERROR, "SO_ERROR")
    /// `TCP_NODELAY`.
    public static let noDelay = SocketOption(Int32(IPPROTO_TCP), TCP_NODELAY, "TCP_NODELAY")
}

/// Flags of a new socket besides close-on-exec, which every socket gets.
package struct SocketFlags: OptionSet, Sendable {
    package let rawValue: Int32
    package init(rawValue: Int32) { self.rawValue = rawValue }
    /// `SOCK_NONBLOCK`.
    package static let nonBlocking = SocketFlags(rawValue: Int32(SOCK_NONBLOCK.rawValue))
}

extension Syscall {
    /// socket(2), close-on-exec.
    package static func socket(_ family: AddressFamily, _ type: SocketType, _ flags: SocketFlags = [], _ name: @autoclosure () -> String = "socket") throws(HandoffError) -> CInt {
        try check(name()) { Glibc.socket(family.rawValue, type.rawValue | closeOnExecSocket | flags.rawValue, 0) }
    }

    /// socket(2) of `endpoint`'s family, close-on-exec.
    package static func socket(for endpoint: SocketEndpoint, _ type: SocketType, _ flags: SocketFlags = []) throws(HandoffError) -> CInt {
        try socket(AddressFamily(rawValue: endpoint.family), type, flags, "socket(\(endpoint))")
    }

    /// bind(2) to `endpoint`.
    package static func bind(_ fd: CInt, to endpoint: SocketEndpoint) throws(HandoffError) {
        try endpoint.withSockAddr { pointer, length throws(HandoffError) in
            _ = try check("bind(\(endpoint))") { Glibc.bind(fd, pointer, length) }
        }
    }

    /// listen(2).
    package static func listen(_ fd: CInt, backlog: Int32, _ name: @autoclosure () -> String = "listen") throws(HandoffError) {
        try check(name()) { Glibc.listen(fd, backlog) }
    }

    /// accept4(2), close-on-exec (and non-blocking if asked): the connection, or `nil` when none
    /// is waiting (`EAGAIN`).
    /// - Throws: ``HandoffError`` naming `accept4`: `ECONNABORTED` (that one went away first),
    ///   `EMFILE`/`ENFILE`/`ENOBUFS`/`ENOMEM` (out of resources) and the rest.
    @inlinable
    public static func accept(_ fd: CInt, nonBlocking: Bool = true, _ name: @autoclosure () -> String = "accept4") throws(HandoffError) -> CInt? {
        let flags = Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        return try checkUnlessWouldBlock(name()) { chandoff_accept4(fd, nil, nil, flags) }
    }

    /// getsockopt(2) of an `Int32` option.
    @inlinable
    public static func socketOption(_ fd: CInt, _ option: SocketOption) throws(HandoffError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try check("getsockopt(\(option.label))") { getsockopt(fd, option.level, option.name, &value, &length) }
        return value
    }

    /// setsockopt(2) of an `Int32` option.
    package static func setSocketOption(_ fd: CInt, _ option: SocketOption, _ value: Int32) throws(HandoffError) {
        try setSocketOption(fd, option.level, option.name, value, option.label)
    }

    /// Whether a stream socket has a peer (getpeername(2) succeeds).
    @inlinable
    public static func isConnected(_ fd: CInt) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
    }

    /// getsockname(2): the socket's address family and its local address (`nil` for an unnamed
    /// Unix socket or a family this package does not know).
    public static func localEndpoint(of fd: CInt) throws(HandoffError) -> (family: AddressFamily, address: SocketEndpoint?) {
        let local = try SocketEndpoint.local(of: fd)
        return (AddressFamily(rawValue: local.family), local.address)
    }

    /// getpeername(2): the peer's address, `nil` if not connected or unnamed.
    package static func peerEndpoint(of fd: CInt) -> SocketEndpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let connected = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        return connected ? SocketEndpoint(storage: storage, length: length) : nil
    }

    /// shutdown(2) of both directions, best effort: the peer sees end of stream.
    @inlinable
    public static func shutdown(_ fd: CInt) {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// shutdown(2) of the writing direction, best effort.
    package static func shutdownWriting(_ fd: CInt) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// send(2) with `MSG_NOSIGNAL`: the bytes sent, or `nil` if the socket would block.
    @inlinable
    public static func send(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, _ name: @autoclosure () -> String = "send") throws(HandoffError) -> Int? {
        try checkUnlessWouldBlock(name()) { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// recv(2): the bytes read (0 at end of stream), or `nil` if none are ready.
    @inlinable
    public static func receive(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, _ name: @autoclosure () -> String = "recv") throws(HandoffError) -> Int? {
        try checkUnlessWouldBlock(name()) { Glibc.recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// sendto(2) of one datagram to `endpoint`, with `MSG_NOSIGNAL`.
    package static func send(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, to endpoint: SocketEndpoint) throws(HandoffError) -> Int {
        try endpoint.withSockAddr { pointer, length throws(HandoffError) in
            try check("sendto(\(endpoint))") { sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), pointer, length) }
        }
    }
}

/// A Unix socket address built once: a path, or an abstract name written `@name` as
/// `sd_notify(3)` does. Sending to it allocates nothing, for loops that must not (the keeper).
package struct UnixSocketAddress {
    private var address = sockaddr_un()
    private let length: socklen_t

    /// - Throws: ``HandoffError/Code/invalidAddress`` if the path does not fit in `sun_path`.
    package init(_ path: String) throws(HandoffError) {
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw HandoffError(.invalidAddress, "socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { withUnsafeMutableBytes(of: &address.sun_path) { $0[0] = 0 } }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        length = socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1))
    }

    /// bind(2) of `fd` to this address.
    package mutating func bind(_ fd: CInt, _ name: @autoclosure () -> String = "bind") throws(HandoffError) {
        let length = self.length
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                Result { () throws(HandoffError) in try Syscall.check(name()) { Glibc.bind(fd, raw, length) } }
            }
        }
        _ = try result.get()
    }

    /// sendto(2) of one datagram with `MSG_NOSIGNAL`, best effort: whether it went.
    @discardableResult
    package mutating func send(from fd: CInt, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let length = self.length
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length) >= 0
            }
        }
    }
}
