import HandoffSystem
/// A small direct-mapped cache of ``BinaryTypeInfo`` by metatype, private to one encode or
/// decode so it needs no lock.
struct BinaryTypeCache {
    private var keys = ContiguousArray<UInt>(repeating: 0, count: 32)
    private var values = ContiguousArray<BinaryTypeInfo?>(repeating: nil, count: 32)

    @inline(__always)
    mutating func info(for type: any Any.Type) -> BinaryTypeInfo {
        let key = UInt(bitPattern: ObjectIdentifier(type))
        let slot = Int(truncatingIfNeeded: (key >> 4) & 31)
        if _fastPath(keys[slot] == key), let info = values[slot] { return info }
        let info = BinaryTypeInfo(type)
        keys[slot] = key
        values[slot] = info
        return info
    }
}
