import HandoffSystem
/// Encodes `Encodable` values into Handoff's compact binary format, the default codec for
/// handoff state.
///
/// The output is deterministic: the same value gives the same bytes every time, in every
/// process, even when it holds dictionaries or sets. `Data` is stored as raw bytes, `Date` as the
/// exact bits of its `timeIntervalSinceReferenceDate`, `URL` as its `absoluteString`, and floating
/// point values bit for bit. ``HandoffBinaryDecoder`` reads it back; the format is described in
/// the documentation of `BinaryFormat` in the source.
///
/// The `Encoder` and the containers an `encode(to:)` receives are valid only until
/// ``encode(_:)`` returns.
///
/// ```swift
/// let bytes = try HandoffBinaryEncoder().encode(sessions)
/// let restored = try HandoffBinaryDecoder().decode([Session].self, from: bytes)
/// ```
public struct HandoffBinaryEncoder: Sendable {
    /// Creates an encoder.
    public init() {}

    /// Encodes a value.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The encoded bytes.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/codingFailed`` if the value's
    ///   `encode(to:)` throws (the reason carries the original error) or uses the encoder in a way
    ///   `Codable` forbids, such as two values in one single-value container.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let state = BinaryEncodingState()
        state.writeByte(BinaryFormat.version)
        do {
            try state.encodeValue(value, component: BinaryEncodingState.noComponent)
        } catch let error as HandoffError {
            throw error
        } catch {
            throw HandoffError(.codingFailed, "encoding \(T.self) failed at \(state.currentCodingPath().rendered) (byte \(state.count)): \(error)")
        }
        if state.violated || state.sawError || state.depth != 0 {
            // Containers were used out of nesting order (or an error was caught half-way):
            // encode again, through a tree that accepts any order.
            do {
                return try BinaryTreeEncoder.encode(value)
            } catch let error as HandoffError {
                throw error
            } catch {
                throw HandoffError(.codingFailed, "encoding \(T.self) failed: \(error)")
            }
        }
        return state.finish()
    }
}
