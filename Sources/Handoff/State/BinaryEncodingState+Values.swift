#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// The values of the wire format (see ``BinaryFormat``), written into the shared buffer.
extension BinaryEncodingState {
    @inline(__always)
    func writeBool(_ value: Bool) {
        writeByte(value ? BinaryFormat.trueTag : BinaryFormat.falseTag)
    }

    /// An integer of any width, by value: `0x80 | n` below 128, else a tag and a varint.
    @inline(__always)
    func writeInteger<T: FixedWidthInteger>(_ value: T) {
        ensure(11)
        if value >= 0 {
            if value < 0x80 {
                base[count] = BinaryFormat.smallIntegerTag | UInt8(truncatingIfNeeded: value)
                count &+= 1
                return
            }
            base[count] = BinaryFormat.unsignedTag
            count &+= 1
            writeVarintUnchecked(UInt64(truncatingIfNeeded: value))
        } else {
            base[count] = BinaryFormat.negativeTag
            count &+= 1
            writeVarintUnchecked(UInt64(truncatingIfNeeded: ~Int64(truncatingIfNeeded: value)))
        }
    }

    @inline(__always)
    func writeFloat(_ value: Float) {
        ensure(5)
        base[count] = BinaryFormat.floatTag
        UnsafeMutableRawPointer(base + count + 1).storeBytes(of: value.bitPattern.littleEndian, as: UInt32.self)
        count &+= 5
    }

    @inline(__always)
    func writeDouble(_ value: Double, tag: UInt8 = BinaryFormat.doubleTag) {
        ensure(9)
        base[count] = tag
        UnsafeMutableRawPointer(base + count + 1).storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
        count &+= 9
    }

    @inline(__always)
    func writeString(_ value: String, tag: UInt8 = BinaryFormat.stringTag) {
        writeByte(tag)
        writeUTF8(value)
    }

    /// A key: its UTF-8 with a varint length. Returns the key's offset, for the coding path.
    @inline(__always)
    func writeKey(_ key: String) -> Int {
        let offset = count
        writeUTF8(key)
        return offset
    }

    /// A varint length and the UTF-8 bytes of `value`, copied straight from its storage.
    @inline(__always)
    func writeUTF8(_ value: String) {
        if value.utf8.withContiguousStorageIfAvailable({ writeLengthPrefixed(UnsafeRawBufferPointer($0)) }) == nil {
            var copy = value
            copy.withUTF8 { writeLengthPrefixed(UnsafeRawBufferPointer($0)) }
        }
    }

    @inline(__always)
    func writeLengthPrefixed(_ bytes: UnsafeRawBufferPointer) {
        ensure(10 &+ bytes.count)
        writeVarintUnchecked(UInt64(bytes.count))
        writeBytes(bytes.baseAddress, count: bytes.count)
    }

    func writeData(_ value: Data) {
        writeByte(BinaryFormat.dataTag)
        value.withUnsafeBytes { writeLengthPrefixed($0) }
    }

    // MARK: Generic values

    /// Writes `value`: directly if it is a primitive, `Data`, `Date` or `URL`, else through its
    /// `encode(to:)` into a new slot.
    @inline(__always)
    func encodeValue<T: Encodable>(_ value: T, component: Int) throws {
        try withUnsafePointer(to: value) { try encodeValue(at: $0, component: component) }
    }

    /// ``encodeValue(_:component:)`` for a value lent in place, which is not copied (copying a
    /// struct retains and releases every reference it holds).
    func encodeValue<T: Encodable>(at pointer: UnsafePointer<T>, component: Int) throws {
        if writePrimitive(at: pointer) { return }
        try encodeComposite(at: pointer, component: component)
    }

    /// Writes `value` if its type is one the format stores directly; says whether it did.
    func writePrimitive<T>(_ value: T) -> Bool {
        withUnsafePointer(to: value) { writePrimitive(at: $0) }
    }

