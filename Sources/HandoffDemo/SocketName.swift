import HandoffSystem
import HandoffServices
import HandoffOperations

/// The printable local address of a socket, from `getsockname(2)`.
enum SocketName {
    /// `127.0.0.1:8080`, `[::1]:8080` or `unix:/path`, with the port the kernel actually bound.
    /// - Throws: ``SystemCallError`` naming `getsockname` or `inet_ntop`.
    static func local(of descriptor: CInt) throws(SystemCallError) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw SystemCallError("getsockname") }

        switch CInt(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            guard let host = withUnsafeBytes(of: address.sin_addr, { text(family: AF_INET, of: $0) }) else {
                throw SystemCallError("inet_ntop")
            }
            return "\(host):\(UInt16(bigEndian: address.sin_port))"
        case AF_INET6:
            let address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            guard let host = withUnsafeBytes(of: address.sin6_addr, { text(family: AF_INET6, of: $0) }) else {
                throw SystemCallError("inet_ntop")
            }
            return "[\(host)]:\(UInt16(bigEndian: address.sin6_port))"
        case AF_UNIX:
            let pathOffset = MemoryLayout<sa_family_t>.size
            let path = withUnsafeBytes(of: storage) { bytes -> String in
                let end = min(Int(length), bytes.count)
                guard end > pathOffset else { return "" }
                let raw = bytes[pathOffset..<end].prefix { $0 != 0 }
                return String(decoding: raw, as: UTF8.self)
            }
            return "unix:\(path)"
        default:
            return "family\(storage.ss_family)"
        }
    }

    /// `inet_ntop(3)` of the `in_addr` or `in6_addr` in `address`; `nil` if it fails.
    private static func text(family: CInt, of address: UnsafeRawBufferPointer) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let converted = buffer.withUnsafeMutableBufferPointer { out in
            inet_ntop(family, address.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
        }
        guard converted else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
