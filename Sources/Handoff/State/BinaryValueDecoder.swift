import HandoffSystem
/// The `Decoder` a type's `init(from:)` receives: one value of a ``BinaryDecodingState``, given
/// by the offset of its tag and the offset just past it (both already checked). Three words of
/// plain data, so it travels inside an `any Decoder` without boxing or reference counting. An
/// offset of -1 is the absent value a `superDecoder(forKey:)` of a missing key reads, which
/// decodes only as nil.
struct BinaryValueDecoder: Decoder {
    /// Held unmanaged and used as a guaranteed reference; ``HandoffBinaryDecoder/decode(_:from:)``
    /// keeps the state alive until decoding ends, and a decoder kept past that must not be used.
    private let unmanagedState: Unmanaged<BinaryDecodingState>
    let offset: Int
    let end: Int

    init(state: borrowing BinaryDecodingState, offset: Int, end: Int) {
        unmanagedState = .passUnretained(state)
        self.offset = offset
        self.end = end
    }

    @inline(__always)
    private func withState<Result>(_ body: (BinaryDecodingState) throws -> Result) rethrows -> Result {
        try unmanagedState._withUnsafeGuaranteedRef(body)
    }

    var codingPath: [any CodingKey] { offset < 0 ? [] : withState { $0.codingPath(to: offset) } }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try withState { state in
            let content = try state.containerContent(at: offset, end: end, tag: BinaryFormat.keyedTag)
            return KeyedDecodingContainer(BinaryKeyedDecodingContainer<Key>(state: state, offset: offset, content: content))
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try withState { state in
            let content = try state.containerContent(at: offset, end: end, tag: BinaryFormat.unkeyedTag)
            return BinaryUnkeyedDecodingContainer(state: state, offset: offset, cursor: content.lowerBound, end: content.upperBound)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        withState { BinarySingleValueDecodingContainer(state: $0, offset: offset, end: end) }
    }
}
