import HandoffSystem
/// Descriptor names as systemd carries them (`FDNAME=`, `LISTEN_FDNAMES=`): printable ASCII, no
/// `:` (the separator of `LISTEN_FDNAMES`), at most 255 bytes.
///
/// The package's own names may hold anything (`listener:127.0.0.1:8080`), so they are
/// percent-encoded on the way into the file descriptor store — `:`, `%` and every byte outside
/// printable ASCII become `%XX` — and decoded on the way back, so a name survives the round
/// trip. A name set with `FileDescriptorName=` that holds no `%` reads as written.
enum FileDescriptorName {
    /// The longest name systemd accepts.
    static let maxLength = 255

    /// `name` in the alphabet systemd accepts.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if the encoded name is too long.
    static func encode(_ name: String) throws(HandoffError) -> String {
        var encoded = ""
        for byte in name.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ":") && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (digits.count == 1 ? "0" : "") + digits
            }
        }
        guard !encoded.isEmpty, encoded.utf8.count <= maxLength else {
            throw HandoffError(.invalidArgument, "descriptor name \(name.debugDescription) is empty or longer than \(maxLength) bytes once encoded for systemd")
        }
        return encoded
    }

    /// The name an encoded one stands for; a `%` not followed by two hex digits is kept as is.
    static func decode(_ encoded: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(encoded.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
