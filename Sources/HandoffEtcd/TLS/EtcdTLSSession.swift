import Handoff
import HandoffSystem

/// One TLS connection (`SSL`) over a blocking socket the ``EtcdHTTPConnection`` owns: reads and
/// writes with the results of `recv(2)` and `send(2)` (a count, 0 at the end, or -1 with
/// `errno`), so the HTTP code is the same over TLS and plain TCP. Used by one thread at a time.
final class EtcdTLSSession: @unchecked Sendable {  // one thread at a time, like its connection
    private let library: EtcdOpenSSL
    private let ssl: OpaquePointer
    /// What ended the last failed read or write, in OpenSSL's words, when it was TLS's doing
    /// rather than the socket's.
    private(set) var lastFailure: HandoffError?

    init(library: EtcdOpenSSL, ssl: OpaquePointer) {
        self.library = library
        self.ssl = ssl
    }

    deinit { library.SSL_free(ssl) }  // the socket is the connection's to close

    /// `SSL_read`: up to `count` bytes.
    func read(_ into: UnsafeMutableRawPointer, _ count: Int) -> Int {
        library.ERR_clear_error()
        let got = library.SSL_read(ssl, into, Int32(clamping: count))
        return got > 0 ? Int(got) : settle(got, doing: "TLS read")
    }

    /// `SSL_write`: all of `count` bytes, with `SIGPIPE` held back on this thread (OpenSSL
    /// writes with `write(2)`, which has no `MSG_NOSIGNAL`), and one raised by this write
    /// consumed before it is let through.
    func write(_ from: UnsafeRawPointer, _ count: Int) -> Int {
        Syscall.withBrokenPipeSignalHeld {
            library.ERR_clear_error()
            let put = library.SSL_write(ssl, from, Int32(clamping: count))
            return put > 0 ? Int(put) : settle(put, doing: "TLS write")
        }
    }

    /// Why a server closed a connection whose handshake had seemed to succeed, before any answer.
    /// A TLS 1.3 server checks the client's certificate after the client has finished its
    /// handshake and sent its request: it sends an alert and closes, and the request, arriving
    /// at a closed socket, may turn the close into a reset that hides the alert. The alert is
    /// read if it is there; either way the request was not served.
    func refusalAfterHandshake() -> HandoffError {
        if lastFailure == nil {
            var scratch = [UInt8](repeating: 0, count: 512)
            _ = scratch.withUnsafeMutableBytes { read($0.baseAddress!, $0.count) }
        }
        return lastFailure ?? HandoffError(.tlsRefused, "the server closed the connection right after the TLS handshake, before answering: it refused the client certificate (none was given, or one it does not trust)")
    }

    /// Turns a failed `SSL_read`/`SSL_write` result into `recv`-style: 0 for a closed
    /// connection, -1 with `errno` (`EAGAIN` for a timeout, `EPROTO` with ``lastFailure`` set
    /// for a TLS error).
    private func settle(_ result: Int32, doing: String) -> Int {
        let saved = Errno.current
        switch library.SSL_get_error(ssl, result) {
        case EtcdOpenSSL.SSL_ERROR_ZERO_RETURN:
            return 0
        case EtcdOpenSSL.SSL_ERROR_WANT_READ, EtcdOpenSSL.SSL_ERROR_WANT_WRITE:
            Errno.set(.wouldBlock)  // the socket's timeout ran out
            return -1
        case EtcdOpenSSL.SSL_ERROR_SYSCALL:
            library.ERR_clear_error()
            if saved.rawValue == 0 { return 0 }  // an end of file OpenSSL did not expect
            Errno.set(saved)
            return -1
        default:
            lastFailure = failure(result, doing: doing)
            Errno.set(.protocolError)
            return -1
        }
    }

    /// The error for a failed handshake, read or write, from OpenSSL's error queue. A server
    /// alert about our certificate (TLS 1.3 servers send it with their first record, after the
    /// client thinks the handshake is done) is `tlsRefused`; a lost connection is
    /// `storeUnreachable`.
    func failure(_ result: Int32, doing: String) -> HandoffError {
        let saved = Errno.current
        let kind = library.SSL_get_error(ssl, result)
        guard let (code, text) = library.takeError().map({ ($0.code, $0.text) }) else {
            if kind == EtcdOpenSSL.SSL_ERROR_WANT_READ || kind == EtcdOpenSSL.SSL_ERROR_WANT_WRITE {
                return HandoffError(.storeUnreachable, "\(doing): timed out")
            }
            let reason = saved.rawValue == 0 ? "the server closed the connection" : saved.description
            return HandoffError(.storeUnreachable, "\(doing): \(reason)")
        }
        switch EtcdOpenSSL.reason(code) {
        case 1116:  // SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED
            return HandoffError(.tlsRefused, "\(doing): the server requires a client certificate and none was given (\(text))")
        case 1042, 1046, 1048, 1049:  // alerts: bad certificate, certificate unknown, unknown CA, access denied
            return HandoffError(.tlsRefused, "\(doing): the server refused the client certificate (\(text))")
        default:
            return HandoffError(.tlsRefused, "\(doing) failed: \(text)")
        }
    }
}
