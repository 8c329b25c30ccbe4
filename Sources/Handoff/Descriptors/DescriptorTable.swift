/// Named descriptors in the order they came: the registry's held ones, and the ones inherited
/// and not yet claimed.
///
/// A successor receives its predecessor's descriptors in the order they were obtained and, as
/// a rule, claims them in that same order. So a claim first looks at the oldest unclaimed
/// entry and takes it when the name matches — no hashing at all; only a lookup out of order
/// builds the name index, once, and keeps it from then on. 10,000 inherited descriptors are
/// taken over as one array and claimed with one string comparison each; a taken entry is only
/// marked, never moved.
struct DescriptorTable {
    private var slots: [Descriptors.Entry]
    /// Whether each slot is still in the table.
    private var live: [Bool]
    /// The first position that may be live.
    private var cursor = 0
    private(set) var count = 0
    /// Each live name's position, once a lookup out of order needed it.
    private var index: [String: Int]?

    init(_ entries: [Descriptors.Entry] = []) {
        slots = entries
        live = Array(repeating: true, count: entries.count)
        count = entries.count
    }

    var isEmpty: Bool { count == 0 }

    /// The entries, in the order they came.
    var entries: [Descriptors.Entry] {
        var result: [Descriptors.Entry] = []
        result.reserveCapacity(count)
        forEach { result.append($0) }
        return result
    }

    /// Visits the entries in the order they came.
    func forEach(_ body: (Descriptors.Entry) -> Void) {
        for position in cursor..<slots.count where live[position] { body(slots[position]) }
    }

    mutating func append(_ entry: Descriptors.Entry) {
        index?[entry.record.name] = slots.count
        slots.append(entry)
        live.append(true)
        count += 1
    }

    mutating func contains(_ name: String) -> Bool {
        position(of: name) != nil
    }

    mutating func entry(named name: String) -> Descriptors.Entry? {
        position(of: name).map { slots[$0] }
    }

    /// Takes the entry named `name` out of the table.
    mutating func take(_ name: String) -> Descriptors.Entry? {
        if cursor < slots.count, slots[cursor].record.name == name {
            return take(at: cursor)
        }
        guard let position = position(of: name) else { return nil }
        return take(at: position)
    }

    mutating func removeAll() {
        self = DescriptorTable()
    }

    private mutating func position(of name: String) -> Int? {
        if count == 0 { return nil }
        if index == nil { buildIndex() }
        return index?[name]
    }

    private mutating func take(at position: Int) -> Descriptors.Entry {
        let entry = slots[position]
        live[position] = false
        count -= 1
        index?[entry.record.name] = nil
        while cursor < slots.count && !live[cursor] { cursor += 1 }
        if count == 0 {
            removeAll()
        } else if slots.count - count > 64 && slots.count - count > count {
            compact()
        }
        return entry
    }

    private mutating func buildIndex() {
        var built: [String: Int] = [:]
        built.reserveCapacity(count)
        forEachPosition { built[slots[$0].record.name] = $0 }
        index = built
    }

    private func forEachPosition(_ body: (Int) -> Void) {
        for position in cursor..<slots.count where live[position] { body(position) }
    }

    /// Drops the taken slots once they are most of the table.
    private mutating func compact() {
        let hadIndex = index != nil
        self = DescriptorTable(entries)
        if hadIndex { buildIndex() }
    }
}
