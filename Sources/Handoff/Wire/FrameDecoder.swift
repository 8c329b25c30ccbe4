import HandoffSystem
/// Cuts a byte stream into ``Frame``s, refusing anything malformed with a typed error.
///
/// Feed bytes as they arrive with `append(_:)`, then call ``next()`` until it returns `nil`.
/// The header is checked as soon as it is complete, so an oversized or alien frame is refused
/// before its payload is buffered. After an error the stream is unusable: the decoder keeps
/// failing, and nothing from the bad frame is returned.
package struct FrameDecoder: Sendable {
    /// The largest payload accepted.
    package let maxPayloadLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: HandoffError?

    /// Creates a decoder.
    /// - Parameter maxPayloadLength: The largest payload accepted; larger frames are refused
    ///   with ``HandoffError/Code/frameTooLarge``.
    package init(maxPayloadLength: Int = Frame.defaultMaxPayloadLength) {
        self.maxPayloadLength = maxPayloadLength
    }

    /// Bytes received but not yet returned as frames.
    package var bufferedCount: Int { buffer.count - start }

    /// Adds bytes read from the stream.
    package mutating func append<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes read from the stream.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.bindMemory(to: UInt8.self))
    }

    /// The next complete frame, or `nil` if more bytes are needed.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/badMagic``,
    ///   ``HandoffError/Code/unsupportedVersion``, ``HandoffError/Code/unknownFrameType``,
    ///   ``HandoffError/Code/frameTooLarge`` or ``HandoffError/Code/checksumMismatch``.
    package mutating func next() throws(HandoffError) -> Frame? {
        if let failure { throw failure }
        do {
            return try decode()
        } catch {
            failure = error
            throw error
        }
    }

    /// Call at end of stream: throws ``HandoffError/Code/truncatedFrame`` if a frame was cut off.
    package func finish() throws(HandoffError) {
        if let failure { throw failure }
        if bufferedCount > 0 {
            throw HandoffError(.truncatedFrame, "stream ended \(bufferedCount) bytes into a frame")
        }
    }

    private func byte(_ i: Int) -> UInt8 { buffer[start + i] }

    private func integer<T: FixedWidthInteger>(at i: Int, as: T.Type) -> T {
        var value: T = 0
        for k in 0..<MemoryLayout<T>.size { value = value << 8 | T(byte(i + k)) }
        return value
    }

    /// Checks as much of the next frame's header as is buffered; returns it once it is whole.
    private func header() throws(HandoffError) -> Frame.Header? {
        let available = bufferedCount
        // Refuse a wrong magic as soon as its first byte differs.
        for i in 0..<min(available, 4) where byte(i) != Frame.magic[i] {
            let seen = (0..<min(available, 4)).map { String(byte($0), radix: 16) }.joined(separator: " ")
            throw HandoffError(.badMagic, "frame starts with bytes [\(seen)], not \"HOFF\"")
        }
        if available >= 5 && byte(4) != Frame.protocolVersion {
            throw HandoffError(.unsupportedVersion, "frame has protocol version \(byte(4)); this build speaks \(Frame.protocolVersion)")
        }
        if available >= 6 && FrameType(rawValue: byte(5)) == nil {
            throw HandoffError(.unknownFrameType, "frame type \(byte(5)) is not known")
        }
        guard available >= Frame.headerLength else { return nil }
        let length = Int(integer(at: 8, as: UInt32.self))
        if length > maxPayloadLength {
            throw HandoffError(.frameTooLarge, "frame declares \(length) payload bytes; the cap is \(maxPayloadLength)")
        }
        return Frame.Header(type: FrameType(rawValue: byte(5))!, flags: integer(at: 6, as: UInt16.self), length: length)
    }

    private mutating func decode() throws(HandoffError) -> Frame? {
        guard let header = try header() else { return nil }
        let total = Frame.headerLength + header.length + Frame.trailerLength
        guard bufferedCount >= total else {
            if buffer.capacity < start + total { buffer.reserveCapacity(start + total) }
            return nil
        }
        let expected = integer(at: total - 4, as: UInt32.self)
        let actual = buffer.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + total - 4]))
        }
        if expected != actual {
            throw HandoffError(.checksumMismatch, "frame checksum is \(hex(expected)), contents give \(hex(actual))")
        }
        let payload = Array(buffer[(start + Frame.headerLength)..<(start + Frame.headerLength + header.length)])
        consume(total)
        return Frame(header.type, flags: header.flags, payload: payload)
    }

    private mutating func consume(_ count: Int) {
        start += count
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        }
    }
}

