import HandoffSystem
/// An unkeyed container being decoded: a cursor over its values.
struct BinaryUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let state: BinaryDecodingState
    /// The container's tag.
    let offset: Int
    /// The next value.
    var cursor: Int
    let end: Int
    private(set) var currentIndex = 0

    init(state: BinaryDecodingState, offset: Int, cursor: Int, end: Int) {
        self.state = state
        self.offset = offset
        self.cursor = cursor
        self.end = end
    }

    var codingPath: [any CodingKey] { state.codingPath(to: offset) }
    var count: Int? { (try? state.elementCount(in: cursor..<end)).map { $0 + currentIndex } }
    var isAtEnd: Bool { cursor >= end }

    /// Fails unless there is a next value.
    @inline(__always)
    private func ensureValue() throws(HandoffError) {
        guard cursor < end else {
            throw state.failure("the unkeyed container has no value at index \(currentIndex) (it holds \(currentIndex))", at: offset)
        }
    }

    /// The end of the next value, which must exist.
    @inline(__always)
    private func peek() throws(HandoffError) -> Int {
        try ensureValue()
        return try state.valueEnd(at: cursor, end: end)
    }

    @inline(__always)
    private mutating func advance(to next: Int) {
        cursor = next
        currentIndex &+= 1
    }

    mutating func decodeNil() throws -> Bool {
        let e = try peek()
        guard state.decodeNil(at: cursor) else { return false }
        advance(to: e)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try ensureValue()
        var next = cursor
        let value = try state.decodeBool(at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: String.Type) throws -> String {
        try ensureValue()
        var next = cursor
        let value = try state.decodeString(at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        try ensureValue()
        var next = cursor
        let value = try state.decodeDouble(at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        try ensureValue()
        var next = cursor
        let value = try state.decodeFloat(at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Int.Type) throws -> Int {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(Int.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Int8.Type) throws -> Int8 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(Int8.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(Int16.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(Int32.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(Int64.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: UInt.Type) throws -> UInt {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(UInt.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(UInt8.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(UInt16.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(UInt32.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        try ensureValue()
        var next = cursor
        let value = try state.decodeInteger(UInt64.self, at: cursor, limit: end, next: &next)
        advance(to: next)
        return value
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let e = try peek()
        let value = try state.decodeValue(type, at: cursor, end: e)
        advance(to: e)
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let e = try peek()
        let content = try state.containerContent(at: cursor, end: e, tag: BinaryFormat.keyedTag)
        let container = BinaryKeyedDecodingContainer<NestedKey>(state: state, offset: cursor, content: content)
        advance(to: e)
        return KeyedDecodingContainer(container)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let e = try peek()
        let content = try state.containerContent(at: cursor, end: e, tag: BinaryFormat.unkeyedTag)
        let container = BinaryUnkeyedDecodingContainer(state: state, offset: cursor, cursor: content.lowerBound, end: content.upperBound)
        advance(to: e)
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let e = try peek()
        let decoder = BinaryValueDecoder(state: state, offset: cursor, end: e)
        advance(to: e)
        return decoder
    }
}
