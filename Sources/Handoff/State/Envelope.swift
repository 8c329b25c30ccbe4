import HandoffSystem
/// Handoff state as it travels and rests: a self-describing, checksummed container around the
/// encoded `State` of one ``HandoffAware`` instance.
///
/// Layout (integers big-endian, strings UTF-8 with a `u16` length):
///
/// ```
/// "HOFE" | format u8 | codec u8 | state version u32 | oldest reader u32 | created-at i64 (ns)
///        | producer pid i32 | label | key | producer host | producer build
///        | payload length u64 | header crc32c u32 | payload | crc32c u32
/// ```
///
/// The header checksum covers every byte before it, so a store or an old binary can read and
/// trust the header — above all ``EnvelopeHeader/oldestReaderVersion`` — without the payload.
/// The final checksum covers everything before it.
public struct Envelope: Sendable, Hashable {
    /// `"HOFE"`.
    public static let magic: [UInt8] = Array("HOFE".utf8)
    /// The envelope format this build writes and reads.
    public static let formatVersion: UInt8 = 1
    /// The default cap on a payload: 1 GiB.
    public static let defaultMaxPayloadLength = 1 << 30

    /// What the envelope says about its payload.
    public var header: EnvelopeHeader
    /// The encoded state.
    public var payload: [UInt8]

    /// Creates an envelope; the header's payload length is taken from `payload`.
    public init(header: EnvelopeHeader, payload: [UInt8]) {
        var header = header
        header.payloadLength = payload.count
        self.header = header
        self.payload = payload
    }

    /// The envelope as bytes.
    public func encoded() -> [UInt8] {
        let (prefix, suffix) = wireParts()
        return prefix + payload + suffix
    }

    /// The bytes before and after the payload: the envelope is `prefix + payload + suffix`,
    /// without copying the payload.
    package func wireParts() -> (prefix: [UInt8], suffix: [UInt8]) {
        var writer = ByteWriter(capacity: 128)
        header.write(to: &writer, payloadLength: payload.count)
        let crc = payload.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(writer.bytes)) }
        var suffix = ByteWriter(capacity: 4)
        suffix.u32(crc)
        return (writer.bytes, suffix.bytes)
    }

    /// Decodes and checks a whole envelope.
    /// - Parameters:
    ///   - bytes: The envelope, exactly: trailing bytes are refused.
    ///   - maxPayloadLength: The largest payload accepted.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/badMagic``,
    ///   ``HandoffError/Code/unsupportedVersion``, ``HandoffError/Code/checksumMismatch``,
    ///   ``HandoffError/Code/truncatedEnvelope``, ``HandoffError/Code/envelopeTooLarge`` or
    ///   ``HandoffError/Code/malformedPayload``, saying what was wrong.
    public init(decoding bytes: [UInt8], maxPayloadLength: Int = Envelope.defaultMaxPayloadLength) throws {
        let (header, headerLength) = try Envelope.check(bytes, maxPayloadLength: maxPayloadLength)
        self.header = header
        self.payload = Array(bytes[headerLength..<(headerLength + header.payloadLength)])
    }

    /// Checks every length and both checksums; returns the header and its length.
    private static func check(_ bytes: [UInt8], maxPayloadLength: Int) throws -> (EnvelopeHeader, Int) {
        let (header, headerLength) = try EnvelopeHeader.decode(bytes[...], maxPayloadLength: maxPayloadLength)
        let total = headerLength + header.payloadLength + 4
        guard bytes.count >= total else {
            throw HandoffError(.truncatedEnvelope, "envelope \(header.label)/\(header.key) is \(bytes.count) bytes; its header promises \(total)")
        }
        guard bytes.count == total else {
            throw HandoffError(.malformedPayload, "envelope \(header.label)/\(header.key) has \(bytes.count - total) bytes after its checksum")
        }
        let stored = UInt32(bytes[total - 4]) << 24 | UInt32(bytes[total - 3]) << 16 | UInt32(bytes[total - 2]) << 8 | UInt32(bytes[total - 1])
        let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(total - 4)])) }
        guard stored == computed else {
            throw HandoffError(.checksumMismatch, "envelope \(header.label)/\(header.key) checksum is \(hex(stored)), contents give \(hex(computed))")
        }
        return (header, headerLength)
    }
}

/// How an envelope's payload is encoded.
public enum HandoffCodec: UInt8, Sendable, Hashable, CaseIterable {
    /// The package's compact binary `Encoder`/`Decoder`: the default.
    case binary = 0
    /// Foundation's JSON, for reading state by eye while debugging.
    case json = 1
}

extension Envelope {
    /// Who wrote an envelope.
    public struct Producer: Sendable, Hashable {
        /// The writing process.
        public var pid: Int32
        /// Its host name.
        public var host: String
        /// Its build (``UpgraderConfiguration/buildID``).
        public var build: String

        /// Creates a producer.
        /// - Parameters:
        ///   - pid: The writing process.
        ///   - host: Its host name.
        ///   - build: Its build (``UpgraderConfiguration/buildID``).
        public init(pid: Int32, host: String, build: String) {
            self.pid = pid
            self.host = host
            self.build = build
        }
    }
}

