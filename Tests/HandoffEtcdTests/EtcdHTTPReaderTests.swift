import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// The etcd client's HTTP/1.1 answer reader against a hostile server, over a real socket pair.
@Suite("etcd HTTP answers from a hostile server", .offCooperativePool)
struct EtcdHTTPReaderTests {
    /// A connection whose server has sent `answer` and closed.
    static func connection(answering answer: String) throws -> EtcdHTTPConnection {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
        let bytes = Array(answer.utf8)
        #expect(bytes.withUnsafeBytes { send(pair[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count)
        close(pair[1])
        return EtcdHTTPConnection(fd: pair[0], endpoint: EtcdEndpoint(URL(string: "http://hostile:2379")!)!)
    }

    static func body(_ answer: String) throws -> [UInt8] {
        let connection = try connection(answering: answer)
        let head = try connection.readHead()
        var body: [UInt8] = []
        try connection.readBody(head) { body += $0 }
        return body
    }

    @Test("chunked and Content-Length bodies read whole; trailers are dropped")
    func wellFormed() throws {
        #expect(try Self.body("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") == Array("{}".utf8))
        #expect(try Self.body("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nGrpc-Status: 5\r\n\r\n") == Array("abc".utf8))
    }

    @Test("an announced length over the limit is refused before anything is allocated for it",
          arguments: [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3fffffffffffffff\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387904\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000001\r\n",
          ])
    func overLimit(answer: String) throws {
        #expect { try Self.body(answer) } throws: { error in
            guard case .broken(let reason) = error as? EtcdHTTPConnection.Failure else { return false }
            return reason.contains("limit")
        }
    }

    @Test("a malformed framing is refused with a reason", arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        ("SMTP 220 hello\r\n\r\n", "not HTTP/1.x"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed the connection"),
    ])
    func malformed(answer: String, words: String) throws {
        #expect { try Self.body(answer) } throws: { error in
            guard case .broken(let reason) = error as? EtcdHTTPConnection.Failure else { return false }
            return reason.contains(words)
        }
    }
}
