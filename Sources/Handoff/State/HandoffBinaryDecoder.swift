import HandoffSystem
/// Decodes `Decodable` values from the bytes ``HandoffBinaryEncoder`` writes.
///
/// The decoder treats its input as hostile: it checks every length against what remains before
/// reading or allocating, validates type tags and UTF-8, refuses integers that do not fit the
/// type asked for, and bounds how deeply values nest. Whatever the bytes, it returns a value or
/// throws ``HandoffError``; it never traps.
///
/// It reads the bytes in place, so the `Decoder` and the containers an `init(from:)` receives
/// are valid only until ``decode(_:from:)`` returns: keep the values they produce, not them.
///
/// ```swift
/// let state = try HandoffBinaryDecoder().decode(SessionTable.self, from: payload)
/// ```
public struct HandoffBinaryDecoder: Sendable {
    /// How many levels of `init(from:)` may nest before decoding fails.
    public let maxDepth: Int

    /// Creates a decoder.
    /// - Parameter maxDepth: How many levels of `init(from:)` may nest before decoding fails
    ///   (the top-level value is level 1). It bounds the stack a hostile input can make the
    ///   decoder use.
    public init(maxDepth: Int = 128) {
        self.maxDepth = maxDepth
    }

    /// Decodes a value.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: A document written by ``HandoffBinaryEncoder``, and nothing after it.
    /// - Returns: The decoded value.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/codingFailed`` whose reason says what
    ///   was wrong — a truncated or malformed document, a type or key the document does not
    ///   hold, an integer too large for its type, nesting deeper than ``maxDepth`` — with the
    ///   byte offset and the coding path where it was found. An error thrown by a type's own
    ///   `init(from:)` is wrapped in one.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard let version = bytes.first else {
            throw HandoffError(.codingFailed, "decoding \(T.self): the document is empty")
        }
        guard version == BinaryFormat.version else {
            throw HandoffError(.codingFailed, "decoding \(T.self): format version \(version) is not \(BinaryFormat.version), at byte 0")
        }
        do {
            // The bytes are read in place: every decoder and container lives within this scope.
            return try bytes.withUnsafeBufferPointer { buffer in
                let state = BinaryDecodingState(buffer, maxDepth: maxDepth)
                let end = try state.valueEnd(at: 1, end: buffer.count)
                guard end == buffer.count else {
                    throw state.failure("\(buffer.count - end) bytes follow the value", at: end)
                }
                let value = try state.decodeValue(type, at: 1, end: end)
                if let error = state.deferredError { throw error }
                return value
            }
        } catch let error as HandoffError {
            throw error
        } catch {
            throw HandoffError(.codingFailed, "decoding \(T.self) failed: \(error)")
        }
    }
}
