import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// An etcd store over `https` against a real etcd that requires client certificates
/// (`--client-cert-auth`), with a CA, server and client certificates made by `openssl` for the
/// test. The server's certificate names `localhost` only, so `https://127.0.0.1:…` reaches the
/// same server under a name the certificate does not carry.
@Suite("EtcdStore over TLS", .serialized, .offCooperativePool)
struct EtcdTLSTests {
    @Test("with the right client certificate, an offer is claimed and committed over https")
    func mutualTLS() async throws {
        try await TLSCluster.with { cluster in
            let store = try EtcdStore(configuration: cluster.configuration(host: "localhost", certificate: "client"))
            let envelope = storeEnvelope(text: "over TLS")
            try await store.offer(envelope, ttl: .seconds(60))
            let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
            #expect(claim.envelope == envelope)
            try await store.commit(claim)
            #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        }
    }

    @Test("refused with a typed error: no client certificate, a server CA we do not trust, a host the certificate does not name, a client certificate from another CA")
    func refusals() async throws {
        try await TLSCluster.with { cluster in
            let cases: [(String, EtcdConfiguration, HandoffError.Code)] = [
                ("no client certificate", cluster.configuration(host: "localhost", certificate: nil), .tlsRefused),
                ("unknown CA", cluster.configuration(host: "localhost", certificate: "client", ca: "other-ca"), .certificateUntrusted),
                ("wrong host name", cluster.configuration(host: "127.0.0.1", certificate: "client"), .hostnameMismatch),
                ("client certificate from another CA", cluster.configuration(host: "localhost", certificate: "stranger"), .tlsRefused),
            ]
            for (name, configuration, code) in cases {
                let store = try EtcdStore(configuration: configuration)
                await #expect(Comment(rawValue: name)) { try await store.offer(storeEnvelope(), ttl: nil) } throws: { error in
                    let error = error as? HandoffError
                    return error?.code == code && error?.reason.contains("nothing was changed") == true
                }
            }
            // Nothing of the refused offers reached etcd.
            #expect(try await EtcdHTTP.keys(cluster.server.endpoint, prefix: cluster.prefix + "/").isEmpty)
        }
    }

    @Test("a client certificate without its key, or a CA file that does not exist, is refused when the store is made")
    func badFiles() async throws {
        try await TLSCluster.with { cluster in
            var halfPair = cluster.configuration(host: "localhost", certificate: "client")
            halfPair.tls.privateKeyFile = nil
            #expect { try EtcdStore(configuration: halfPair) } throws: { ($0 as? HandoffError)?.code == .invalidConfiguration }
            var missingCA = cluster.configuration(host: "localhost", certificate: "client")
            missingCA.tls.trustedCAFile = cluster.directory + "/absent.crt"
            #expect { try EtcdStore(configuration: missingCA) } throws: { error in
                let error = error as? HandoffError
                return error?.code == .invalidConfiguration && error?.reason.contains("absent.crt") == true
            }
        }
    }
}

/// An etcd listening on `http` (for the test's own checks) and on `https` with client
/// certificates required, and the certificates for it, in a temporary directory.
struct TLSCluster {
    let server: EtcdTestServer
    let directory: String
    let securePort: UInt16
    let prefix = "/tls-\(UUID().uuidString.prefix(8))"

    /// A configuration for `https://<host>:<port>` trusting `ca`, with the client certificate
    /// named `certificate` (and its key), or none.
    func configuration(host: String, certificate: String?, ca: String = "ca") -> EtcdConfiguration {
        var configuration = EtcdConfiguration(endpoints: ["https://\(host):\(securePort)"])
        configuration.keyPrefix = prefix
        configuration.requestTimeout = .seconds(5)
        configuration.tls = EtcdTLSConfiguration(
            trustedCAFile: "\(directory)/\(ca).crt",
            certificateFile: certificate.map { "\(directory)/\($0).crt" },
            privateKeyFile: certificate.map { "\(directory)/\($0).key" })
        return configuration
    }

    static func with(_ body: (TLSCluster) async throws -> Void) async throws {
        let directory = "/dev/shm/handoff-tls-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await makeCertificates(in: directory)
        let port = try Client.freePort()
        let secure = "https://127.0.0.1:\(port)"
        try await EtcdTestServer.with(arguments: { plain in [
            "--listen-client-urls", "\(plain),\(secure)", "--advertise-client-urls", "\(plain),\(secure)",
            "--cert-file", "\(directory)/server.crt", "--key-file", "\(directory)/server.key",
            "--client-cert-auth", "--trusted-ca-file", "\(directory)/ca.crt",
        ] }) { server in
            try await body(TLSCluster(server: server, directory: directory, securePort: port))
        }
    }

    /// Two CAs; a server certificate for `localhost` (etcd's gateway also shows it as a client
    /// certificate to etcd itself, hence clientAuth); a client certificate from the first CA and
    /// a "stranger" one from the other.
    static func makeCertificates(in directory: String) async throws {
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        let script = """
        set -e
        exec >'\(directory).log' 2>&1
        mkdir -p '\(directory)' && cd '\(directory)'
        command -v openssl >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y openssl; }
        for ca in ca other-ca; do openssl req -x509 \(ec) -keyout $ca.key -out $ca.crt -days 1 -subj /CN=handoff-test-$ca; done
        printf 'subjectAltName=DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > server.ext
        printf 'extendedKeyUsage=clientAuth\\n' > client.ext
        sign() { openssl req -new \(ec) -keyout $1.key -out $1.csr -subj /CN=$1; openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial -out $1.crt -days 1 -extfile $3; }
        sign server ca server.ext
        sign client ca client.ext
        sign stranger other-ca client.ext
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let (exit, exited) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.yield($0.terminationStatus); exited.finish() }
        try process.run()
        for await status in exit where status != 0 {
            let log = (try? String(contentsOfFile: directory + ".log", encoding: .utf8)) ?? ""
            throw EtcdTestFailure("making test certificates failed (status \(status)):\n\(log.suffix(2000))")
        }
        try? FileManager.default.removeItem(atPath: directory + ".log")
    }
}
