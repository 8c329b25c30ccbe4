import Handoff
import HandoffServices
import HandoffSystem

/// One client connection: its socket and the bytes on their way in and out.
///
/// Owned by the epoll thread. ``inbound`` always starts at a request boundary, so it is
/// exactly what an upgrade hands over as unread bytes.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package final class HTTPConnection {
    /// What happened when writing out pending output.
    package enum FlushResult {
        /// Everything is written.
        case flushed
        /// The socket buffer is full; wait for `EPOLLOUT`.
        case blocked
        /// The peer is gone (`EPIPE`, `ECONNRESET`, ...): close the connection.
        case failed
    }

    /// The non-blocking connected socket.
    package let descriptor: CInt
    /// Bytes read but not yet handled: the start of a request that is not complete yet.
    package var inbound: [UInt8] = []
    /// Responses not yet written; the first `outboundSent` bytes are already sent.
    package var outbound: [UInt8] = []
    private var outboundSent = 0
    /// The epoll events currently registered for ``descriptor``.
    package var interest: UInt32
    /// The peer has closed its side: finish writing, then close.
    package var peerClosed = false
    /// Close once the output is written (`Connection: close`, an error response, end of stream).
    package var closing = false
    /// When a server that enforces read timeouts closes the connection if it is still waiting
    /// for a request then; `nil` for no limit.
    package var deadline: ContinuousClock.Instant?
    /// The request in ``inbound`` has its whole header: its deadline is the body's.
    package var receivingBody = false

    /// - Parameters:
    ///   - descriptor: A connected, non-blocking socket that this connection now owns.
    ///   - interest: The epoll events it is registered with.
    package init(descriptor: CInt, interest: UInt32) {
        self.descriptor = descriptor
        self.interest = interest
        outbound.reserveCapacity(4096)
    }

    /// Whether some response bytes are still to be written.
    package var hasPendingOutput: Bool { outboundSent < outbound.count }

    /// Writes as much pending output as the socket takes, with `send(2)` and `MSG_NOSIGNAL`.
    package func flush() -> FlushResult {
        while outboundSent < outbound.count {
            let result = outbound.withUnsafeBytes { bytes in
                Result { () throws(HandoffError) in
                    try Syscall.send(descriptor, UnsafeRawBufferPointer(rebasing: bytes[outboundSent...]))
                }
            }
            switch result {
            case .success(let sent?) where sent > 0:
                outboundSent += sent
            case .success(nil):
                return .blocked
            default:
                return .failed
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
        outboundSent = 0
        return .flushed
    }

    /// Reads and drops what the peer has already sent, so that closing does not turn into a
    /// reset that could destroy the last response before the peer reads it.
    /// - Parameter scratch: A buffer to read into.
    package func discardPendingInput(scratch: UnsafeMutableRawBufferPointer) {
        var budget = 256 * 1024
        while budget > 0 {
            guard let count = try? Syscall.readAvailable(descriptor, into: scratch), count > 0 else { return }
            budget -= count
        }
    }
}
