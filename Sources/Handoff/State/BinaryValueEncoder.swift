import HandoffSystem
/// The `Encoder` a value's `encode(to:)` receives on the fast path: a slot in the shared buffer of
/// a ``BinaryEncodingState``. Two words of plain data, so it travels inside an `any Encoder`
/// without boxing or reference counting.
struct BinaryValueEncoder: Encoder {
    /// Held unmanaged and used as a guaranteed reference; ``HandoffBinaryEncoder/encode(_:)``
    /// keeps the state alive until encoding ends, and an encoder kept past that must not be used.
    private let unmanagedState: Unmanaged<BinaryEncodingState>
    /// The id of the slot's frame.
    let slot: Int

    init(state: borrowing BinaryEncodingState, slot: Int) {
        unmanagedState = .passUnretained(state)
        self.slot = slot
    }

    @inline(__always)
    private func withState<Result>(_ body: (BinaryEncodingState) throws -> Result) rethrows -> Result {
        try unmanagedState._withUnsafeGuaranteedRef(body)
    }

    var codingPath: [any CodingKey] { withState { $0.codingPath(ofFrame: slot) } }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        withState { state in
            KeyedEncodingContainer(BinaryKeyedEncodingContainer<Key>(
                state: state, id: state.openContainer(.keyed, inSlot: slot, keyType: Key.self)))
        }
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        withState { state in
            BinaryUnkeyedEncodingContainer(state: state, id: state.openContainer(.unkeyed, inSlot: slot))
        }
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        withState { BinarySingleValueEncodingContainer(state: $0, slot: slot) }
    }
}
