import FoundationEssentials
import Handoff
import HandoffSystem

/// One HTTP/1.1 connection to an `http` endpoint, used by one request at a time with blocking
/// calls (its callers run on dispatch threads, never on the cooperative pool). Every system
/// call's result is checked; a failure names the call and `errno`.
///
/// It writes `POST` requests with a `Content-Length`, and reads answers framed by
/// `Content-Length`, chunked encoding (trailers read and dropped) or the end of the connection.
final class EtcdHTTPConnection: @unchecked Sendable {  // used by one thread at a time (pool hand-off under a lock)
    /// Why an exchange failed.
    enum Failure: Error {
        /// The connection was found closed before any byte of an answer: a kept-alive
        /// connection the server had dropped. The request was not served; another connection
        /// may send it again.
        case stale(String)
        /// It broke after the request went out.
        case broken(String)
        /// The TLS server refused us with its first record (a TLS 1.3 server's verdict on our
        /// certificate comes after the handshake): nothing was served.
        case tls(HandoffError)
    }

    let endpoint: EtcdEndpoint
    private let fd: Int32
    /// The TLS session for an `https` endpoint; `nil` for plain TCP.
    private var tls: EtcdTLSSession?
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var start = 0, end = 0
    /// Whether an answer has begun on this connection: until then, a TLS connection closed by
    /// the server was refused at its handshake (see ``EtcdTLSSession/refusalAfterHandshake()``).
    private var answered = false
    /// Whether the last answer left the connection usable for another request.
    private(set) var reusable = true

    /// The largest answer body read: a claim's range of chunks for the largest state
    /// (``EtcdConfiguration/maxStateSize``, 64 MiB by default) in base64 and JSON stays well
    /// under it. A server announcing more — in `Content-Length` or a chunk size — is refused
    /// before anything is allocated for it.
    static let maxBodyLength = 256 << 20

    /// Wraps a connected socket; the connection owns and closes it. (Internal: tests and the
    /// fuzzer feed it bytes over a socket pair.)
    init(fd: Int32, endpoint: EtcdEndpoint) {
        self.fd = fd
        self.endpoint = endpoint
    }

    deinit { Syscall.close(fd) }

    /// Connects to the endpoint (each address `getaddrinfo` gives, in turn), within `timeout`;
    /// for an `https` one, runs the TLS handshake with `tls`.
    /// - Throws: ``EtcdClientError/unreachable(_:)`` naming the endpoint and the last failure;
    ///   ``EtcdClientError/tls(_:)`` if the handshake failed.
    static func connect(to endpoint: EtcdEndpoint, timeout: Duration, tls: EtcdTLSContext? = nil) throws(EtcdClientError) -> EtcdHTTPConnection {
        let addresses: [SocketEndpoint]
        do { addresses = try Syscall.resolve(host: endpoint.host, port: endpoint.port) } catch {
            throw .unreachable("\(endpoint): \(error.reason)")
        }
        var failure = "no address"
        for address in addresses {
            let fd: Int32
            do throws(HandoffError) {
                fd = try Syscall.connect(to: address, timeout: timeout)
                do throws(HandoffError) { try Syscall.setTimeouts(fd, timeout) } catch {
                    Syscall.close(fd)
                    throw error
                }
            } catch {
                failure = error.reason
                continue
            }
            let connection = EtcdHTTPConnection(fd: fd, endpoint: endpoint)
            if endpoint.secure {
                guard let tls else { throw .tls(HandoffError(.tlsUnavailable, "\(endpoint): no TLS context for an https endpoint")) }
                do { connection.tls = try tls.handshake(fd: fd, host: endpoint.host) } catch {
                    throw error.code == .storeUnreachable ? .unreachable("\(endpoint): \(error.reason)") : .tls(error.naming(endpoint))
                }
            }
            return connection
        }
        throw .unreachable("\(endpoint): \(failure)")
    }

    /// How long a read or write may wait.
    func setTimeout(_ timeout: Duration) throws(Failure) {
        do { try Syscall.setTimeouts(fd, timeout) } catch { throw .broken(error.reason) }
    }

    /// Wakes a blocked read in another thread (the connection is then unusable).
    func interrupt() { Syscall.shutdown(fd) }

    // MARK: Exchanges

    /// Sends the request and reads the whole answer.
    func exchange(_ request: EtcdHTTPRequest) throws(Failure) -> EtcdHTTPResponse {
        try send(request)
        let head = try readHead()
        var body = Data()
        try readBody(head) { body.append(contentsOf: $0) }
        return EtcdHTTPResponse(status: head.status, body: body)
    }

    /// Writes the request.
    func send(_ request: EtcdHTTPRequest) throws(Failure) {
        var head = "POST \(request.path) HTTP/1.1\r\nHost: \(request.endpoint.authority)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(request.body.count)\r\n"
        if let token = request.token { head += "Authorization: \(token)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: request.body)
        var offset = 0
        while offset < bytes.count {
            let (sent, error) = bytes.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                return transfer({ $0.write(rest.baseAddress!, rest.count) }, plain: { () throws(HandoffError) in try Syscall.send(fd, rest) })
            }
            guard sent > 0 else {
                if let tls, !answered { throw .tls(tls.refusalAfterHandshake().naming(endpoint)) }
                let reason = HandoffError.system("send", errno: (error ?? .brokenPipe).rawValue).reason
                reusable = false
                // Nothing the server could act on went out if the very first write failed.
                throw offset == 0 && (error == .brokenPipe || error == .connectionReset) ? .stale(reason) : .broken(reason)
            }
            offset += sent
        }
    }

