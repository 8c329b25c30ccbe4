import HandoffSystem

/// What a server needs to know about one request, with positions relative to the parsed bytes.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package struct HTTPRequestHead: Sendable {
    /// The methods told apart.
    package enum Method: Sendable {
        case get, head, post, put, other
    }

    /// The request method.
    package var method: Method
    /// The path of the request target, without its query: offsets into the parsed bytes.
    package var path: Range<Int>
    /// Whether the connection stays open after the response.
    package var keepAlive: Bool
    /// `true` for HTTP/1.1, `false` for HTTP/1.0.
    package var isHTTP11: Bool
    /// The body, framed by `Content-Length`: offsets into the parsed bytes (empty without one).
    package var body: Range<Int> = 0..<0
}

/// The outcome of parsing the start of a buffer.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package enum HTTPParseResult: Sendable {
    /// More bytes are needed; nothing is consumed.
    case incomplete
    /// A whole request, head and body, occupies the first `length` bytes.
    case request(HTTPRequestHead, length: Int)
    /// The bytes are not a request the server will handle; answer with `status` and close.
    case invalid(HTTPStatus)
}

/// A bounded HTTP/1.x request parser working on raw bytes.
///
/// Stateless: it parses from the start of what it is given every time, so the caller keeps
/// unhandled bytes starting at a request boundary (which is also what an upgrade hands over).
/// Bodies are framed by `Content-Length` only; a request with `Transfer-Encoding` is refused
/// with 501. Lines may end in CRLF or a bare LF. A request line longer than
/// ``maximumRequestLine`` is refused with 400, header fields longer than ``maximumHeaderBytes``
/// with 431, a body over ``maximumBodyBytes`` with 413.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.

