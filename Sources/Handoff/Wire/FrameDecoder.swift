/// Cuts a byte stream into ``Frame``s, refusing anything malformed with a typed error.
///
/// Feed bytes as they arrive with `append(_:)`, then call ``next()`` until it returns `nil`.
/// The header is checked as soon as it is complete, so an oversized or alien frame is refused
/// before its payload is buffered. After an error the stream is unusable: the decoder keeps
/// failing, and nothing from the bad frame is returned.
public struct FrameDecoder: Sendable {
    /// The largest payload accepted.
    public let maxPayloadLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: HandoffError?

    /// Creates a decoder.
    /// - Parameter maxPayloadLength: The largest payload accepted; larger frames are refused
    ///   with ``HandoffError/Code/frameTooLarge``.
    public init(maxPayloadLength: Int = Frame.defaultMaxPayloadLength) {
        self.maxPayloadLength = maxPayloadLength
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedCount: Int { buffer.count - start }

    /// Adds bytes read from the stream.
    public mutating func append<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes read from the stream.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.bindMemory(to: UInt8.self))
    }

    /// The next complete frame, or `nil` if more bytes are needed.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/badMagic``,
    ///   ``HandoffError/Code/unsupportedVersion``, ``HandoffError/Code/unknownFrameType``,
    ///   ``HandoffError/Code/frameTooLarge`` or ``HandoffError/Code/checksumMismatch``.
    public mutating func next() throws(HandoffError) -> Frame? {
        if let failure { throw failure }
        do {
            return try decode()
        } catch {
            failure = error
            throw error
        }
    }

    /// Call at end of stream: throws ``HandoffError/Code/truncatedFrame`` if a frame was cut off.
    public func finish() throws(HandoffError) {
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

    private mutating func decode() throws(HandoffError) -> Frame? {
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
        let total = Frame.headerLength + length + Frame.trailerLength
        guard available >= total else {
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
        let type = FrameType(rawValue: byte(5))!
        let flags = integer(at: 6, as: UInt16.self)
        let payload = Array(buffer[(start + Frame.headerLength)..<(start + Frame.headerLength + length)])
        start += total
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        }
        return Frame(type, flags: flags, payload: payload)
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
