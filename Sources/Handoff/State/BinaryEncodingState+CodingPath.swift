import HandoffSystem
/// Coding paths on the fast path: ``BinaryEncodingState/path`` holds, per level, the offset of
/// the key in the buffer or `-(index + 1)` for an element, so keeping the path costs an integer
/// per nested value and a key is rebuilt only when someone asks.
extension BinaryEncodingState {
    /// The coding path of frame `id` (empty if it is gone).
    func codingPath(ofFrame id: Int) -> [any CodingKey] {
        guard let index = index(of: id) else { return [] }
        let end = index == depth ? path.count : frames[index + 1].pathBase
        return path.prefix(end).map(key(at:))
    }

    /// The number of elements so far in unkeyed frame `id`.
    func elementCount(ofFrame id: Int) -> Int {
        index(of: id).map { frames[$0].count } ?? 0
    }

    /// The coding key a path component stands for.
    func key(at component: Int) -> any CodingKey {
        if component < 0 { return BinaryIndexKey(index: -(component + 1)) }
        var offset = component
        var length = 0
        var shift = 0
        while offset < count, shift < 64 {
            let byte = base[offset]
            offset += 1
            length |= Int(byte & 0x7F) << shift
            shift += 7
            if byte < 0x80 { break }
        }
        let bytes = UnsafeBufferPointer(start: base + offset, count: Swift.max(0, Swift.min(length, count - offset)))
        return BinaryCodingKey(stringValue: String(decoding: bytes, as: UTF8.self))
    }
}
