import HandoffSystem
/// Follows a chunked body (RFC 9112 §7.1) without keeping it: chunk sizes, extensions, data,
/// the last chunk and the trailer section.
///
/// Bounded: a chunk-size line (with its extensions) of at most ``maximumLineBytes``, a trailer
/// section of at most ``maximumTrailerBytes``; a chunk size of at most 15 hex digits.
struct HTTPChunkedBodyScanner: Sendable {
    /// How a call to ``consume(_:)`` ended.
    enum Outcome: Sendable, Equatable {
        /// The body goes on past the bytes given.
        case needsMore
        /// The body ended; `consumed` bytes were part of it.
        case finished
        /// The body is not valid chunked coding: what was wrong.
        case malformed(String)
    }

    static let maximumLineBytes = 4 * 1024
    static let maximumTrailerBytes = 16 * 1024

    private enum State: Sendable {
        /// Reading a chunk-size line: the size so far, its digit count, whether extensions began.
        case size(value: Int, digits: Int, inExtension: Bool, lineBytes: Int)
        /// Chunk data still to come.
        case data(remaining: Int)
        /// The CRLF after chunk data: whether the CR was seen.
        case dataEnd(sawCR: Bool)
        /// The trailer section: bytes in the current line, bytes in all.
        case trailer(lineBytes: Int, total: Int)
        case finished
    }

    private var state = State.size(value: 0, digits: 0, inExtension: false, lineBytes: 0)

    /// Consumes body bytes from the start of `bytes`.
    /// - Returns: How many bytes belong to the body, and whether it ended or is malformed.
    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, outcome: Outcome) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .finished:
                return (index, .finished)
            case .size(let value, let digits, let inExtension, let lineBytes):
                index += 1
                guard lineBytes < Self.maximumLineBytes else { return (index, .malformed("chunk-size line too long")) }
                if byte == 0x0A {
                    guard digits > 0 else { return (index, .malformed("chunk size missing")) }
                    state = value == 0 ? .trailer(lineBytes: 0, total: 0) : .data(remaining: value)
                } else if inExtension || byte == 0x0D {
                    state = .size(value: value, digits: digits, inExtension: true, lineBytes: lineBytes + 1)
                } else if let digit = Self.hexValue(byte) {
                    guard digits < 15 else { return (index, .malformed("chunk size too large")) }
                    state = .size(value: value * 16 + digit, digits: digits + 1, inExtension: false, lineBytes: lineBytes + 1)
                } else if byte == UInt8(ascii: ";") || byte == 0x20 || byte == 0x09 {
                    guard digits > 0 else { return (index, .malformed("chunk size missing")) }
                    state = .size(value: value, digits: digits, inExtension: true, lineBytes: lineBytes + 1)
                } else {
                    return (index, .malformed("chunk size is not hexadecimal"))
                }
            case .data(let remaining):
                let taken = min(remaining, bytes.count - index)
                index += taken
                state = taken == remaining ? .dataEnd(sawCR: false) : .data(remaining: remaining - taken)
            case .dataEnd(let sawCR):
                index += 1
                if byte == 0x0A {
                    state = .size(value: 0, digits: 0, inExtension: false, lineBytes: 0)
                } else if byte == 0x0D && !sawCR {
                    state = .dataEnd(sawCR: true)
                } else {
                    return (index, .malformed("chunk data not followed by CRLF"))
                }
            case .trailer(let lineBytes, let total):
                index += 1
                guard total < Self.maximumTrailerBytes else { return (index, .malformed("trailer section too large")) }
                if byte == 0x0A {
                    if lineBytes == 0 {
                        state = .finished
                        return (index, .finished)
                    }
                    state = .trailer(lineBytes: 0, total: total + 1)
                } else if byte == 0x0D && lineBytes == 0 {
                    state = .trailer(lineBytes: 0, total: total + 1)
                } else {
                    state = .trailer(lineBytes: lineBytes + 1, total: total + 1)
                }
            }
        }
        if case .finished = state { return (index, .finished) }
        return (index, .needsMore)
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
