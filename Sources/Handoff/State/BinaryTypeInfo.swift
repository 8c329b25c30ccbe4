import HandoffSystem
/// What the codec needs to know about a type beyond its `Codable` conformance, looked up once
/// per type: conformance checks cost more than encoding a small value.
struct BinaryTypeInfo {
    /// How many consecutive elements of an unkeyed container make one entry of an unordered
    /// collection the type encodes (see ``UnorderedCollectionCodable``), or 0: its containers
    /// keep their order.
    var canonicalGroup: Int
    var arrayEncoder: (any BinaryArrayEncodable.Type)?
    var arrayDecoder: (any BinaryArrayDecodable.Type)?
    /// The type is the standard library's key of dictionaries encoded as keyed containers
    /// (`[String: V]`, `[Int: V]`, `CodingKeyRepresentable` keys): a container keyed by it
    /// is canonicalized even when a wrapper forwards its `encode(to:)` to the dictionary's.
    var isDictionaryCodingKey: Bool

    init(_ type: any Any.Type) {
        canonicalGroup = (type as? any UnorderedCollectionCodable.Type)?.canonicalGroupSize ?? 0
        arrayEncoder = type as? any BinaryArrayEncodable.Type
        arrayDecoder = type as? any BinaryArrayDecodable.Type
        isDictionaryCodingKey = type is any CodingKey.Type && String(reflecting: type) == "Swift._DictionaryCodingKey"
    }
}

/// A collection whose encoding follows its iteration order, which Swift randomizes per process;
/// the binary encoder sorts the entries of containers such a value creates.
protocol UnorderedCollectionCodable {
    /// How many consecutive elements of an unkeyed container form one entry.
    static var canonicalGroupSize: Int { get }
}

extension Dictionary: UnorderedCollectionCodable {
    static var canonicalGroupSize: Int { 2 }
}

extension Set: UnorderedCollectionCodable {
    static var canonicalGroupSize: Int { 1 }
}
