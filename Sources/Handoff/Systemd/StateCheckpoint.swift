import HandoffSystem

/// A checkpoint of the registered state in a sealed memfd, kept in systemd's file descriptor
/// store so a crash-restart finds it in `LISTEN_FDS`.
///
/// Two slots, `handoff-state-0` and `handoff-state-1`, take turns: a checkpoint replaces one
/// slot (`FDSTOREREMOVE=1` then `FDSTORE=1` under the same name) while the other keeps the one
/// before, so a crash between the two messages still leaves a whole checkpoint. A start reads
/// both and takes the newer one that checks out.
///
/// Layout (integers big-endian): `"HOFC" | format u8 | sequence i64 | count u32 |
/// (length u64 | envelope)… | crc32c u32`, the checksum over everything before it; each
/// envelope carries its own checksums too.
struct StateCheckpoint: Sendable {
    static let slotNames = ["handoff-state-0", "handoff-state-1"]
    static let magic: [UInt8] = Array("HOFC".utf8)

    /// Whether a passed descriptor's name is a checkpoint slot's (numbered, if repeated).
    static func isSlot(_ name: String) -> Bool {
        slotNames.contains { name == $0 || name.hasPrefix($0 + "#") }
    }
    static let formatVersion: UInt8 = 1

    /// The slot name it was stored under.
    let name: String
    let fd: CInt

    /// Encodes a checkpoint; `sequence` orders checkpoints (newer is larger).
    static func encode(_ envelopes: [Envelope], sequence: Int64) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + envelopes.reduce(0) { $0 + $1.payload.count + 128 })
        writer.raw(magic)
        writer.u8(formatVersion)
        writer.i64(sequence)
        writer.u32(UInt32(envelopes.count))
        for envelope in envelopes {
            let bytes = envelope.encoded()
            writer.u64(UInt64(bytes.count))
            writer.raw(bytes)
        }
        writer.u32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    /// Decodes and checks a checkpoint.
    /// - Throws: ``HandoffError``: ``HandoffError/Code/badMagic``,
    ///   ``HandoffError/Code/unsupportedVersion``, ``HandoffError/Code/checksumMismatch``,
    ///   ``HandoffError/Code/malformedPayload``, or an envelope's error.
    static func decode(_ bytes: [UInt8], maxPayloadLength: Int) throws -> (sequence: Int64, envelopes: [Envelope]) {
        guard bytes.count >= 4 + 1 + 8 + 4 + 4, Array(bytes.prefix(4)) == magic else {
            throw HandoffError(.badMagic, "state checkpoint does not start with \"HOFC\"")
        }
        let end = bytes.count - 4
        let stored = UInt32(bytes[end]) << 24 | UInt32(bytes[end + 1]) << 16 | UInt32(bytes[end + 2]) << 8 | UInt32(bytes[end + 3])
        let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard stored == computed else {
            throw HandoffError(.checksumMismatch, "state checkpoint checksum is \(hex(stored)), contents give \(hex(computed))")
        }
        var reader = ByteReader(bytes[4..<end], what: "state checkpoint")
        let format = try reader.u8("format")
        guard format == formatVersion else {
            throw HandoffError(.unsupportedVersion, "state checkpoint format \(format); this build reads \(formatVersion)")
        }
        let sequence = try reader.i64("sequence")
        let count = Int(try reader.u32("count"))
        var envelopes: [Envelope] = []
        for index in 0..<count {
            reader.item = ("envelope", index)
            let length = try reader.u64("length")
            guard length <= UInt64(reader.remaining) else { throw reader.fail("length \(length) runs past the end") }
            let slice = try reader.raw(Int(length), "envelope")
            envelopes.append(try Envelope(decoding: Array(slice), maxPayloadLength: maxPayloadLength))
        }
        try reader.expectEnd()
        return (sequence, envelopes)
    }

    /// A sealed memfd holding `bytes`.
    /// - Throws: ``HandoffError/Code/systemCall`` naming the call that failed.
    static func memfd(holding bytes: [UInt8], name: String) throws(HandoffError) -> CInt {
        let fd = try Syscall.memoryFile(name)
        do throws(HandoffError) {
            try Syscall.writeAll(fd, bytes, "write(memfd)")
            try Syscall.sealMemoryFile(fd)
            return fd
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// The checkpoint's bytes, read from the start of the descriptor.
    /// - Throws: ``HandoffError/Code/systemCall``, or ``HandoffError/Code/envelopeTooLarge``
    ///   past `limit` bytes.
    func contents(limit: Int) throws(HandoffError) -> [UInt8] {
        let size = try Syscall.status(fd, "fstat(\(name))").size
        guard size <= limit else {
            throw HandoffError(.envelopeTooLarge, "state checkpoint \(name) is \(size) bytes; the cap is \(limit)")
        }
        return try Syscall.readAll(fd, count: size, "pread(\(name))")
    }

    /// The newest checkpoint among `checkpoints` that checks out, and why each other was
    /// passed over. Closes every descriptor.
    static func newest(of checkpoints: [StateCheckpoint], maxPayloadLength: Int) -> (envelopes: [Envelope]?, refused: [HandoffError]) {
        var best: (Int64, [Envelope])?
        var refused: [HandoffError] = []
        for checkpoint in checkpoints {
            defer { Syscall.close(checkpoint.fd) }
            do {
                let bytes = try checkpoint.contents(limit: maxPayloadLength + (64 << 20))
                let decoded = try decode(bytes, maxPayloadLength: maxPayloadLength)
                if best.map({ decoded.sequence > $0.0 }) ?? true { best = (decoded.sequence, decoded.envelopes) }
            } catch {
                let failure = error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
                refused.append(failure.context("state checkpoint \(checkpoint.name)"))
            }
        }
        return (best?.1, refused)
    }
}
