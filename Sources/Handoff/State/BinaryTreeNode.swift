import HandoffSystem
/// One value of a ``BinaryTreeEncoder`` tree.
final class BinaryTreeNode {
    enum Kind: CustomStringConvertible {
        case empty, primitive, keyed, unkeyed, single
        var description: String {
            switch self {
            case .empty: "nothing"
            case .primitive: "a single value"
            case .keyed: "keyed"
            case .unkeyed: "unkeyed"
            case .single: "a single value"
            }
        }
    }

    var kind = Kind.empty
    let owner: (any Any.Type)?
    /// Canonical-ordering group size of the container (see ``BinaryFormat``).
    var group = 0
    /// The bytes of a primitive, written by ``BinaryEncodingState/writePrimitive(_:)``.
    var bytes: [UInt8] = []
    var keys: [String] = []
    var children: [BinaryTreeNode] = []

    init(owner: (any Any.Type)?) { self.owner = owner }

    /// Encodes `value` into this (empty) node.
    func encode<T: Encodable>(_ value: T, context: BinaryTreeContext, codingPath: [any CodingKey]) throws {
        let scratch = BinaryEncodingState(capacity: 16)
        if scratch.writePrimitive(value) {
            kind = .primitive
            bytes = scratch.finish()
        } else {
            try value.encode(to: BinaryTreeEncoder(node: self, context: context, codingPath: codingPath))
        }
    }

    /// Writes the node in the wire format, the way the fast path would have.
    func write(to state: BinaryEncodingState) {
        switch kind {
        case .empty:
            state.writeByte(BinaryFormat.keyedTag)
            state.writeByte(0)
        case .primitive:
            bytes.withUnsafeBytes { state.writeBytes($0.baseAddress, count: $0.count) }
        case .single:
            children[0].write(to: state)
        case .keyed, .unkeyed:
            let id = state.pushContainer(kind == .keyed ? .keyed : .unkeyed, component: BinaryEncodingState.noComponent)
            state.canonicalizeTop(group: group)
            for (index, child) in children.enumerated() {
                state.beginEntry()
                if kind == .keyed { _ = state.writeKey(keys[index]) }
                child.write(to: state)
            }
            state.close(through: id)
        }
    }
}