/// The part of an ``Envelope`` before its payload, checked on its own.
public struct EnvelopeHeader: Sendable, Hashable {
    /// The kind of state (``HandoffAware/handoffLabel``).
    public var label: String
    /// The instance (``HandoffAware/handoffKey``).
    public var key: String
    /// The shape of the state (``HandoffAware/handoffVersion``).
    public var stateVersion: Int
    /// The oldest reader version that can decode it: a reader that knows only older shapes must
    /// leave the state where it is.
    public var oldestReaderVersion: Int
    /// How the payload is encoded.
    public var codec: HandoffCodec
    /// When the envelope was made, in nanoseconds since the Unix epoch.
    public var createdAtNanoseconds: Int64
    /// Who made it.
    public var producer: Envelope.Producer
    /// The payload's length in bytes.
    public var payloadLength: Int

    /// Creates a header.
    public init(label: String, key: String, stateVersion: Int, oldestReaderVersion: Int, codec: HandoffCodec,
                createdAtNanoseconds: Int64, producer: Envelope.Producer, payloadLength: Int = 0) {
        self.label = label
        self.key = key
        self.stateVersion = stateVersion
        self.oldestReaderVersion = oldestReaderVersion
        self.codec = codec
        self.createdAtNanoseconds = createdAtNanoseconds
        self.producer = producer
        self.payloadLength = payloadLength
    }

    func write(to writer: inout ByteWriter, payloadLength: Int) {
        let start = writer.bytes.count
        writer.raw(Envelope.magic)
        writer.u8(Envelope.formatVersion)
        writer.u8(codec.rawValue)
        writer.u32(UInt32(truncatingIfNeeded: stateVersion))
        writer.u32(UInt32(truncatingIfNeeded: oldestReaderVersion))
        writer.i64(createdAtNanoseconds)
        writer.u32(UInt32(bitPattern: producer.pid))
        writer.string(label)
        writer.string(key)
        writer.string(producer.host)
        writer.string(producer.build)
        writer.u64(UInt64(payloadLength))
        writer.u32(CRC32C.checksum(writer.bytes[start...]))
    }

    /// Decodes and checks the header at the start of `bytes` (which may hold only the header).
    /// - Returns: The header and its length in bytes (the payload's offset).
    /// - Throws: As ``Envelope/init(decoding:maxPayloadLength:)``; a cut-off header is
    ///   ``HandoffError/Code/truncatedEnvelope``.
    public static func decode(_ bytes: ArraySlice<UInt8>, maxPayloadLength: Int = Envelope.defaultMaxPayloadLength) throws -> (EnvelopeHeader, Int) {
        func truncated(_ error: HandoffError) -> HandoffError {
            HandoffError(.truncatedEnvelope, "envelope header is cut off: \(error.reason)")
        }
        let available = bytes.count
        for i in 0..<min(available, 4) where bytes[bytes.startIndex + i] != Envelope.magic[i] {
            throw HandoffError(.badMagic, "envelope does not start with \"HOFE\"")
        }
        var reader = ByteReader(bytes, what: "envelope header")
        do {
            _ = try reader.u32("magic")
            let format = try reader.u8("format")
            guard format == Envelope.formatVersion else {
                throw HandoffError(.unsupportedVersion, "envelope format \(format); this build reads \(Envelope.formatVersion)")
            }
            let rawCodec = try reader.u8("codec")
            guard let codec = HandoffCodec(rawValue: rawCodec) else { throw reader.fail("codec \(rawCodec) is not known") }
            let version = Int(try reader.u32("state version"))
            let oldest = Int(try reader.u32("oldest reader version"))
            let created = try reader.i64("created-at")
            let pid = Int32(bitPattern: try reader.u32("producer pid"))
            let label = try reader.string("label")
            let key = try reader.string("key")
            let host = try reader.string("producer host")
            let build = try reader.string("producer build")
            let length = try reader.u64("payload length")
            let headerEnd = reader.offset - bytes.startIndex
            let stored = try reader.u32("header checksum")
            let computed = CRC32C.checksum(bytes.prefix(headerEnd))
            guard stored == computed else {
                throw HandoffError(.checksumMismatch, "envelope header checksum is \(hex(stored)), contents give \(hex(computed))")
            }
            guard length <= UInt64(maxPayloadLength) else {
                throw HandoffError(.envelopeTooLarge, "envelope \(label)/\(key) holds \(length) payload bytes; the cap is \(maxPayloadLength)")
            }
            guard oldest <= version else { throw reader.fail("oldest reader version \(oldest) is newer than the state version \(version)") }
            let header = EnvelopeHeader(
                label: label, key: key, stateVersion: version, oldestReaderVersion: oldest, codec: codec,
                createdAtNanoseconds: created, producer: Envelope.Producer(pid: pid, host: host, build: build),
                payloadLength: Int(length))
            return (header, reader.offset - bytes.startIndex)
        } catch let error as HandoffError where error.code == .malformedPayload && error.reason.contains("remain") {
            throw truncated(error)
        }
    }
}
