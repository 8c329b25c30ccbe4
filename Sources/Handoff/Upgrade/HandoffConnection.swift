import HandoffSystem
/// A client connection passed from the old process to its successor during an upgrade.
///
/// The descriptor travels over the control channel with `SCM_RIGHTS`; ``unreadBytes`` carries
/// what the old process had read from it but not yet handled (a partial request, say), so the
/// successor parses the stream from exactly where the old process stopped.
public struct HandoffConnection: Sendable, Hashable {
    /// The connected socket. Whoever holds the value owns the descriptor and closes it.
    public var descriptor: CInt
    /// Bytes read from the connection but not yet handled.
    public var unreadBytes: [UInt8]

    /// Creates a connection to hand over.
    /// - Parameters:
    ///   - descriptor: A connected stream socket.
    ///   - unreadBytes: Bytes already read from it and not yet handled.
    public init(descriptor: CInt, unreadBytes: [UInt8] = []) {
        self.descriptor = descriptor
        self.unreadBytes = unreadBytes
    }
}
