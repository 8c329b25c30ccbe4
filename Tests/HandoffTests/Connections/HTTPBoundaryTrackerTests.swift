import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The request-boundary tracker on hostile byte streams, fed in every way a socket could split
/// them.
@Suite("HTTP/1.1 request boundaries", .offCooperativePool)
struct HTTPBoundaryTrackerTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Feeds `stream` split at `cuts`, answering every request as soon as its body is whole.
    private static func feed(_ stream: [UInt8], splitEvery size: Int) -> HTTPBoundaryTracker {
        var tracker = HTTPBoundaryTracker()
        var index = 0
        while index < stream.count {
            let end = min(stream.count, index + size)
            tracker.receive(Array(stream[index..<end]))
            while tracker.responsesCompleted < tracker.requestsReceived { tracker.responseCompleted() }
            index = end
        }
        return tracker
    }

    @Test("a fresh connection is idle with nothing unread")
    func fresh() {
        let tracker = HTTPBoundaryTracker()
        #expect(tracker.isIdle)
        #expect(tracker.unreadBytes.isEmpty)
    }

    @Test("a request is in flight from its head until its response ends")
    func inFlight() {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(tracker.requestsStarted == 1)
        #expect(!tracker.isIdle)
        tracker.responseCompleted()
        #expect(tracker.isIdle)
        #expect(tracker.unreadBytes.isEmpty)
    }

    @Test("a head split across reads, one byte at a time, is unread until it ends", arguments: [1, 2, 3, 7, 64])
    func splitHead(size: Int) {
        let head = Self.bytes("PUT /kv/a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        for cut in 1..<head.count {
            var tracker = HTTPBoundaryTracker()
            tracker.receive(Array(head[..<cut]))
            #expect(tracker.isIdle, "cut at \(cut)")
            #expect(tracker.unreadBytes == Array(head[..<cut]).drop(while: { $0 == 13 || $0 == 10 }).map { $0 })
        }
        let tracker = Self.feed(head + Self.bytes("hello"), splitEvery: size)
        #expect(tracker.requestsReceived == 1)
        #expect(tracker.isIdle)
    }

    @Test("pipelined requests: idle only after the last response, with the partial third head unread")
    func pipelined() {
        var tracker = HTTPBoundaryTracker()
        let partial = Self.bytes("GET /count HT")
        tracker.receive(Self.bytes("GET / HTTP/1.1\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") + partial)
        #expect(tracker.requestsReceived == 2)
        tracker.responseCompleted()
        #expect(!tracker.isIdle)
        tracker.responseCompleted()
        #expect(tracker.isIdle)
        #expect(tracker.unreadBytes == partial)
    }

    @Test("a body straddling the drain keeps the connection busy until the body and its response end")
    func straddlingBody() {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes("PUT /kv/k HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234"))
        #expect(!tracker.isIdle)
        tracker.receive(Self.bytes("56789GET"))
        #expect(tracker.requestsReceived == 1)
        #expect(!tracker.isIdle)
        tracker.responseCompleted()
        #expect(tracker.isIdle)
        #expect(tracker.unreadBytes == Self.bytes("GET"))
    }

    @Test("chunked bodies with extensions and trailers are framed, split anywhere", arguments: [1, 2, 5, 1000])
    func chunked(size: Int) {
        let stream = Self.bytes(
            "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"
                + "GET /b HTTP/1.1\r\n\r\n" + "GET /c")
        let tracker = Self.feed(stream, splitEvery: size)
        #expect(tracker.requestsReceived == 2)
        #expect(tracker.isIdle)
        #expect(tracker.unreadBytes == Self.bytes("GET /c"))
    }

    @Test("chunk data that looks like a request is not taken for one")
    func chunkDataIsOpaque() {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n12\r\nGET / HTTP/1.1\r\n\r\n\r\n"))
        #expect(tracker.requestsStarted == 1)
        #expect(!tracker.isIdle)
        tracker.receive(Self.bytes("0\r\n\r\n"))
        tracker.responseCompleted()
        #expect(tracker.isIdle)
    }

    @Test("a Content-Length body that looks like a request is not taken for one")
    func lengthBodyIsOpaque() {
        let body = "GET /x HTTP/1.1\r\n\r\n"
        let tracker = Self.feed(Self.bytes("PUT /k HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body), splitEvery: 4)
        #expect(tracker.requestsStarted == 1)
        #expect(tracker.isIdle)
    }

    @Test(
        "streams that cannot be framed are never handed over",
        arguments: [
            ("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "both"),
            ("GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "two different"),
            ("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "not a number"),
            ("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "does not end in chunked"),
            ("GET / HTTP/2.0\r\n\r\n", "version"),
            ("GET /\r\n\r\n", "request line"),
            ("GET / HTTP/1.1\r\n folded\r\n\r\n", "header field"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "hexadecimal"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n", "too large"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", "CRLF"),
        ])
    func unframeable(stream: String, reason: String) {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes(stream))
        tracker.responseCompleted()
        #expect(!tracker.isIdle)
        #expect(!tracker.isHandOverable)
        #expect("\(tracker.refusal!)".contains(reason), "\(tracker.refusal!)")
    }

    @Test("a head that never ends is refused past the limit, without keeping more")
    func endlessHead() {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes("GET / HTTP/1.1\r\n"))
        let line = Self.bytes("X-Filler: " + String(repeating: "a", count: 1000) + "\r\n")
        for _ in 0..<100 { tracker.receive(line) }
        #expect(tracker.refusal == .headTooLarge)
        #expect(tracker.unreadBytes.isEmpty)
    }

    @Test("a protocol switch or a close ends the handover for good", arguments: [
        ("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", HTTPBoundaryTracker.Refusal.protocolSwitch),
        ("CONNECT a:443 HTTP/1.1\r\n\r\n", .protocolSwitch),
        ("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", .closeRequested),
        ("GET / HTTP/1.0\r\n\r\n", .closeRequested),
    ])
    func protocolSwitch(stream: String, refusal: HTTPBoundaryTracker.Refusal) {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes(stream + "GET / HTTP/1.1\r\n\r\n"))
        tracker.responseCompleted()
        #expect(tracker.refusal == refusal)
        #expect(!tracker.isIdle)
        #expect(tracker.requestsStarted == 1)
    }

    @Test("HTTP/1.0 with keep-alive stays hand-overable")
    func http10KeepAlive() {
        var tracker = HTTPBoundaryTracker()
        tracker.receive(Self.bytes("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
        tracker.responseCompleted()
        #expect(tracker.isIdle)
    }

    @Test("replaying a predecessor's unread bytes resumes mid-head")
    func replay() {
        var tracker = HTTPBoundaryTracker(replaying: Self.bytes("GET /co"))
        #expect(tracker.isIdle)
        tracker.receive(Self.bytes("unt HTTP/1.1\r\n\r\n"))
        #expect(tracker.requestsStarted == 1)
        #expect(!tracker.isIdle)
    }

    @Test("empty lines between requests are ignored, bare LF line endings accepted")
    func emptyLinesAndBareLF() {
        let tracker = Self.feed(Self.bytes("\r\n\r\nGET / HTTP/1.1\nHost: a\n\n\r\nGET /b HTTP/1.1\n\n"), splitEvery: 1)
        #expect(tracker.requestsReceived == 2)
        #expect(tracker.isIdle)
        #expect(tracker.unreadBytes.isEmpty)
    }

    @Test("random splits of a mixed pipelined stream always frame the same requests")
    func randomSplits() {
        let stream = Self.bytes(
            "GET / HTTP/1.1\r\n\r\nPUT /kv/a HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"
                + "POST /b HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nGET /count HTTP/1.1\r\n\r\n")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var tracker = HTTPBoundaryTracker()
            var index = 0
            while index < stream.count {
                let end = min(stream.count, index + Int.random(in: 1...12, using: &generator))
                tracker.receive(Array(stream[index..<end]))
                index = end
            }
            #expect(tracker.requestsReceived == 4)
            for _ in 0..<4 { tracker.responseCompleted() }
            #expect(tracker.isIdle)
        }
    }
}
