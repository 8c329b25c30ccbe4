import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

@Suite("Envelopes", .offCooperativePool)
struct EnvelopeTests {
    static func sample(payload: [UInt8] = Array("state".utf8), version: Int = 3, oldest: Int = 2) -> Envelope {
        let header = EnvelopeHeader(
            label: "counter", key: "eu-1", stateVersion: version, oldestReaderVersion: oldest, codec: .binary,
            createdAtNanoseconds: 1_700_000_000_000_000_000, producer: Envelope.Producer(pid: 42, host: "h", build: "b7"))
        return Envelope(header: header, payload: payload)
    }

    @Test("an envelope round-trips, and its header reads on its own")
    func roundTrip() throws {
        let envelope = Self.sample()
        let bytes = envelope.encoded()
        #expect(try Envelope(decoding: bytes) == envelope)
        let (header, length) = try EnvelopeHeader.decode(bytes.prefix(bytes.count - 9))
        #expect(header == envelope.header)
        #expect(length == bytes.count - 9)
    }

    @Test("every truncation of an envelope is refused as truncated")
    func everyTruncation() {
        let bytes = Self.sample().encoded()
        for length in 0..<bytes.count {
            #expect {
                try Envelope(decoding: Array(bytes[..<length]))
            } throws: { error in
                let code = (error as? HandoffError)?.code
                return code == .truncatedEnvelope || (length < 4 && code == .truncatedEnvelope)
            }
        }
    }

    @Test("every single-bit flip of an envelope is refused with a typed error")
    func everyBitFlip() {
        let bytes = Self.sample().encoded()
        var codes: Set<String> = []
        for bit in 0..<(bytes.count * 8) {
            var corrupt = bytes
            corrupt[bit / 8] ^= UInt8(1 << (bit % 8))
            do {
                _ = try Envelope(decoding: corrupt)
                Issue.record("bit \(bit) was accepted")
            } catch let error as HandoffError {
                codes.insert(error.code.name)
            } catch {
                Issue.record("bit \(bit): untyped \(error)")
            }
        }
        #expect(codes.isSuperset(of: ["badMagic", "unsupportedVersion", "checksumMismatch"]))
    }

    @Test("an envelope over the size cap is refused from its header, before the payload is read")
    func sizeCap() {
        let bytes = Self.sample(payload: Array(repeating: 7, count: 1000)).encoded()
        #expect {
            try Envelope(decoding: bytes, maxPayloadLength: 999)
        } throws: { error in
            (error as? HandoffError)?.code == .envelopeTooLarge
        }
        #expect(throws: Never.self) { try EnvelopeHeader.decode(bytes.prefix(80), maxPayloadLength: 1000) }
    }
}
