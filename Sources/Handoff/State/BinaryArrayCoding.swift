import HandoffSystem
/// Arrays encoded and decoded without going through `Array`'s own `Codable` conformance, which
/// copies every element, grows its storage one append at a time, and runs an existential
/// container per array. The bytes are the same as the generic path's: an unkeyed container.
protocol BinaryArrayEncodable {
    /// Writes the elements of the array at `pointer` into the open unkeyed container `id`.
    static func encodeElements(of pointer: UnsafeRawPointer, into state: BinaryEncodingState, container id: Int) throws
}

extension Array: BinaryArrayEncodable where Element: Encodable {
    static func encodeElements(of pointer: UnsafeRawPointer, into state: BinaryEncodingState, container id: Int) throws {
        try pointer.assumingMemoryBound(to: [Element].self).pointee.withUnsafeBufferPointer { elements in
            guard let first = elements.baseAddress else { return }
            for index in 0..<elements.count {
                state.prepare(id)
                _ = state.countElement()
                state.beginEntry()
                try state.encodeValue(at: first + index, component: -(index &+ 1))
            }
        }
    }
}

/// See ``BinaryArrayEncodable``.
protocol BinaryArrayDecodable {
    /// Decodes the elements of the unkeyed container `content` into an array at `pointer`.
    static func decodeElements(
        in content: Range<Int>, from state: BinaryDecodingState, into pointer: UnsafeMutableRawPointer
    ) throws
}

extension Array: BinaryArrayDecodable where Element: Decodable {
    static func decodeElements(
        in content: Range<Int>, from state: BinaryDecodingState, into pointer: UnsafeMutableRawPointer
    ) throws {
        let count = try state.elementCount(in: content)
        let elements = try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            var offset = content.lowerBound
            while offset < content.upperBound, initialized < count {
                let end = try state.valueEnd(at: offset, end: content.upperBound)
                (buffer.baseAddress! + initialized).initialize(to: try state.decodeValue(Element.self, at: offset, end: end))
                initialized += 1
                offset = end
            }
        }
        pointer.initializeMemory(as: [Element].self, to: elements)
    }
}
