#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// The state of one fast-path encode: a single growing buffer shared by every container, and the
/// stack of frames (containers and single-value slots) that are still open in it.
///
/// Containers are written in place: a container's tag and a one-byte length placeholder go out
/// when it opens, its entries follow, and when it closes its length is patched in (moving the
/// content right when the length needs more than one varint byte). That only works while
/// containers are used in nesting order — the way synthesized `Codable` and nearly all
/// hand-written code use them. A container used after a sibling or its parent has moved on, or an
/// encoder used after it was left behind, sets ``violated``; ``HandoffBinaryEncoder`` then
/// encodes the value again with ``BinaryTreeEncoder``, which accepts any order.
///
/// Every frame has an id; a container or encoder holds its frame's id, and ``prepare(_:)``
/// checks it against the top of the stack, closing frames left open above it.
final class BinaryEncodingState {
    enum FrameKind: UInt8 {
        /// A value slot nothing has been written into yet; closes as an empty keyed container,
        /// as Foundation's encoders do for a value that encodes nothing.
        case slot
        /// A slot that holds a single value.
        case filled
        case keyed
        case unkeyed
    }

    struct Frame {
        var id: Int
        var kind: FrameKind
        /// The offset of the container's tag.
        var start: Int
        /// Elements (unkeyed) so far.
        var count: Int
        /// Where this frame's entries begin in ``entryStarts``, or -1 if it is not canonicalized.
        var entries: Int
        /// How many consecutive entries sort together (2 for a dictionary's key–value pairs).
        var group: Int
        /// The length of ``path`` before this frame's component was pushed.
        var pathBase: Int
        /// The type of the value this slot holds, which decides canonical ordering.
        var owner: (any Any.Type)?
    }

    /// Marks "no coding-path component" where one is optional.
    static let noComponent = Int.min

    /// The buffer, from `malloc`: `realloc` grows a large one by remapping pages, not copying.
    @exclusivity(unchecked) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var capacity: Int
    @exclusivity(unchecked) var count = 0

    /// The stack of open frames, `frames[0]` a sentinel for the root and `frames[depth]` the top.
    @exclusivity(unchecked) private(set) var frames: UnsafeMutablePointer<Frame>
    @exclusivity(unchecked) private var frameCapacity = 16
    @exclusivity(unchecked) private(set) var depth = 0
    /// The id of the top frame, kept apart because every write checks it.
    @exclusivity(unchecked) private(set) var topID = 0
    /// Start offsets of the entries of canonicalized containers that are open.
    @exclusivity(unchecked) private var entryStarts: ContiguousArray<Int> = []
    /// The coding path: the byte offset of a key, or `-(index + 1)` for an unkeyed element.
    @exclusivity(unchecked) private(set) var path: ContiguousArray<Int> = []
    @exclusivity(unchecked) private var nextID = 0
    /// A container or encoder was used out of nesting order: the output is not usable.
    @exclusivity(unchecked) var violated = false
    /// An error passed through a nested `encode(to:)`; if the encode still succeeds, someone
    /// caught it half-way, and the buffer may hold half a value.
    @exclusivity(unchecked) var sawError = false

    /// What the codec knows of the types it has met.
    @exclusivity(unchecked) var types = BinaryTypeCache(.encoding)

    init(capacity: Int = 1024) {
        self.capacity = capacity
        base = Memory.allocate(capacity).assumingMemoryBound(to: UInt8.self)
        frames = .allocate(capacity: frameCapacity)
        frames.initialize(to: Frame(id: 0, kind: .filled, start: 0, count: 0, entries: -1, group: 0, pathBase: 0, owner: nil))
    }

    deinit {
        Memory.release(base)
        frames.deallocate()
    }

    /// The top frame.
    @inline(__always)
    var top: UnsafeMutablePointer<Frame> { frames + depth }

    /// The length of the root container (at offset 1), if it was too long for its one-byte
    /// placeholder: it is written by ``finish()``, which copies the buffer anyway, rather than by
    /// moving the whole document.
    @exclusivity(unchecked) private var rootLength: Int?

