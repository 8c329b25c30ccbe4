import HandoffSystem
/// What a named descriptor is, as the successor must find it.
public enum DescriptorKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A listening stream socket: TCP over IPv4 or IPv6, or a Unix stream socket.
    case listener = 1
    /// A datagram socket: UDP over IPv4 or IPv6, or a Unix datagram socket.
    case datagram = 2
    /// A connected stream socket.
    case connection = 3
    /// Anything that is not a socket: a file, a pipe, a memfd.
    case file = 4

    public var description: String {
        switch self {
        case .listener: "listener"
        case .datagram: "datagram"
        case .connection: "connection"
        case .file: "file"
        }
    }
}