    /// Writes the value at `pointer` if its type is one the format stores directly; says
    /// whether it did.
    ///
    /// Generic code — `Array.encode(to:)` above all — reaches the containers through their
    /// generic `encode`, so the common types are recognized here by metatype, which costs a
    /// pointer comparison each, rather than by a dynamic cast.
    func writePrimitive<T>(at value: UnsafePointer<T>) -> Bool {
        if T.self == Int.self {
            lend(value, as: Int.self) { writeInteger($0) }
        } else if T.self == String.self {
            lend(value, as: String.self) { writeString($0) }
        } else if T.self == Double.self {
            lend(value, as: Double.self) { writeDouble($0) }
        } else if T.self == Bool.self {
            lend(value, as: Bool.self) { writeBool($0) }
        } else if T.self == Int64.self {
            lend(value, as: Int64.self) { writeInteger($0) }
        } else if T.self == UInt8.self {
            lend(value, as: UInt8.self) { writeInteger($0) }
        } else if T.self == Float.self {
            lend(value, as: Float.self) { writeFloat($0) }
        } else if T.self == Int32.self {
            lend(value, as: Int32.self) { writeInteger($0) }
        } else if T.self == UInt64.self {
            lend(value, as: UInt64.self) { writeInteger($0) }
        } else if T.self == UInt.self {
            lend(value, as: UInt.self) { writeInteger($0) }
        } else if T.self == UInt32.self {
            lend(value, as: UInt32.self) { writeInteger($0) }
        } else if T.self == Int16.self {
            lend(value, as: Int16.self) { writeInteger($0) }
        } else if T.self == UInt16.self {
            lend(value, as: UInt16.self) { writeInteger($0) }
        } else if T.self == Int8.self {
            lend(value, as: Int8.self) { writeInteger($0) }
        } else if T.self == [Int].self {
            writeArray(value, as: [Int].self) { writeInteger($0) }
        } else if T.self == [String].self {
            writeArray(value, as: [String].self) { writeString($0) }
        } else if T.self == [Double].self {
            writeArray(value, as: [Double].self) { writeDouble($0) }
        } else if T.self == [UInt8].self {
            writeArray(value, as: [UInt8].self) { writeInteger($0) }
        } else if T.self == Data.self {
            lend(value, as: Data.self) { writeData($0) }
        } else if T.self == Date.self {
            lend(value, as: Date.self) { writeDouble($0.timeIntervalSinceReferenceDate, tag: BinaryFormat.dateTag) }
        } else if T.self == URL.self {
            lend(value, as: URL.self) { writeString($0.absoluteString, tag: BinaryFormat.urlTag) }
        } else {
            return false
        }
        return true
    }

    /// The array at `pointer`, of a type the format stores directly, as an unkeyed container.
    @inline(__always)
    private func writeArray<T, Element>(_ pointer: UnsafePointer<T>, as type: [Element].Type, _ write: (Element) -> Void) {
        let start = count
        ensure(2)
        base[count] = BinaryFormat.unkeyedTag
        count &+= 2
        // Through `inout`, so the array is lent in place, not copied (retained and released).
        Self.withElements(of: &UnsafeMutablePointer(mutating: UnsafeRawPointer(pointer).assumingMemoryBound(to: [Element].self)).pointee) { buffer in
            for index in buffer.indices { write(buffer[index]) }
        }
        patchLength(ofContainerAt: start)
    }

    /// Calls `body` with the value at `pointer`, whose type the caller has checked is `U`, lent
    /// in place as a `U`: no copy, so no retain and release.
    @inline(__always)
    private func lend<T, U>(_ pointer: UnsafePointer<T>, as type: U.Type, _ body: (U) -> Void) {
        body(UnsafeRawPointer(pointer).assumingMemoryBound(to: U.self).pointee)
    }

    /// Calls `body` with the elements of `array`; `inout` only to borrow it without a copy.
    @inline(__always)
    private static func withElements<Element>(of array: inout [Element], _ body: (UnsafeBufferPointer<Element>) -> Void) {
        array.withUnsafeBufferPointer(body)
    }

    /// Calls `value.encode(to:)`; `inout` only to borrow the value without copying it, it is not
    /// changed.
    @inline(__always)
    private static func encode<T: Encodable>(_ value: inout T, to encoder: BinaryValueEncoder) throws {
        try value.encode(to: encoder)
    }

    /// Encodes the value at `pointer` through its `encode(to:)` into a new slot, closing
    /// whatever it opened; an array goes through ``BinaryArrayEncodable`` instead, to the same
    /// bytes.
    func encodeComposite<T: Encodable>(at pointer: UnsafePointer<T>, component: Int) throws {
        let slot = push(.slot, start: count, owner: T.self, component: component)
        do {
            if let arrayEncoder = types.info(for: T.self).arrayEncoder {
                let id = openContainer(.unkeyed, inSlot: slot)
                try arrayEncoder.encodeElements(of: pointer, into: self, container: id)
            } else {
                // Through `inout`, so the value is lent in place: `pointee` of a value of unknown
                // type would copy it, retaining and releasing every reference it holds.
                try Self.encode(&UnsafeMutablePointer(mutating: pointer).pointee, to: BinaryValueEncoder(state: self, slot: slot))
            }
        } catch {
            sawError = true
            throw error
        }
        close(through: slot)
    }
}
