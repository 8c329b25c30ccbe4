import HandoffSystem
/// A coding key rebuilt from the bytes, for coding paths and error messages.
struct BinaryCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = Int(stringValue)
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }

    static let superKey = BinaryCodingKey(stringValue: "super")
}

extension [any CodingKey] {
    /// `a.b[3].c`, or `<root>`.
    var rendered: String {
        if isEmpty { return "<root>" }
        var text = ""
        for key in self {
            if let index = key.intValue, key.stringValue == "Index \(index)" || key is BinaryIndexKey {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// The key of an element of an unkeyed container in a coding path.
struct BinaryIndexKey: CodingKey {
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
    let index: Int

    init(index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }
}
