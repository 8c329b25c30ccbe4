import HandoffSystem
/// A single-value container on the fast path: writes into its slot, once.
struct BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    /// Held unmanaged and used as a guaranteed reference: no atomic retain and release per
    /// value. ``HandoffBinaryEncoder/encode(_:)`` keeps the state alive until encoding ends; a
    /// container kept past that must not be used.
    private let unmanagedState: Unmanaged<BinaryEncodingState>

    @inline(__always)
    private func withState<Result>(_ body: (BinaryEncodingState) throws -> Result) rethrows -> Result {
        try unmanagedState._withUnsafeGuaranteedRef(body)
    }

    /// The id of the slot's frame.
    let slot: Int

    init(state: borrowing BinaryEncodingState, slot: Int) {
        unmanagedState = .passUnretained(state)
        self.slot = slot
    }

    var codingPath: [any CodingKey] { withState { $0.codingPath(ofFrame: slot) } }

    mutating func encodeNil() throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeByte(BinaryFormat.nilTag)
        }
    }

    mutating func encode(_ value: Bool) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeBool(value)
        }
    }

    mutating func encode(_ value: String) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeString(value)
        }
    }

    mutating func encode(_ value: Double) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeDouble(value)
        }
    }

    mutating func encode(_ value: Float) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeFloat(value)
        }
    }

    mutating func encode(_ value: Int) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int8) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int16) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int32) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: Int64) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt8) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt16) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt32) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode(_ value: UInt64) throws {
        withState { state in
            state.claimSingleValue(slot)
            state.writeInteger(value)
        }
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try withState { state in
            state.claimSingleValue(slot)
            try state.encodeValue(value, component: BinaryEncodingState.noComponent)
        }
    }
}
