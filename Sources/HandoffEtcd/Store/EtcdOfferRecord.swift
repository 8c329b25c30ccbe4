import FoundationEssentials
import Handoff
import HandoffSystem

/// The value of an offer key, and of its chunks.
///
/// An offer's value always starts with the envelope's header (the `HOFE` bytes up to and
/// including the header checksum), so anyone can read its label, key, version and oldest reader
/// without taking it. What follows:
/// - state (the payload) of at most ``EtcdLayout/inlineLimit`` bytes: the rest of the envelope, so the
///   value *is* the envelope;
/// - a larger one: a manifest naming its chunks,
///   `"HOEC" | offer id (16 hex digits) | chunk count u32 | envelope length u64 | crc32c u32`.
///
/// A chunk's value is its slice of the envelope followed by the slice's CRC32C (`u32`,
/// big-endian). The chunks together are the whole envelope, so the envelope's own checksum
/// checks the reassembly once more.
struct EtcdOfferRecord: Sendable {
    struct Manifest: Sendable, Equatable {
        var offerID: String
        var chunkCount: Int
        var envelopeLength: Int
    }

    enum Body: Sendable {
        case inline([UInt8])
        case chunked(Manifest)
    }

    var header: EnvelopeHeader
    var body: Body

    static let manifestMagic = Array("HOEC".utf8)
    static let manifestLength = 4 + 16 + 4 + 8 + 4

    var offerID: String? {
        if case .chunked(let manifest) = body { return manifest.offerID }
        return nil
    }

    /// The offer value of a chunked envelope: its header bytes, then the manifest.
    static func chunkedValue(headerBytes: ArraySlice<UInt8>, manifest: Manifest) -> Data {
        var bytes = Array(headerBytes)
        let start = bytes.count
        bytes += manifestMagic
        bytes += Array(manifest.offerID.utf8)
        bytes += bigEndian(UInt32(manifest.chunkCount))
        bytes += bigEndian(UInt64(manifest.envelopeLength))
        bytes += bigEndian(CRC32C.checksum(bytes[start...]))
        return Data(bytes)
    }

    /// A chunk's value: the bytes and their CRC32C.
    static func chunkValue(_ bytes: ArraySlice<UInt8>) -> Data {
        var value = Data(capacity: bytes.count + 4)
        value.append(contentsOf: bytes)
        value.append(contentsOf: bigEndian(CRC32C.checksum(bytes)))
        return value
    }

    /// Reads an offer value. `what` names the offer in errors.
    /// - Throws: The header's own error (``HandoffError/Code/checksumMismatch``…), or
    ///   ``HandoffError/Code/malformedPayload`` for a value that is neither form.
    init(decoding value: Data, what: String) throws(HandoffError) {
        let bytes = Array(value)
        let headerLength: Int
        do {
            (header, headerLength) = try EnvelopeHeader.decode(bytes[...])
        } catch {
            throw error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
        }
        if bytes.count == headerLength + header.payloadLength + 4 {
            body = .inline(bytes)
            return
        }
        let manifest = bytes[headerLength...]
        guard manifest.count == EtcdOfferRecord.manifestLength, manifest.starts(with: EtcdOfferRecord.manifestMagic) else {
            throw HandoffError(.truncatedEnvelope, "the offer value for \(what) is \(bytes.count) bytes: neither the whole envelope (\(headerLength + header.payloadLength + 4)) nor its header and a chunk manifest")
        }
        let base = manifest.startIndex
        let stored = EtcdOfferRecord.readBigEndian(manifest, at: base + 32, count: 4)
        let computed = CRC32C.checksum(manifest.prefix(32))
        guard stored == computed else {
            throw HandoffError(.checksumMismatch, "the chunk manifest of \(what) has checksum \(hexString(stored)), its contents give \(hexString(UInt64(computed)))")
        }
        let offerID = String(decoding: manifest[(base + 4)..<(base + 20)], as: UTF8.self)
        let count = Int(EtcdOfferRecord.readBigEndian(manifest, at: base + 20, count: 4))
        let length = Int(EtcdOfferRecord.readBigEndian(manifest, at: base + 24, count: 8))
        guard offerID.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              length == headerLength + header.payloadLength + 4,
              count == (length + EtcdLayout.chunkSize - 1) / EtcdLayout.chunkSize else {
            throw HandoffError(.malformedPayload, "the chunk manifest of \(what) does not agree with its header (\(count) chunks, \(length) bytes, offer \(offerID))")
        }
        body = .chunked(Manifest(offerID: offerID, chunkCount: count, envelopeLength: length))
    }