// MARK: Payloads read by the caller

extension Frame {
    /// What precedes a frame's payload, as ``FrameDecoder`` checked it.
    struct Header: Equatable {
        var type: FrameType
        var flags: UInt16
        /// The payload's length in bytes.
        var length: Int
    }
}

// A reader with a better place for a large payload than this buffer (`ControlChannel` reading
// `STATE` frames into their envelope) takes the header from the decoder, then the payload and
// trailer itself: what is already buffered through `take(into:)`, the rest from its source.
extension FrameDecoder {
    /// The next frame's header once its bytes are buffered, checked as ``next()`` checks it;
    /// `nil` if more bytes are needed.
    /// - Throws: As ``next()``, except ``HandoffError/Code/checksumMismatch``: the caller that
    ///   reads the payload checks the trailer.
    mutating func peekHeader() throws(HandoffError) -> Frame.Header? {
        if let failure { throw failure }
        do {
            return try header()
        } catch {
            failure = error
            throw error
        }
    }

    /// Drops the header ``peekHeader()`` returned, leaving the payload to the caller.
    /// - Returns: The checksum of the header's bytes, which the frame's checksum continues.
    mutating func skipHeader() -> UInt32 {
        precondition(bufferedCount >= Frame.headerLength, "no header is buffered")
        let crc = buffer.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + Frame.headerLength)]))
        }
        consume(Frame.headerLength)
        return crc
    }

    /// Moves up to `destination.count` buffered bytes into `destination`.
    /// - Returns: How many were moved.
    mutating func take(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(destination.count, bufferedCount)
        guard count > 0 else { return 0 }
        buffer.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
        consume(count)
        return count
    }

    /// Marks the stream broken where the caller found a fault in a frame it read itself: every
    /// later call throws `error`, as after a fault the decoder found.
    mutating func fail(_ error: HandoffError) {
        if failure == nil { failure = error }
    }
}

// MARK: Checksums of payloads read by the caller

extension CRC32C {
    /// The checksum of `a + b` from the checksum of `a`, that of `b` (started from 0) and
    /// `b`'s length, without reading either: zlib's `crc32_combine`, for the Castagnoli
    /// polynomial.
    ///
    /// Lets one pass over bytes serve two checksums that began at different places (a frame's
    /// and an envelope's): checksum a piece once, then fold it into each.
    static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        precondition(secondLength >= 0, "a negative length")
        // Appending n bytes multiplies the first checksum by x^(8n), modulo the polynomial.
        var power: UInt32 = 1 << 31  // x^0
        var bits = UInt(secondLength)
        var k = 3  // x^(2^3) = x^8: one byte
        while bits != 0 {
            if bits & 1 != 0 { power = multiply(powersOfX[k], power) }
            bits >>= 1
            k += 1
        }
        return multiply(power, first) ^ second
    }

    /// The reflected Castagnoli polynomial.
    private static let polynomial: UInt32 = 0x82F6_3B78

    /// `x^(2^k)` modulo the polynomial, for every `k` a length in bits can need.
    private static let powersOfX: [UInt32] = {
        var power: UInt32 = 1 << 30  // x^1
        var table = [power]
        for _ in 1..<(3 + UInt.bitWidth) {
            power = multiply(power, power)
            table.append(power)
        }
        return table
    }()

    /// `a * b` modulo the polynomial, in reflected bit order (the top bit is `x^0`).
    private static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var b = b
        var bit: UInt32 = 1 << 31
        while bit != 0 {
            if a & bit != 0 { product ^= b }
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
            bit >>= 1
        }
        return product
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
