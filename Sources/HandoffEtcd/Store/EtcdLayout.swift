import FoundationEssentials
import Handoff
import HandoffSystem

/// The keys of an ``EtcdStore`` and the size limits they keep to; see <doc:EtcdKeyLayout>.
///
/// ```
/// <prefix>/offers/<label>/<key>                   an offer: the envelope, or its header and a manifest
/// <prefix>/offers/<label>/<key>/claim             its claim: the claimer's token, under its lease
/// <prefix>/offers/<label>/<key>/<slot>            a later offer, made while the first waited
/// <prefix>/offers/<label>/<key>/<slot>/claim      its claim
/// <prefix>/chunks/<label>/<key>/<offer-id>/<n>    chunk n of a large offer: bytes and CRC32C
/// ```
///
/// Labels and keys are percent-encoded (`%` and `/` and bytes below 0x20 become `%XX`), so no
/// label or key can reach into another's keys.
struct EtcdLayout: Sendable {
    /// The key prefix, without a trailing `/`.
    let prefix: String

    /// The largest state (payload) stored whole in its offer key: 1 MiB. Larger state is
    /// chunked. With the longest header (four strings of 64 KiB) and the longest names, the
    /// offer's transaction still stays under etcd's 1.5 MiB request limit.
    static let inlineLimit = 1 << 20
    /// The bytes of an envelope in one chunk: 1 MiB. With its key, CRC and the JSON gateway's
    /// protobuf framing, one chunk's put stays under etcd's default request limit
    /// (`--max-request-bytes`, 1.5 MiB), which counts protobuf bytes, not base64.
    static let chunkSize = 1 << 20
    /// The longest encoded label and key: so that a key plus a whole chunk (or an inline
    /// envelope) still fits in one request.
    static let maxEncodedNameLength = 16 << 10

    init(prefix: String) {
        var prefix = prefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        self.prefix = prefix
    }

    /// The offer key: the first offer of a label and key has no slot; one made while another
    /// waits has a slot (16 hex digits, its chunk set's id if it is chunked).
    func offerKey(label: String, key: String, slot: String? = nil) -> Data {
        let base = "\(prefix)/offers/\(EtcdLayout.encode(label))/\(EtcdLayout.encode(key))"
        return Data((slot.map { "\(base)/\($0)" } ?? base).utf8)
    }

    func claimKey(label: String, key: String, slot: String? = nil) -> Data {
        offerKey(label: label, key: key, slot: slot) + Data("/claim".utf8)
    }

    /// The later offers of a label and key and every claim of them: `[start, end)`.
    func slotRange(label: String, key: String) -> (start: Data, end: Data) {
        let start = offerKey(label: label, key: key) + Data("/".utf8)
        return (start, EtcdLayout.prefixEnd(start))
    }

    /// Whether `text` can be a slot: 16 hex digits.
    static func isSlot<S: StringProtocol>(_ text: S) -> Bool {
        text.count == 16 && text.allSatisfy(\.isHexDigit)
    }

    /// Every offer and claim of `label`: `[start, end)`.
    func labelRange(_ label: String) -> (start: Data, end: Data) {
        let start = Data("\(prefix)/offers/\(EtcdLayout.encode(label))/".utf8)
        return (start, EtcdLayout.prefixEnd(start))
    }

    /// Every chunk set of `label` and `key`.
    func chunkBase(label: String, key: String) -> Data {
        Data("\(prefix)/chunks/\(EtcdLayout.encode(label))/\(EtcdLayout.encode(key))/".utf8)
    }

    /// The chunks of one offer: `[start, end)`.
    func chunkRange(label: String, key: String, offerID: String) -> (start: Data, end: Data) {
        let start = chunkBase(label: label, key: key) + Data("\(offerID)/".utf8)
        return (start, EtcdLayout.prefixEnd(start))
    }

    /// Chunk `index` of one offer; the index is zero-padded so keys sort in order.
    func chunkKey(label: String, key: String, offerID: String, index: Int) -> Data {
        let digits = String(index)
        return chunkRange(label: label, key: key, offerID: offerID).start
            + Data((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8)
    }

    /// What a key inside ``labelRange(_:)`` is.
    enum Entry: Equatable {
        case offer(key: String, slot: String? = nil)
        case claim(key: String, slot: String? = nil)
    }

    func entry(_ fullKey: Data, label: String) -> Entry? {
        let start = labelRange(label).start
        guard fullKey.count > start.count || fullKey == start, fullKey.starts(with: start) else { return nil }
        let rest = String(decoding: fullKey.dropFirst(start.count), as: UTF8.self)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let key = EtcdLayout.decode(String(parts[0])) else { return nil }
        switch parts.count {
        case 1: return .offer(key: key)
        case 2 where parts[1] == "claim": return .claim(key: key)
        case 2 where EtcdLayout.isSlot(parts[1]): return .offer(key: key, slot: String(parts[1]))
        case 3 where EtcdLayout.isSlot(parts[1]) && parts[2] == "claim": return .claim(key: key, slot: String(parts[1]))
        default: return nil
        }
    }

    /// Percent-encodes `%`, `/` and control bytes.
    static func encode(_ text: String) -> String {
        return String(decoding: text.utf8.flatMap { byte -> [UInt8] in
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "/") || byte < 0x20 || byte == 0x7F {
                let hex = Array(String(byte, radix: 16, uppercase: true).utf8)
                return [UInt8(ascii: "%")] + (hex.count == 1 ? [UInt8(ascii: "0")] + hex : hex)
            }
            return [byte]
        }, as: UTF8.self)
    }

    /// Undoes ``encode(_:)``; `nil` for a malformed escape.
    static func decode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The smallest key greater than every key that starts with `prefix`: etcd's `range_end`
    /// for a prefix.
    static func prefixEnd(_ prefix: Data) -> Data {
        var bytes = Array(prefix)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])  // every key
    }
}