    /// One read or write, by TLS or on the plain socket, retrying `EINTR`: the bytes moved (0 at
    /// the end of the connection), or -1 and the errno it failed with (`EAGAIN` when the
    /// socket's timeout ran out).
    private func transfer(_ secure: (EtcdTLSSession) -> Int, plain: () throws(HandoffError) -> Int?) -> (Int, Errno?) {
        if let tls {
            while true {
                let count = secure(tls)
                if count >= 0 { return (count, nil) }
                let error = Errno.current
                if error != .interrupted { return (-1, error) }
            }
        }
        do throws(HandoffError) {
            guard let count = try plain() else { return (-1, .wouldBlock) }
            return (count, nil)
        } catch {
            return (-1, error.errno)
        }
    }

    struct Head {
        var status: Int
        var contentLength: Int?
        var chunked = false
    }

    /// Reads the status line and headers.
    func readHead() throws(Failure) -> Head {
        let status = try readLine(first: true)
        let parts = status.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
            reusable = false
            throw .broken("\(endpoint) answered with \"\(status.prefix(80))\", not HTTP/1.x")
        }
        var head = Head(status: code)
        answered = true
        if parts[0] == "HTTP/1.0" { reusable = false }
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmedOfSpaces
            switch name {
            case "content-length":
                guard let length = Int(value), length >= 0 else {
                    reusable = false
                    throw .broken("\(endpoint) sent a bad Content-Length \"\(value.prefix(40))\"")
                }
                head.contentLength = length
            case "transfer-encoding": head.chunked = value.lowercased().contains("chunked")
            case "connection": if value.lowercased().contains("close") { reusable = false }
            default: break
            }
        }
        if !head.chunked && head.contentLength == nil { reusable = false }  // ends with the connection
        return head
    }

    /// Reads the body, handing each piece to `piece` as it comes.
    /// - Throws: ``Failure/broken(_:)`` for a malformed framing, or a body over
    ///   ``maxBodyLength``.
    func readBody(_ head: Head, _ piece: ([UInt8]) -> Void) throws(Failure) {
        var total = 0
        func admit(_ count: Int) throws(Failure) {
            guard count <= Self.maxBodyLength - total else {
                reusable = false
                throw .broken("\(endpoint) sent an answer over the \(Self.maxBodyLength >> 20) MiB limit")
            }
            total += count
        }
        if head.chunked {
            while true {
                let sizeLine = try readLine()
                let hex = sizeLine.split(separator: ";").first.map { $0.trimmedOfSpaces } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else {
                    reusable = false
                    throw .broken("\(endpoint) sent a bad chunk size \"\(sizeLine.prefix(40))\"")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}  // trailers
                    return
                }
                try admit(size)
                piece(try read(size))
                guard try readLine().isEmpty else {
                    reusable = false
                    throw .broken("\(endpoint) sent a chunk without its closing CRLF")
                }
            }
        } else if let length = head.contentLength {
            try admit(length)
            var left = length
            while left > 0 {
                let part = try read(min(left, buffer.count))
                left -= part.count
                piece(part)
            }
        } else {
            while try fill(required: false) {
                try admit(end - start)
                piece(take(end - start))
            }
        }
    }

    // MARK: Buffered reading

    /// Reads more into the buffer; `false` at the end of the connection (an error if `required`).
    private func fill(required: Bool = true, first: Bool = false) throws(Failure) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            } else {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
        }
        while true {
            let end = self.end
            let (count, error) = buffer.withUnsafeMutableBytes { raw in
                let rest = UnsafeMutableRawBufferPointer(rebasing: raw[end...])
                return transfer({ $0.read(rest.baseAddress!, rest.count) }, plain: { () throws(HandoffError) in try Syscall.receive(fd, into: rest) })
            }
            if count > 0 {
                self.end += count
                return true
            }
            reusable = false
            if let tls, !answered, count == 0 || error == .connectionReset || error == .protocolError {
                throw .tls(tls.refusalAfterHandshake().naming(endpoint))
            }
            if let refusal = tls?.lastFailure { throw .tls(refusal.naming(endpoint)) }
            let reason = count == 0 ? "\(endpoint) closed the connection" :
                error == .wouldBlock ? "\(endpoint) did not answer in time" : HandoffError.system("recv", errno: (error ?? .connectionReset).rawValue).reason
            if !required && count == 0 { return false }
            // Closed (or reset) before a single byte of the answer: the server had dropped the
            // kept-alive connection, and did not serve the request.
            if first && (count == 0 || error == .connectionReset) { throw .stale(reason) }
            throw .broken(reason)
        }
    }

    /// A line without its CRLF (at most 64 KiB).
    private func readLine(first: Bool = false) throws(Failure) -> String {
        var scanned = start
        while true {
            if let newline = buffer[scanned..<end].firstIndex(of: 0x0A) {
                var line = buffer[start..<newline]
                if line.last == 0x0D { line = line.dropLast() }
                start = newline + 1
                return String(decoding: line, as: UTF8.self)
            }
            scanned = end
            guard end - start < 64 << 10 else {
                reusable = false
                throw .broken("\(endpoint) sent a header line over 64 KiB")
            }
            let before = start
            _ = try fill(first: first && start == end)
            scanned -= before - start  // the buffer may have moved its contents to the front
        }
    }

    /// Exactly `count` bytes.
    private func read(_ count: Int) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(count, buffer.count))  // grows as bytes arrive, not as announced
        while out.count < count {
            if start == end { _ = try fill() }
            out.append(contentsOf: take(min(count - out.count, end - start)))
        }
        return out
    }

    private func take(_ count: Int) -> [UInt8] {
        defer { start += count }
        return Array(buffer[start..<(start + count)])
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    fileprivate var trimmedOfSpaces: String {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
