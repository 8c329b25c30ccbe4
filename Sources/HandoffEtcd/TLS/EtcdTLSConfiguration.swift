import HandoffSystem
/// How an ``EtcdStore`` checks `https` endpoints and proves who it is to them.
///
/// By default the server's certificate is checked against the system's trust store and must
/// name the endpoint's host; nothing identifies the client but its credentials, if any. For a
/// cluster with a private CA and `--client-cert-auth` (mutual TLS), give all three files:
///
/// ```swift
/// var configuration = EtcdConfiguration(endpoints: ["https://etcd-1.internal:2379"])
/// configuration.tls = EtcdTLSConfiguration(
///     trustedCAFile: "/etc/etcd/pki/ca.crt",
///     certificateFile: "/etc/sessiond/etcd-client.crt",
///     privateKeyFile: "/etc/sessiond/etcd-client.key")
/// ```
///
/// TLS comes from the system's OpenSSL 3 (`libssl.so.3`), loaded when a store with an `https`
/// endpoint is made; without it, making the store throws `tlsUnavailable`.
public struct EtcdTLSConfiguration: Sendable, Hashable {
    /// A PEM file of the certificate authorities that may sign the server's certificate, in
    /// place of the system's trust store; `nil` for the system's.
    public var trustedCAFile: String?
    /// A PEM file with the client certificate (and any intermediates after it), for servers
    /// started with `--client-cert-auth`; `nil` for none.
    public var certificateFile: String?
    /// The PEM file with the private key of ``certificateFile``.
    public var privateKeyFile: String?

    /// Creates a TLS configuration.
    /// - Parameters:
    ///   - trustedCAFile: The CA certificates to trust; `nil` for the system's trust store.
    ///   - certificateFile: The client certificate; `nil` for none.
    ///   - privateKeyFile: Its private key; given exactly when `certificateFile` is.
    public init(trustedCAFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil) {
        self.trustedCAFile = trustedCAFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}
