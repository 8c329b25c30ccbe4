// The codec benchmark's floor: an Encoder and a Decoder that do nothing but take the calls a
// `Codable` type makes (every primitive overload, so the calls are those our codec gets), so our
// codec's cost can be printed as a multiple of the cost of walking the value at all.

/// Takes every value and keeps none.
struct NullEncoder: Encoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(NullKeyedEncoding<Key>())
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { NullUnkeyedEncoding() }
    func singleValueContainer() -> any SingleValueEncodingContainer { NullSingleEncoding() }

    /// Walks `value` through its `encode(to:)`.
    func encode<T: Encodable>(_ value: T) throws { try value.encode(to: self) }
}

struct NullKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil(forKey key: Key) throws {}
    mutating func encode(_ value: Bool, forKey key: Key) throws {}
    mutating func encode(_ value: String, forKey key: Key) throws {}
    mutating func encode(_ value: Double, forKey key: Key) throws {}
    mutating func encode(_ value: Float, forKey key: Key) throws {}
    mutating func encode(_ value: Int, forKey key: Key) throws {}
    mutating func encode(_ value: Int8, forKey key: Key) throws {}
    mutating func encode(_ value: Int16, forKey key: Key) throws {}
    mutating func encode(_ value: Int32, forKey key: Key) throws {}
    mutating func encode(_ value: Int64, forKey key: Key) throws {}
    mutating func encode(_ value: UInt, forKey key: Key) throws {}
    mutating func encode(_ value: UInt8, forKey key: Key) throws {}
    mutating func encode(_ value: UInt16, forKey key: Key) throws {}
    mutating func encode(_ value: UInt32, forKey key: Key) throws {}
    mutating func encode(_ value: UInt64, forKey key: Key) throws {}
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try value.encode(to: NullEncoder()) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(NullKeyedEncoding<NestedKey>())
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { NullUnkeyedEncoding() }
    mutating func superEncoder() -> any Encoder { NullEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { NullEncoder() }
}

struct NullUnkeyedEncoding: UnkeyedEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count = 0
    mutating func encodeNil() throws { count += 1 }
    mutating func encode(_ value: Bool) throws { count += 1 }
    mutating func encode(_ value: String) throws { count += 1 }
    mutating func encode(_ value: Double) throws { count += 1 }
    mutating func encode(_ value: Float) throws { count += 1 }
    mutating func encode(_ value: Int) throws { count += 1 }
    mutating func encode(_ value: Int8) throws { count += 1 }
    mutating func encode(_ value: Int16) throws { count += 1 }
    mutating func encode(_ value: Int32) throws { count += 1 }
    mutating func encode(_ value: Int64) throws { count += 1 }
    mutating func encode(_ value: UInt) throws { count += 1 }
    mutating func encode(_ value: UInt8) throws { count += 1 }
    mutating func encode(_ value: UInt16) throws { count += 1 }
    mutating func encode(_ value: UInt32) throws { count += 1 }
    mutating func encode(_ value: UInt64) throws { count += 1 }
    mutating func encode<T: Encodable>(_ value: T) throws {
        count += 1
        try value.encode(to: NullEncoder())
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(NullKeyedEncoding<NestedKey>())
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { NullUnkeyedEncoding() }
    mutating func superEncoder() -> any Encoder { NullEncoder() }
}

struct NullSingleEncoding: SingleValueEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil() throws {}
    mutating func encode(_ value: Bool) throws {}
    mutating func encode(_ value: String) throws {}
    mutating func encode(_ value: Double) throws {}
    mutating func encode(_ value: Float) throws {}
    mutating func encode(_ value: Int) throws {}
    mutating func encode(_ value: Int8) throws {}
    mutating func encode(_ value: Int16) throws {}
    mutating func encode(_ value: Int32) throws {}
    mutating func encode(_ value: Int64) throws {}
    mutating func encode(_ value: UInt) throws {}
    mutating func encode(_ value: UInt8) throws {}
    mutating func encode(_ value: UInt16) throws {}
    mutating func encode(_ value: UInt32) throws {}
    mutating func encode(_ value: UInt64) throws {}
    mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: NullEncoder()) }
}

/// Reads nothing: every value is zero or empty; an unkeyed container at the top has `count`
/// elements, deeper ones `nestedCount` (the benchmark's records carry arrays of 4).
struct NullDecoder: Decoder {
    var count: Int
    var nestedCount: Int
    var depth = 0
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var nested: NullDecoder { NullDecoder(count: count, nestedCount: nestedCount, depth: depth + 1) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(NullKeyedDecoding<Key>(decoder: nested))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        NullUnkeyedDecoding(decoder: nested, count: depth == 0 ? count : nestedCount)
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { NullSingleDecoding(decoder: nested) }

    /// Builds a `T` through its `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}

struct NullKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NullDecoder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { false }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { "" }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { 0 }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { 0 }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { 0 }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { 0 }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { 0 }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { 0 }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { 0 }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { 0 }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { 0 }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { 0 }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { 0 }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { 0 }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: decoder) }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(NullKeyedDecoding<NestedKey>(decoder: decoder.nested))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        NullUnkeyedDecoding(decoder: decoder.nested, count: decoder.nestedCount)
    }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
}

struct NullUnkeyedDecoding: UnkeyedDecodingContainer {
    let decoder: NullDecoder
    var count: Int?
    var codingPath: [any CodingKey] { [] }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex >= count! }

    init(decoder: NullDecoder, count: Int) {
        self.decoder = decoder
        self.count = count
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode(_ type: Bool.Type) throws -> Bool { currentIndex += 1; return false }
    mutating func decode(_ type: String.Type) throws -> String { currentIndex += 1; return "" }
    mutating func decode(_ type: Double.Type) throws -> Double { currentIndex += 1; return 0 }
    mutating func decode(_ type: Float.Type) throws -> Float { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int.Type) throws -> Int { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt.Type) throws -> UInt { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { currentIndex += 1; return 0 }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        currentIndex += 1
        return try T(from: decoder)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        return KeyedDecodingContainer(NullKeyedDecoding<NestedKey>(decoder: decoder.nested))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        return NullUnkeyedDecoding(decoder: decoder.nested, count: decoder.nestedCount)
    }
    mutating func superDecoder() throws -> any Decoder { decoder }
}

struct NullSingleDecoding: SingleValueDecodingContainer {
    let decoder: NullDecoder
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { false }
    func decode(_ type: String.Type) throws -> String { "" }
    func decode(_ type: Double.Type) throws -> Double { 0 }
    func decode(_ type: Float.Type) throws -> Float { 0 }
    func decode(_ type: Int.Type) throws -> Int { 0 }
    func decode(_ type: Int8.Type) throws -> Int8 { 0 }
    func decode(_ type: Int16.Type) throws -> Int16 { 0 }
    func decode(_ type: Int32.Type) throws -> Int32 { 0 }
    func decode(_ type: Int64.Type) throws -> Int64 { 0 }
    func decode(_ type: UInt.Type) throws -> UInt { 0 }
    func decode(_ type: UInt8.Type) throws -> UInt8 { 0 }
    func decode(_ type: UInt16.Type) throws -> UInt16 { 0 }
    func decode(_ type: UInt32.Type) throws -> UInt32 { 0 }
    func decode(_ type: UInt64.Type) throws -> UInt64 { 0 }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: decoder) }
}
