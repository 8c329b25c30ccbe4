#if canImport(Glibc)
import Glibc
#endif

/// The address of a socket the package binds or inherits.
///
/// Parse one from the strings operators write: `127.0.0.1:8080`, `[::1]:8080`, `:8080` (every
/// IPv4 address), `unix:/run/app.sock`, `/run/app.sock`, `@name` or `unix:@name` (an abstract
/// Unix socket). Host names are not resolved: a listener binds to an address, not a name.
public enum SocketEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address and port; port 0 lets the kernel choose.
    case ipv4(host: String, port: UInt16)
    /// An IPv6 address and port; port 0 lets the kernel choose.
    case ipv6(host: String, port: UInt16)
    /// A Unix socket at a path in the file system.
    case unix(path: String)
    /// A Unix socket in the abstract namespace (no file; Linux only).
    case abstract(name: String)

    /// Parses an address string.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/invalidAddress``.
    public init(parsing text: String) throws {
        func invalid(_ why: String) -> HandoffError {
            HandoffError(.invalidAddress, "\"\(text)\": \(why)")
        }
        var rest = Substring(text)
        if rest.hasPrefix("unix:") { rest = rest.dropFirst(5) }
        if rest.hasPrefix("@") {
            guard rest.count > 1, rest.utf8.count <= 107 else { throw invalid("abstract name must be 1 to 107 bytes") }
            self = .abstract(name: String(rest.dropFirst()))
            return
        }
        if rest.hasPrefix("/") || text.hasPrefix("unix:") {
            guard !rest.isEmpty, rest.utf8.count <= 107 else { throw invalid("socket path must be 1 to 107 bytes") }
            self = .unix(path: String(rest))
            return
        }
        guard let colon = rest.lastIndex(of: ":") else { throw invalid("expected HOST:PORT") }
        guard let port = UInt16(rest[rest.index(after: colon)...]) else { throw invalid("port is not a number from 0 to 65535") }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
            guard SocketEndpoint.parseIPv6(String(host)) != nil else { throw invalid("\(host) is not an IPv6 address") }
            self = .ipv6(host: String(host), port: port)
        } else if host.isEmpty {
            self = .ipv4(host: "0.0.0.0", port: port)
        } else if SocketEndpoint.parseIPv4(String(host)) != nil {
            self = .ipv4(host: String(host), port: port)
        } else if host == "localhost" {
            self = .ipv4(host: "127.0.0.1", port: port)
        } else {
            throw invalid("\(host) is not a numeric IPv4 address or a bracketed IPv6 address")
        }
    }

    public var description: String {
        switch self {
        case .ipv4(let host, let port): "\(host):\(port)"
        case .ipv6(let host, let port): "[\(host)]:\(port)"
        case .unix(let path): "unix:\(path)"
        case .abstract(let name): "unix:@\(name)"
        }
    }

    /// The port of an IP address, `nil` for Unix sockets.
    public var port: UInt16? {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port): port
        case .unix, .abstract: nil
        }
    }

    package var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        case .unix, .abstract: AF_UNIX
        }
    }

    /// Whether a bound socket's address satisfies a request for this one: equal, or equal but
    /// for a port the kernel chose when port 0 was asked for.
    package func isSatisfied(by bound: SocketEndpoint) -> Bool {
        switch (self, bound) {
        case (.ipv4(let h1, let p1), .ipv4(let h2, let p2)):
            SocketEndpoint.parseIPv4(h1) == SocketEndpoint.parseIPv4(h2) && (p1 == 0 || p1 == p2)
        case (.ipv6(let h1, let p1), .ipv6(let h2, let p2)):
            SocketEndpoint.parseIPv6(h1) == SocketEndpoint.parseIPv6(h2) && (p1 == 0 || p1 == p2)
        default:
            self == bound
        }
    }

    static func parseIPv4(_ host: String) -> UInt32? {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1 ? address.s_addr : nil
    }

    static func parseIPv6(_ host: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
