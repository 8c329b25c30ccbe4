import Handoff
import HandoffSystem

/// The system's OpenSSL 3 (`libssl.so.3`, `libcrypto.so.3`), opened with `dlopen(3)` the first
/// time an `https` endpoint is used: neither the build nor a program that speaks plain `http`
/// needs it, and a static build links no TLS library. Only the functions the etcd client calls
/// are looked up; macros (`SSL_CTX_set_min_proto_version`, `SSL_set_tlsext_host_name`) go
/// through the `SSL_CTX_ctrl` and `SSL_ctrl` functions they expand to.
struct EtcdOpenSSL: @unchecked Sendable {  // immutable function pointers into a library never closed
    typealias Pointer = OpaquePointer

    let TLS_client_method: @convention(c) () -> Pointer?
    let SSL_CTX_new: @convention(c) (Pointer?) -> Pointer?
    let SSL_CTX_free: @convention(c) (Pointer?) -> Void
    let SSL_CTX_ctrl: @convention(c) (Pointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_options: @convention(c) (Pointer?, UInt64) -> UInt64
    let SSL_CTX_set_default_verify_paths: @convention(c) (Pointer?) -> Int32
    let SSL_CTX_load_verify_locations: @convention(c) (Pointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_use_certificate_chain_file: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_use_PrivateKey_file: @convention(c) (Pointer?, UnsafePointer<CChar>?, Int32) -> Int32
    let SSL_CTX_check_private_key: @convention(c) (Pointer?) -> Int32
    let SSL_CTX_set_verify: @convention(c) (Pointer?, Int32, UnsafeRawPointer?) -> Void
    let SSL_new: @convention(c) (Pointer?) -> Pointer?
    let SSL_free: @convention(c) (Pointer?) -> Void
    let SSL_set_fd: @convention(c) (Pointer?, Int32) -> Int32
    let SSL_set1_host: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_ctrl: @convention(c) (Pointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_connect: @convention(c) (Pointer?) -> Int32
    let SSL_read: @convention(c) (Pointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (Pointer?, UnsafeRawPointer?, Int32) -> Int32
    let SSL_get_error: @convention(c) (Pointer?, Int32) -> Int32
    let SSL_get_verify_result: @convention(c) (Pointer?) -> Int
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_clear_error: @convention(c) () -> Void
    let ERR_error_string_n: @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    let X509_verify_cert_error_string: @convention(c) (Int) -> UnsafePointer<CChar>?

    // Constants from <openssl/ssl.h>, <openssl/x509_vfy.h> and <openssl/sslerr.h>.
    static let SSL_FILETYPE_PEM: Int32 = 1
    static let SSL_VERIFY_PEER: Int32 = 1
    static let SSL_CTRL_SET_TLSEXT_HOSTNAME: Int32 = 55
    static let SSL_CTRL_SET_MIN_PROTO_VERSION: Int32 = 123
    static let TLS1_2_VERSION = 0x0303
    static let SSL_OP_IGNORE_UNEXPECTED_EOF: UInt64 = 1 << 7
    static let SSL_ERROR_SSL: Int32 = 1
    static let SSL_ERROR_WANT_READ: Int32 = 2
    static let SSL_ERROR_WANT_WRITE: Int32 = 3
    static let SSL_ERROR_SYSCALL: Int32 = 5
    static let SSL_ERROR_ZERO_RETURN: Int32 = 6
    static let X509_V_OK = 0
    static let X509_V_ERR_HOSTNAME_MISMATCH = 62
    static let X509_V_ERR_IP_ADDRESS_MISMATCH = 64

    /// The library, or why it cannot be used; looked up once per process.
    static let shared: Result<EtcdOpenSSL, HandoffError> = load()

    private static func load() -> Result<EtcdOpenSSL, HandoffError> {
        let ssl: DynamicLibrary, crypto: DynamicLibrary
        do { ssl = try DynamicLibrary("libssl.so.3") } catch {
            return .failure(HandoffError(.tlsUnavailable, "https needs the system's OpenSSL 3, and libssl.so.3 cannot be loaded (\(error.reason)); install libssl3 or use http"))
        }
        do { crypto = try DynamicLibrary("libcrypto.so.3") } catch {
            return .failure(HandoffError(.tlsUnavailable, "https needs the system's OpenSSL 3, and libcrypto.so.3 cannot be loaded (\(error.reason)); install libssl3 or use http"))
        }
        var missing: [String] = []
        func symbol<T>(_ handle: DynamicLibrary, _ name: String, _: T.Type = T.self) -> T {
            guard let address = handle.symbol(name) else {
                missing.append(name)
                return unsafeBitCast(crypto.symbol("ERR_clear_error"), to: T.self)  // never called: load fails below
            }
            return unsafeBitCast(address, to: T.self)
        }
        let library = EtcdOpenSSL(
            TLS_client_method: symbol(ssl, "TLS_client_method"),
            SSL_CTX_new: symbol(ssl, "SSL_CTX_new"),
            SSL_CTX_free: symbol(ssl, "SSL_CTX_free"),
            SSL_CTX_ctrl: symbol(ssl, "SSL_CTX_ctrl"),
            SSL_CTX_set_options: symbol(ssl, "SSL_CTX_set_options"),
            SSL_CTX_set_default_verify_paths: symbol(ssl, "SSL_CTX_set_default_verify_paths"),
            SSL_CTX_load_verify_locations: symbol(ssl, "SSL_CTX_load_verify_locations"),
            SSL_CTX_use_certificate_chain_file: symbol(ssl, "SSL_CTX_use_certificate_chain_file"),
            SSL_CTX_use_PrivateKey_file: symbol(ssl, "SSL_CTX_use_PrivateKey_file"),
            SSL_CTX_check_private_key: symbol(ssl, "SSL_CTX_check_private_key"),
            SSL_CTX_set_verify: symbol(ssl, "SSL_CTX_set_verify"),
            SSL_new: symbol(ssl, "SSL_new"),
            SSL_free: symbol(ssl, "SSL_free"),
            SSL_set_fd: symbol(ssl, "SSL_set_fd"),
            SSL_set1_host: symbol(ssl, "SSL_set1_host"),
            SSL_ctrl: symbol(ssl, "SSL_ctrl"),
            SSL_connect: symbol(ssl, "SSL_connect"),
            SSL_read: symbol(ssl, "SSL_read"),
            SSL_write: symbol(ssl, "SSL_write"),
            SSL_get_error: symbol(ssl, "SSL_get_error"),
            SSL_get_verify_result: symbol(ssl, "SSL_get_verify_result"),
            ERR_get_error: symbol(crypto, "ERR_get_error"),
            ERR_clear_error: symbol(crypto, "ERR_clear_error"),
            ERR_error_string_n: symbol(crypto, "ERR_error_string_n"),
            X509_verify_cert_error_string: symbol(crypto, "X509_verify_cert_error_string")
        )
        guard missing.isEmpty else {
            return .failure(HandoffError(.tlsUnavailable, "the system's libssl.so.3 lacks \(missing.joined(separator: ", ")): it is not OpenSSL 3"))
        }
        return .success(library)
    }


    /// The oldest error on this thread's OpenSSL error queue, as text, and the queue cleared;
    /// with the packed code (`ERR_GET_REASON` is its low 23 bits).
    func takeError() -> (code: UInt, text: String)? {
        let code = ERR_get_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return nil }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return (code, text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    /// `ERR_GET_REASON`: the reason part of a packed error code (0 for a system error).
    static func reason(_ code: UInt) -> Int {
        code & 0x8000_0000 != 0 ? 0 : Int(code & 0x7F_FFFF)
    }
}
