import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

@Suite("Binary codec: determinism and hostile input", .offCooperativePool(background: true))
struct BinaryCodecHostileInputTests {
    /// A small seeded generator (SplitMix64), so a failing mutation can be replayed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A varint as the format writes it.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    /// Expects decoding `bytes` as `T` to fail with a codingFailed `HandoffError`; returns it.
    @discardableResult
    func refused<T: Decodable>(
        _ type: T.Type, _ bytes: [UInt8], decoder: HandoffBinaryDecoder = HandoffBinaryDecoder(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> HandoffError? {
        do {
            _ = try decoder.decode(type, from: bytes)
            Issue.record("decoding \(bytes.count) bytes as \(T.self) succeeded", sourceLocation: sourceLocation)
        } catch let error as HandoffError {
            #expect(error.code == .codingFailed, sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("not a HandoffError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test("dictionaries and sets encode the same bytes whatever their insertion order and capacity")
    func canonicalOrder() throws {
        let pairs = (0..<300).map { ("key-\($0)", $0) }
        var small: [String: Int] = [:]
        for (key, value) in pairs { small[key] = value }
        var large = [String: Int](minimumCapacity: 10_000)
        for (key, value) in pairs.reversed() { large[key] = value }
        // The two iterate differently (else this test would prove nothing) …
        #expect(Array(small.keys) != Array(large.keys))
        // … yet encode the same.
        #expect(try HandoffBinaryEncoder().encode(small) == HandoffBinaryEncoder().encode(large))

        var intKeyed = [Int: String](minimumCapacity: 5_000)
        for index in (0..<200).reversed() { intKeyed[index * 7] = "\(index)" }
        let intKeyedAgain = Dictionary(uniqueKeysWithValues: (0..<200).map { ($0 * 7, "\($0)") })
        #expect(try HandoffBinaryEncoder().encode(intKeyed) == HandoffBinaryEncoder().encode(intKeyedAgain))

        let ids = (0..<100).map { UUID(uuid: (UInt8($0), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)) }
        var uuidKeyed = [UUID: [Int]](minimumCapacity: 4_000)
        for id in ids.reversed() { uuidKeyed[id] = [Int(id.uuid.0)] }
        let uuidKeyedAgain = Dictionary(uniqueKeysWithValues: ids.map { ($0, [Int($0.uuid.0)]) })
        #expect(try HandoffBinaryEncoder().encode(uuidKeyed) == HandoffBinaryEncoder().encode(uuidKeyedAgain))

        var set = Set<String>(minimumCapacity: 4_000)
        for (key, _) in pairs.reversed() { set.insert(key) }
        #expect(try HandoffBinaryEncoder().encode(set) == HandoffBinaryEncoder().encode(Set(pairs.map(\.0))))

        struct Holder: Codable, Equatable { var nested: [String: [String: Set<Int>]] }
        let one = Holder(nested: ["a": ["x": [1, 2, 3]], "b": [:]])
        var other = Holder(nested: [:])
        other.nested.reserveCapacity(1_000)
        other.nested["b"] = [:]
        other.nested["a"] = Dictionary(minimumCapacity: 100)
        other.nested["a"]?["x"] = Set(minimumCapacity: 100)
        other.nested["a"]?["x"]?.formUnion([3, 2, 1])
        #expect(try HandoffBinaryEncoder().encode(one) == HandoffBinaryEncoder().encode(other))
        _ = try binaryRoundTrip(one)

        // A wrapper that forwards its encoding to a dictionary's own is canonicalized too.
        struct Forwarding: Codable, Equatable {
            var storage: [String: Int]
            init(_ storage: [String: Int]) { self.storage = storage }
            init(from decoder: any Decoder) throws { storage = try [String: Int](from: decoder) }
            func encode(to encoder: any Encoder) throws { try storage.encode(to: encoder) }
        }
        #expect(try HandoffBinaryEncoder().encode(Forwarding(small)) == HandoffBinaryEncoder().encode(Forwarding(large)))
        #expect(try HandoffBinaryEncoder().encode(Forwarding(small)) == HandoffBinaryEncoder().encode(small))
        _ = try binaryRoundTrip(Forwarding(small))
    }

    @Test("a struct encodes to the documented bytes, the same every time")
    func goldenBytes() throws {
        struct Small: Codable { var a = 1; var b = "x"; var c: [Int8] = [-1, 0]; var d: Bool? = nil; var e = 300 }
        let expected: [UInt8] = [
            0x01,  // format
            0x0B, 20,  // keyed container, 20 bytes
            1, 0x61, 0x81,  // "a": 1
            1, 0x62, 0x07, 1, 0x78,  // "b": "x"
            1, 0x63, 0x0C, 3, 0x03, 0x00, 0x80,  // "c": [-1, 0]
            1, 0x65, 0x04, 0xAC, 0x02,  // "e": 300 (d is nil: left out)
        ]
        #expect(try HandoffBinaryEncoder().encode(Small()) == expected)
        #expect(try HandoffBinaryEncoder().encode(Small()) == expected)
    }

    @Test("every truncation of a nested value is refused with a typed error")
    func truncations() throws {
        let bytes = try HandoffBinaryEncoder().encode(BinaryCodecTests.catalog)
        for length in 0..<bytes.count {
            refused(BinaryCodecTests.Catalog.self, Array(bytes[..<length]))
        }
        refused(BinaryCodecTests.Catalog.self, bytes + [0])
    }

    @Test("20,000 random mutations of a nested value decode or throw HandoffError, never crash")
    func mutations() throws {
        let decoded = try mutate(BinaryCodecTests.catalog, times: 20_000, seed: 0x4841_4E44_4F46_46)
        // Some mutations (a changed character, a changed number) still decode.
        #expect(decoded > 0)
    }

    @Test("random mutations of enums, dictionaries, Data, Date and URL decode or throw HandoffError")
    func mutationsOfOtherShapes() throws {
        struct Mixed: Codable, Equatable {
            var shapes: [BinaryCodecTests.Shape]
            var byID: [UUID: Int8]
            var byNumber: [Int: [String: Double]]
            var blob: Data
            var when: Date
            var link: URL
        }
        let value = Mixed(
            shapes: [.point, .labeled("x", 1), .nested(.rectangle(width: 1, height: 2))],
            byID: [UUID(): 1, UUID(): -2], byNumber: [1: ["a": 0.5], 20_000: [:]],
            blob: Data([1, 2, 3]), when: Date(timeIntervalSinceReferenceDate: 5), link: URL(string: "https://a.example/b")!)
        _ = try mutate(value, times: 5_000, seed: 42)
    }

    /// Decodes `times` random mutations of the encoding of `value`; returns how many decoded.
    func mutate<T: Codable>(_ value: T, times: Int, seed: UInt64) throws -> Int {
        let original = try HandoffBinaryEncoder().encode(value)
        var random = SplitMix64(state: seed)
        var decoded = 0
        for _ in 0..<times {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch random.next() % 6 {
                case 0: bytes[index] ^= UInt8(1) << (random.next() % 8)
                case 1: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 2: bytes[index] = [0x00, 0x7F, 0x80, 0xFF, 0x0B, 0x0C][Int(random.next() % 6)]
                case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                case 4: if bytes.count > 1 { bytes.remove(at: index) }
                default: bytes.replaceSubrange(index..<min(index + 4, bytes.count), with: [0xFF, 0xFF, 0xFF, 0x0F])
                }
            }
            do {
                _ = try HandoffBinaryDecoder().decode(T.self, from: bytes)
                decoded += 1
            } catch let error as HandoffError {
                #expect(error.code == .codingFailed)
            } catch {
                Issue.record("not a HandoffError: \(error)")
            }
        }
        return decoded
    }

    @Test("forged huge lengths are refused before anything is allocated")
    func forgedLengths() throws {
        let huge = Self.varint(1 << 40)
        refused([Int].self, [0x01, BinaryFormat.unkeyedTag] + huge)
        refused(String.self, [0x01, BinaryFormat.stringTag] + Self.varint(UInt64.max >> 1) + [0x41])
        refused(Data.self, [0x01, BinaryFormat.dataTag] + huge + [1, 2, 3])
        refused([String: Int].self, [0x01, BinaryFormat.keyedTag, 0x04] + Self.varint(1 << 50) + [0x61, 0x81])
        // A nested container claiming more than its parent holds.
        refused([[Int]].self, [0x01, BinaryFormat.unkeyedTag, 4, BinaryFormat.unkeyedTag, 100, 0x81, 0x82])
        // A varint longer than 64 bits.
        refused(UInt64.self, [0x01, BinaryFormat.unsignedTag] + Array(repeating: 0xFF, count: 10) + [0x01])
        refused([Int].self, [0x01, BinaryFormat.unkeyedTag] + Array(repeating: 0x80, count: 11))
    }

    /// A decodable that recurses into every element of an unkeyed container.
    struct Nest: Decodable {
        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            while !container.isAtEnd { _ = try container.decode(Nest.self) }
        }
    }

    /// A decodable that recurses through an optional key.
    final class Chain: Decodable {
        let next: Chain?
    }

    /// `depth` nested containers of `tag`, each holding the next (under key "next" if keyed).
    func bomb(depth: Int, tag: UInt8) -> [UInt8] {
        let entryPrefix: [UInt8] = tag == BinaryFormat.keyedTag ? [4] + Array("next".utf8) : []
        var lengths = [0]
        for _ in 0..<depth - 1 {
            let inner = lengths.last!
            lengths.append(entryPrefix.count + 1 + Self.varint(UInt64(inner)).count + inner)
        }
        var bytes: [UInt8] = [BinaryFormat.version]
        for (level, length) in lengths.reversed().enumerated() {
            if level > 0 { bytes += entryPrefix }
            bytes += [tag] + Self.varint(UInt64(length))
        }
        return bytes
    }

    @Test("10,000 nested containers are refused at maxDepth with a typed error, not a stack overflow")
    func depthBomb() throws {
        let arrays = bomb(depth: 10_000, tag: BinaryFormat.unkeyedTag)
        let error = refused(Nest.self, arrays)
        #expect(error?.reason.contains("deeper than the limit of 128") == true)
        refused(Chain.self, bomb(depth: 10_000, tag: BinaryFormat.keyedTag))
        refused([[[[[[Int]]]]]].self, arrays)
        // Within the limit the same shapes decode.
        _ = try HandoffBinaryDecoder().decode(Nest.self, from: bomb(depth: 100, tag: BinaryFormat.unkeyedTag))
        refused(Nest.self, bomb(depth: 10, tag: BinaryFormat.unkeyedTag), decoder: HandoffBinaryDecoder(maxDepth: 5))
    }

    @Test("an integer that does not fit the requested type is refused, not trapped on")
    func narrowing() throws {
        let encoder = HandoffBinaryEncoder()
        refused(Int8.self, try encoder.encode(Int64(300)))
        refused(Int8.self, try encoder.encode(-129))
        refused(UInt8.self, try encoder.encode(-1))
        refused(UInt.self, try encoder.encode(Int.min))
        refused(Int64.self, try encoder.encode(UInt64.max))
        refused(Int32.self, try encoder.encode(Int.max))
        refused([UInt16].self, try encoder.encode([1, 70_000]))
        struct Wide: Codable { var value: Int64 }
        struct Narrow: Codable { var value: Int16 }
        let error = refused(Narrow.self, try encoder.encode(Wide(value: 40_000)))
        #expect(error?.reason.contains("value") == true)
        #expect(try HandoffBinaryDecoder().decode(Int8.self, from: encoder.encode(Int64(-128))) == -128)
        #expect(try HandoffBinaryDecoder().decode(UInt8.self, from: encoder.encode(Int64(255))) == 255)
    }

    @Test("invalid UTF-8, unknown tags, trailing bytes, a wrong version and an empty document are refused")
    func malformed() throws {
        refused(String.self, [0x01, BinaryFormat.stringTag, 2, 0xC3, 0x28])
        refused(String.self, [0x01, BinaryFormat.stringTag, 3, 0xED, 0xA0, 0x80])  // a surrogate
        refused([String: Int].self, [0x01, BinaryFormat.keyedTag, 3, 1, 0xFF, 0x81])
        refused(Int.self, [0x01, 0x42])
        refused([Int].self, [0x01, BinaryFormat.unkeyedTag, 1, 0x7F])
        refused(Int.self, [0x01, 0x81, 0x81])
        refused(Int.self, [0x02, 0x81])
        refused(Int.self, [])
        refused(Int.self, [0x01])
        refused(Double.self, [0x01, BinaryFormat.doubleTag, 1, 2, 3])
        refused(Bool.self, try HandoffBinaryEncoder().encode("true"))
    }

    @Test("a missing key or a mismatched type names the coding path and the byte offset")
    func errorMessages() throws {
        struct Inner: Codable { var count: Int }
        struct Outer: Codable { var items: [Inner] }
        struct Mismatch: Codable { var count: String }
        struct OuterMismatch: Codable { var items: [Mismatch] }
        struct Missing: Codable { var total: Int }
        struct OuterMissing: Codable { var items: [Missing] }
        let bytes = try HandoffBinaryEncoder().encode(Outer(items: [Inner(count: 1), Inner(count: 2)]))
        let mismatch = try #require(refused(OuterMismatch.self, bytes))
        #expect(mismatch.reason.contains("expected a String but found an integer"))
        #expect(mismatch.reason.contains("items[0].count"))
        #expect(mismatch.reason.contains("at byte"))
        let missing = try #require(refused(OuterMissing.self, bytes))
        #expect(missing.reason.contains("\"total\""))
        #expect(missing.reason.contains("items[0]"))
    }
}
