import HandoffSystem
/// A small direct-mapped cache of ``BinaryTypeInfo`` by metatype, private to one encode or
/// decode so it needs no lock.
struct BinaryTypeCache {
    let direction: BinaryTypeInfo.Direction
    private var keys = ContiguousArray<UInt>(repeating: 0, count: 32)
    private var values = ContiguousArray<BinaryTypeInfo?>(repeating: nil, count: 32)
    private var dictionaryKeys = ContiguousArray<UInt>(repeating: 0, count: 8)
    private var otherKeys = ContiguousArray<UInt>(repeating: 0, count: 8)

    init(_ direction: BinaryTypeInfo.Direction) {
        self.direction = direction
    }

    @inline(__always)
    mutating func info(for type: any Any.Type) -> BinaryTypeInfo {
        let key = UInt(bitPattern: ObjectIdentifier(type))
        let slot = Int(truncatingIfNeeded: (key >> 4) & 31)
        if _fastPath(keys[slot] == key), let info = values[slot] { return info }
        let info = BinaryTypeInfo(type, for: direction)
        keys[slot] = key
        values[slot] = info
        return info
    }

    /// ``BinaryTypeInfo/isDictionaryCodingKey(_:)``, remembered per key type.
    @inline(__always)
    mutating func isDictionaryCodingKey(_ keyType: any CodingKey.Type) -> Bool {
        let key = UInt(bitPattern: ObjectIdentifier(keyType))
        let slot = Int(truncatingIfNeeded: (key >> 4) & 7)
        if dictionaryKeys[slot] == key { return true }
        if otherKeys[slot] == key { return false }
        let isDictionaryKey = BinaryTypeInfo.isDictionaryCodingKey(keyType)
        if isDictionaryKey { dictionaryKeys[slot] = key } else { otherKeys[slot] = key }
        return isDictionaryKey
    }
}
