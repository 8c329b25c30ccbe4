import HandoffSystem
/// What a request head says about how its body is framed and whether the connection goes on:
/// the part of HTTP/1.1's head syntax that ``HTTPBoundaryTracker`` needs.
///
/// Not the admin endpoint's `HTTPRequestParser`: that one wants the whole request, body
/// included, in one buffer, and refuses `Transfer-Encoding`; a tracker follows bodies of any
/// size and coding without keeping them, so it needs only the framing fields of the head.
struct HTTPHeadFields: Sendable, Equatable {
    /// What made a head unparseable.
    struct Malformed: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// The body length `Content-Length` gives (0 without one).
    var contentLength = 0
    /// Whether the body is chunked (`Transfer-Encoding` ending in `chunked`).
    var isChunked = false
    /// Whether the connection stays open after the response.
    var keepAlive = true
    /// Whether the request switches to another protocol (`Upgrade`, `CONNECT`).
    var switchesProtocols = false

    /// Parses a whole head: the request line, the fields, the empty line.
    /// - Parameter head: The head's bytes, ending in an empty line.
    /// - Returns: The framing, or what was malformed.
    static func parse(_ head: [UInt8]) -> Result<HTTPHeadFields, Malformed> {
        var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { return .failure(Malformed(description: "no request line")) }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].allSatisfy(isToken) else {
            return .failure(Malformed(description: "request line is not METHOD TARGET VERSION"))
        }
        var fields = HTTPHeadFields()
        switch String(decoding: parts[2], as: UTF8.self) {
        case "HTTP/1.1": break
        case "HTTP/1.0": fields.keepAlive = false
        default: return .failure(Malformed(description: "version is not HTTP/1.0 or HTTP/1.1"))
        }
        if String(decoding: parts[0], as: UTF8.self) == "CONNECT" { fields.switchesProtocols = true }

        var http10KeepAlive = false
        var connectionClose = false
        var contentLength: Int?
        var hasTransferEncoding = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(isToken)
            else {
                return .failure(Malformed(description: "header field line without a name and a colon"))
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
                .trimmingWhitespace().lowercased()
            switch name {
            case "content-length":
                guard !value.isEmpty, value.count <= 15, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let length = Int(value)
                else { return .failure(Malformed(description: "Content-Length is not a number")) }
                if let contentLength, contentLength != length {
                    return .failure(Malformed(description: "two different Content-Length fields"))
                }
                contentLength = length
            case "transfer-encoding":
                hasTransferEncoding = true
                let codings = value.split(separator: ",").map { String($0).trimmingWhitespace() }
                if codings.last == "chunked" {
                    fields.isChunked = true
                } else {
                    return .failure(Malformed(description: "Transfer-Encoding does not end in chunked"))
                }
            case "connection":
                for option in value.split(separator: ",").map({ String($0).trimmingWhitespace() }) {
                    if option == "close" { connectionClose = true }
                    if option == "keep-alive" { http10KeepAlive = true }
                }
            case "upgrade":
                fields.switchesProtocols = true
            default:
                break
            }
        }
        // RFC 9112 §6.1: a request with both is an attack on an intermediary; refuse it.
        if hasTransferEncoding && contentLength != nil {
            return .failure(Malformed(description: "both Transfer-Encoding and Content-Length"))
        }
        fields.contentLength = contentLength ?? 0
        if !fields.keepAlive && http10KeepAlive { fields.keepAlive = true }
        if connectionClose { fields.keepAlive = false }
        return .success(fields)
    }

    /// RFC 9110 `tchar`.
    private static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate func trimmingWhitespace() -> String {
        let utf8 = self.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(self[first...last])
    }
}
