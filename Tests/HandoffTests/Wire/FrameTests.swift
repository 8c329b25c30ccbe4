import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

@Suite("Frames of the control channel", .offCooperativePool(background: true))
struct FrameTests {
    @Test("a frame round-trips, fed one byte at a time", arguments: FrameType.allCases)
    func roundTrip(type: FrameType) throws {
        let frame = Frame(type, flags: 0x0102, payload: Array("payload of \(type)".utf8))
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        for byte in frame.encoded() + frame.encoded() {
            decoder.append([byte])
            while let next = try decoder.next() { decoded.append(next) }
        }
        #expect(decoded == [frame, frame])
        try decoder.finish()
    }

    @Test("every truncation of a frame is incomplete, and a stream that ends there is refused")
    func everyTruncation() throws {
        let bytes = Frame(.fds, payload: Array(0..<40)).encoded()
        for length in 1..<bytes.count {
            var decoder = FrameDecoder()
            decoder.append(bytes[..<length])
            #expect(try decoder.next() == nil)
            #expect(throws: HandoffError.self) { try decoder.finish() }
            do { try decoder.finish() } catch { #expect(error.code == .truncatedFrame) }
        }
    }

    @Test("every single-bit flip of a frame is refused with a typed error, and nothing is returned")
    func everyBitFlip() throws {
        let bytes = Frame(.hello, payload: HelloMessage(pid: 42, buildID: "b1").encoded()).encoded()
        var codes: Set<String> = []
        for bit in 0..<(bytes.count * 8) {
            var corrupt = bytes
            corrupt[bit / 8] ^= UInt8(1 << (bit % 8))
            var decoder = FrameDecoder()
            decoder.append(corrupt)
            do {
                let frame = try decoder.next()
                // A flip in the length field can make the frame look longer: it is then
                // incomplete, never returned.
                #expect(frame == nil, "bit \(bit) gave a frame")
                if frame == nil { #expect(throws: HandoffError.self) { try decoder.finish() } }
            } catch {
                codes.insert(error.code.name)
            }
        }
        #expect(codes.isSuperset(of: ["badMagic", "unsupportedVersion", "unknownFrameType", "checksumMismatch"]))
    }

    @Test("the header is refused before the payload arrives: magic, version, type, length cap")
    func headerChecks() throws {
        func code(_ bytes: [UInt8], cap: Int = 1024) -> HandoffError.Code? {
            var decoder = FrameDecoder(maxPayloadLength: cap)
            decoder.append(bytes)
            do { _ = try decoder.next(); return nil } catch { return error.code }
        }
        #expect(code(Array("GET ".utf8)) == .badMagic)
        #expect(code([0x48]) == nil)  // could still be "HOFF"
        #expect(code(Array("HOFF".utf8) + [9]) == .unsupportedVersion)
        #expect(code(Array("HOFF".utf8) + [1, 200]) == .unknownFrameType)
        #expect(code(Array("HOFF".utf8) + [1, 1, 0, 0, 0, 0, 4, 1]) == .frameTooLarge)
        // After a failure the decoder stays failed: nothing after a bad frame is trusted.
        var decoder = FrameDecoder()
        decoder.append(Array("nope".utf8))
        #expect(throws: HandoffError.self) { try decoder.next() }
        decoder.append(Frame(.ready).encoded())
        #expect(throws: HandoffError.self) { try decoder.next() }
    }

    @Test("FDS records round-trip, and malformed ones are refused with what was wrong")
    func descriptorRecords() throws {
        let records = (0..<3).map {
            DescriptorRecord(name: "n\($0)", kind: .listener, address: "127.0.0.1:\($0)", extra: [UInt8($0)])
        }
        #expect(try DescriptorRecord.decode(DescriptorRecord.encode(records), maxExtra: 16) == records)

        func reason(_ bytes: [UInt8]) -> String {
            do { _ = try DescriptorRecord.decode(bytes, maxExtra: 16); return "" } catch { return error.reason }
        }
        #expect(reason([0, 0]).contains("announces 0 descriptors"))
        #expect(reason([0, 253]).contains("announces 253"))
        #expect(reason([0, 1, 99]).contains("kind 99 is not known"))
        #expect(reason([0, 1, 1, 0, 5, 65]).contains("name needs 5 bytes, 1 remain"))
        var encoded = DescriptorRecord.encode(records)
        encoded.append(0)
        #expect(reason(encoded).contains("trailing"))
        let big = DescriptorRecord(name: "x", kind: .connection, address: "", extra: Array(repeating: 1, count: 17))
        #expect(reason(DescriptorRecord.encode([big])).contains("more than the limit"))
    }
}
