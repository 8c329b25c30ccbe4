import HandoffSystem
/// An unkeyed container on the fast path: values go straight into the shared buffer.
struct BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
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
    var count: Int { withState { $0.elementCount(ofFrame: id) } }

    /// Makes this container current and counts the element; returns its coding-path component.
    @inline(__always)
    private func begin(in state: BinaryEncodingState) -> Int {
        state.prepare(id)
        let index = state.countElement()
        state.beginEntry()
        return -(index &+ 1)
    }

    mutating func encodeNil() throws {
        withState { state in
            _ = begin(in: state)
            state.writeByte(BinaryFormat.nilTag)
        }
    }

    mutating func encode(_ value: Bool) throws {
        withState { state in
            _ = begin(in: state)
            state.writeBool(value)
        }
    }

    mutating func encode(_ value: String) throws {
        withState { state in
            _ = begin(in: state)
            state.writeString(value)
        }
    }

    mutating func encode(_ value: Double) throws {
        withState { state in
            _ = begin(in: state)
            state.writeDouble(value)
        }
    }

    mutating func encode(_ value: Float) throws {
        withState { state in
            _ = begin(in: state)
            state.writeFloat(value)
        }
    }

    mutating func encode(_ value: Int) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int8) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int16) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int32) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int64) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt8) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt16) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt32) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt64) throws {
        withState { state in
            _ = begin(in: state)
            state.writeInteger(value)
        }
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try withState { state in
            let component = begin(in: state)
            try state.encodeValue(value, component: component)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        withState { state in
            let component = begin(in: state)
            return KeyedEncodingContainer(BinaryKeyedEncodingContainer<NestedKey>(
                state: state, id: state.pushContainer(.keyed, component: component)))
        }
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        withState { state in
            let component = begin(in: state)
            return BinaryUnkeyedEncodingContainer(state: state, id: state.pushContainer(.unkeyed, component: component))
        }
    }

    mutating func superEncoder() -> any Encoder {
        withState { state in
            let component = begin(in: state)
            return BinaryValueEncoder(state: state, slot: state.push(.slot, start: state.count, owner: nil, component: component))
        }
    }
}
