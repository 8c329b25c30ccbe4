import HandoffSystem
/// Follows the request boundaries of one HTTP/1.1 connection from its raw bytes, so that a
/// framework adapter knows when the connection can be handed to a successor and which bytes go
/// with it.
///
/// A framework such as SwiftNIO decodes requests into buffers nobody can read back. To hand a
/// connection over, an adapter taps the bytes as they arrive (before the framework's decoder),
/// feeds them to ``receive(_:)``, and tells ``responseCompleted()`` each time the end of a
/// response has been written. The connection may be handed over exactly when ``isIdle``: every
/// request whose head has arrived has been answered, and what follows the last one is at most
/// the beginning of a head, which ``unreadBytes`` returns so that the successor parses the
/// stream from where this process stopped.
///
/// ```swift
/// var tracker = HTTPBoundaryTracker()
/// tracker.receive(bytes)          // in the tap, for every read
/// tracker.responseCompleted()     // when a response's end is written
/// if draining && tracker.isIdle {
///     hand(HandoffConnection(descriptor: dup(fd), unreadBytes: tracker.unreadBytes))
/// }
/// ```
///
/// Bodies are followed without being kept: `Content-Length` and `Transfer-Encoding: chunked`
/// (chunk extensions and trailers included) are framed; only an unfinished head is buffered,
/// at most ``maximumHeadBytes``. A stream the tracker cannot frame (a malformed head, an
/// unknown transfer coding, a protocol upgrade, `CONNECT`, a head over the limit) makes the
/// connection ``isHandOverable`` `false` for good: the adapter then closes it after a response
/// carrying `Connection: close` instead. A request that asks to close the connection
/// (`Connection: close`, or HTTP/1.0 without `keep-alive`) does the same.
public struct HTTPBoundaryTracker: Sendable {
    /// Why a connection can no longer be handed over.
    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        /// The head broke HTTP/1.1's syntax: what was wrong.
        case malformed(String)
        /// The head grew past ``HTTPBoundaryTracker/maximumHeadBytes``.
        case headTooLarge
        /// The request asks to switch protocols (`Upgrade`, `CONNECT`): the bytes after it are
        /// not HTTP/1.1.
        case protocolSwitch
        /// The request ends the connection after its response.
        case closeRequested

        public var description: String {
            switch self {
            case .malformed(let what): "malformed request: \(what)"
            case .headTooLarge: "request head larger than \(HTTPBoundaryTracker.maximumHeadBytes) bytes"
            case .protocolSwitch: "the connection switches protocols"
            case .closeRequested: "the client asked to close the connection"
            }
        }
    }

    /// The most bytes of one request head (request line and fields) followed.
    public static let maximumHeadBytes = 80 * 1024

    private enum Phase: Sendable {
        /// Accumulating a head in ``head``.
        case head
        /// Inside a body framed by `Content-Length`: bytes still to come.
        case body(remaining: Int)
        /// In a chunked body.
        case chunked(HTTPChunkedBodyScanner)
        /// Not framed any more.
        case stopped
    }

    private var phase = Phase.head
    /// The bytes of the head being received (empty at a boundary).
    private var head: [UInt8] = []

    /// The number of requests whose head has arrived whole.
    public private(set) var requestsStarted = 0
    /// The number of requests whose body has arrived whole.
    public private(set) var requestsReceived = 0
    /// The number of responses whose end has been written (``responseCompleted()``).
    public private(set) var responsesCompleted = 0
    /// Why the connection cannot be handed over, once it cannot.
    public private(set) var refusal: Refusal?

    /// Creates a tracker for a connection at its start (a request boundary).
    public init() {}

    /// Creates a tracker for a connection handed over with `unreadBytes`: the tracker is fed
    /// them first.
    /// - Parameter unreadBytes: The bytes a predecessor read but did not handle.
    public init(replaying unreadBytes: [UInt8]) {
        receive(unreadBytes)
    }

    /// Whether the connection can still be handed over at some boundary.
    public var isHandOverable: Bool { refusal == nil }

    /// Whether the connection is at a request boundary with every request answered: it can be
    /// handed over now, with ``unreadBytes``.
    public var isIdle: Bool {
        guard refusal == nil, case .head = phase else { return false }
        return responsesCompleted >= requestsStarted
    }

    /// The bytes received since the last whole request: the beginning of the next head, if
    /// any. Hand them over with the connection when ``isIdle``.
    public var unreadBytes: [UInt8] { head }

    /// Follows `bytes`, the next ones read from the connection.
    /// - Parameter bytes: What the read returned, in order.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            switch phase {
            case .stopped:
                return
            case .head:
                offset = consumeHead(bytes, from: offset)
            case .body(let remaining):
                let taken = min(remaining, bytes.count - offset)
                offset += taken
                if taken == remaining {
                    finishBody()
                } else {
                    phase = .body(remaining: remaining - taken)
                }
            case .chunked(var scanner):
                let result = scanner.consume(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                offset += result.consumed
                switch result.outcome {
                case .needsMore: phase = .chunked(scanner)
                case .finished: finishBody()
                case .malformed(let what): stop(.malformed(what))
                }
            }
        }
    }

    /// Follows `bytes`, the next ones read from the connection.
    /// - Parameter bytes: What the read returned, in order.
    public mutating func receive(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// Records that the end of one response has been written, in request order.
    public mutating func responseCompleted() {
        responsesCompleted += 1
    }

    // MARK: Heads

    /// Takes head bytes from `bytes[offset...]` until the head ends.
    /// - Returns: The offset of what follows the head, or `bytes.count`.
    private mutating func consumeHead(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int {
        var index = offset
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            // RFC 9112 §2.2: empty lines before a request line are ignored.
            if head.isEmpty && (byte == 0x0D || byte == 0x0A) { continue }
            head.append(byte)
            if byte == 0x0A && headEnds() {
                let fields = HTTPHeadFields.parse(head)
                head.removeAll(keepingCapacity: true)
                startBody(fields)
                return index
            }
            if head.count > Self.maximumHeadBytes {
                stop(.headTooLarge)
                return bytes.count
            }
        }
        return bytes.count
    }

    /// Whether ``head``, which ends in LF, ends with an empty line.
    private func headEnds() -> Bool {
        let count = head.count
        if count >= 2 && head[count - 2] == 0x0A { return true }
        return count >= 3 && head[count - 2] == 0x0D && head[count - 3] == 0x0A
    }

    private mutating func startBody(_ parsed: Result<HTTPHeadFields, HTTPHeadFields.Malformed>) {
        let fields: HTTPHeadFields
        switch parsed {
        case .failure(let malformed):
            stop(.malformed(malformed.description))
            return
        case .success(let parsedFields):
            fields = parsedFields
        }
        requestsStarted += 1
        if fields.switchesProtocols {
            stop(.protocolSwitch)
            return
        }
        if !fields.keepAlive { refusal = .closeRequested }
        if fields.isChunked {
            phase = .chunked(HTTPChunkedBodyScanner())
        } else if fields.contentLength > 0 {
            phase = .body(remaining: fields.contentLength)
        } else {
            finishBody()
        }
    }

    private mutating func finishBody() {
        requestsReceived += 1
        phase = refusal == .closeRequested ? .stopped : .head
    }

    private mutating func stop(_ reason: Refusal) {
        refusal = reason
        phase = .stopped
        head = []
    }
}
