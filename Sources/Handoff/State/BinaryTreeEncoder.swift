#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// The slow path of ``HandoffBinaryEncoder``: builds the value as a tree first, so containers and
/// encoders may be used in any order `Codable` allows — a `superEncoder()` used after its parent
/// moved on, a nested container written after a sibling — and then writes the tree in the same
/// format, and with the same bytes, as the fast path.
///
/// It also reports misuse that Foundation's encoders trap on (a value encoded twice into one
/// single-value container, a keyed container asked of an encoder that already holds an unkeyed
/// one) as an error.
struct BinaryTreeEncoder: Encoder {
    let node: BinaryTreeNode
    let context: BinaryTreeContext
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes `value` into a document.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let context = BinaryTreeContext()
        let root = BinaryTreeNode(owner: T.self)
        try root.encode(value, context: context, codingPath: [])
        if let misuse = context.misuse { throw HandoffError(.codingFailed, misuse) }
        let state = BinaryEncodingState()
        state.writeByte(BinaryFormat.version)
        root.write(to: state)
        return state.finish()
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(BinaryTreeKeyedContainer<Key>(
            node: become(.keyed, keyType: Key.self), context: context, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryTreeUnkeyedContainer(node: become(.unkeyed), context: context, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinaryTreeSingleValueContainer(node: node, context: context, codingPath: codingPath)
    }

    /// The node as a container of `kind`, or a detached node if it already holds something else.
    private func become(_ kind: BinaryTreeNode.Kind, keyType: (any CodingKey.Type)? = nil) -> BinaryTreeNode {
        if node.kind == .empty {
            node.kind = kind
            var group = node.owner.map { context.types.info(for: $0).canonicalGroup } ?? 0
            if let keyType, context.types.isDictionaryCodingKey(keyType) { group = 1 }
            node.group = Swift.min(group, kind == .keyed ? 1 : 2)
            return node
        }
        if node.kind == kind { return node }
        context.report("\(codingPath.rendered): asked for a \(kind) container after encoding \(node.kind) there")
        return BinaryTreeNode(owner: nil)
    }
}

/// What a ``BinaryTreeEncoder`` run shares: the first misuse seen, and what it knows of types.
final class BinaryTreeContext {
    var misuse: String?
    var types = BinaryTypeCache(.encoding)

    func report(_ message: String) {
        if misuse == nil { misuse = message }
    }
}