    /// The whole envelope: the inline one, or the chunks (as read, sorted by key) put together,
    /// each checked against its CRC32C, then the envelope's own checksums.
    /// - Throws: ``HandoffError/Code/truncatedEnvelope`` for missing chunks,
    ///   ``HandoffError/Code/checksumMismatch`` for a damaged one, or the envelope's error.
    func envelope(chunks: [EtcdKeyValue], what: String) throws(HandoffError) -> Envelope {
        let bytes: [UInt8]
        switch body {
        case .inline(let whole):
            bytes = whole
        case .chunked(let manifest):
            guard chunks.count == manifest.chunkCount else {
                throw HandoffError(.truncatedEnvelope, "\(what) has \(chunks.count) of its \(manifest.chunkCount) chunks")
            }
            var whole: [UInt8] = []
            whole.reserveCapacity(manifest.envelopeLength)
            for (index, chunk) in chunks.enumerated() {
                let value = chunk.value
                guard value.count > 4 else { throw HandoffError(.truncatedEnvelope, "chunk \(index) of \(what) is \(value.count) bytes") }
                let data = value.prefix(value.count - 4)
                let stored = EtcdOfferRecord.readBigEndian(Array(value.suffix(4))[...], at: 0, count: 4)
                let computed = CRC32C.checksum(data)
                guard stored == computed else {
                    throw HandoffError(.checksumMismatch, "chunk \(index) of \(what) has checksum \(hexString(stored)), its bytes give \(hexString(UInt64(computed)))")
                }
                whole.append(contentsOf: data)
            }
            guard whole.count == manifest.envelopeLength else {
                throw HandoffError(.truncatedEnvelope, "the chunks of \(what) hold \(whole.count) bytes; the manifest says \(manifest.envelopeLength)")
            }
            bytes = whole
        }
        do {
            return try Envelope(decoding: bytes)
        } catch {
            throw error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
        }
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func readBigEndian(_ bytes: ArraySlice<UInt8>, at offset: Int, count: Int) -> UInt64 {
        bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// `0x…` with 8 hex digits.
func hexString(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// What a claim holds: the lease it lives under, a nonce that makes it unique, and the chunk set
/// it covers. Its text form is both the claim key's value (compared by commit and release) and
/// the ``HandoffClaim/token``: `<lease hex>.<nonce hex>.<offer id or ->`.
struct EtcdClaimToken: Sendable, Equatable {
    var lease: Int64
    var nonce: UInt64
    var offerID: String?
    /// The offer's slot; `nil` for the first offer of its label and key.
    var slot: String?

    var text: String {
        "\(String(UInt64(bitPattern: lease), radix: 16)).\(String(nonce, radix: 16)).\(offerID ?? "-")" + (slot.map { ".\($0)" } ?? "")
    }

    var value: Data { Data(text.utf8) }

    init(lease: Int64, nonce: UInt64 = .random(in: 1 ... .max), offerID: String?, slot: String? = nil) {
        self.lease = lease
        self.nonce = nonce
        self.offerID = offerID
        self.slot = slot
    }

    init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4, let lease = UInt64(parts[0], radix: 16), let nonce = UInt64(parts[1], radix: 16),
              parts[2] == "-" || (parts[2].count == 16 && UInt64(parts[2], radix: 16) != nil) else { return nil }
        if parts.count == 4 && !EtcdLayout.isSlot(parts[3]) { return nil }
        self.init(lease: Int64(bitPattern: lease), nonce: nonce, offerID: parts[2] == "-" ? nil : String(parts[2]),
                  slot: parts.count == 4 ? String(parts[3]) : nil)
    }
}
