#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// The state of one decode: the bytes, the nesting depth, and the positional cursors of keyed
/// containers.
///
/// Nothing here trusts the input: every read checks the end of the value or container it is in
/// (which were themselves checked against their parent's end), a length is compared with what
/// remains before anything is allocated for it, and nesting is bounded by ``maxDepth``. Values
/// are addressed by the offset of their tag and the offset just past them.
final class BinaryDecodingState {
    /// A keyed container's positional cursor: the entry expected next, and the entry found
    /// last (asked for again by `decodeIfPresent`'s `contains`–`decodeNil`–`decode` and the like).
    struct Cursor {
        var start: Int
        var next: Int
        var last: Int
    }

    static let cursorSlots = 256

    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    /// How many `init(from:)` calls are under way.
    @exclusivity(unchecked) var depth = 0
    /// Cursors by a hash of the container's content start; a container whose slot another took
    /// falls back to a search, so a collision costs time, never correctness.
    let cursors: UnsafeMutablePointer<Cursor>
    /// What the codec knows of the types it has met.
    @exclusivity(unchecked) var types = BinaryTypeCache(.decoding)
    /// A malformation found where no error can be thrown (`allKeys`); decoding fails with it
    /// once the value is built.
    @exclusivity(unchecked) var deferredError: HandoffError?
    /// ``codingPath(to:)`` is running.
    @exclusivity(unchecked) private var walkingPath = false
    /// Key tables of large keyed containers asked for keys out of order, by content start.
    @exclusivity(unchecked) var keyTables: [Int: [String: Int]] = [:]

