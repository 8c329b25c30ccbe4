import HandoffSystem
/// The file names of a ``DirectoryStore``: one file per offer, per claim and per offer being
/// written, all derived from the label and key so that any string is safe.
///
/// A label and key become a *stem*: each is percent-encoded (bytes other than `A–Z a–z 0–9 . _ -`
/// become `%XX`, and so does a leading `.`, so no file is hidden) and the two are joined with `+`,
/// which the encoding never produces. `("sessions", "eu/1")` gives `sessions+eu%2F1`. A stem
/// longer than ``maxReadableStem`` bytes keeps a readable prefix and ends in `~` and a 64-bit
/// FNV-1a hash of the label and key (`~` is never produced by the encoding either).
///
/// ```
/// <stem>+offer                               an offer, claimable
/// <stem>=<id>+offer                          a later offer, made while an earlier one waited
/// <stem>[=<id>]+claim+<pid>+<start>+<boot>+<seq>    an offer taken by a claimer
/// <stem>+tmp+<pid>+<start>+<boot>+<seq>      an offer being written
/// ```
///
/// An offer never replaces another: the first one of a label and key takes the plain name,
/// and one made while it waits takes a name with an *offer id* (`=` and 20 hex digits: the
/// wall clock in nanoseconds and a random suffix; `=` is never produced by the encoding). The
/// part before `+offer` or `+claim` is the offer's *entry stem*; its claim keeps it, so a
/// release or a revival gives the state back under the name it had.
///
/// `<pid>+<start>+<boot>` is the ``ClaimOwner`` that made the file; `<seq>` a per-process
/// counter, so one process's names never collide. Names are parsed from the right, since only
/// the stem may contain more `+`.
enum DirectoryStoreLayout {
    /// The longest stem kept whole: with the longest claim suffix the name stays under
    /// `NAME_MAX` (255).
    static let maxReadableStem = 160
    /// How many bytes of the encoded label and key a hashed stem keeps.
    static let hashedPrefix = 140
    /// Separates a stem from an offer id.
    static let offerIDMarker: Character = "="

    static let offerSuffix = "+offer"
    static let claimMarker = "claim"
    static let temporaryMarker = "tmp"
    static let checkpointMarker = "ckpt"

    /// The stem of every file that belongs to `label` and `key`.
    static func stem(label: String, key: String) -> String {
        let readable = encode(label) + "+" + encode(key)
        guard readable.utf8.count > maxReadableStem else { return readable }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(label.utf8) + [0] + Array(key.utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(readable.prefix(hashedPrefix)) + "~" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// `<stem>+offer`.
    static func offerName(label: String, key: String) -> String {
        stem(label: label, key: key) + offerSuffix
    }

    /// `<stem>=<id>+offer`: an offer made while another of its label and key waits.
    static func laterOfferName(label: String, key: String, id: String) -> String {
        "\(stem(label: label, key: key))\(offerIDMarker)\(id)\(offerSuffix)"
    }

    /// A new offer id: 16 hex digits of the wall clock in nanoseconds, then 4 random ones.
    static func newOfferID(now: Int64) -> String {
        let time = String(UInt64(bitPattern: now), radix: 16)
        let random = String(UInt16.random(in: 0 ... .max), radix: 16)
        return String(repeating: "0", count: 16 - time.count) + time + String(repeating: "0", count: 4 - random.count) + random
    }

    /// The stem of the label and key an entry stem (`<stem>` or `<stem>=<id>`) belongs to.
    static func baseStem(_ entryStem: String) -> Substring {
        entryStem.firstIndex(of: offerIDMarker).map { entryStem[..<$0] } ?? entryStem[...]
    }

    /// `<stem>+claim+<owner>+<seq>`.
    static func claimName(label: String, key: String, owner: ClaimOwner, sequence: UInt64) -> String {
        claimName(entryStem: stem(label: label, key: key), owner: owner, sequence: sequence)
    }

    /// `<entry stem>+claim+<owner>+<seq>`: the claim of the offer `<entry stem>+offer`.
    static func claimName(entryStem: String, owner: ClaimOwner, sequence: UInt64) -> String {
        "\(entryStem)+\(claimMarker)+\(owner.nameComponent)+\(sequence)"
    }

    /// `<stem>+tmp+<owner>+<seq>`.
    static func temporaryName(label: String, key: String, owner: ClaimOwner, sequence: UInt64) -> String {
        "\(stem(label: label, key: key))+\(temporaryMarker)+\(owner.nameComponent)+\(sequence)"
    }

    /// `<stem>+ckpt+<owner>+0`: the crash-durable checkpoint `owner` keeps of `label` and `key`.
    static func checkpointName(label: String, key: String, owner: ClaimOwner) -> String {
        "\(stem(label: label, key: key))+\(checkpointMarker)+\(owner.nameComponent)+0"
    }

    /// What a file name in the store directory is.
    enum Entry: Equatable {
        case offer(stem: String)
        case claim(stem: String, owner: ClaimOwner)
        case temporary(stem: String, owner: ClaimOwner)
        case checkpoint(stem: String, owner: ClaimOwner)
    }

    /// Parses a directory entry's name; `nil` for names the store did not make.
    static func parse(_ name: String) -> Entry? {
        if name.hasSuffix(offerSuffix) {
            let stem = String(name.dropLast(offerSuffix.count))
            return stem.isEmpty ? nil : .offer(stem: stem)
        }
        // <stem> + <marker> + pid + start + boot + seq: five fields after the stem.
        let parts = name.split(separator: "+", omittingEmptySubsequences: false)
        guard parts.count >= 7 else { return nil }
        let tail = parts.suffix(5).map(String.init)
        let stem = parts.dropLast(5).joined(separator: "+")
        guard UInt64(tail[4]) != nil,
              let owner = ClaimOwner(nameComponent: tail[1...3].joined(separator: "+")) else { return nil }
        switch tail[0] {
        case claimMarker: return .claim(stem: stem, owner: owner)
        case temporaryMarker: return .temporary(stem: stem, owner: owner)
        case checkpointMarker: return .checkpoint(stem: stem, owner: owner)
        default: return nil
        }
    }

    /// Whether `token` can be a claim name this store made (no path separator, a claim's shape).
    static func isClaimName(_ token: String) -> Bool {
        guard !token.contains("/"), case .claim = parse(token) else { return false }
        return true
    }

    /// Percent-encodes the bytes of `text` outside `A–Z a–z 0–9 . _ -`, and a leading `.`.
    static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for (index, byte) in text.utf8.enumerated() {
            let plain = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5F || byte == 0x2D || (byte == 0x2E && index > 0)
            if plain {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
