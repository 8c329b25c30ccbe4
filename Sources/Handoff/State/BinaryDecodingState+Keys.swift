#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// Finding a key's entry in a keyed container.
///
/// Synthesized `init(from:)` asks for keys in declaration order, which is the order they were
/// encoded in, so the entry at the container's cursor is nearly always the one asked for: one
/// comparison of the key's UTF-8 with the stored bytes, no allocation, no hashing. Otherwise the
/// entry found last is tried (`decodeIfPresent` and friends ask twice), then a scan from the
/// start — or, for a large container, a key table built once.
extension BinaryDecodingState {
    /// An entry: where its key starts and where its value starts.
    struct Entry {
        var key: Int
        var value: Int
    }

    /// Containers larger than this many bytes get a key table when asked out of order.
    static let keyTableThreshold = 512

    @inline(__always)
    private func cursor(for content: Range<Int>) -> UnsafeMutablePointer<Cursor> {
        let hash = (UInt(bitPattern: content.lowerBound) &* 0x9E37_79B9_7F4A_7C15) &>> 56
        return cursors + Int(truncatingIfNeeded: hash)
    }

    /// The offset of the value of `key` in the keyed container with content `content`, or nil.
    ///
    /// The cursor's `next` is left unknown (-1), to be set by ``settle(_:next:)`` once the value
    /// has been read, or measured from `last` when the next key is looked up.
    @inline(__always)
    func find(_ key: String, in content: Range<Int>) throws(HandoffError) -> Int? {
        let cursor = cursor(for: content)
        if _fastPath(cursor.pointee.start == content.lowerBound) {
            let last = cursor.pointee.last
            var next = cursor.pointee.next
            if next < 0 { next = try entryEnd(at: last, end: content.upperBound) }
            if next < content.upperBound, let value = try value(at: next, matching: key, end: content.upperBound) {
                cursor.pointee.next = -1
                cursor.pointee.last = next
                return value
            }
            if let value = try value(at: last, matching: key, end: content.upperBound) {
                cursor.pointee.next = -1
                return value
            }
        } else if content.lowerBound < content.upperBound,
                  let value = try value(at: content.lowerBound, matching: key, end: content.upperBound) {
            cursor.pointee = Cursor(start: content.lowerBound, next: -1, last: content.lowerBound)
            return value
        }
        guard let entry = try search(key, in: content) else { return nil }
        cursor.pointee = Cursor(start: content.lowerBound, next: -1, last: entry.key)
        return entry.value
    }

    /// Records that the value ``find(_:in:)`` returned last for `content` ends at `next`.
    @inline(__always)
    func settle(_ content: Range<Int>, next: Int) {
        let cursor = cursor(for: content)
        if cursor.pointee.start == content.lowerBound { cursor.pointee.next = next }
    }

    /// The offset of the value of the entry at `offset` if its key is `key`.
    @inline(__always)
    private func value(at offset: Int, matching key: String, end: Int) throws(HandoffError) -> Int? {
        var next = offset
        let length = try readLength(&next, end: end)
        let bytes = base + next
        let matches = key.utf8.withContiguousStorageIfAvailable { stored in
            stored.count == length && Self.equal(stored.baseAddress, bytes, count: length)
        } ?? key.utf8.elementsEqual(UnsafeBufferPointer(start: bytes, count: length))
        guard matches else { return nil }
        let value = next &+ length
        guard value < end else { throw failure("the entry for key \"\(key)\" has no value", at: offset) }
        return value
    }

    /// Whether `count` bytes at `left` and `right` are equal; keys are short, so this beats a
    /// call to `memcmp`.
    @inline(__always)
    static func equal(_ left: UnsafePointer<UInt8>?, _ right: UnsafePointer<UInt8>, count: Int) -> Bool {
        guard let left else { return count == 0 }
        var index = 0
        while index &+ 8 <= count {
            if UnsafeRawPointer(left + index).loadUnaligned(as: UInt64.self)
                != UnsafeRawPointer(right + index).loadUnaligned(as: UInt64.self) { return false }
            index &+= 8
        }
        while index < count {
            if left[index] != right[index] { return false }
            index &+= 1
        }
        return true
    }

    /// Looks `key` up without the cursor: a scan, or a key table for a large container.
    private func search(_ key: String, in content: Range<Int>) throws(HandoffError) -> Entry? {
        if content.count > Self.keyTableThreshold {
            let table = try keyTable(for: content)
            guard let offset = table[key], let value = try value(at: offset, matching: key, end: content.upperBound) else {
                return nil
            }
            return Entry(key: offset, value: value)
        }
        var offset = content.lowerBound
        while offset < content.upperBound {
            if let value = try value(at: offset, matching: key, end: content.upperBound) {
                return Entry(key: offset, value: value)
            }
            offset = try entryEnd(at: offset, end: content.upperBound)
        }
        return nil
    }

    private func keyTable(for content: Range<Int>) throws(HandoffError) -> [String: Int] {
        if let table = keyTables[content.lowerBound] { return table }
        var table: [String: Int] = [:]
        try forEachKey(in: content) { key, offset in
            if table[key] == nil { table[key] = offset }
        }
        keyTables[content.lowerBound] = table
        return table
    }

    /// The offset just past the entry at `offset`.
    func entryEnd(at offset: Int, end: Int) throws(HandoffError) -> Int {
        var next = offset
        let length = try readLength(&next, end: end)
        return try valueEnd(at: next &+ length, end: end)
    }

    /// Calls `body` with every key of the container and its entry's offset, in order; fails on
    /// a key that is not UTF-8 or an entry that runs past the end.
    func forEachKey(in content: Range<Int>, _ body: (String, Int) throws(HandoffError) -> Void) throws(HandoffError) {
        var offset = content.lowerBound
        while offset < content.upperBound {
            var next = offset
            let length = try readLength(&next, end: content.upperBound)
            guard let key = String(validating: UnsafeBufferPointer(start: base + next, count: length), as: UTF8.self) else {
                throw failure("a key is not valid UTF-8", at: offset)
            }
            try body(key, offset)
            offset = try valueEnd(at: next &+ length, end: content.upperBound)
        }
    }

    /// The number of values in an unkeyed container's content.
    func elementCount(in content: Range<Int>) throws(HandoffError) -> Int {
        var offset = content.lowerBound
        var count = 0
        while offset < content.upperBound {
            offset = try valueEnd(at: offset, end: content.upperBound)
            count += 1
        }
        return count
    }

    /// The offset of the value of `key`, which must exist.
    @inline(__always)
    func require(_ key: String, in content: Range<Int>) throws(HandoffError) -> Int {
        guard let value = try find(key, in: content) else { throw missing(key, in: content) }
        return value
    }

    /// The offset of the value of `key` unless it is missing or nil.
    @inline(__always)
    func present(_ key: String, in content: Range<Int>) throws(HandoffError) -> Int? {
        guard let value = try find(key, in: content), !decodeNil(at: value) else { return nil }
        return value
    }

    /// A "no value for key" error.
    private func missing(_ key: String, in content: Range<Int>) -> HandoffError {
        failure("no value for key \"\(key)\" in the keyed container", at: Swift.max(content.lowerBound - 1, 0))
    }
}
