import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// What a reader that takes a frame's payload itself relies on: the decoder hands over a checked
/// header and the bytes it buffered, and one pass over the payload serves two checksums.
@Suite("Reading a frame's payload outside the decoder", .offCooperativePool(background: true))
struct PayloadReadTests {
    @Test("combining two checksums gives the checksum of the concatenation", arguments: [0, 1, 7, 8, 4095, (1 << 20) + 3])
    func combine(secondLength: Int) {
        var generator = SystemRandomNumberGenerator()
        let first = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let second = (0..<secondLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let combined = CRC32C.combine(CRC32C.checksum(first), CRC32C.checksum(second), secondLength: second.count)
        #expect(combined == CRC32C.checksum(first + second))
        #expect(CRC32C.combine(0, CRC32C.checksum(second), secondLength: second.count) == CRC32C.checksum(second))
    }

    @Test("a header peeked and skipped, its payload and trailer taken, leaves the decoder at the next frame")
    func peekSkipTake() throws {
        let first = Frame(.state, flags: StateChunk.lastFlag, payload: Array(0..<100))
        let second = Frame(.stateEnd)
        let bytes = first.encoded()
        var decoder = FrameDecoder()
        decoder.append(bytes.prefix(5))
        #expect(try decoder.peekHeader() == nil)
        decoder.append(bytes.dropFirst(5) + second.encoded())
        let header = try #require(try decoder.peekHeader())
        #expect(header == Frame.Header(type: .state, flags: StateChunk.lastFlag, length: 100))
        #expect(decoder.skipHeader() == CRC32C.checksum(bytes.prefix(Frame.headerLength)))
        var payload = [UInt8](repeating: 0, count: 100)
        #expect(payload.withUnsafeMutableBytes { decoder.take(into: $0) } == 100)
        #expect(payload == first.payload)
        var trailer = [UInt8](repeating: 0, count: 4)
        #expect(trailer.withUnsafeMutableBytes { decoder.take(into: $0) } == 4)
        #expect(trailer == Array(bytes.suffix(4)))
        #expect(try decoder.next() == second)
        #expect(decoder.bufferedCount == 0)
    }

    @Test("a peeked header is checked as next() checks it, and a failure sticks")
    func peekChecks() {
        var decoder = FrameDecoder(maxPayloadLength: 10)
        decoder.append(Frame(.state, payload: Array(repeating: 0, count: 11)).encoded())
        #expect { try decoder.peekHeader() } throws: { ($0 as? HandoffError)?.code == .frameTooLarge }
        #expect { try decoder.next() } throws: { ($0 as? HandoffError)?.code == .frameTooLarge }

        var failed = FrameDecoder()
        failed.append(Frame(.stateEnd).encoded())
        failed.fail(HandoffError(.checksumMismatch, "found by the caller"))
        #expect { try failed.next() } throws: { ($0 as? HandoffError)?.code == .checksumMismatch }
        #expect { try failed.peekHeader() } throws: { ($0 as? HandoffError)?.code == .checksumMismatch }
    }
}
