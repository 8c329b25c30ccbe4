import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Admin endpoint against hostile clients", .serialized, .offCooperativePool)
struct AdminHostileClientTests {
    /// Sends `bytes` on a new connection and reads until the server closes it (within `timeout`).
    /// - Returns: Everything the server sent.
    static func exchange(port: UInt16, _ bytes: [UInt8], timeout: Duration = .seconds(5)) throws -> String {
        let fd = try Client.connect(port: port)
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may close before it read everything
            offset += sent
        }
        return try readUntilClosed(fd, timeout: timeout)
    }

    static func readUntilClosed(_ fd: Int32, timeout: Duration) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw Client.Failure(description: "the server did not close within \(timeout)") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { break }
            if count < 0 && errno == ECONNRESET { break }
            if count > 0 { received += buffer[0..<count] }
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test("a malformed request gets 400 and the connection is closed")
    func malformed() async throws {
        let (runner, port, task) = try await AdminServerTests.start([])
        for request in ["GET /ready HTTP/1.1 extra\r\n\r\n", "GET\r\n\r\n", "GET /ready HTTP/1.1\r\nbad header\r\n\r\n", "GET /re\u{1}dy HTTP/1.1\r\n\r\n", "\u{0}\u{0}\u{0}\r\n\r\n"] {
            let answer = try Self.exchange(port: port, Array(request.utf8))
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(request.debugDescription) -> \(answer.debugDescription)")
        }
        #expect(try HTTPClient(port: port).get("/ready").status == 200)
        runner.stop()
        try await task.value
    }

    @Test("a request line over 8 KiB gets 400 and header fields over 64 KiB get 431, without waiting for the rest")
    func oversized() async throws {
        let (runner, port, task) = try await AdminServerTests.start([])
        let longLine = "GET /" + String(repeating: "a", count: 9 * 1024)
        #expect(try Self.exchange(port: port, Array(longLine.utf8)).hasPrefix("HTTP/1.1 400 "))
        let bigHeaders = "GET /ready HTTP/1.1\r\n" + String(repeating: "X-Filler: " + String(repeating: "b", count: 1000) + "\r\n", count: 70)
        #expect(try Self.exchange(port: port, Array(bigHeaders.utf8)).hasPrefix("HTTP/1.1 431 "))
        runner.stop()
        try await task.value
    }

    @Test("a client sending a request one byte at a time, slower than the request timeout, gets 408 and is closed")
    func slowClient() async throws {
        let (runner, port, task) = try await AdminServerTests.start([], requestTimeout: .milliseconds(300))
        let fd = try Client.connect(port: port)
        defer { close(fd) }
        let request = Array("GET /ready HTTP/1.1\r\nHost: slow\r\n\r\n".utf8)
        let start = ContinuousClock.now
        var closedAfter: Int?
        for (index, byte) in request.enumerated() {
            var one = byte
            if send(fd, &one, 1, Int32(MSG_NOSIGNAL)) != 1 { closedAfter = index; break }
            // One byte per 100 ms: the wait is for the server's answer or close, bounded.
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 100) > 0 { closedAfter = index + 1; break }
        }
        let answer = try Self.readUntilClosed(fd, timeout: .seconds(5))
        let elapsed = ContinuousClock.now - start
        #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect((closedAfter ?? request.count) < request.count, "the whole request got through")
        #expect(elapsed >= .milliseconds(300))
        #expect(try HTTPClient(port: port).get("/ready").status == 200)
        runner.stop()
        try await task.value
    }

    @Test("keep-alive and pipelined requests are answered in order on one connection")
    func pipelining() async throws {
        let (runner, port, task) = try await AdminServerTests.start([])
        let client = try HTTPClient(port: port)
        try client.send("GET /ready HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /debug/services HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(try client.response().status == 200)
        #expect(try client.response().status == 404)
        #expect(try client.response().body.hasPrefix("[{"))
        #expect(throws: HTTPClient.Failure.self) { try client.get("/ready") }
        runner.stop()
        try await task.value
    }
}
