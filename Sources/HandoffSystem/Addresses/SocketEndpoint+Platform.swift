#if canImport(Glibc)
import Glibc
#endif

// Conversions between ``SocketEndpoint`` and the kernel's `sockaddr` structures.
extension SocketEndpoint {
    /// Calls `body` with this address as a `sockaddr` and its length.
    package func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(HandoffError) -> R) throws(HandoffError) -> R {
        var storage = sockaddr_storage()
        let length: socklen_t
        switch self {
        case .ipv4(let host, let port):
            guard let raw = SocketEndpoint.parseIPv4(host) else {
                throw HandoffError(.invalidAddress, "\(host) is not an IPv4 address")
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = raw
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: address) { dst.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6(let host, let port):
            guard let raw = SocketEndpoint.parseIPv6(host) else {
                throw HandoffError(.invalidAddress, "\(host) is not an IPv6 address")
            }
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: raw) }
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: address) { dst.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        case .unix(let path):
            length = SocketEndpoint.fillUnix(&storage, Array(path.utf8), abstract: false)
        case .abstract(let name):
            length = SocketEndpoint.fillUnix(&storage, Array(name.utf8), abstract: true)
        }
        return try withUnsafePointer(to: &storage) { pointer throws(HandoffError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(HandoffError) in
                try body(address, length)
            }
        }
    }

    private static func fillUnix(_ storage: inout sockaddr_storage, _ bytes: [UInt8], abstract: Bool) -> socklen_t {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let offset = abstract ? 1 : 0
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (i, byte) in bytes.prefix(path.count - 1 - offset).enumerated() { path[i + offset] = byte }
        }
        withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: address) { dst.copyMemory(from: $0) } }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        // A path is NUL-terminated; an abstract name is exactly as long as its bytes.
        return socklen_t(pathOffset + offset + bytes.count + (abstract ? 0 : 1))
    }

    /// The address in a `sockaddr_storage` the kernel filled, or `nil` for a family we do not
    /// handle (or an unbound Unix socket).
    init?(storage: sockaddr_storage, length: socklen_t) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            var raw = address.sin_addr
            inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
            self = .ipv4(host: string(fromNulTerminated: text), port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            var raw = address.sin6_addr
            inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            self = .ipv6(host: string(fromNulTerminated: text), port: UInt16(bigEndian: address.sin6_port))
        case AF_UNIX:
            let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
            let count = Int(length) - pathOffset
            guard count > 0 else { return nil }
            let bytes = withUnsafeBytes(of: &storage) { Array($0[pathOffset..<pathOffset + count]) }
            if bytes[0] == 0 {
                self = .abstract(name: String(decoding: bytes.dropFirst(), as: UTF8.self))
            } else {
                self = .unix(path: String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
            }
        default:
            return nil
        }
    }

    /// getsockname(2) of `fd`: its address family, and its address where the family is one we
    /// handle and the socket is bound (`nil` for an unnamed Unix socket, such as a socket pair's).
    package static func local(of fd: CInt) throws(HandoffError) -> (family: Int32, address: SocketEndpoint?) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { pointer throws(HandoffError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(HandoffError) in
                _ = try Syscall.check("getsockname") { getsockname(fd, address, &length) }
            }
        }
        return (Int32(storage.ss_family), SocketEndpoint(storage: storage, length: length))
    }
}
