import HandoffSystem
/// Appends big-endian integers and length-prefixed strings and byte runs to a buffer.
///
/// Every multi-byte integer on the wire is big-endian; strings are UTF-8 with a `u16` length,
/// byte runs have a `u32` length.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) { append(bigEndian: value) }

    mutating func u32(_ value: UInt32) { append(bigEndian: value) }

    mutating func u64(_ value: UInt64) { append(bigEndian: value) }

    mutating func i64(_ value: Int64) { append(bigEndian: UInt64(bitPattern: value)) }

    /// A UTF-8 string with a `u16` length; longer strings are a programming error.
    /// The bytes go straight from the string's storage: no array in between.
    mutating func string(_ value: String) {
        let utf8 = value.utf8
        precondition(utf8.count <= Int(UInt16.max), "string longer than 65535 bytes on the wire")
        u16(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A byte run with a `u32` length.
    mutating func data<Bytes: Collection<UInt8>>(_ value: Bytes) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// Bytes with no length in front.
    mutating func raw<Bytes: Sequence<UInt8>>(_ value: Bytes) { bytes.append(contentsOf: value) }

    private mutating func append<T: FixedWidthInteger>(bigEndian value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
