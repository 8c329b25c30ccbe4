import HandoffSystem
/// A keyed container being decoded; see ``BinaryDecodingState/find(_:in:)`` for how keys are
/// matched. `offset` is the container's tag, `content` the bytes of its entries.
///
/// `KeyedDecodingContainer` copies its container for every call, so this one is plain data that
/// holds the state unmanaged and uses it as a guaranteed reference: no atomic retain and release
/// per decoded field. The state outlives it: ``HandoffBinaryDecoder/decode(_:from:)`` holds the
/// state until the top-level `init(from:)` returns, and the decoder a container comes from holds
/// it for as long as that `init(from:)` runs. A container kept past `decode(_:from:)` must not be
/// used.
struct BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    private let unmanagedState: Unmanaged<BinaryDecodingState>
    let offset: Int
    let content: Range<Int>

    init(state: borrowing BinaryDecodingState, offset: Int, content: Range<Int>) {
        unmanagedState = .passUnretained(state)
        self.offset = offset
        self.content = content
    }

    @inline(__always)
    private func withState<Result>(_ body: (BinaryDecodingState) throws -> Result) rethrows -> Result {
        try unmanagedState._withUnsafeGuaranteedRef(body)
    }

    var codingPath: [any CodingKey] { withState { $0.codingPath(to: offset) } }

    /// The keys in stored order; keys that `Key` does not know are left out. If the entries are
    /// malformed, the keys before the fault, and decoding fails when the value is complete.
    var allKeys: [Key] {
        var keys: [Key] = []
        withState { state in
            do {
                try state.forEachKey(in: content) { string, _ in
                    if let key = Key(stringValue: string) { keys.append(key) }
                }
            } catch {
                if state.deferredError == nil { state.deferredError = error as? HandoffError }
            }
        }
        return keys
    }

    func contains(_ key: Key) -> Bool {
        withState { state in (try? state.find(key.stringValue, in: content)) != nil }
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try withState { state in state.decodeNil(at: try state.require(key.stringValue, in: content)) }
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeBool(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeString(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeDouble(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeFloat(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(Int.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(Int8.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(Int16.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(Int32.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(Int64.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(UInt.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(UInt8.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(UInt16.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(UInt32.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            var next = value
            let result = try state.decodeInteger(UInt64.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            let end = try state.valueEnd(at: value, end: content.upperBound)
            state.settle(content, next: end)
            return try state.decodeValue(type, at: value, end: end)
        }
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeBool(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeString(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeDouble(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeFloat(at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(Int.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(Int8.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(Int16.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(Int32.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(Int64.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(UInt.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(UInt8.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(UInt16.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(UInt32.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            var next = value
            let result = try state.decodeInteger(UInt64.self, at: value, limit: content.upperBound, next: &next)
            state.settle(content, next: next)
            return result
        }
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try withState { state in
            guard let value = try state.present(key.stringValue, in: content) else { return nil }
            let end = try state.valueEnd(at: value, end: content.upperBound)
            state.settle(content, next: end)
            return try state.decodeValue(type, at: value, end: end)
        }
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            let nested = try state.containerContent(at: value, end: content.upperBound, tag: BinaryFormat.keyedTag)
            state.settle(content, next: nested.upperBound)
            return KeyedDecodingContainer(BinaryKeyedDecodingContainer<NestedKey>(state: state, offset: value, content: nested))
        }
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try withState { state in
            let value = try state.require(key.stringValue, in: content)
            let nested = try state.containerContent(at: value, end: content.upperBound, tag: BinaryFormat.unkeyedTag)
            state.settle(content, next: nested.upperBound)
            return BinaryUnkeyedDecodingContainer(state: state, offset: value, cursor: nested.lowerBound, end: nested.upperBound)
        }
    }

    /// A decoder for the entry `"super"`; if there is none, one that reads as nil (as
    /// Foundation's decoders do).
    func superDecoder() throws -> any Decoder {
        try superDecoder(named: BinaryCodingKey.superKey.stringValue)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try superDecoder(named: key.stringValue)
    }

    private func superDecoder(named key: String) throws -> any Decoder {
        try withState { state in
            guard let value = try state.find(key, in: content) else { return BinaryValueDecoder(state: state, offset: -1, end: -1) }
            let end = try state.valueEnd(at: value, end: content.upperBound)
            state.settle(content, next: end)
            return BinaryValueDecoder(state: state, offset: value, end: end)
        }
    }
}
