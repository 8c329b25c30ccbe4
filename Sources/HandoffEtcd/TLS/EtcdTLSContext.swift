import Handoff
import HandoffSystem

/// An OpenSSL client context (`SSL_CTX`) made once from an ``EtcdTLSConfiguration``: TLS 1.2 or
/// later, the peer verified (`SSL_VERIFY_PEER`) against the system's trust store or the given
/// CA file, and the client certificate and key loaded and checked against each other. Each
/// connection makes an ``EtcdTLSSession`` from it.
final class EtcdTLSContext: @unchecked Sendable {  // SSL_CTX is safe to share once configured
    let library: EtcdOpenSSL
    private let context: OpaquePointer

    /// - Throws: `HandoffError`: `tlsUnavailable` without OpenSSL 3; `invalidConfiguration` for
    ///   a CA, certificate or key file that cannot be read or does not match.
    init(_ configuration: EtcdTLSConfiguration) throws(HandoffError) {
        library = try EtcdOpenSSL.shared.get()
        library.ERR_clear_error()
        guard configuration.certificateFile == nil || configuration.privateKeyFile != nil,
              configuration.privateKeyFile == nil || configuration.certificateFile != nil else {
            throw HandoffError(.invalidConfiguration, "a TLS client certificate needs its private key and the other way round: give both certificateFile and privateKeyFile, or neither")
        }
        guard let context = library.SSL_CTX_new(library.TLS_client_method()) else {
            throw HandoffError(.tlsUnavailable, "SSL_CTX_new failed: \(library.takeError()?.text ?? "no reason given")")
        }
        self.context = context
        // From here on, deinit frees the context whatever is thrown.
        _ = library.SSL_CTX_ctrl(context, EtcdOpenSSL.SSL_CTRL_SET_MIN_PROTO_VERSION, EtcdOpenSSL.TLS1_2_VERSION, nil)
        // A server that closes without close_notify ends the body like a plain close would.
        _ = library.SSL_CTX_set_options(context, EtcdOpenSSL.SSL_OP_IGNORE_UNEXPECTED_EOF)
        library.SSL_CTX_set_verify(context, EtcdOpenSSL.SSL_VERIFY_PEER, nil)
        if let ca = configuration.trustedCAFile {
            guard library.SSL_CTX_load_verify_locations(context, ca, nil) == 1 else {
                throw failure("the trusted CA file \(ca) cannot be loaded")
            }
        } else {
            guard library.SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw failure("the system's trust store cannot be loaded")
            }
        }
        if let certificate = configuration.certificateFile, let key = configuration.privateKeyFile {
            guard library.SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw failure("the client certificate \(certificate) cannot be loaded")
            }
            guard library.SSL_CTX_use_PrivateKey_file(context, key, EtcdOpenSSL.SSL_FILETYPE_PEM) == 1 else {
                throw failure("the private key \(key) cannot be loaded")
            }
            guard library.SSL_CTX_check_private_key(context) == 1 else {
                throw failure("the private key \(key) does not belong to the certificate \(certificate)")
            }
        }
    }

    deinit { library.SSL_CTX_free(context) }

    private func failure(_ what: String) -> HandoffError {
        HandoffError(.invalidConfiguration, "\(what): \(library.takeError()?.text ?? "no reason given")")
    }

    /// Runs the TLS handshake on a connected, blocking socket (its receive timeout bounds it):
    /// SNI with `host` unless it is an IP address, and the certificate checked against `host`.
    /// - Throws: `HandoffError`: `certificateUntrusted`, `hostnameMismatch`, `tlsRefused`, or
    ///   `storeUnreachable` for a connection lost or timed out during the handshake.
    func handshake(fd: Int32, host: String) throws(HandoffError) -> EtcdTLSSession {
        library.ERR_clear_error()
        guard let ssl = library.SSL_new(context) else {
            throw HandoffError(.tlsUnavailable, "SSL_new failed: \(library.takeError()?.text ?? "no reason given")")
        }
        let session = EtcdTLSSession(library: library, ssl: ssl)
        guard library.SSL_set_fd(ssl, fd) == 1 else {
            throw HandoffError(.tlsRefused, "SSL_set_fd failed: \(library.takeError()?.text ?? "no reason given")")
        }
        if !EtcdTLSContext.isAddress(host) {
            _ = host.withCString { library.SSL_ctrl(ssl, EtcdOpenSSL.SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, UnsafeMutableRawPointer(mutating: $0)) }
        }
        // OpenSSL 3 takes an IP address here as one, checked against the IP SANs.
        guard library.SSL_set1_host(ssl, host) == 1 else {
            throw HandoffError(.tlsRefused, "SSL_set1_host(\(host)) failed: \(library.takeError()?.text ?? "no reason given")")
        }
        let connected = library.SSL_connect(ssl)
        guard connected != 1 else { return session }
        let verdict = library.SSL_get_verify_result(ssl)
        if verdict == EtcdOpenSSL.X509_V_ERR_HOSTNAME_MISMATCH || verdict == EtcdOpenSSL.X509_V_ERR_IP_ADDRESS_MISMATCH {
            library.ERR_clear_error()
            throw HandoffError(.hostnameMismatch, "the server's certificate does not name \(host)")
        }
        if verdict != EtcdOpenSSL.X509_V_OK {
            library.ERR_clear_error()
            let text = library.X509_verify_cert_error_string(verdict).map { String(cString: $0) } ?? "error \(verdict)"
            throw HandoffError(.certificateUntrusted, "the server's certificate is not trusted: \(text)")
        }
        throw session.failure(connected, doing: "TLS handshake with \(host)")
    }

    static func isAddress(_ host: String) -> Bool {
        Syscall.isNumericAddress(host)
    }
}