package enum HTTPRequestParser {
    /// The longest request line accepted, without its line ending.
    package static let maximumRequestLine = 8 * 1024
    /// The most bytes of header fields accepted after the request line.
    package static let maximumHeaderBytes = 64 * 1024
    /// The largest request body accepted.
    package static let maximumBodyBytes = 1024 * 1024

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let colon = UInt8(ascii: ":")

    /// Parses the request at the start of `bytes`.
    /// - Parameter bytes: What has arrived, starting at a request boundary.
    /// - Returns: A whole request, `incomplete`, or the status to refuse it with.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        let count = bytes.count
        // RFC 9112 §2.2: ignore empty lines before a request line.
        var start = 0
        while start < count, bytes[start] == cr || bytes[start] == lf { start += 1 }
        if start == count {
            return start > maximumRequestLine ? .invalid(.badRequest) : .incomplete
        }

        let lineLimit = min(count, start + maximumRequestLine + 2)
        guard let requestLineEnd = find(lf, in: bytes, from: start, to: lineLimit) else {
            return count - start > maximumRequestLine + 1 ? .invalid(.badRequest) : .incomplete
        }
        let requestLineStop = trimCR(bytes, from: start, to: requestLineEnd)
        guard requestLineStop - start <= maximumRequestLine else { return .invalid(.badRequest) }
        var head: HTTPRequestHead
        switch parseRequestLine(bytes, from: start, to: requestLineStop) {
        case .success(let parsed): head = parsed
        case .failure(let status): return .invalid(status)
        }

        var fields = FieldSummary()
        var cursor = requestLineEnd + 1
        let headerLimit = cursor + maximumHeaderBytes
        while true {
            guard let lineEnd = find(lf, in: bytes, from: cursor, to: min(count, headerLimit)) else {
                return count >= headerLimit ? .invalid(.headerFieldsTooLarge) : .incomplete
            }
            let lineStop = trimCR(bytes, from: cursor, to: lineEnd)
            if lineStop == cursor {
                cursor = lineEnd + 1
                break
            }
            if let status = fields.add(bytes, from: cursor, to: lineStop) { return .invalid(status) }
            cursor = lineEnd + 1
        }

        if fields.hasTransferEncoding {
            return .invalid(fields.contentLength == nil ? .notImplemented : .badRequest)
        }
        let bodyLength = fields.contentLength ?? 0
        guard bodyLength <= maximumBodyBytes else { return .invalid(.contentTooLarge) }
        let length = cursor + bodyLength
        guard count >= length else { return .incomplete }

        head.keepAlive =
            head.isHTTP11 ? !fields.connectionClose : fields.connectionKeepAlive && !fields.connectionClose
        head.body = cursor..<length
        return .request(head, length: length)
    }

    // MARK: Request line

    private enum RequestLineResult {
        case success(HTTPRequestHead)
        case failure(HTTPStatus)
    }

    private static func parseRequestLine(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to stop: Int
    ) -> RequestLineResult {
        guard let methodEnd = find(space, in: bytes, from: start, to: stop), methodEnd > start else {
            return .failure(.badRequest)
        }
        let method = parseMethod(bytes, from: start, to: methodEnd)
        guard let method else { return .failure(.badRequest) }

        let targetStart = methodEnd + 1
        guard let targetEnd = find(space, in: bytes, from: targetStart, to: stop),
            targetEnd > targetStart
        else { return .failure(.badRequest) }
        var pathEnd = targetStart
        while pathEnd < targetEnd {
            let byte = bytes[pathEnd]
            if byte <= space || byte == 0x7F { return .failure(.badRequest) }
            if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
            pathEnd += 1
        }
        for index in pathEnd..<targetEnd where bytes[index] <= space || bytes[index] == 0x7F {
            return .failure(.badRequest)
        }

        // "HTTP/1.1" or "HTTP/1.0"; another well-formed version gets 505.
        let versionStart = targetEnd + 1
        guard stop - versionStart == 8,
            bytes[versionStart] == UInt8(ascii: "H"), bytes[versionStart + 1] == UInt8(ascii: "T"),
            bytes[versionStart + 2] == UInt8(ascii: "T"), bytes[versionStart + 3] == UInt8(ascii: "P"),
            bytes[versionStart + 4] == UInt8(ascii: "/"), bytes[versionStart + 6] == UInt8(ascii: "."),
            isDigit(bytes[versionStart + 5]), isDigit(bytes[versionStart + 7])
        else { return .failure(.badRequest) }
        guard bytes[versionStart + 5] == UInt8(ascii: "1"),
            bytes[versionStart + 7] == UInt8(ascii: "0") || bytes[versionStart + 7] == UInt8(ascii: "1")
        else { return .failure(.httpVersionNotSupported) }

        return .success(
            HTTPRequestHead(
                method: method,
                path: targetStart..<pathEnd,
                keepAlive: true,
                isHTTP11: bytes[versionStart + 7] == UInt8(ascii: "1")))
    }

    private static func parseMethod(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int
    ) -> HTTPRequestHead.Method? {
        switch end - start {
        case 3 where matches(bytes, from: start, "GET"):
            return .get
        case 3 where matches(bytes, from: start, "PUT"):
            return .put
        case 4 where matches(bytes, from: start, "HEAD"):
            return .head
        case 4 where matches(bytes, from: start, "POST"):
            return .post
        default:
            for index in start..<end where !isTokenCharacter(bytes[index]) { return nil }
            return .other
        }
    }

    // MARK: Header fields

    /// The header fields that change how the request is framed or the connection kept.
    private struct FieldSummary {
        var contentLength: Int?
        var hasTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false

        /// Takes in one field line; returns a status if it makes the request invalid.
        mutating func add(_ bytes: UnsafeRawBufferPointer, from start: Int, to stop: Int) -> HTTPStatus? {
            guard let colonIndex = find(colon, in: bytes, from: start, to: stop), colonIndex > start else {
                return .badRequest
            }
            for index in start..<colonIndex where !isTokenCharacter(bytes[index]) {
                return .badRequest  // includes obsolete line folding and space before the colon
            }
            var valueStart = colonIndex + 1
            var valueEnd = stop
            while valueStart < valueEnd, bytes[valueStart] == space || bytes[valueStart] == tab {
                valueStart += 1
            }
            while valueEnd > valueStart, bytes[valueEnd - 1] == space || bytes[valueEnd - 1] == tab {
                valueEnd -= 1
            }

            switch colonIndex - start {
            case 14 where equalsLowercase(bytes, from: start, "content-length"):
                guard valueEnd > valueStart, valueEnd - valueStart <= 15 else { return .badRequest }
                var value = 0
                for index in valueStart..<valueEnd {
                    guard isDigit(bytes[index]) else { return .badRequest }
                    value = value * 10 + Int(bytes[index] &- UInt8(ascii: "0"))
                }
                if let existing = contentLength, existing != value { return .badRequest }
                contentLength = value
            case 17 where equalsLowercase(bytes, from: start, "transfer-encoding"):
                hasTransferEncoding = true
            case 10 where equalsLowercase(bytes, from: start, "connection"):
                addConnectionOptions(bytes, from: valueStart, to: valueEnd)
            default:
                break
            }
            return nil
        }

        private mutating func addConnectionOptions(
            _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int
        ) {
            var tokenStart = start
            while tokenStart < end {
                var tokenEnd = tokenStart
                while tokenEnd < end, bytes[tokenEnd] != UInt8(ascii: ",") { tokenEnd += 1 }
                var first = tokenStart
                var last = tokenEnd
                while first < last, bytes[first] == space || bytes[first] == tab { first += 1 }
                while last > first, bytes[last - 1] == space || bytes[last - 1] == tab { last -= 1 }
                if last - first == 5, equalsLowercase(bytes, from: first, "close") {
                    connectionClose = true
                } else if last - first == 10, equalsLowercase(bytes, from: first, "keep-alive") {
                    connectionKeepAlive = true
                }
                tokenStart = tokenEnd + 1
            }
        }
    }

    // MARK: Byte helpers

    /// The index of the first `byte` in `bytes[start..<end]`, found with `memchr(3)`.
    private static func find(
        _ byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int
    ) -> Int? {
        guard end > start, let base = bytes.baseAddress else { return nil }
        guard let found = Memory.find(byte, in: base + start, count: end - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// `end` moved back over one carriage return ending the line `start..<end`.
    private static func trimCR(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        end > start && bytes[end - 1] == cr ? end - 1 : end
    }

    /// Whether `bytes` at `start` spell `text` exactly.
    private static func matches(
        _ bytes: UnsafeRawBufferPointer, from start: Int, _ text: StaticString
    ) -> Bool {
        text.withUTF8Buffer { expected in
            guard start + expected.count <= bytes.count else { return false }
            for index in 0..<expected.count where bytes[start + index] != expected[index] {
                return false
            }
            return true
        }
    }

    /// Whether `bytes` at `start` spell the lowercase ASCII `text`, ignoring case.
    private static func equalsLowercase(
        _ bytes: UnsafeRawBufferPointer, from start: Int, _ text: StaticString
    ) -> Bool {
        text.withUTF8Buffer { expected in
            guard start + expected.count <= bytes.count else { return false }
            for index in 0..<expected.count {
                var byte = bytes[start + index]
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte |= 0x20 }
                if byte != expected[index] { return false }
            }
            return true
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
            UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
