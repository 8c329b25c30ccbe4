import HandoffSystem
/// A single value being decoded.
struct BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let state: BinaryDecodingState
    let offset: Int
    let end: Int

    var codingPath: [any CodingKey] { offset < 0 ? [] : state.codingPath(to: offset) }

    func decodeNil() -> Bool { state.decodeNil(at: offset) }

    func decode(_ type: Bool.Type) throws -> Bool {
        var next = offset
        return try state.decodeBool(at: offset, limit: end, next: &next)
    }

    func decode(_ type: String.Type) throws -> String {
        var next = offset
        return try state.decodeString(at: offset, limit: end, next: &next)
    }

    func decode(_ type: Double.Type) throws -> Double {
        var next = offset
        return try state.decodeDouble(at: offset, limit: end, next: &next)
    }

    func decode(_ type: Float.Type) throws -> Float {
        var next = offset
        return try state.decodeFloat(at: offset, limit: end, next: &next)
    }

    func decode(_ type: Int.Type) throws -> Int {
        var next = offset
        return try state.decodeInteger(Int.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: Int8.Type) throws -> Int8 {
        var next = offset
        return try state.decodeInteger(Int8.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: Int16.Type) throws -> Int16 {
        var next = offset
        return try state.decodeInteger(Int16.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: Int32.Type) throws -> Int32 {
        var next = offset
        return try state.decodeInteger(Int32.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: Int64.Type) throws -> Int64 {
        var next = offset
        return try state.decodeInteger(Int64.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: UInt.Type) throws -> UInt {
        var next = offset
        return try state.decodeInteger(UInt.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: UInt8.Type) throws -> UInt8 {
        var next = offset
        return try state.decodeInteger(UInt8.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: UInt16.Type) throws -> UInt16 {
        var next = offset
        return try state.decodeInteger(UInt16.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: UInt32.Type) throws -> UInt32 {
        var next = offset
        return try state.decodeInteger(UInt32.self, at: offset, limit: end, next: &next)
    }

    func decode(_ type: UInt64.Type) throws -> UInt64 {
        var next = offset
        return try state.decodeInteger(UInt64.self, at: offset, limit: end, next: &next)
    }


    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try state.decodeValue(type, at: offset, end: end)
    }
}
