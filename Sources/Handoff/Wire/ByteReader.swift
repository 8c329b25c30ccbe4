import HandoffSystem
/// Reads what ``ByteWriter`` wrote, checking every length against what remains.
///
/// Every failure is a ``HandoffError`` with code ``HandoffError/Code/malformedPayload`` that
/// names what was being read, where, and how many bytes were missing; nothing is trusted.
///
/// Field names are autoclosures and the entry being read is a number: a message is put into
/// words only when something fails, so reading 10,000 descriptor records builds no strings but
/// the records' own.
struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private(set) var offset: Int
    /// Names what is being read, for error messages ("FDS").
    var what: String
    /// The entry of many being read, named in error messages after ``what``: ("entry", 3)
    /// gives "FDS entry 3".
    var item: (label: StaticString, index: Int)?

    init(_ bytes: ArraySlice<UInt8>, what: String) {
        self.bytes = bytes
        self.offset = bytes.startIndex
        self.what = what
    }

    init(_ bytes: [UInt8], what: String) { self.init(bytes[...], what: what) }

    var remaining: Int { bytes.endIndex - offset }
    var isAtEnd: Bool { remaining == 0 }

    mutating func u8(_ field: @autoclosure () -> String) throws(HandoffError) -> UInt8 {
        try need(1, field())
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: @autoclosure () -> String) throws(HandoffError) -> UInt16 { try integer(field()) }
    mutating func u32(_ field: @autoclosure () -> String) throws(HandoffError) -> UInt32 { try integer(field()) }
    mutating func u64(_ field: @autoclosure () -> String) throws(HandoffError) -> UInt64 { try integer(field()) }
    mutating func i64(_ field: @autoclosure () -> String) throws(HandoffError) -> Int64 { Int64(bitPattern: try integer(field())) }

    mutating func string(_ field: @autoclosure () -> String) throws(HandoffError) -> String {
        let count = Int(try u16("\(field()) length"))
        try need(count, field())
        defer { offset += count }
        guard let value = String(validating: bytes[offset..<offset + count], as: UTF8.self) else {
            throw fail("\(field()) is not valid UTF-8")
        }
        return value
    }

    mutating func data(_ field: @autoclosure () -> String, limit: Int = Int(UInt32.max)) throws(HandoffError) -> ArraySlice<UInt8> {
        let count = Int(try u32("\(field()) length"))
        if count > limit { throw fail("\(field()) is \(count) bytes, more than the limit of \(limit)") }
        try need(count, field())
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// `count` bytes with no length in front.
    mutating func raw(_ count: Int, _ field: @autoclosure () -> String) throws(HandoffError) -> ArraySlice<UInt8> {
        try need(count, field())
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Fails unless every byte was read: trailing bytes mean the peer and we disagree on layout.
    func expectEnd() throws(HandoffError) {
        if remaining != 0 { throw fail("\(remaining) unexpected trailing bytes") }
    }

    func fail(_ message: String) -> HandoffError {
        let subject = item.map { "\(what) \($0.label) \($0.index)" } ?? what
        return HandoffError(.malformedPayload, "\(subject): \(message) at offset \(offset - bytes.startIndex)")
    }

    private func need(_ count: Int, _ field: @autoclosure () -> String) throws(HandoffError) {
        if count > remaining {
            throw fail("\(field()) needs \(count) bytes, \(remaining) remain")
        }
    }

    private mutating func integer<T: FixedWidthInteger>(_ field: @autoclosure () -> String) throws(HandoffError) -> T {
        let size = MemoryLayout<T>.size
        try need(size, field())
        var value: T = 0
        for byte in bytes[offset..<offset + size] { value = value << 8 | T(byte) }
        offset += size
        return value
    }
}
