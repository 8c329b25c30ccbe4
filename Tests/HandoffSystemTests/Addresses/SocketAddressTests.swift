import Testing
@testable import HandoffSystem
@testable import HandoffTestSupport

@Suite("Socket addresses", .offCooperativePool)
struct SocketAddressTests {
    @Test("operators' address strings parse", arguments: [
        ("127.0.0.1:8080", SocketEndpoint.ipv4(host: "127.0.0.1", port: 8080)),
        (":9000", .ipv4(host: "0.0.0.0", port: 9000)),
        ("localhost:0", .ipv4(host: "127.0.0.1", port: 0)),
        ("[::1]:443", .ipv6(host: "::1", port: 443)),
        ("unix:/run/app.sock", .unix(path: "/run/app.sock")),
        ("/run/app.sock", .unix(path: "/run/app.sock")),
        ("@app", .abstract(name: "app")),
        ("unix:@app", .abstract(name: "app")),
    ])
    func parses(text: String, expected: SocketEndpoint) throws {
        #expect(try SocketEndpoint(parsing: text) == expected)
        #expect(try SocketEndpoint(parsing: expected.description) == expected)
    }

    @Test("bad addresses are refused with the reason", arguments: ["", "127.0.0.1", "1.2.3.4:70000", "example.com:80", "[zz]:1", "@", "unix:"])
    func refuses(text: String) {
        #expect {
            try SocketEndpoint(parsing: text)
        } throws: { error in
            (error as? HandoffError)?.code == .invalidAddress
        }
    }

    @Test("port 0 is satisfied by the port the kernel chose; other differences are not")
    func satisfaction() {
        #expect(SocketEndpoint.ipv4(host: "127.0.0.1", port: 0).isSatisfied(by: .ipv4(host: "127.0.0.1", port: 4000)))
        #expect(!SocketEndpoint.ipv4(host: "127.0.0.1", port: 80).isSatisfied(by: .ipv4(host: "127.0.0.1", port: 4000)))
        #expect(!SocketEndpoint.ipv4(host: "127.0.0.1", port: 0).isSatisfied(by: .ipv4(host: "0.0.0.0", port: 4000)))
        #expect(SocketEndpoint.ipv6(host: "0:0::1", port: 0).isSatisfied(by: .ipv6(host: "::1", port: 1)))
    }
}
