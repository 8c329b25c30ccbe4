import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// Encodes and decodes `value`, expecting it back unchanged.
func binaryRoundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    let bytes = try HandoffBinaryEncoder().encode(value)
    let decoded = try HandoffBinaryDecoder().decode(T.self, from: bytes)
    #expect(decoded == value, sourceLocation: sourceLocation)
    return bytes
}

@Suite("Binary codec round trips", .offCooperativePool(background: true))
struct BinaryCodecTests {
    struct Integers: Codable, Equatable {
        var int: Int, int8: Int8, int16: Int16, int32: Int32, int64: Int64
        var uint: UInt, uint8: UInt8, uint16: UInt16, uint32: UInt32, uint64: UInt64
    }

    @Test("every integer width round-trips at its extremes and around the one-byte boundary")
    func integers() throws {
        let low = Integers(int: .min, int8: .min, int16: .min, int32: .min, int64: .min,
                           uint: .min, uint8: .min, uint16: .min, uint32: .min, uint64: .min)
        let high = Integers(int: .max, int8: .max, int16: .max, int32: .max, int64: .max,
                            uint: .max, uint8: .max, uint16: .max, uint32: .max, uint64: .max)
        let edge = Integers(int: 127, int8: -1, int16: 128, int32: -128, int64: -129,
                            uint: 127, uint8: 128, uint16: 255, uint32: 16_384, uint64: 1 << 63)
        _ = try binaryRoundTrip(low)
        _ = try binaryRoundTrip(high)
        _ = try binaryRoundTrip(edge)
        for value in [0, 1, 127, 128, 16_383, 16_384, -1, -128, -129, Int.min, Int.max] {
            _ = try binaryRoundTrip(value)
            _ = try binaryRoundTrip([value, value])
        }
        // Small integers are one byte whatever their type.
        #expect(try HandoffBinaryEncoder().encode(UInt64(5)) == [BinaryFormat.version, 0x85])
        #expect(try HandoffBinaryEncoder().encode(Int8(5)) == [BinaryFormat.version, 0x85])
        #expect(try HandoffBinaryEncoder().encode(-1) == [BinaryFormat.version, BinaryFormat.negativeTag, 0x00])
    }