    /// A state reading `bytes`, which must stay valid (and unchanged) while it is used: the
    /// decoder creates it inside `withUnsafeBufferPointer` and decodes within that scope.
    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        base = bytes.baseAddress!
        count = bytes.count
        self.maxDepth = maxDepth
        cursors = .allocate(capacity: Self.cursorSlots)
        cursors.initialize(repeating: Cursor(start: -1, next: 0, last: -1), count: Self.cursorSlots)
    }

    deinit {
        cursors.deallocate()
    }

    // MARK: Structure

    /// Reads a varint at `offset`, which must stay below `end`.
    @inline(__always)
    func readVarint(_ offset: inout Int, end: Int) throws(HandoffError) -> UInt64 {
        if _fastPath(offset < end) {
            let byte = base[offset]
            if _fastPath(byte < 0x80) {
                offset &+= 1
                return UInt64(byte)
            }
        }
        return try readLongVarint(&offset, end: end)
    }

    private func readLongVarint(_ offset: inout Int, end: Int) throws(HandoffError) -> UInt64 {
        if end &- offset >= 8 {
            // Up to eight bytes from one load: find the last byte, then gather the groups.
            var word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
            let stops = ~word & 0x8080_8080_8080_8080
            if stops != 0 {
                let length = (stops.trailingZeroBitCount &+ 1) &>> 3
                var value: UInt64 = 0
                var shift: UInt64 = 0
                for _ in 0..<length {
                    value |= (word & 0x7F) &<< shift
                    word &>>= 8
                    shift &+= 7
                }
                offset &+= length
                return value
            }
        }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < end else { throw failure("a varint runs past the end of its container", at: start) }
            let byte = base[offset]
            offset += 1
            if shift == 63, byte > 1 { throw failure("a varint overflows 64 bits", at: start) }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// Reads a varint length at `offset` and checks it against what remains before `end`.
    @inline(__always)
    func readLength(_ offset: inout Int, end: Int) throws(HandoffError) -> Int {
        let start = offset
        let length = try readVarint(&offset, end: end)
        guard length <= UInt64(end &- offset) else {
            throw failure("a length of \(length) bytes runs past the end (\(end - offset) remain)", at: start)
        }
        return Int(truncatingIfNeeded: length)
    }

    /// The offset just past the value whose tag is at `offset`, checked against `end`.
    @inline(__always)
    func valueEnd(at offset: Int, end: Int) throws(HandoffError) -> Int {
        if _fastPath(offset < end) {
            let tag = base[offset]
            if tag >= BinaryFormat.smallIntegerTag || tag <= BinaryFormat.trueTag { return offset &+ 1 }
        }
        return try longValueEnd(at: offset, end: end)
    }

    private func longValueEnd(at offset: Int, end: Int) throws(HandoffError) -> Int {
        guard offset < end else { throw failure("a value is missing: its container ends", at: offset) }
        let tag = base[offset]
        var next = offset &+ 1
        switch tag {
        case BinaryFormat.nilTag, BinaryFormat.falseTag, BinaryFormat.trueTag, BinaryFormat.smallIntegerTag...:
            return next
        case BinaryFormat.negativeTag, BinaryFormat.unsignedTag:
            if end &- next >= 8 {
                let word = UnsafeRawPointer(base + next).loadUnaligned(as: UInt64.self)
                let stops = ~UInt64(littleEndian: word) & 0x8080_8080_8080_8080
                if stops != 0 { return next &+ (stops.trailingZeroBitCount &+ 1) &>> 3 }
            }
            _ = try readVarint(&next, end: end)
            return next
        case BinaryFormat.floatTag:
            return try fixed(4, after: next, end: end, at: offset)
        case BinaryFormat.doubleTag, BinaryFormat.dateTag:
            return try fixed(8, after: next, end: end, at: offset)
        case BinaryFormat.stringTag, BinaryFormat.dataTag, BinaryFormat.urlTag,
             BinaryFormat.keyedTag, BinaryFormat.unkeyedTag:
            let length = try readLength(&next, end: end)
            return next &+ length
        default:
            throw failure("unknown type tag 0x\(String(tag, radix: 16))", at: offset)
        }
    }

    private func fixed(_ size: Int, after next: Int, end: Int, at offset: Int) throws(HandoffError) -> Int {
        guard end &- next >= size else {
            throw failure("\(BinaryFormat.describe(tag: base[offset])) needs \(size) bytes, \(end - next) remain", at: offset)
        }
        return next &+ size
    }

    /// The content range of the container whose tag, which must be `tag`, is at `offset`.
    func containerContent(at offset: Int, end: Int, tag: UInt8) throws(HandoffError) -> Range<Int> {
        guard offset >= 0, offset < end else { throw failure("expected \(BinaryFormat.describe(tag: tag)) but there is no value", at: Swift.max(offset, 0)) }
        guard base[offset] == tag else { throw mismatch(expected: BinaryFormat.describe(tag: tag), at: offset) }
        var next = offset &+ 1
        let length = try readLength(&next, end: end)
        return next..<(next &+ length)
    }

    // MARK: Errors

    /// A ``HandoffError/Code/codingFailed`` error naming the byte offset and the coding path of
    /// the value there.
    func failure(_ message: String, at offset: Int) -> HandoffError {
        // The walk for the path meets malformed bytes too; its own failures need no path.
        if walkingPath { return HandoffError(.codingFailed, message) }
        return HandoffError(.codingFailed, "\(message), at byte \(offset) (coding path \(codingPath(to: offset).rendered))")
    }

    func mismatch(expected: String, at offset: Int) -> HandoffError {
        failure("expected \(expected) but found \(BinaryFormat.describe(tag: base[offset]))", at: offset)
    }

    /// The coding path of the value at `target`, found by walking down from the root; only
    /// errors and `codingPath` need it, so decoding keeps no path at all.
    func codingPath(to target: Int) -> [any CodingKey] {
        walkingPath = true
        defer { walkingPath = false }
        var path: [any CodingKey] = []
        var offset = 1
        var end = count
        walk: while offset < target, offset < end {
            let tag = base[offset]
            guard tag == BinaryFormat.keyedTag || tag == BinaryFormat.unkeyedTag,
                  let content = try? containerContent(at: offset, end: end, tag: tag),
                  content.contains(target) else { break }
            var position = content.lowerBound
            var index = 0
            while position < content.upperBound {
                var valueStart = position
                var key: String?
                if tag == BinaryFormat.keyedTag {
                    guard let length = try? readLength(&valueStart, end: content.upperBound) else { break walk }
                    key = String(decoding: UnsafeBufferPointer(start: base + valueStart, count: length), as: UTF8.self)
                    valueStart += length
                }
                guard let valueEnd = try? valueEnd(at: valueStart, end: content.upperBound) else { break walk }
                if target < valueEnd {
                    path.append(key.map { BinaryCodingKey(stringValue: $0) } ?? BinaryIndexKey(index: index))
                    if target < valueStart { break walk }
                    offset = valueStart
                    end = valueEnd
                    continue walk
                }
                position = valueEnd
                index += 1
            }
            break
        }
        return path
    }
}
