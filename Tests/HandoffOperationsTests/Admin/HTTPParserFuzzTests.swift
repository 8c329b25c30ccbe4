import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

/// The bounded HTTP/1.1 parser against mutated and random input: it never crashes, never reads
/// out of bounds, never claims more bytes than it was given, and answers the same whether the
/// bytes come whole or a prefix at a time.
@Suite("HTTP/1.1 parser fuzzing", .offCooperativePool(background: true))
struct HTTPParserFuzzTests {
    /// A small deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "PUT /kv/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "GET /ready HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HEAD /metrics?x=1 HTTP/1.1\nHost: b\n\n",
    ].map { Array($0.utf8) }

    enum Outcome: Equatable {
        case incomplete, request(length: Int), invalid
    }

    static func outcome(_ bytes: [UInt8]) -> Outcome {
        bytes.withUnsafeBytes { raw in
            switch HTTPRequestParser.parse(raw) {
            case .incomplete: .incomplete
            case .request(let head, let length):
                (head.path.upperBound <= length && head.body.upperBound <= length && length <= raw.count) ? .request(length: length) : .invalid
            case .invalid: .invalid
            }
        }
    }

    @Test("20,000 mutated requests: no crash, lengths within the input, every prefix of a request incomplete")
    func mutations() {
        var random = Generator(state: 0x5EED)
        let alphabet = Array(" :\r\n\t/?#\u{0}\u{7F}AZaz09-.,\"".utf8) + [0xFF, 0xC3]
        for _ in 0..<20_000 {
            var bytes = Self.seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where position < bytes.count: bytes[position] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                case 2 where position < bytes.count: bytes.remove(at: position)
                default: bytes.insert(contentsOf: repeatElement(UInt8(ascii: "a"), count: Int.random(in: 0...64, using: &random)), at: position)
                }
            }
            let whole = Self.outcome(bytes)
            if case .request(let length) = whole {
                // Every prefix of a whole request is incomplete: fed a byte at a time, a server
                // answers the same as when the request comes in one piece.
                for cut in 0..<length {
                    let prefix = Self.outcome(Array(bytes[..<cut]))
                    #expect(prefix == .incomplete, "prefix \(cut) of \(bytes) is \(prefix)")
                }
            }
        }
    }

    @Test("random bytes of every length up to 256: no crash, and never a request longer than the input")
    func randomBytes() {
        var random = Generator(state: 42)
        for length in 0...256 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                if case .request(let consumed) = Self.outcome(bytes) { #expect(consumed <= length) }
            }
        }
    }
}