    @Test("Float and Double keep their exact bits: NaN payloads, -0.0, infinities, subnormals")
    func floatingPoint() throws {
        let doubles: [Double] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                                 .pi, Double(nan: 0x1234, signaling: false), Double(nan: 7, signaling: true), -.nan]
        let floats: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, Float(nan: 0x55, signaling: false)]
        for value in doubles {
            let decoded = try HandoffBinaryDecoder().decode(Double.self, from: HandoffBinaryEncoder().encode(value))
            #expect(decoded.bitPattern == value.bitPattern)
        }
        for value in floats {
            let decoded = try HandoffBinaryDecoder().decode(Float.self, from: HandoffBinaryEncoder().encode(value))
            #expect(decoded.bitPattern == value.bitPattern)
        }
        let decoded = try HandoffBinaryDecoder().decode([Double].self, from: HandoffBinaryEncoder().encode(doubles))
        #expect(decoded.map(\.bitPattern) == doubles.map(\.bitPattern))
        // A stored Float widens to a Double exactly.
        #expect(try HandoffBinaryDecoder().decode(Double.self, from: HandoffBinaryEncoder().encode(Float(1.5))) == 1.5)
    }

    @Test("strings and bools round-trip, including empty, non-ASCII and long strings")
    func stringsAndBools() throws {
        for string in ["", "a", "héllo wörld", "日本語テキスト", "emoji 🎉👩‍👩‍👧", String(repeating: "x", count: 70_000)] {
            _ = try binaryRoundTrip(string)
            _ = try binaryRoundTrip([string: string])
        }
        _ = try binaryRoundTrip(true)
        _ = try binaryRoundTrip([true, false, true])
    }

    struct Item: Codable, Equatable, Hashable, Sendable {
        var name: String
        var tags: [String]
        var score: Double?
        var children: [Item]
    }

    struct Catalog: Codable, Equatable, Sendable {
        var title: String
        var items: [Item]
        var matrix: [[Int]]
        var optionalInts: [Int?]
        var note: String?
        var missing: Int?
        var flags: Set<String>
    }

    static let catalog = Catalog(
        title: "catalog",
        items: [
            Item(name: "a", tags: ["x", "y"], score: 1.5, children: [Item(name: "a1", tags: [], score: nil, children: [])]),
            Item(name: "b", tags: [], score: nil, children: []),
        ],
        matrix: [[1, 2], [], [3, -4, 500]],
        optionalInts: [1, nil, 3],
        note: "present",
        missing: nil,
        flags: ["one", "two", "three"])

    @Test("nested arrays of structs, optionals present and absent, nested arrays and sets round-trip")
    func nestedStructures() throws {
        _ = try binaryRoundTrip(Self.catalog)
        _ = try binaryRoundTrip([Self.catalog, Self.catalog])
        _ = try binaryRoundTrip([Item]())
        _ = try binaryRoundTrip([[Item]]([[], Self.catalog.items]))
    }

    indirect enum Shape: Codable, Equatable {
        case point
        case circle(radius: Double)
        case rectangle(width: Double, height: Double)
        case labeled(String, Int)
        case nested(Shape?)
    }

    @Test("enums with associated values round-trip through their synthesized conformance")
    func enums() throws {
        let shapes: [Shape] = [.point, .circle(radius: 2), .rectangle(width: 3, height: 4), .labeled("l", -7),
                               .nested(.circle(radius: 1)), .nested(nil)]
        _ = try binaryRoundTrip(shapes)
        for shape in shapes { _ = try binaryRoundTrip(shape) }
    }

    struct Foundations: Codable, Equatable {
        var data: Data
        var date: Date
        var url: URL
        var dates: [Date]
        var urls: [String: URL]
    }

    @Test("Data, Date and URL round-trip exactly and compactly")
    func foundationTypes() throws {
        let value = Foundations(
            data: Data([0, 1, 2, 255]),
            date: Date(timeIntervalSinceReferenceDate: 123_456.789_012_345),
            url: URL(string: "https://example.com/a/b?c=d#e")!,
            dates: [Date(timeIntervalSince1970: 0), Date(timeIntervalSinceReferenceDate: -1e-9)],
            urls: ["relative": URL(string: "path/to/file")!, "file": URL(fileURLWithPath: "/tmp/x y")])
        _ = try binaryRoundTrip(value)
        // Data is its raw bytes; a Date is the eight bytes of its interval's bit pattern.
        #expect(try HandoffBinaryEncoder().encode(Data([9, 8, 7])) == [BinaryFormat.version, BinaryFormat.dataTag, 3, 9, 8, 7])
        let date = Date(timeIntervalSinceReferenceDate: 0.1)
        let dateBytes = try HandoffBinaryEncoder().encode(date)
        #expect(dateBytes.count == 10 && dateBytes[1] == BinaryFormat.dateTag)
        #expect(try HandoffBinaryDecoder().decode(Date.self, from: dateBytes).timeIntervalSinceReferenceDate.bitPattern == 0.1.bitPattern)
        _ = try binaryRoundTrip(Data())
        _ = try binaryRoundTrip(Data(count: 100_000))
    }

    @Test("dictionaries with String, Int, UUID and enum keys round-trip")
    func dictionaries() throws {
        _ = try binaryRoundTrip(["a": 1, "b": 2, "": 3])
        _ = try binaryRoundTrip([1: "one", -2: "minus two", 300: "three hundred"])
        let ids = (0..<20).map { _ in UUID() }
        _ = try binaryRoundTrip(Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Self.catalog.items[$0 % 2]) }))
        _ = try binaryRoundTrip(["outer": ["inner": [1, 2]], "empty": [:]])
        _ = try binaryRoundTrip([Int8(1): [UInt64.max]])
        _ = try binaryRoundTrip([Double(1.5): "x", -0.0: "y"])
        _ = try binaryRoundTrip([String: Int]())
    }

    /// Uses nested keyed and unkeyed containers by hand.
    struct Manual: Codable, Equatable {
        var id: Int
        var point: (x: Double, y: Double)
        var values: [String]

        enum Keys: String, CodingKey { case id, point, values }
        enum PointKeys: String, CodingKey { case x, y }

        init(id: Int, point: (x: Double, y: Double), values: [String]) {
            self.id = id
            self.point = point
            self.values = values
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(id, forKey: .id)
            var point = container.nestedContainer(keyedBy: PointKeys.self, forKey: .point)
            try point.encode(self.point.x, forKey: .x)
            try point.encode(self.point.y, forKey: .y)
            var values = container.nestedUnkeyedContainer(forKey: .values)
            for value in self.values {
                var pair = values.nestedUnkeyedContainer()
                try pair.encode(value)
                try pair.encode(value.count)
            }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            // Out of declaration order on purpose.
            var values = try container.nestedUnkeyedContainer(forKey: .values)
            #expect(values.count == 2)
            var decoded: [String] = []
            while !values.isAtEnd {
                var pair = try values.nestedUnkeyedContainer()
                let value = try pair.decode(String.self)
                #expect(try pair.decode(Int.self) == value.count)
                #expect(pair.isAtEnd)
                decoded.append(value)
            }
            self.values = decoded
            let point = try container.nestedContainer(keyedBy: PointKeys.self, forKey: .point)
            self.point = (try point.decode(Double.self, forKey: .x), try point.decode(Double.self, forKey: .y))
            id = try container.decode(Int.self, forKey: .id)
            #expect(container.allKeys.map(\.stringValue) == ["id", "point", "values"])
            #expect(container.contains(.point))
        }

        static func == (left: Self, right: Self) -> Bool {
            left.id == right.id && left.point == right.point && left.values == right.values
        }
    }

    @Test("nestedContainer and nestedUnkeyedContainer round-trip, read in any order")
    func nestedContainers() throws {
        _ = try binaryRoundTrip(Manual(id: 7, point: (1.5, -2), values: ["ab", "cde"]))
    }

    @Test("a value encoded by a newer type decodes into an older one that knows fewer keys, and back")
    func evolution() throws {
        struct New: Codable { var a: Int; var added: [String]; var b: String; var more: Double }
        struct Old: Codable, Equatable { var b: String; var a: Int; var absent: Int? }
        let old = try HandoffBinaryDecoder().decode(Old.self, from: HandoffBinaryEncoder().encode(New(a: 1, added: ["x"], b: "two", more: 3)))
        #expect(old == Old(b: "two", a: 1, absent: nil))
    }

    @Test("a large keyed container read in reverse order finds every key")
    func largeContainerOutOfOrder() throws {
        struct Reversed: Decodable {
            var values: [String: Int] = [:]
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: BinaryCodingKey.self)
                for index in (0..<300).reversed() {
                    values["key\(index)"] = try container.decode(Int.self, forKey: BinaryCodingKey(stringValue: "key\(index)"))
                }
                #expect(!container.contains(BinaryCodingKey(stringValue: "absent")))
            }
        }
        let dictionary = Dictionary(uniqueKeysWithValues: (0..<300).map { ("key\($0)", $0 * 3) })
        let decoded = try HandoffBinaryDecoder().decode(Reversed.self, from: HandoffBinaryEncoder().encode(dictionary))
        #expect(decoded.values == dictionary)
    }

    @Test("top-level primitives, optionals and empty containers round-trip")
    func topLevel() throws {
        _ = try binaryRoundTrip(Int?.none)
        _ = try binaryRoundTrip(Int?.some(4))
        _ = try binaryRoundTrip([Int?]([nil, nil]))
        _ = try binaryRoundTrip([String]())
        _ = try binaryRoundTrip(UInt8(200))
        _ = try binaryRoundTrip("top")
        _ = try binaryRoundTrip([[String: [Int]]]([["a": []], [:]]))
    }
}