    /// The bytes written.
    func finish() -> [UInt8] {
        guard let rootLength else {
            return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                buffer.baseAddress!.initialize(from: base, count: count)
                initialized = count
            }
        }
        let size = BinaryFormat.varintSize(UInt64(rootLength))
        let total = count - 1 + size
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let output = buffer.baseAddress!
            output.initialize(from: base, count: 2)
            var value = UInt64(rootLength)
            for index in 0..<size {
                output[2 + index] = UInt8(truncatingIfNeeded: value) | (index < size - 1 ? 0x80 : 0)
                value >>= 7
            }
            (output + 2 + size).initialize(from: base + 3, count: count - 3)
            initialized = total
        }
    }

    /// The coding path at the point encoding has reached, for error messages.
    func currentCodingPath() -> [any CodingKey] { path.map(key(at:)) }

    // MARK: Buffer

    @inline(__always)
    func ensure(_ extra: Int) {
        if _slowPath(count &+ extra > capacity) { grow(extra) }
    }

    private func grow(_ extra: Int) {
        let newCapacity = Swift.max(capacity * 2, count + extra)
        let grown = Memory.reallocate(base, newCapacity)
        base = grown.assumingMemoryBound(to: UInt8.self)
        capacity = newCapacity
    }

    @inline(__always)
    func writeByte(_ byte: UInt8) {
        ensure(1)
        base[count] = byte
        count &+= 1
    }

    /// Writes a varint; the caller has ensured 10 bytes.
    @inline(__always)
    func writeVarintUnchecked(_ value: UInt64) {
        var value = value
        var offset = count
        while value >= 0x80 {
            base[offset] = UInt8(truncatingIfNeeded: value) | 0x80
            value &>>= 7
            offset &+= 1
        }
        base[offset] = UInt8(truncatingIfNeeded: value)
        count = offset &+ 1
    }

    /// Appends bytes; short runs (keys, most strings) are copied inline rather than by a call.
    @inline(__always)
    func writeBytes(_ source: UnsafeRawPointer?, count length: Int) {
        ensure(length)
        guard let source else { return }
        let destination = UnsafeMutableRawPointer(base + count)
        if length <= 16 {
            var index = 0
            while index < length {
                destination.storeBytes(of: source.load(fromByteOffset: index, as: UInt8.self), toByteOffset: index, as: UInt8.self)
                index &+= 1
            }
        } else {
            destination.copyMemory(from: source, byteCount: length)
        }
        count &+= length
    }

    // MARK: Frames

    /// Pushes a frame and returns its id.
    @inline(__always)
    func push(_ kind: FrameKind, start: Int, owner: (any Any.Type)?, component: Int) -> Int {
        if _slowPath(depth &+ 1 == frameCapacity) { growFrames() }
        depth &+= 1
        nextID &+= 1
        topID = nextID
        (frames + depth).initialize(to: Frame(
            id: nextID, kind: kind, start: start, count: 0, entries: -1, group: 0, pathBase: path.count, owner: owner))
        if component != Self.noComponent { path.append(component) }
        return nextID
    }

    private func growFrames() {
        let grown = UnsafeMutablePointer<Frame>.allocate(capacity: frameCapacity * 2)
        grown.moveInitialize(from: frames, count: depth &+ 1)
        frames.deallocate()
        frames = grown
        frameCapacity *= 2
    }

    /// Opens a nested container as the next entry of the top frame; returns its id.
    @inline(__always)
    func pushContainer(_ kind: FrameKind, component: Int) -> Int {
        let start = count
        ensure(2)
        base[count] = kind == .keyed ? BinaryFormat.keyedTag : BinaryFormat.unkeyedTag
        count &+= 2
        return push(kind, start: start, owner: nil, component: component)
    }

    /// The index of frame `id` in the stack, if it is open.
    func index(of id: Int) -> Int? {
        var index = depth
        while index > 0 {
            if frames[index].id == id { return index }
            index -= 1
        }
        return nil
    }

    /// Makes frame `id` the top, closing frames above it; sets ``violated`` if it is gone.
    @inline(__always)
    func prepare(_ id: Int) {
        if _slowPath(topID != id) { prepareSlow(id) }
    }

    private func prepareSlow(_ id: Int) {
        guard index(of: id) != nil else {
            violated = true
            return
        }
        while topID != id { closeTop() }
    }

    /// Sorts the entries of the top container when it closes, in groups of `group` (0: keep
    /// them in order).
    func canonicalizeTop(group: Int) {
        if group > 0 {
            top.pointee.group = group
            top.pointee.entries = entryStarts.count
        }
    }

    /// Records the start of an entry of a canonicalized container.
    @inline(__always)
    func beginEntry() {
        if _slowPath(top.pointee.entries >= 0) { entryStarts.append(count) }
    }

    /// Counts an element of the top (unkeyed) container; returns its index.
    @inline(__always)
    func countElement() -> Int {
        let index = top.pointee.count
        top.pointee.count = index &+ 1
        return index
    }

    /// Turns the slot `id`, which the top frame must be, into a container; or finds the
    /// container of that kind it already became (a subclass and its superclass share one
    /// encoder). Returns the id to write with.
    func openContainer(_ kind: FrameKind, inSlot id: Int, keyType: (any CodingKey.Type)? = nil) -> Int {
        let top = self.top
        if topID == id, top.pointee.kind == .slot {
            top.pointee.kind = kind
            top.pointee.start = count
            ensure(2)
            base[count] = kind == .keyed ? BinaryFormat.keyedTag : BinaryFormat.unkeyedTag
            count &+= 2
            var group = top.pointee.owner.map { types.info(for: $0).canonicalGroup } ?? 0
            if let keyType, types.isDictionaryCodingKey(keyType) { group = 1 }
            // A keyed container's entry is a key and its value: a group of one.
            canonicalizeTop(group: Swift.min(group, kind == .keyed ? 1 : 2))
            return id
        }
        if let index = index(of: id), frames[index].kind == kind {
            prepare(id)
            return id
        }
        // Gone, or asked for a different kind than it already holds: the tree encoder sorts
        // out which (and reports misuse).
        violated = true
        return -1
    }

    /// Claims the slot `id` for a single value.
    @inline(__always)
    func claimSingleValue(_ id: Int) {
        if _fastPath(topID == id && top.pointee.kind == .slot) {
            top.pointee.kind = .filled
        } else {
            violated = true
        }
    }

    /// Closes frames down to and including `id`.
    @inline(__always)
    func close(through id: Int) {
        if _fastPath(topID == id) {
            closeTop()
        } else if index(of: id) != nil {
            while topID != id { closeTop() }
            closeTop()
        } else {
            violated = true
        }
    }

    func closeTop() {
        guard depth > 0 else {
            violated = true
            return
        }
        switch top.pointee.kind {
        case .slot:
            ensure(2)
            base[count] = BinaryFormat.keyedTag
            base[count &+ 1] = 0
            count &+= 2
        case .filled:
            break
        case .keyed, .unkeyed:
            finishContainer()
        }
        let pathBase = top.pointee.pathBase
        if path.count > pathBase { path.removeLast(path.count - pathBase) }
        depth &-= 1
        topID = top.pointee.id
    }

    /// Patches in the length of the top container, after sorting it if it is canonicalized.
    private func finishContainer() {
        let top = self.top.pointee
        if top.entries >= 0 {
            sortEntries(contentStart: top.start &+ 2, from: top.entries, group: top.group)
            entryStarts.removeLast(entryStarts.count - top.entries)
        }
        patchLength(ofContainerAt: top.start)
    }

    /// Writes the length of the container whose tag is at `start` and whose content runs from
    /// `start + 2` to the end of the buffer into its one-byte placeholder, moving the content
    /// right if the length takes more than one byte.
    @inline(__always)
    func patchLength(ofContainerAt start: Int) {
        let contentStart = start &+ 2
        let length = count &- contentStart
        if _fastPath(length < 0x80) {
            base[start &+ 1] = UInt8(truncatingIfNeeded: length)
            return
        }
        if start == 1 {
            rootLength = length
            return
        }
        let size = BinaryFormat.varintSize(UInt64(length))
        ensure(size)
        Memory.move(base + contentStart + size - 1, from: base + contentStart, count: length)
        let end = count + size - 1
        count = start &+ 1
        writeVarintUnchecked(UInt64(length))
        count = end
    }

    /// Sorts the entries (groups of `group` consecutive ones) of the top container by their
    /// bytes, so an unordered collection encodes the same whatever its iteration order.
    private func sortEntries(contentStart: Int, from first: Int, group: Int) {
        let starts = entryStarts[first...]
        guard starts.count > group, starts.count % group == 0, starts.first == contentStart else { return }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(starts.count / group)
        var index = starts.startIndex
        while index < starts.endIndex {
            let next = index + group
            ranges.append(starts[index]..<(next < starts.endIndex ? starts[next] : count))
            index = next
        }
        let base = self.base
        ranges.sort { left, right in
            let common = Swift.min(left.count, right.count)
            let order = Memory.compare(base + left.lowerBound, base + right.lowerBound, count: common)
            return order != 0 ? order < 0 : left.count < right.count
        }
        let length = count - contentStart
        let sorted = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
        defer { sorted.deallocate() }
        var offset = 0
        for range in ranges {
            (sorted + offset).initialize(from: base + range.lowerBound, count: range.count)
            offset += range.count
        }
        (base + contentStart).update(from: sorted, count: length)
    }
}
