#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// The values of the wire format (see ``BinaryFormat``). `offset` is the value's tag and `limit`
/// the end of what holds it (its container, or the value itself): every read is checked against
/// `limit`. `next` is set to the offset just past the value, so a container moves on without
/// measuring the value a second time.
extension BinaryDecodingState {
    @inline(__always)
    func decodeNil(at offset: Int) -> Bool {
        offset < 0 || base[offset] == BinaryFormat.nilTag
    }

    @inline(__always)
    func decodeBool(at offset: Int, limit: Int, next: inout Int) throws(HandoffError) -> Bool {
        try present(offset)
        next = offset &+ 1
        switch base[offset] {
        case BinaryFormat.trueTag: return true
        case BinaryFormat.falseTag: return false
        default: throw mismatch(expected: "a Bool", at: offset)
        }
    }

    /// An integer of type `T`, failing if the stored value does not fit.
    @inline(__always)
    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, limit: Int, next: inout Int) throws(HandoffError) -> T {
        try present(offset)
        let tag = base[offset]
        if _fastPath(tag >= BinaryFormat.smallIntegerTag) {
            next = offset &+ 1
            return T(truncatingIfNeeded: tag & 0x7F)
        }
        return try decodeLongInteger(type, at: offset, limit: limit, next: &next)
    }

    private func decodeLongInteger<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, limit: Int, next: inout Int) throws(HandoffError) -> T {
        next = offset &+ 1
        switch base[offset] {
        case BinaryFormat.unsignedTag:
            let value = try readVarint(&next, end: limit)
            guard let result = T(exactly: value) else {
                throw failure("the integer \(value) does not fit in \(T.self)", at: offset)
            }
            return result
        case BinaryFormat.negativeTag:
            let complement = try readVarint(&next, end: limit)
            guard complement <= UInt64(Int64.max) else {
                throw failure("a negative integer below Int64.min", at: offset)
            }
            let value = ~Int64(complement)
            guard let result = T(exactly: value) else {
                throw failure("the integer \(value) does not fit in \(T.self)", at: offset)
            }
            return result
        default:
            throw mismatch(expected: "an integer (\(T.self))", at: offset)
        }
    }

    @inline(__always)
    func decodeFloat(at offset: Int, limit: Int, next: inout Int) throws(HandoffError) -> Float {
        try present(offset)
        guard base[offset] == BinaryFormat.floatTag else { throw mismatch(expected: "a Float", at: offset) }
        guard limit &- offset >= 5 else { throw failure("a Float needs 4 bytes, \(limit - offset - 1) remain", at: offset) }
        next = offset &+ 5
        return Float(bitPattern: UInt32(littleEndian: UnsafeRawPointer(base + offset + 1).loadUnaligned(as: UInt32.self)))
    }

    /// A Double (or, with `tag`, a Date's interval); a stored Float widens exactly.
    @inline(__always)
    func decodeDouble(at offset: Int, limit: Int, next: inout Int, tag: UInt8 = BinaryFormat.doubleTag) throws(HandoffError) -> Double {
        try present(offset)
        if _fastPath(base[offset] == tag && limit &- offset >= 9) {
            next = offset &+ 9
            return Double(bitPattern: UInt64(littleEndian: UnsafeRawPointer(base + offset + 1).loadUnaligned(as: UInt64.self)))
        }
        if tag == BinaryFormat.doubleTag, base[offset] == BinaryFormat.floatTag {
            return Double(try decodeFloat(at: offset, limit: limit, next: &next))
        }
        guard base[offset] == tag else { throw mismatch(expected: BinaryFormat.describe(tag: tag), at: offset) }
        throw failure("\(BinaryFormat.describe(tag: tag)) needs 8 bytes, \(limit - offset - 1) remain", at: offset)
    }

    @inline(__always)
    func decodeString(at offset: Int, limit: Int, next: inout Int, tag: UInt8 = BinaryFormat.stringTag) throws(HandoffError) -> String {
        try present(offset)
        guard base[offset] == tag else { throw mismatch(expected: BinaryFormat.describe(tag: tag), at: offset) }
        var start = offset &+ 1
        let length = try readLength(&start, end: limit)
        next = start &+ length
        let bytes = UnsafeBufferPointer(start: base + start, count: length)
        if _fastPath(Self.isASCII(bytes)) { return String(decoding: bytes, as: UTF8.self) }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw failure("\(BinaryFormat.describe(tag: tag)) is not valid UTF-8", at: offset)
        }
        return string
    }

    /// Whether every byte is below 0x80 (and so the bytes are valid UTF-8), eight at a time.
    @inline(__always)
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard var pointer = bytes.baseAddress else { return true }
        var remaining = bytes.count
        var bits: UInt64 = 0
        while remaining >= 8 {
            bits |= UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self)
            pointer += 8
            remaining &-= 8
        }
        while remaining > 0 {
            bits |= UInt64(pointer.pointee)
            pointer += 1
            remaining &-= 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    func decodeData(at offset: Int, limit: Int, next: inout Int) throws(HandoffError) -> Data {
        try present(offset)
        guard base[offset] == BinaryFormat.dataTag else { throw mismatch(expected: "Data", at: offset) }
        var start = offset &+ 1
        let length = try readLength(&start, end: limit)
        next = start &+ length
        return Data(bytes: base + start, count: length)
    }

    func decodeURL(at offset: Int, limit: Int, next: inout Int) throws(HandoffError) -> URL {
        let string = try decodeString(at: offset, limit: limit, next: &next, tag: BinaryFormat.urlTag)
        guard let url = URL(string: string) else { throw failure("\"\(string)\" is not a valid URL", at: offset) }
        return url
    }

    /// Fails for the absent value a `superDecoder(forKey:)` of a missing key reads.
    @inline(__always)
    private func present(_ offset: Int) throws(HandoffError) {
        if _slowPath(offset < 0) { throw failure("expected a value but there is none", at: 0) }
    }

    // MARK: Generic values

    /// Decodes a `T` from the value at `offset`: directly if the format stores it directly (see
    /// ``decodePrimitive(_:at:end:)``), an array through ``BinaryArrayDecodable``, anything else
    /// through `T(from:)` — each of the last two one level deeper.
    func decodeValue<T: Decodable>(_ type: T.Type, at offset: Int, end: Int) throws -> T {
        if isPrimitive(type) { return try decodePrimitive(type, at: offset, end: end) }
        guard depth < maxDepth else {
            throw failure("values nest deeper than the limit of \(maxDepth)", at: Swift.max(offset, 0))
        }
        depth &+= 1
        defer { depth &-= 1 }
        if let arrayDecoder = types.info(for: T.self).arrayDecoder {
            return try decodeArray(type, with: arrayDecoder, at: offset, end: end)
        }
        return try T(from: BinaryValueDecoder(state: self, offset: offset, end: end))
    }

    /// An array through ``BinaryArrayDecodable``; apart so that the rest of ``decodeValue(_:at:end:)``
    /// does not pay for the metadata a temporary `T` needs.
    @inline(never)
    private func decodeArray<T>(
        _ type: T.Type, with arrayDecoder: any BinaryArrayDecodable.Type, at offset: Int, end: Int
    ) throws -> T {
        let content = try containerContent(at: offset, end: end, tag: BinaryFormat.unkeyedTag)
        return try withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { buffer in
            let pointer = buffer.baseAddress!
            try arrayDecoder.decodeElements(in: content, from: self, into: pointer)
            return pointer.move()
        }
    }

    /// Whether ``decodePrimitive(_:at:end:)`` decodes `T`.
    @inline(__always)
    func isPrimitive<T>(_ type: T.Type) -> Bool {
        T.self == Int.self || T.self == String.self || T.self == Double.self || T.self == Bool.self
            || T.self == Int64.self || T.self == UInt8.self || T.self == Float.self || T.self == Int32.self
            || T.self == UInt64.self || T.self == UInt.self || T.self == UInt32.self || T.self == Int16.self
            || T.self == UInt16.self || T.self == Int8.self || T.self == [Int].self || T.self == [String].self
            || T.self == [Double].self || T.self == [UInt8].self || T.self == Data.self || T.self == Date.self
            || T.self == URL.self
    }

    /// The value at `offset` as a `T` that ``isPrimitive(_:)``.
    ///
    /// Generic code — `Array.init(from:)` above all — reaches the containers through their
    /// generic `decode`, so the common types are recognized here by metatype, a pointer
    /// comparison each.
    func decodePrimitive<T>(_ type: T.Type, at offset: Int, end: Int) throws(HandoffError) -> T {
        var next = 0
        if T.self == Int.self {
            return unsafeBitCast(try decodeInteger(Int.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == String.self {
            return unsafeBitCast(try decodeString(at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Double.self {
            return unsafeBitCast(try decodeDouble(at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Bool.self {
            return unsafeBitCast(try decodeBool(at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Int64.self {
            return unsafeBitCast(try decodeInteger(Int64.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == UInt8.self {
            return unsafeBitCast(try decodeInteger(UInt8.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Float.self {
            return unsafeBitCast(try decodeFloat(at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Int32.self {
            return unsafeBitCast(try decodeInteger(Int32.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == UInt64.self {
            return unsafeBitCast(try decodeInteger(UInt64.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == UInt.self {
            return unsafeBitCast(try decodeInteger(UInt.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == UInt32.self {
            return unsafeBitCast(try decodeInteger(UInt32.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Int16.self {
            return unsafeBitCast(try decodeInteger(Int16.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == UInt16.self {
            return unsafeBitCast(try decodeInteger(UInt16.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Int8.self {
            return unsafeBitCast(try decodeInteger(Int8.self, at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == [Int].self {
            return unsafeBitCast(try decodeArray(at: offset, end: end) { (o, e, next) throws(HandoffError) in
                try decodeInteger(Int.self, at: o, limit: e, next: &next)
            }, to: T.self)
        } else if T.self == [String].self {
            return unsafeBitCast(try decodeArray(at: offset, end: end) { (o, e, next) throws(HandoffError) in
                try decodeString(at: o, limit: e, next: &next)
            }, to: T.self)
        } else if T.self == [Double].self {
            return unsafeBitCast(try decodeArray(at: offset, end: end) { (o, e, next) throws(HandoffError) in
                try decodeDouble(at: o, limit: e, next: &next)
            }, to: T.self)
        } else if T.self == [UInt8].self {
            return unsafeBitCast(try decodeArray(at: offset, end: end) { (o, e, next) throws(HandoffError) in
                try decodeInteger(UInt8.self, at: o, limit: e, next: &next)
            }, to: T.self)
        } else if T.self == Data.self {
            return unsafeBitCast(try decodeData(at: offset, limit: end, next: &next), to: T.self)
        } else if T.self == Date.self {
            let interval = try decodeDouble(at: offset, limit: end, next: &next, tag: BinaryFormat.dateTag)
            return unsafeBitCast(Date(timeIntervalSinceReferenceDate: interval), to: T.self)
        } else {
            return unsafeBitCast(try decodeURL(at: offset, limit: end, next: &next), to: T.self)
        }
    }

    /// An unkeyed container of values `element` decodes (given the value's offset and the
    /// container's end, it sets the offset past the value).
    @inline(__always)
    private func decodeArray<Element>(
        at offset: Int, end: Int, _ element: (Int, Int, inout Int) throws(HandoffError) -> Element
    ) throws(HandoffError) -> [Element] {
        let content = try containerContent(at: offset, end: end, tag: BinaryFormat.unkeyedTag)
        var elements: [Element] = []
        elements.reserveCapacity(try elementCount(in: content))
        var position = content.lowerBound
        while position < content.upperBound {
            var next = position
            elements.append(try element(position, content.upperBound, &next))
            position = next
        }
        return elements
    }
}
