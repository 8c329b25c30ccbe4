import HandoffSystem
/// What the codec needs to know about a type beyond its `Codable` conformance, looked up once
/// per type: conformance checks cost more than encoding a small value.
struct BinaryTypeInfo {
    /// The way the codec runs: each needs only its own array conformance.
    enum Direction {
        case encoding
        case decoding
    }

    /// How many consecutive elements of an unkeyed container make one entry of an unordered
    /// collection the type encodes (see ``UnorderedCollectionCodable``), or 0: its containers
    /// keep their order.
    var canonicalGroup: Int
    var arrayEncoder: (any BinaryArrayEncodable.Type)?
    var arrayDecoder: (any BinaryArrayDecodable.Type)?

    /// Looks up what `direction` needs, and no more: a conformance a type lacks is the costly
    /// lookup (the runtime scans every conformance record of the process before it caches the
    /// miss), and a process that upgrades encodes its state once, so each first use counts.
    init(_ type: any Any.Type, for direction: Direction) {
        arrayEncoder = nil
        arrayDecoder = nil
        canonicalGroup = 0
        // Each cast only where it succeeds: Array is the one array conformer, Set and Dictionary
        // the unordered ones, and a struct or class of the application's is none of them.
        switch (Shape(type), direction) {
        case (.array, .encoding):
            arrayEncoder = type as? any BinaryArrayEncodable.Type
        case (.array, .decoding):
            arrayDecoder = type as? any BinaryArrayDecodable.Type
        case (.unordered, .encoding):
            // Decoding reads entries in the order they were written: no canonical order to keep.
            canonicalGroup = (type as? any UnorderedCollectionCodable.Type)?.canonicalGroupSize ?? 0
        case (.unordered, .decoding), (.other, _):
            break
        }
    }

    /// Which of the codec's protocols a type may conform to, known from its name. A cast to a
    /// protocol the type lacks scans every conformance record of the process (~40 µs in a
    /// statically linked one) before it caches the miss, and an upgrade's state is mostly types
    /// that lack them; the name, read from the metadata, costs a few microseconds, once per type.
    private enum Shape {
        case array, unordered, other

        init(_ type: any Any.Type) {
            let name = _typeName(type, qualified: true)
            if name.hasPrefix("Swift.Array<") {
                self = .array
            } else if name.hasPrefix("Swift.Dictionary<") || name.hasPrefix("Swift.Set<") {
                self = .unordered
            } else {
                self = .other
            }
        }
    }

    /// Whether `keyType` is the standard library's key of dictionaries encoded as keyed
    /// containers (`[String: V]`, `[Int: V]`, `CodingKeyRepresentable` keys): a container keyed
    /// by it is canonicalized even when a wrapper forwards its `encode(to:)` to the dictionary's.
    ///
    /// The type is internal to the standard library, so it is known by its name; `_typeName`
    /// reads the name from the metadata, where `String(reflecting:)` would first ask the
    /// metatype for half a dozen printing protocols it does not have.
    static func isDictionaryCodingKey(_ keyType: any CodingKey.Type) -> Bool {
        _typeName(keyType, qualified: true) == "Swift._DictionaryCodingKey"
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
