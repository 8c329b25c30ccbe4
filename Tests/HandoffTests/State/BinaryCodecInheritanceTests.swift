import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

@Suite("Binary codec: class hierarchies, super encoders and containers used out of order", .offCooperativePool(background: true))
struct BinaryCodecInheritanceTests {
    class Animal: Codable, Equatable {
        var name: String
        var legs: Int

        init(name: String, legs: Int) {
            self.name = name
            self.legs = legs
        }

        static func == (left: Animal, right: Animal) -> Bool { left.isEqual(to: right) }
        func isEqual(to other: Animal) -> Bool { type(of: self) == type(of: other) && name == other.name && legs == other.legs }
    }

    /// Puts its superclass under `superEncoder()`.
    final class Dog: Animal {
        var breed: String

        init(name: String, breed: String) {
            self.breed = breed
            super.init(name: name, legs: 4)
        }

        enum Keys: CodingKey { case breed }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(breed, forKey: .breed)
            try super.encode(to: container.superEncoder())
        }

        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            breed = try container.decode(String.self, forKey: .breed)
            try super.init(from: container.superDecoder())
        }

        override func isEqual(to other: Animal) -> Bool { super.isEqual(to: other) && breed == (other as? Dog)?.breed }
    }

    /// Puts its superclass under a key of its own.
    final class Bird: Animal {
        var wingspan: Double

        init(name: String, wingspan: Double) {
            self.wingspan = wingspan
            super.init(name: name, legs: 2)
        }

        enum Keys: CodingKey { case wingspan, parent }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try super.encode(to: container.superEncoder(forKey: .parent))
            try container.encode(wingspan, forKey: .wingspan)
        }

        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            wingspan = try container.decode(Double.self, forKey: .wingspan)
            try super.init(from: container.superDecoder(forKey: .parent))
        }

        override func isEqual(to other: Animal) -> Bool { super.isEqual(to: other) && wingspan == (other as? Bird)?.wingspan }
    }

    /// Shares its encoder with its superclass: both write into one keyed container.
    final class Cat: Animal {
        var lives: Int

        init(name: String, lives: Int) {
            self.lives = lives
            super.init(name: name, legs: 4)
        }

        enum Keys: CodingKey { case lives }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(lives, forKey: .lives)
            try super.encode(to: encoder)
        }

        required init(from decoder: any Decoder) throws {
            lives = try decoder.container(keyedBy: Keys.self).decode(Int.self, forKey: .lives)
            try super.init(from: decoder)
        }

        override func isEqual(to other: Animal) -> Bool { super.isEqual(to: other) && lives == (other as? Cat)?.lives }
    }

    @Test("subclasses round-trip through superEncoder(), superEncoder(forKey:) and a shared encoder")
    func hierarchies() throws {
        let dog = Dog(name: "rex", breed: "collie")
        let bird = Bird(name: "tweety", wingspan: 0.2)
        let cat = Cat(name: "tom", lives: 9)
        #expect(try HandoffBinaryDecoder().decode(Dog.self, from: HandoffBinaryEncoder().encode(dog)) == dog)
        #expect(try HandoffBinaryDecoder().decode(Bird.self, from: HandoffBinaryEncoder().encode(bird)) == bird)
        #expect(try HandoffBinaryDecoder().decode(Cat.self, from: HandoffBinaryEncoder().encode(cat)) == cat)
        #expect(try HandoffBinaryDecoder().decode([Dog].self, from: HandoffBinaryEncoder().encode([dog, dog])) == [dog, dog])
    }

    /// Takes a super encoder, writes its own fields, and only then fills the super encoder;
    /// writes into a nested container after a sibling was opened.
    struct OutOfOrder: Codable, Equatable {
        var first: Int
        var second: String
        var inner: [Int]
        var base: [String]

        enum Keys: CodingKey { case first, second, inner, other }

        init(first: Int, second: String, inner: [Int], base: [String]) {
            self.first = first
            self.second = second
            self.inner = inner
            self.base = base
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            let superEncoder = container.superEncoder()
            var inner = container.nestedUnkeyedContainer(forKey: .inner)
            var other = container.nestedContainer(keyedBy: Keys.self, forKey: .other)
            try container.encode(first, forKey: .first)
            try inner.encode(contentsOf: self.inner)  // after the parent moved on
            try other.encode(second, forKey: .second)
            var base = superEncoder.unkeyedContainer()
            try base.encode(contentsOf: self.base)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            first = try container.decode(Int.self, forKey: .first)
            second = try container.nestedContainer(keyedBy: Keys.self, forKey: .other).decode(String.self, forKey: .second)
            inner = try container.decode([Int].self, forKey: .inner)
            base = try [String](from: container.superDecoder())
        }
    }

    @Test("containers used out of nesting order round-trip, deterministically")
    func outOfOrder() throws {
        let value = OutOfOrder(first: 1, second: "two", inner: [3, 4], base: ["five"])
        let bytes = try binaryRoundTrip(value)
        #expect(try HandoffBinaryEncoder().encode(value) == bytes)
        _ = try binaryRoundTrip([value, value])
        // The in-place encoder noticed, and the tree encoder took over.
        #expect(fastPathGivesUp(value))
        #expect(!fastPathGivesUp(BinaryCodecTests.catalog))
        #expect(!fastPathGivesUp(Cat(name: "c", lives: 1)))
    }

    @Test("the tree encoder writes the same bytes as the in-place encoder")
    func treeMatchesFastPath() throws {
        let dog = Dog(name: "rex", breed: "collie")
        #expect(try BinaryTreeEncoder.encode(BinaryCodecTests.catalog) == HandoffBinaryEncoder().encode(BinaryCodecTests.catalog))
        #expect(try BinaryTreeEncoder.encode([dog]) == HandoffBinaryEncoder().encode([dog]))
        let dictionary = Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", [$0: UUID().uuidString]) })
        #expect(try BinaryTreeEncoder.encode(dictionary) == HandoffBinaryEncoder().encode(dictionary))
        let large = (0..<2_000).map { "value \($0)" }
        #expect(try BinaryTreeEncoder.encode(["large": large]) == HandoffBinaryEncoder().encode(["large": large]))
    }

    /// Whether encoding `value` in place finds containers used out of order.
    func fastPathGivesUp<T: Encodable>(_ value: T) -> Bool {
        let state = BinaryEncodingState()
        state.writeByte(BinaryFormat.version)
        try? state.encodeValue(value, component: BinaryEncodingState.noComponent)
        return state.violated
    }

    @Test("a super encoder nothing is written into decodes as an empty container")
    func emptySuperEncoder() throws {
        struct Lazy: Encodable {
            enum Keys: CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                _ = container.superEncoder()
                try container.encode(1, forKey: .a)
            }
        }
        struct Reader: Decodable {
            var superKeys: Int
            enum Keys: CodingKey { case a }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                superKeys = try container.superDecoder().container(keyedBy: BinaryCodingKey.self).allKeys.count
                #expect(try container.decode(Int.self, forKey: .a) == 1)
            }
        }
        #expect(try HandoffBinaryDecoder().decode(Reader.self, from: HandoffBinaryEncoder().encode(Lazy())).superKeys == 0)
    }

    @Test("two values in one single-value container are refused with a typed error")
    func misuse() throws {
        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                try container.encode(2)
            }
        }
        let error = try #require(throws: HandoffError.self) { try HandoffBinaryEncoder().encode([Twice()]) }
        #expect(error.code == .codingFailed)
    }

    @Test("an error thrown by a value's encode(to:) becomes a codingFailed error naming the path")
    func encodeErrors() throws {
        struct Failing: Encodable {
            struct Boom: Error {}
            func encode(to encoder: any Encoder) throws { throw Boom() }
        }
        struct Holder: Encodable { var list: [Int: [Failing]] }
        let error = try #require(throws: HandoffError.self) {
            try HandoffBinaryEncoder().encode(Holder(list: [5: [Failing()]]))
        }
        #expect(error.code == .codingFailed)
        #expect(error.reason.contains("list"))
    }

    @Test("codingPath is reported to encode(to:) and init(from:)")
    func codingPaths() throws {
        struct Probe: Codable, Equatable {
            init() {}
            func encode(to encoder: any Encoder) throws {
                #expect(encoder.codingPath.count == 2)
                #expect(encoder.codingPath.first?.stringValue == "outer")
                #expect(encoder.codingPath.last?.intValue != nil)
                var container = encoder.singleValueContainer()
                try container.encode(1)
            }
            init(from decoder: any Decoder) throws {
                #expect(decoder.codingPath.count == 2)
                #expect(decoder.codingPath.first?.stringValue == "outer")
                #expect(decoder.codingPath.last?.intValue != nil)
                _ = try decoder.singleValueContainer().decode(Int.self)
            }
        }
        struct Holder: Codable, Equatable { var outer: [Probe] }
        _ = try binaryRoundTrip(Holder(outer: [Probe(), Probe()]))
        let bytes = try HandoffBinaryEncoder().encode(["outer": [1, 1]])
        _ = try HandoffBinaryDecoder().decode([String: [Probe]].self, from: bytes)
    }
}
