#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// The wire format of ``HandoffBinaryEncoder`` and ``HandoffBinaryDecoder``.
///
/// A document is one format byte (`0x01`) followed by exactly one value. Every value starts with
/// a one-byte tag:
///
/// ```
/// tag        value                     followed by
/// 0x00       nil                       —
/// 0x01       false                     —
/// 0x02       true                      —
/// 0x03       negative integer n        varint(~n)            (so -1 is 0x03 0x00)
/// 0x04       integer n ≥ 128           varint(n)
/// 0x05       Float                     4 bytes, little-endian bit pattern
/// 0x06       Double                    8 bytes, little-endian bit pattern
/// 0x07       String                    varint(byte count) UTF-8
/// 0x08       Data                      varint(byte count) bytes
/// 0x09       Date                      8 bytes, little-endian bits of timeIntervalSinceReferenceDate
/// 0x0A       URL                       varint(byte count) UTF-8 of absoluteString
/// 0x0B       keyed container           varint(byte count) entries: varint(key byte count) key UTF-8, value
/// 0x0C       unkeyed container         varint(byte count) values
/// 0x80…0xFF  integer 0…127             — (the value is tag & 0x7F)
/// ```
///
/// A varint is unsigned LEB128: seven bits a byte, least significant group first, high bit set
/// on every byte but the last; at most ten bytes. Integers are written by value, whatever their
/// Swift type, so an `Int8` and a `UInt64` holding 5 are the same byte; reading checks that the
/// value fits the requested type. Floats are stored as bit patterns, so NaN payloads, `-0.0` and
/// infinities survive exactly.
///
/// Containers carry their byte length, so a reader skips any value in constant time and checks
/// every length against what remains of its parent before it reads or allocates anything. They
/// do not carry an element count. A keyed entry whose value is nil through `encodeIfPresent` is
/// left out; `superEncoder()` writes under the key `"super"`; a value whose `encode(to:)` writes
/// nothing is an empty keyed container (`0x0B 0x00`), as with Foundation's encoders.
///
/// Keys are stored by `stringValue`. A keyed container keeps its entries in the order they were
/// encoded, which for synthesized `Codable` is the declaration order, so the decoder can read
/// them positionally and look a key up only when asked out of order.
///
/// Determinism: the same value gives the same bytes in every process. Struct-like containers
/// are deterministic already (their order is the code's order); the only unordered sources are
/// `Dictionary` and `Set`, whose iteration order Swift randomizes per process. So a container
/// that a `Dictionary` or `Set` value creates directly is canonicalized when it closes: its
/// entries are sorted by their encoded bytes (memcmp order, shorter first on a tie), an entry
/// being one key and value of a keyed container (`[String: V]`, `[Int: V]`), one key–value pair
/// of an unkeyed container (a dictionary with any other key type), or one element (a set).
enum BinaryFormat {
    /// The first byte of every document.
    static let version: UInt8 = 0x01

    static let nilTag: UInt8 = 0x00
    static let falseTag: UInt8 = 0x01
    static let trueTag: UInt8 = 0x02
    static let negativeTag: UInt8 = 0x03
    static let unsignedTag: UInt8 = 0x04
    static let floatTag: UInt8 = 0x05
    static let doubleTag: UInt8 = 0x06
    static let stringTag: UInt8 = 0x07
    static let dataTag: UInt8 = 0x08
    static let dateTag: UInt8 = 0x09
    static let urlTag: UInt8 = 0x0A
    static let keyedTag: UInt8 = 0x0B
    static let unkeyedTag: UInt8 = 0x0C
    /// Tags from here up are integers 0…127.
    static let smallIntegerTag: UInt8 = 0x80

    /// What a tag announces, in words, for error messages.
    static func describe(tag: UInt8) -> String {
        switch tag {
        case nilTag: "nil"
        case falseTag, trueTag: "a Bool"
        case negativeTag, unsignedTag, smallIntegerTag...: "an integer"
        case floatTag: "a Float"
        case doubleTag: "a Double"
        case stringTag: "a String"
        case dataTag: "Data"
        case dateTag: "a Date"
        case urlTag: "a URL"
        case keyedTag: "a keyed container"
        case unkeyedTag: "an unkeyed container"
        default: "unknown tag 0x\(String(tag, radix: 16))"
        }
    }

    /// The number of bytes `value` takes as a varint.
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // Seven bits a byte; zero still takes one.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }
}
