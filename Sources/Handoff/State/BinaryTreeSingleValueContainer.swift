import HandoffSystem
/// A single-value container of a ``BinaryTreeEncoder``: one value, once.
struct BinaryTreeSingleValueContainer: SingleValueEncodingContainer {
    let node: BinaryTreeNode
    let context: BinaryTreeContext
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws {
        guard claim() else { return }
        node.kind = .primitive
        node.bytes = [BinaryFormat.nilTag]
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        guard claim() else { return }
        let child = BinaryTreeNode(owner: T.self)
        node.kind = .single
        node.children = [child]
        try child.encode(value, context: context, codingPath: codingPath)
    }

    private func claim() -> Bool {
        if node.kind == .empty { return true }
        context.report("\(codingPath.rendered): a single-value container was given a value after it already held \(node.kind)")
        return false
    }
}
