import Handoff
import HandoffSystem

// The codes of the etcd store's transport: TLS.
extension HandoffError.Code {
    /// A TLS connection was asked for (an `https` store endpoint) and the system's OpenSSL 3
    /// (`libssl.so.3`) cannot be loaded.
    public static let tlsUnavailable = Self("tlsUnavailable")
    /// A TLS server's certificate is not signed by a trusted authority (the system's trust
    /// store, or the CA file given), or is expired or malformed.
    public static let certificateUntrusted = Self("certificateUntrusted")
    /// A TLS server's certificate is trusted but does not name the host connected to.
    public static let hostnameMismatch = Self("hostnameMismatch")
    /// A TLS server refused the connection for want of a client certificate it trusts
    /// (none was given, or it is not signed by the server's CA), or the handshake failed.
    public static let tlsRefused = Self("tlsRefused")
}
