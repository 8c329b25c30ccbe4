import HandoffSystem
/// A keyed container of a ``BinaryTreeEncoder``.
struct BinaryTreeKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: BinaryTreeNode
    let context: BinaryTreeContext
    let codingPath: [any CodingKey]

    private func append(_ key: String) -> BinaryTreeNode {
        let child = BinaryTreeNode(owner: nil)
        node.keys.append(key)
        node.children.append(child)
        return child
    }

    mutating func encodeNil(forKey key: Key) throws {
        let child = append(key.stringValue)
        child.kind = .primitive
        child.bytes = [BinaryFormat.nilTag]
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let child = BinaryTreeNode(owner: T.self)
        node.keys.append(key.stringValue)
        node.children.append(child)
        try child.encode(value, context: context, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = append(key.stringValue)
        child.kind = .keyed
        return KeyedEncodingContainer(BinaryTreeKeyedContainer<NestedKey>(
            node: child, context: context, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = append(key.stringValue)
        child.kind = .unkeyed
        return BinaryTreeUnkeyedContainer(node: child, context: context, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        BinaryTreeEncoder(node: append(BinaryCodingKey.superKey.stringValue), context: context,
                          codingPath: codingPath + [BinaryCodingKey.superKey])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        BinaryTreeEncoder(node: append(key.stringValue), context: context, codingPath: codingPath + [key])
    }
}
