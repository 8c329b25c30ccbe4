import Handoff
import HandoffServices
import HandoffSystem

/// Asks a running process over its control socket (``ControlServer``): what `handoffctl` uses.
///
/// ```swift
/// let client = ControlClient(socketPath: "/run/myapp/control.sock")
/// let response = try await client.send(ControlRequest(.upgrade))
/// if let error = response.handoffError { print("upgrade failed: \(error)") }
/// ```
public struct ControlClient: Sendable {
    /// The control socket's path.
    public let socketPath: String

    /// A client for the socket at `socketPath`.
    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Sends one request and waits for its answer.
    /// - Parameters:
    ///   - request: The request.
    ///   - timeout: How long to wait for the answer; `nil` for as long as the process takes
    ///     (an upgrade is bounded by its own deadline).
    /// - Returns: The process's answer, which may say the request failed.
    /// - Throws: ``HandoffError``: ``HandoffError/Code/permissionDenied`` if the socket may
    ///   not be reached; ``HandoffError/Code/systemCall`` if it cannot be connected to (no
    ///   process listens: `ECONNREFUSED`, `ENOENT`); ``HandoffError/Code/childExited`` if the
    ///   process closed the connection without answering; ``HandoffError/Code/deadlineExceeded``.
    public func send(_ request: ControlRequest, timeout: Duration? = nil) async throws -> ControlResponse {
        let fd = try connect()
        let channel: ControlChannel
        do {
            channel = try ControlChannel(fd: fd, peerName: "process", expectedPeer: nil, acceptsDescriptors: false, maxPayloadLength: 16 << 20)
        } catch {
            Syscall.close(fd)
            throw error
        }
        defer { channel.shutdown() }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        try await channel.send(ControlWire.frame(request), until: deadline)
        guard let received = try await channel.receive(until: deadline) else {
            throw HandoffError(.childExited, "the process at \(socketPath) closed the connection without answering")
        }
        return try ControlWire.decode(ControlResponse.self, from: received.frame, expecting: .controlResponse)
    }

    private func connect() throws -> CInt {
        let address = try SocketEndpoint(parsing: "unix:" + socketPath)
        let fd = try Syscall.socket(.unix, .stream, .nonBlocking, "socket(AF_UNIX)")
        do throws(HandoffError) {
            try Syscall.connect(fd, to: address, "connect(\(socketPath))")
            return fd
        } catch {
            Syscall.close(fd)
            if error.errno == .wouldBlock {
                throw HandoffError(.systemCall, "\(error.reason): the control socket's queue is full; try again", errno: .wouldBlock)
            }
            if error.errno == .permissionDenied || error.errno == .notPermitted {
                throw HandoffError(.permissionDenied, "\(error.reason): the control socket belongs to another user", errno: error.errno)
            }
            throw error
        }
    }
}
