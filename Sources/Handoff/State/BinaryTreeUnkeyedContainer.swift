import HandoffSystem
/// An unkeyed container of a ``BinaryTreeEncoder``.
struct BinaryTreeUnkeyedContainer: UnkeyedEncodingContainer {
    let node: BinaryTreeNode
    let context: BinaryTreeContext
    let codingPath: [any CodingKey]
    var count: Int { node.children.count }

    private func append(owner: (any Any.Type)? = nil) -> BinaryTreeNode {
        let child = BinaryTreeNode(owner: owner)
        node.children.append(child)
        return child
    }

    private var nextPath: [any CodingKey] { codingPath + [BinaryIndexKey(index: count)] }

    mutating func encodeNil() throws {
        let child = append()
        child.kind = .primitive
        child.bytes = [BinaryFormat.nilTag]
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try append(owner: T.self).encode(value, context: context, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        let child = append()
        child.kind = .keyed
        return KeyedEncodingContainer(BinaryTreeKeyedContainer<NestedKey>(node: child, context: context, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = append()
        child.kind = .unkeyed
        return BinaryTreeUnkeyedContainer(node: child, context: context, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return BinaryTreeEncoder(node: append(), context: context, codingPath: path)
    }
}
