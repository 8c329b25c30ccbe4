import HandoffSystem
/// A keyed container on the fast path: entries go straight into the shared buffer as a key (its
/// UTF-8 with a varint length) followed by a value.
struct BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    /// Held unmanaged and used as a guaranteed reference: no atomic retain and release per
    /// value. ``HandoffBinaryEncoder/encode(_:)`` keeps the state alive until encoding ends; a
    /// container kept past that must not be used.
    private let unmanagedState: Unmanaged<BinaryEncodingState>

    @inline(__always)
    private func withState<Result>(_ body: (BinaryEncodingState) throws -> Result) rethrows -> Result {
        try unmanagedState._withUnsafeGuaranteedRef(body)
    }

    /// The id of this container's frame.
    let id: Int

    init(state: borrowing BinaryEncodingState, id: Int) {
        unmanagedState = .passUnretained(state)
        self.id = id
    }

    var codingPath: [any CodingKey] { withState { $0.codingPath(ofFrame: id) } }

    /// Makes this container current and writes `key`; returns the key's offset.
    @inline(__always)
    private func begin(_ key: Key, in state: BinaryEncodingState) -> Int {
        state.prepare(id)
        state.beginEntry()
        return state.writeKey(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeByte(BinaryFormat.nilTag)
        }
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeBool(value)
        }
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeString(value)
        }
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeDouble(value)
        }
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeFloat(value)
        }
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int8, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int16, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int32, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        withState { state in
            _ = begin(key, in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try withState { state in
            let component = begin(key, in: state)
            try state.encodeValue(value, component: component)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        withState { state in
            let component = begin(key, in: state)
            return KeyedEncodingContainer(BinaryKeyedEncodingContainer<NestedKey>(
                state: state, id: state.pushContainer(.keyed, component: component)))
        }
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        withState { state in
            let component = begin(key, in: state)
            return BinaryUnkeyedEncodingContainer(state: state, id: state.pushContainer(.unkeyed, component: component))
        }
    }

    /// A slot for the entry `"super"`; it is closed (as an empty container if nothing was
    /// written into it) when this container is next written to or closed.
    mutating func superEncoder() -> any Encoder {
        withState { state in
            state.prepare(id)
            state.beginEntry()
            let component = state.writeKey(BinaryCodingKey.superKey.stringValue)
            return BinaryValueEncoder(state: state, slot: state.push(.slot, start: state.count, owner: nil, component: component))
        }
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        withState { state in
            let component = begin(key, in: state)
            return BinaryValueEncoder(state: state, slot: state.push(.slot, start: state.count, owner: nil, component: component))
        }
    }
}
